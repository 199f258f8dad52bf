/** Block-permutation p-values (the Huth lab's permutation_test): reproducible, calibrated under the null. */
import { describe, expect, it } from "vitest";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { blockPermutationTest } from "../src/stats/blockPermutation.js";

describe("blockPermutationTest", () => {
  it("gives small p to a predicted column, spread p to unrelated ones, the same p for the same seed", () => {
    const rand = gaussian(mulberry32(8));
    const T = 205;
    const V = 300;
    const y = { rows: T, cols: V, data: Float64Array.from({ length: T * V }, rand) };
    const pred = { rows: T, cols: V, data: Float64Array.from({ length: T * V }, rand) };
    for (let t = 0; t < T; t++) pred.data[t * V] = y.data[t * V] + 0.5 * rand(); // column 0 predicted
    const a = blockPermutationTest(y, pred, { blockLength: 10, permutations: 400, seed: 2 });
    const b = blockPermutationTest(y, pred, { blockLength: 10, permutations: 400, seed: 2 });
    expect(Array.from(a.p)).toEqual(Array.from(b.p));
    expect(a.r[0]).toBeGreaterThan(0.8);
    expect(a.p[0]).toBe(0);
    const nullP = Array.from(a.p.subarray(1));
    const mean = nullP.reduce((s, x) => s + x, 0) / nullP.length;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.6);
    const small = nullP.filter((x) => x < 0.05).length / nullP.length;
    expect(small).toBeGreaterThan(0.01);
    expect(small).toBeLessThan(0.1);
  });

  it("refuses mismatched shapes and too few blocks, naming them", () => {
    const m = (rows: number, cols: number) => ({ rows, cols, data: new Float64Array(rows * cols) });
    expect(() => blockPermutationTest(m(20, 3), m(20, 4), { blockLength: 5 })).toThrow(
      /responses are 20 × 3 but predictions 20 × 4/,
    );
    expect(() => blockPermutationTest(m(15, 3), m(15, 3), { blockLength: 10 })).toThrow(
      /15 rows hold 1 whole block\(s\) of 10; at least 2 are needed/,
    );
    expect(() => blockPermutationTest(m(20, 3), m(20, 3), { blockLength: 2.5 })).toThrow(
      /blockLength must be a whole number ≥ 1, got 2.5/,
    );
  });
});

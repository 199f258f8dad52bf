/**
 * Outputs that explain themselves: the power a run has (the Wilcoxon floor against α and the number of
 * tests), and one best-layer rule with its ties.
 */
import { describe, expect, it } from "vitest";
import { bestLayer, describeBestLayer } from "../src/pipeline/bestLayer.js";
import { powerSummary } from "../src/pipeline/group/power.js";
import { integerTicks } from "../src/report/figures/brainMap.js";
import { wilcoxon, wilcoxonFloor } from "../src/stats/tests.js";

describe("power reported up front", () => {
  it("gives the exact one-sided Wilcoxon floor 2^−n, and the approximation's below it past n = 50", () => {
    for (const n of [1, 4, 5, 10, 20]) expect(wilcoxonFloor(n)).toBeCloseTo(2 ** -n, 15);
    expect(wilcoxonFloor(60)).toBeLessThan(2 ** -20);
    // No sample of n values gets below the floor.
    expect(wilcoxon([0.3, 0.1, 0.2, 0.5], "greater").pvalue).toBeGreaterThanOrEqual(wilcoxonFloor(4));
  });

  it("warns when no test can reach α, and says which families can", () => {
    const four = powerSummary(4, [{ name: "regions", tests: 78 }], 0.05);
    expect(four[0]).toMatch(/4 scans per test → smallest one-sided Wilcoxon p 0\.063/);
    expect(four[1]).toMatch(
      /regions: 78 tests; a lone effect needs p ≤ 6\.4e-4 \(unreachable\), an effect in every test p ≤ 0\.05 \(unreachable\)/,
    );
    expect(four.at(-1)).toMatch(/^warning: significance is unreachable with 4 scans/);
    const ten = powerSummary(
      10,
      [
        { name: "regions", tests: 78 },
        { name: "vertices", tests: 20484 },
      ],
      0.01,
    );
    expect(ten[1]).toMatch(
      /regions: 78 tests; a lone effect needs p ≤ 1\.3e-4 \(unreachable\), an effect in every test p ≤ 0\.01 \(reachable\)/,
    );
    expect(ten[2]).toMatch(/vertices: 20484 tests; .*\(unreachable\), an effect in every test p ≤ 0\.01 \(reachable\)/);
    expect(ten.some((l) => l.startsWith("warning"))).toBe(false);
    expect(powerSummary(20, [{ name: "regions", tests: 78 }], 0.01)[1]).toMatch(
      /\(reachable\), an effect in every test p ≤ 0\.01 \(reachable\)/,
    );
  });
});

describe("one best-layer rule", () => {
  it("takes the highest mean, reports exact ties and resolves them to the shallower layer", () => {
    expect(bestLayer([0.1, 0.3, 0.2], [0, 4, 8])).toEqual({ index: 1, layer: 4, mean: 0.3, ties: [] });
    const tie = bestLayer([0.1, 0.3, 0.3 + 1e-12], [0, 4, 8]);
    expect(tie.layer).toBe(8);
    expect(tie.ties).toEqual([4]);
    expect(describeBestLayer(tie)).toBe("layer 8 (tied with layer 4)");
    expect(bestLayer([0.2, 0.2], [3, 6])).toMatchObject({ layer: 3, ties: [6] });
    expect(bestLayer([NaN, NaN], [0, 1]).index).toBe(-1);
    expect(bestLayer([NaN, 0.1], [0, 1]).layer).toBe(1);
  });
});

describe("colour bars of discrete maps", () => {
  it("ticks whole words and layers only", () => {
    expect(integerTicks(0, 12)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(integerTicks(-10, 30)).toEqual([-10, 0, 10, 20, 30]);
    expect(integerTicks(2, 4)).toEqual([2, 3, 4]);
    for (const t of integerTicks(-3, 17)) expect(Number.isInteger(t)).toBe(true);
  });
});

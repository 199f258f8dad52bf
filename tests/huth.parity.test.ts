/**
 * Parity with the Huth lab's released encoding code (HuthLab/deep-fMRI-dataset `encoding/ridge_utils`, run
 * here on known inputs: ../shared/reference/huth, see its README): Lanczos downsampling, the trimmed,
 * z-scored and delayed design, and bootstrap ridge replaying the reference's held-out rows — held-out
 * correlations per alpha, chosen alphas, refitted weights and test correlations.
 */
import { describe, expect, it } from "vitest";
import { bootstrapRidge } from "../src/ridge/bootstrapRidge.js";
import { lanczosDownsample } from "../src/fmri/design/lanczos.js";
import { lanczosStoryDesign } from "../src/fmri/design/storyDesign.js";
import type { Matrix } from "../src/linalg/dense.js";
import { referenceTensors } from "./helpers/shared.js";

const ref = referenceTensors("reference/huth/huth.safetensors");
const matrix = (name: string): Matrix => {
  const t = ref(name);
  return { rows: t.shape[0], cols: t.shape.length > 1 ? t.shape[1] : 1, data: t.data as Float64Array };
};
const vector = (name: string) => ref(name).data as Float64Array;

/** max |a − b| / max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

describe("parity with the Huth lab's ridge_utils", () => {
  it.each(["a", "b"])("story %s: Lanczos downsampling (window 3, cutoff 1/TR) equals lanczosinterp2D", (s) => {
    const out = lanczosDownsample(matrix(`words_${s}`), vector(`word_times_${s}`), vector(`tr_times_${s}`), {
      window: 3,
    });
    expect(relativeError(out.data, vector(`lanczos_${s}`))).toBeLessThan(1e-12);
  });

  it("the trimmed, z-scored and delayed designs equal make_delayed(zs(lanczos[10:-5]), 1..4)", () => {
    for (const [s, name] of [
      ["a", "delayed_train"],
      ["b", "delayed_test"],
    ]) {
      const design = lanczosStoryDesign(matrix(`words_${s}`), vector(`word_times_${s}`), vector(`tr_times_${s}`));
      const want = matrix(name);
      expect([design.rows, design.cols]).toEqual([want.rows, want.cols]);
      expect(relativeError(design.data, want.data)).toBeLessThan(1e-12);
    }
  });

  it("bootstrap ridge on the reference's held-out rows: bootstrap correlations, alphas, weights, test correlations", async () => {
    const valinds = ref("valinds");
    const [B, held] = valinds.shape;
    const rows = Array.from({ length: B }, (_, b) =>
      Array.from((valinds.data as BigInt64Array).subarray(b * held, (b + 1) * held), Number),
    );
    const res = await bootstrapRidge(
      matrix("delayed_train"),
      matrix("resp_train"),
      matrix("delayed_test"),
      matrix("resp_test"),
      { alphas: vector("alphas"), heldOut: rows },
    );
    expect(relativeError(res.bootstrapCorrs, vector("bootstrap_corrs"))).toBeLessThan(1e-10);
    expect(Array.from(res.alphas)).toEqual(Array.from(vector("valphas")));
    expect(relativeError(res.weights.data, vector("wt"))).toBeLessThan(1e-9);
    expect(relativeError(res.corrs, vector("corrs"))).toBeLessThan(1e-10);
    // The reference chose more than one alpha, so a wrong choice cannot pass unnoticed.
    expect(new Set(res.alphas).size).toBeGreaterThan(1);
    // Targets in blocks of 7 (bounded memory at full scale): the same numbers.
    const blocks = await bootstrapRidge(
      matrix("delayed_train"),
      matrix("resp_train"),
      matrix("delayed_test"),
      matrix("resp_test"),
      { alphas: vector("alphas"), heldOut: rows, targetChunkSize: 7 },
    );
    expect(relativeError(blocks.bootstrapCorrs, res.bootstrapCorrs)).toBeLessThan(1e-12);
    expect(relativeError(blocks.weights.data, res.weights.data)).toBeLessThan(1e-12);
    expect(Array.from(blocks.alphas)).toEqual(Array.from(res.alphas));
  });

  it("draws whole held-out chunks from a seed, reproducibly, and refuses impossible settings naming them", async () => {
    const x = matrix("delayed_train");
    const y = matrix("resp_train");
    const opts = { alphas: vector("alphas"), nBoots: 3, chunkLength: 20, nChunks: 3, seed: 4 };
    const a = await bootstrapRidge(x, y, matrix("delayed_test"), matrix("resp_test"), opts);
    const b = await bootstrapRidge(x, y, matrix("delayed_test"), matrix("resp_test"), opts);
    expect(a.heldOut.map((h) => Array.from(h))).toEqual(b.heldOut.map((h) => Array.from(h)));
    expect(Array.from(a.corrs)).toEqual(Array.from(b.corrs));
    for (const h of a.heldOut) {
      expect(h.length).toBe(60);
      // Whole chunks of 20 rows, each starting on a multiple of 20, none past the last whole chunk.
      for (let c = 0; c < 3; c++) {
        expect(h[c * 20] % 20).toBe(0);
        for (let k = 1; k < 20; k++) expect(h[c * 20 + k]).toBe(h[c * 20] + k);
      }
      expect(Math.max(...h)).toBeLessThan(Math.floor(385 / 20) * 20);
    }
    await expect(
      bootstrapRidge(x, y, matrix("delayed_test"), matrix("resp_test"), { ...opts, nChunks: 19 }),
    ).rejects.toThrow(
      /19 held-out chunks of 20 rows leave no training rows: the 385 training rows hold 19 whole chunks/,
    );
    await expect(
      bootstrapRidge(x, y, matrix("delayed_test"), matrix("resp_test"), { heldOut: [[0, 1, 400]] }),
    ).rejects.toThrow(/heldOut\[0\]\[2\] = 400 is not a training row \(0 … 384\)/);
  });
});

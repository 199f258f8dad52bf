/**
 * Folds prepared on the background worker (foldPool.ts) equal folds prepared on the calling thread, bit for
 * bit, and brainScore gives the same results whichever thread prepared them.
 */
import { describe, expect, it } from "vitest";
import { openBackends } from "../src/backend/index.js";
import { brainScore } from "../src/encoding/ridge/crossValidate.js";
import { contiguousFolds } from "../src/encoding/ridge/folds.js";
import { prepareFolds } from "../src/encoding/ridge/foldPool.js";
import { prepareFold } from "../src/encoding/ridge/foldPrep.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

function problem(n: number, p: number, V: number) {
  const rand = gaussian(mulberry32(5));
  const x = { rows: n, cols: p, data: Float32Array.from({ length: n * p }, rand) };
  const y = { rows: n, cols: V, data: Float32Array.from({ length: n * V }, rand) };
  return { x, y };
}

const warnings: string[] = [];
process.on("warning", (w) => {
  if (w.name === "BrainscoreWarning") warnings.push(w.message);
});

describe("fold preparation on a worker thread", () => {
  it.each(["loo", "gcv"] as const)("%s: the worker's folds equal this thread's, bit for bit (kernel form, triangular factors)", async (mode) => {
    // Both sides ≥ 200, so the worker is used (smaller folds are prepared on the calling thread).
    const { x } = problem(280, 300, 1);
    const folds = contiguousFolds(280, 4);
    const alphas = Float64Array.from([0.1, 10, 1000]);
    const pair = openBackends("onnxruntime", "float32");
    try {
      const pooled = await Promise.all(prepareFolds([x], folds, { alphas, mode, dtype: "float32" }, pair.gram, pair.compute.graphs));
      for (let k = 0; k < folds.length; k++) {
        const here = await prepareFold(x, { fold: folds[k], alphas, mode, dtype: "float32" }, pair.gram, pair.compute.graphs);
        expect(Array.from(pooled[k].dec.s)).toEqual(Array.from(here.dec.s));
        expect(Array.from(pooled[k].dec.U.data)).toEqual(Array.from(here.dec.U.data));
        expect(Array.from(pooled[k].testDesign.data)).toEqual(Array.from(here.testDesign.data));
        expect(pooled[k].looFactors?.length ?? 0).toBe(mode === "loo" ? 3 : 0);
        pooled[k].looFactors?.forEach((f, a) => expect(Array.from(f)).toEqual(Array.from(here.looFactors![a])));
      }
      // The worker started and ran (a failure to start or a crash is reported as a BrainscoreWarning).
      expect(warnings).toEqual([]);
    } finally {
      await pair.dispose();
    }
  });

  it("brainScore with the worker equals the step-by-step JavaScript path on the same folds", async () => {
    const { x, y } = problem(280, 320, 30);
    const ort = await brainScore(x, y, { alphaSelection: "loo", dtype: "float64", folds: 4 });
    const js = await brainScore(x, y, { alphaSelection: "loo", dtype: "float64", folds: 4, backend: "js" });
    expect(Array.from(ort.alphas)).toEqual(Array.from(js.alphas));
    for (let t = 0; t < 30; t++) expect(Math.abs(ort.r[t] - js.r[t])).toBeLessThan(1e-10);
  });
});

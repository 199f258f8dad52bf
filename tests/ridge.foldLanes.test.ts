/**
 * brainScore's two lanes (foldLanes.ts: this thread and a worker, single-threaded sessions each) give the
 * same results whichever lane prepared a fold or scored a chunk: bit for bit against one lane on the same
 * single-threaded sessions, and to rounding against the step-by-step JavaScript path.
 */
import { afterEach, describe, expect, it } from "vitest";
import { brainScore } from "../src/ridge/crossValidate.js";
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

afterEach(() => {
  delete process.env.BRAINSCORE_FOLD_WORKER;
});

describe("folds on two lanes", () => {
  it.each(["loo", "gcv"] as const)(
    "%s: the schedule does not change a bit (kernel form, many small chunks)",
    async (mode) => {
      // Both sides ≥ 200, so the worker lane is used; small chunks so both lanes score some of every fold.
      const { x, y } = problem(280, 300, 120);
      const opts = {
        alphaSelection: mode,
        folds: 4,
        alphas: [0.1, 10, 1000],
        targetChunkSize: 8,
        savePredictions: true,
        keepCriteria: true,
        // 120 targets would take the residual form (no factors to prepare: a lane may finish every fold first).
        looForm: "triangular" as const,
      };
      const a = await brainScore(x, y, opts);
      const b = await brainScore(x, y, { ...opts, targetChunkSize: 8 });
      // The same call twice: a different interleaving of the lanes, the same numbers.
      expect(Array.from(b.r)).toEqual(Array.from(a.r));
      expect(Array.from(b.criteria!)).toEqual(Array.from(a.criteria!));
      // The worker started and ran (a failure to start or a crash is reported as a BrainscoreWarning), and
      // both lanes prepared folds and scored chunks.
      expect(warnings).toEqual([]);
      for (const res of [a, b]) {
        const { main, worker } = res.settings.lanes!;
        expect(main.folds + worker.folds).toBe(4);
        expect(main.chunks + worker.chunks).toBe(4 * 15);
        expect(Math.min(main.folds, worker.folds, main.chunks, worker.chunks)).toBeGreaterThan(0);
      }
      // One lane (no worker) on the caller's backend: same alphas, same scores to float32 rounding.
      process.env.BRAINSCORE_FOLD_WORKER = "0";
      const one = await brainScore(x, y, opts);
      expect(one.settings.lanes!.worker).toEqual({ folds: 0, chunks: 0 });
      expect(Array.from(one.alphas)).toEqual(Array.from(a.alphas));
      for (let t = 0; t < 120; t++) expect(Math.abs(one.r[t] - a.r[t])).toBeLessThan(1e-5);
      const pa = a.predictions!.data;
      const po = one.predictions!.data;
      for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - po[i])).toBeLessThan(1e-4 * (1 + Math.abs(po[i])));
      expect(a.settings.forms).toEqual(["dual", "dual", "dual", "dual"]);
      if (mode === "gcv") return;
      expect(a.settings.looForms).toEqual(new Array(4).fill("triangular"));
      // The residual form on two lanes: the same bits whatever the schedule, too.
      delete process.env.BRAINSCORE_FOLD_WORKER;
      const c = await brainScore(x, y, { ...opts, looForm: "residual" });
      const d = await brainScore(x, y, { ...opts, looForm: "residual" });
      expect(c.settings.looForms).toEqual(new Array(4).fill("residual"));
      expect(c.settings.lanes!.worker.chunks + d.settings.lanes!.worker.chunks).toBeGreaterThan(0);
      expect(Array.from(d.r)).toEqual(Array.from(c.r));
      expect(Array.from(d.criteria!)).toEqual(Array.from(c.criteria!));
      expect(Array.from(c.alphas)).toEqual(Array.from(a.alphas));
    },
  );

  it("brainScore on two lanes equals the step-by-step JavaScript path on the same folds", async () => {
    const { x, y } = problem(280, 320, 30);
    const ort = await brainScore(x, y, { alphaSelection: "loo", dtype: "float64", folds: 4, targetChunkSize: 4 });
    const js = await brainScore(x, y, { alphaSelection: "loo", dtype: "float64", folds: 4, backend: "js" });
    expect(Array.from(ort.alphas)).toEqual(Array.from(js.alphas));
    for (let t = 0; t < 30; t++) expect(Math.abs(ort.r[t] - js.r[t])).toBeLessThan(1e-10);
  });
});

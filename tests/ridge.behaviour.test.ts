/** Behaviour of the ridge engine beyond the references: forms, folds, chunking, bad and degenerate input. */
import { Matrix as MlMatrix, solve } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { findNonFiniteTargets } from "../src/ridge/checks.js";
import { brainScore } from "../src/ridge/crossValidate.js";
import { contiguousFolds, groupFolds } from "../src/ridge/folds.js";
import { parseAlphas } from "../src/ridge/alphas.js";
import type { Matrix } from "../src/linalg/dense.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

function problem(n: number, p: number, V: number, seed: number, noise = 1): { x: Matrix; y: Matrix } {
  const rand = gaussian(mulberry32(seed));
  const x = Float64Array.from({ length: n * p }, rand);
  const w = Float64Array.from({ length: p * V }, rand);
  const y = new Float64Array(n * V);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < V; t++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += x[i * p + j] * w[j * V + t];
      y[i * V + t] = s / Math.sqrt(p) + noise * rand() + 10;
    }
  }
  return { x: { rows: n, cols: p, data: x }, y: { rows: n, cols: V, data: y } };
}

/** Independent ridge fit with ml-matrix (a card package): standardise on train, solve normal equations. */
function directRidgePrediction(
  x: Matrix,
  y: Matrix,
  train: Int32Array,
  test: Int32Array,
  t: number,
  alpha: number,
): number[] {
  const p = x.cols;
  const col = (rows: Int32Array, j: number) => Array.from(rows, (i) => x.data[i * p + j]);
  const mean = Array.from({ length: p }, (_, j) => col(train, j).reduce((a, b) => a + b, 0) / train.length);
  const sd = Array.from({ length: p }, (_, j) =>
    Math.sqrt(col(train, j).reduce((a, b) => a + (b - mean[j]) ** 2, 0) / train.length),
  );
  const std = (i: number) => Array.from({ length: p }, (_, j) => (x.data[i * p + j] - mean[j]) / sd[j]);
  const Xtr = new MlMatrix(Array.from(train, std));
  const ytr = Array.from(train, (i) => y.data[i * y.cols + t]);
  const ym = ytr.reduce((a, b) => a + b, 0) / ytr.length;
  const yc = MlMatrix.columnVector(ytr.map((v) => v - ym));
  const A = Xtr.transpose().mmul(Xtr).add(MlMatrix.eye(p, p).mul(alpha));
  const w = solve(A, Xtr.transpose().mmul(yc));
  return Array.from(test, (i) => new MlMatrix([std(i)]).mmul(w).get(0, 0) + ym);
}

describe("ridge solutions", () => {
  it.each([
    ["primal (p < n)", 60, 8],
    ["dual (p > n)", 40, 70],
  ])("%s predictions equal an independent ml-matrix solve", async (_name, n, p) => {
    const { x, y } = problem(n, p, 3, 7);
    const res = await brainScore(x, y, { alphas: [3.5], dtype: "float64", savePredictions: true, folds: 4 });
    expect(res.settings.forms.every((f) => f === (p > 0.75 * n ? "dual" : "primal"))).toBe(true);
    for (const fold of contiguousFolds(n, 4)) {
      for (let t = 0; t < 3; t++) {
        const expected = directRidgePrediction(x, y, fold.train, fold.test, t, 3.5);
        fold.test.forEach((row, j) => expect(res.predictions!.data[row * 3 + t]).toBeCloseTo(expected[j], 8));
      }
    }
  });

  it("recovers planted signal and scores noise near zero", async () => {
    const { x, y } = problem(400, 10, 6, 3, 0.5);
    const rand = gaussian(mulberry32(99));
    for (let i = 0; i < 400; i++) y.data[i * 6 + 5] = rand(); // target 5: pure noise
    const res = await brainScore(x, y);
    // SNR 4: the best possible r is 0.89.
    for (let t = 0; t < 5; t++) expect(res.r[t]).toBeGreaterThan(0.7);
    expect(Math.abs(res.r[5])).toBeLessThan(0.15);
  });

  it("gives the same scores whatever the target chunk size", async () => {
    const { x, y } = problem(120, 12, 37, 5);
    const a = await brainScore(x, y, { dtype: "float64", targetChunkSize: 7 });
    const b = await brainScore(x, y, { dtype: "float64" });
    for (let k = 0; k < a.rFolds.length; k++) expect(a.rFolds[k]).toBeCloseTo(b.rFolds[k], 12);
    expect(Array.from(a.alphas)).toEqual(Array.from(b.alphas));
  });

  it("agrees between the onnxruntime and the JavaScript backends in float64 for every mode", async () => {
    const { x, y } = problem(90, 15, 11, 11, 2);
    for (const alphaSelection of ["loo", "gcv", "kfold"] as const) {
      const a = await brainScore(x, y, { dtype: "float64", alphaSelection, backend: "js" });
      const b = await brainScore(x, y, { dtype: "float64", alphaSelection, backend: "onnxruntime" });
      expect(Array.from(a.alphas)).toEqual(Array.from(b.alphas));
      for (let k = 0; k < a.rFolds.length; k++) expect(a.rFolds[k]).toBeCloseTo(b.rFolds[k], 10);
    }
  });

  it.each([
    ["dual, U spans the centred rows (triangular LOO form)", false],
    ["dual, rank-deficient (duplicated rows: the triangular form completed by null directions)", true],
  ])("loo in %s: the fused graph's criteria equal the step-by-step residual form", async (_name, duplicate) => {
    const { x, y } = problem(60, 140, 9, 21, 1.5);
    // Rows 30..59 repeat rows 0..29: every training fold holds duplicated rows, so its kernel loses rank.
    if (duplicate) for (let i = 30; i < 60; i++) x.data.copyWithin(i * 140, (i - 30) * 140, (i - 29) * 140);
    const alphas = [0.01, 1, 30, 300, 1e4, 1e6];
    const a = await brainScore(x, y, { dtype: "float64", alphas, backend: "js", keepCriteria: true });
    const looForm = "triangular" as const; // 21 targets would take the residual form by default
    const b = await brainScore(x, y, { dtype: "float64", alphas, backend: "onnxruntime", keepCriteria: true, looForm });
    expect(b.settings.forms.every((f) => f === "dual")).toBe(true);
    expect(b.settings.looForms).toEqual(new Array(5).fill("triangular"));
    expect(Array.from(b.alphas)).toEqual(Array.from(a.alphas));
    for (let k = 0; k < a.criteria!.length; k++)
      expect(Math.abs(b.criteria![k] - a.criteria![k])).toBeLessThan(1e-10 * Math.abs(a.criteria![k]));
    for (let k = 0; k < a.rFolds.length; k++) expect(b.rFolds[k]).toBeCloseTo(a.rFolds[k], 10);
    if (duplicate) return;
    // The triangular form in float32 stays within float32 rounding of the float64 criteria.
    const c = await brainScore(x, y, {
      dtype: "float32",
      alphas,
      backend: "onnxruntime",
      keepCriteria: true,
      looForm,
    });
    for (let k = 0; k < a.criteria!.length; k++)
      expect(Math.abs(c.criteria![k] - a.criteria![k])).toBeLessThan(1e-4 * Math.abs(a.criteria![k]));
  });

  it("loo's triangular form completes a kernel that lost directions to repeated rows (silent TRs): same criteria", async () => {
    const { x, y } = problem(60, 140, 9, 21, 1.5);
    // Rows 0..3 and 40..42 all zero, as TRs without words: every training fold repeats a row 2–6 times.
    for (const i of [0, 1, 2, 3, 40, 41, 42]) x.data.fill(0, i * 140, (i + 1) * 140);
    const alphas = [0.01, 1, 30, 300, 1e4, 1e6];
    const a = await brainScore(x, y, { dtype: "float64", alphas, backend: "js", keepCriteria: true });
    const options = { alphas, backend: "onnxruntime" as const, keepCriteria: true, looForm: "triangular" as const };
    const b = await brainScore(x, y, { ...options, dtype: "float64" });
    const c = await brainScore(x, y, { ...options, dtype: "float64", looForm: "residual" });
    expect(b.settings.looForms).toEqual(new Array(5).fill("triangular"));
    expect(c.settings.looForms).toEqual(new Array(5).fill("residual"));
    expect(Array.from(b.alphas)).toEqual(Array.from(a.alphas));
    for (let k = 0; k < a.criteria!.length; k++) {
      expect(Math.abs(b.criteria![k] - a.criteria![k])).toBeLessThan(1e-10 * Math.abs(a.criteria![k]));
      expect(Math.abs(c.criteria![k] - a.criteria![k])).toBeLessThan(1e-10 * Math.abs(a.criteria![k]));
    }
    for (let k = 0; k < a.rFolds.length; k++) expect(b.rFolds[k]).toBeCloseTo(a.rFolds[k], 10);
    const f32 = await brainScore(x, y, { ...options, dtype: "float32" });
    for (let k = 0; k < a.criteria!.length; k++)
      expect(Math.abs(f32.criteria![k] - a.criteria![k])).toBeLessThan(1e-4 * Math.abs(a.criteria![k]));
  });

  it("loo takes the triangular form from 8 targets per training row on, the residual form below: same criteria", async () => {
    // 48 training rows per fold: 384 targets is the threshold.
    const { x, y } = problem(60, 140, 384, 11, 1.5);
    const few = { ...y, cols: 383, data: new Float64Array(60 * 383) };
    for (let i = 0; i < 60; i++) few.data.set(y.data.subarray(i * 384, i * 384 + 383), i * 383);
    const alphas = [0.01, 1, 30, 300, 1e4, 1e6];
    const options = { dtype: "float64" as const, alphas, backend: "onnxruntime" as const, keepCriteria: true };
    const auto = await brainScore(x, y, options);
    const autoFew = await brainScore(x, few, options);
    const residual = await brainScore(x, y, { ...options, looForm: "residual" });
    expect(auto.settings.looForms).toEqual(new Array(5).fill("triangular"));
    expect(autoFew.settings.looForms).toEqual(new Array(5).fill("residual"));
    expect(residual.settings.looForms).toEqual(new Array(5).fill("residual"));
    let differing = 0;
    for (let k = 0; k < auto.criteria!.length; k++) {
      expect(Math.abs(residual.criteria![k] - auto.criteria![k])).toBeLessThan(1e-10 * Math.abs(auto.criteria![k]));
      if (residual.criteria![k] !== auto.criteria![k]) differing++;
    }
    expect(differing).toBeGreaterThan(0); // two computations, not one
    expect(Array.from(residual.alphas)).toEqual(Array.from(auto.alphas));
    await expect(brainScore(x, y, { ...options, looForm: "qr" as "auto" })).rejects.toThrow(
      /looForm must be "auto", "triangular" or "residual", got "qr"/,
    );
  });

  it("uses one outer fold per group label", async () => {
    const { x, y } = problem(90, 5, 2, 2);
    const groups = Array.from({ length: 90 }, (_, i) => (i < 30 ? 7 : i < 60 ? 3 : 9));
    const res = await brainScore(x, y, { groups });
    expect(res.nFolds).toBe(3);
    expect(res.foldId[0]).toBe(0);
    expect(res.foldId[45]).toBe(1);
    expect(groupFolds(groups)[2].test.length).toBe(30);
  });
});

describe("degenerate and bad input", () => {
  it("reports a constant target as NaN without failing the others", async () => {
    const { x, y } = problem(100, 5, 4, 1, 0.3);
    for (let i = 0; i < 100; i++) y.data[i * 4 + 2] = 3.25;
    const res = await brainScore(x, y);
    expect(Number.isNaN(res.r[2])).toBe(true);
    expect(res.invalidTargets.constant).toEqual([2]);
    for (const t of [0, 1, 3]) expect(res.r[t]).toBeGreaterThan(0.5);
  });

  it("refuses NaN in Y by default, naming the source, and masks it on request", async () => {
    const { x, y } = problem(100, 5, 4, 1, 0.3);
    y.data[17 * 4 + 1] = NaN;
    await expect(brainScore(x, y, { source: { y: "bold.npy" } })).rejects.toThrow(
      /bold\.npy: 1 target column\(s\) contain NaN or Inf \(first: column 1\)/,
    );
    const res = await brainScore(x, y, { invalidTargets: "mask", savePredictions: true });
    expect(Number.isNaN(res.r[1])).toBe(true);
    expect(res.invalidTargets.nonFinite).toEqual([1]);
    expect(res.r[0]).toBeGreaterThan(0.5);
    expect(Number.isNaN(res.predictions!.data[1])).toBe(true);
  });

  it("finds every column holding NaN, +Infinity or −Infinity, in float32 and float64", () => {
    for (const make of [(k: number) => new Float32Array(k), (k: number) => new Float64Array(k)]) {
      const y = { rows: 3, cols: 5, data: make(15).map((_, i) => i * 0.5 - 3) };
      expect(findNonFiniteTargets(y)).toEqual([]);
      y.data[0 * 5 + 4] = -Infinity;
      y.data[1 * 5 + 1] = NaN;
      y.data[2 * 5 + 3] = Infinity;
      y.data[2 * 5 + 1] = Infinity;
      expect(findNonFiniteTargets(y)).toEqual([1, 3, 4]);
    }
  });

  it("refuses NaN or Inf in X, mismatched rows and empty arrays with clear messages", async () => {
    const { x, y } = problem(50, 3, 2, 1);
    const bad = { ...x, data: x.data.slice() };
    bad.data[4] = Infinity;
    await expect(brainScore(bad, y, { source: { x: "feats.npy" } })).rejects.toThrow(
      /feats\.npy: non-finite value Infinity at row 1, column 1/,
    );
    await expect(brainScore(x, { rows: 49, cols: 2, data: y.data.slice(0, 98) })).rejects.toThrow(/50 rows .* 49/);
    await expect(brainScore({ rows: 0, cols: 3, data: new Float64Array(0) }, y)).rejects.toThrow(/empty/);
    await expect(brainScore(x, y, { folds: 1 })).rejects.toThrow(/folds must be an integer ≥ 2/);
    await expect(brainScore(x, y, { alphas: [1, -2] })).rejects.toThrow(/alpha must be a finite number > 0/);
  });

  it("treats a zero-variance feature as absent", async () => {
    const { x, y } = problem(80, 4, 2, 4);
    const withConstant = { rows: 80, cols: 5, data: new Float64Array(80 * 5) };
    for (let i = 0; i < 80; i++) {
      withConstant.data.set(x.data.subarray(i * 4, i * 4 + 4), i * 5);
      withConstant.data[i * 5 + 4] = 2.5;
    }
    const a = await brainScore(x, y, { dtype: "float64" });
    const b = await brainScore(withConstant, y, { dtype: "float64" });
    for (let t = 0; t < 2; t++) expect(b.r[t]).toBeCloseTo(a.r[t], 10);
  });
});

describe("alpha grids", () => {
  it("parses lists and numpy-style logspace", () => {
    expect(Array.from(parseAlphas("0.5, 2,8"))).toEqual([0.5, 2, 8]);
    const grid = parseAlphas("logspace:-1:8:10");
    expect(grid.length).toBe(10);
    expect(grid[9]).toBeCloseTo(1e8, 0);
    expect(() => parseAlphas("logspace:1:2")).toThrow(/logspace:START:STOP:COUNT/);
    expect(() => parseAlphas("1,x")).toThrow(/finite number > 0/);
  });
});

describe("ties between alphas", () => {
  it("an uninformative (all-constant) design ties every alpha: loo takes the smallest, kfold the largest", async () => {
    const { y } = problem(60, 2, 3, 8);
    const x = { rows: 60, cols: 2, data: new Float64Array(120).fill(4) };
    const alphas = [0.1, 1, 10];
    for (const backend of ["onnxruntime", "js"] as const) {
      const loo = await brainScore(x, y, { alphas, alphaSelection: "loo", backend, savePredictions: true });
      expect(new Set(loo.alphas)).toEqual(new Set([0.1]));
      const kfold = await brainScore(x, y, { alphas, alphaSelection: "kfold", backend });
      expect(new Set(kfold.alphas)).toEqual(new Set([10]));
      // Predictions are the training mean: r is undefined (NaN), reported rather than fatal.
      expect(Number.isNaN(loo.r[0])).toBe(true);
    }
  });
});

describe("cross-check with ml-regression", () => {
  it("a negligible penalty reproduces ordinary least squares (MultivariateLinearRegression)", async () => {
    const { MultivariateLinearRegression } = await import("ml-regression");
    const { x, y } = problem(80, 4, 2, 12);
    const res = await brainScore(x, y, { alphas: [1e-9], dtype: "float64", savePredictions: true, folds: 4 });
    for (const fold of contiguousFolds(80, 4)) {
      const rows = (m: Matrix, idx: Int32Array) =>
        Array.from(idx, (i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
      const ols = new MultivariateLinearRegression(rows(x, fold.train), rows(y, fold.train), { intercept: true });
      const expected = ols.predict(rows(x, fold.test)) as number[][];
      fold.test.forEach((row, j) => {
        for (let t = 0; t < 2; t++) expect(res.predictions!.data[row * 2 + t]).toBeCloseTo(expected[j][t], 6);
      });
    }
  });
});

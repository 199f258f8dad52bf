/** Dense kernels: the symmetric eigensolver (against ml-matrix) and both compute backends' products. */
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { OrtBackend } from "../src/backend/ort.js";
import { matmulJs, transpose } from "../src/linalg/dense.js";
import { eigh } from "../src/linalg/eigh.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { randomSymmetric } from "./helpers/matrices.js";

describe("eigh", () => {
  it.each([1, 2, 7, 64])("diagonalises a random symmetric %i×%i matrix like ml-matrix", (n) => {
    const a = randomSymmetric(n, n);
    const { values, vectors } = eigh(a, n);
    const ml = new EigenvalueDecomposition(
      new MlMatrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n)))),
      { assumeSymmetric: true },
    );
    const mlValues = [...ml.realEigenvalues].sort((x, y) => x - y);
    values.forEach((v, k) => expect(v).toBeCloseTo(mlValues[k], 10));
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += a[i * n + j] * vectors[k * n + j];
        expect(s).toBeCloseTo(values[k] * vectors[k * n + i], 9);
      }
    }
    for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
  });

  it("handles repeated eigenvalues and rank-deficient Gram matrices", () => {
    const n = 6;
    const x = Float64Array.from({ length: n * 2 }, gaussian(mulberry32(3)));
    const g = new Float64Array(n * n); // rank 2
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) g[i * n + j] = x[i * 2] * x[j * 2] + x[i * 2 + 1] * x[j * 2 + 1];
    const { values } = eigh(g, n);
    for (let k = 0; k < n - 2; k++) expect(Math.abs(values[k])).toBeLessThan(1e-12);
    expect(values[n - 1]).toBeGreaterThan(0);
  });
});

describe("compute backends", () => {
  const rand = gaussian(mulberry32(5));
  const a = { rows: 13, cols: 9, data: Float64Array.from({ length: 117 }, rand) };
  const b = { rows: 13, cols: 6, data: Float64Array.from({ length: 78 }, rand) };
  const c = { rows: 9, cols: 6, data: Float64Array.from({ length: 54 }, rand) };

  it.each([
    ["onnxruntime float64", () => new OrtBackend({ dtype: "float64" }), 1e-12],
    ["onnxruntime float32", () => new OrtBackend({ dtype: "float32" }), 1e-5],
    ["js float64", () => new JsBackend("float64"), 1e-12],
  ] as const)("%s: matmul with and without transposition", async (_name, make, tol) => {
    const be = make();
    const expectedT = matmulJs(a, b, true);
    const gotT = await be.matmul(a, b, true);
    expect(gotT.rows).toBe(9);
    gotT.data.forEach((v, i) => expect(Math.abs(v - expectedT.data[i])).toBeLessThan(tol * 10));
    const expected = matmulJs(a, c);
    const got = await be.matmul(a, c);
    got.data.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThan(tol * 10));
    // op(B) = Bᵀ, alone and with op(A) = Aᵀ, against explicit transposes.
    const aat = await be.matmul(a, a, false, true);
    const expectedAat = matmulJs(a, transpose(a));
    expect([aat.rows, aat.cols]).toEqual([13, 13]);
    aat.data.forEach((v, i) => expect(Math.abs(v - expectedAat.data[i])).toBeLessThan(tol * 10));
    const x = transpose(a); // 9 × 13
    const both = await be.matmul(b, x, true, true);
    const expectedBoth = matmulJs(b, transpose(x), true);
    expect([both.rows, both.cols]).toEqual([6, 9]);
    both.data.forEach((v, i) => expect(Math.abs(v - expectedBoth.data[i])).toBeLessThan(tol * 10));
    await be.dispose();
  });

  it("residualSumSquares agrees between backends and with a direct loop", async () => {
    const m = { count: 3, rows: 13, cols: 9, data: Float64Array.from({ length: 3 * 117 }, rand) };
    const w = Float64Array.from({ length: 39 }, () => 0.5 + Math.abs(rand()));
    const ort = new OrtBackend({ dtype: "float64" });
    const got = await ort.residualSumSquares(m, c, b, w);
    const js = await new JsBackend().residualSumSquares(m, c, b, w);
    for (let q = 0; q < 3 * 6; q++) expect(got.data[q]).toBeCloseTo(js.data[q], 10);
    // direct check of one entry
    let s = 0;
    for (let j = 0; j < 13; j++) {
      let pred = 0;
      for (let i = 0; i < 9; i++) pred += m.data[(2 * 13 + j) * 9 + i] * c.data[i * 6 + 4];
      s += (w[2 * 13 + j] * (b.data[j * 6 + 4] - pred)) ** 2;
    }
    expect(got.data[2 * 6 + 4]).toBeCloseTo(s, 10);
    await ort.dispose();
  });
});

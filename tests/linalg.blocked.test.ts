/**
 * The BLAS-3 decompositions (eighBlocked: blocked tridiagonalisation + divide and conquer; choleskyBlocked)
 * against the EISPACK/row-wise implementations they replace, in float64, on matrices chosen to reach every
 * branch: deflated and rotated eigenvalues (repeated, clustered, zero), graded spectra, sizes around the block
 * and leaf sizes, and through onnxruntime's GEMM as the ridge solvers call them. The same matrices go to numpy
 * (optional interop check, skipped without Debian's python3-numpy).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrtBackend } from "../src/backend/ort.js";
import { cholesky, choleskyBlocked } from "../src/linalg/cholesky.js";
import { eigh, type Eigh } from "../src/linalg/eigh.js";
import { backendGemm, eighBlocked } from "../src/linalg/eighBlocked.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { tridiagonalEigen, type Gemm } from "../src/linalg/tridiagonalEigen.js";
import { randomSymmetric } from "./helpers/matrices.js";

type Case = { name: string; n: number; a: Float64Array };

function fromFactors(q: Float64Array, lambda: ArrayLike<number>, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  return a;
}

/** A random orthogonal matrix (Gram–Schmidt on Gaussian columns). */
function orthogonal(n: number, seed: number): Float64Array {
  const rand = gaussian(mulberry32(seed));
  const q = Float64Array.from({ length: n * n }, rand);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + j] * q[i * n + k];
        for (let i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + k];
      }
    }
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += q[i * n + j] ** 2;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < n; i++) q[i * n + j] /= nrm;
  }
  return q;
}

/** A centred linear kernel of n rows × p Gaussian features (one zero eigenvalue, as the ridge folds have). */
function centredKernel(n: number, p: number, seed: number): Float64Array {
  const rand = gaussian(mulberry32(seed));
  const x = Float64Array.from({ length: n * p }, rand);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * p + j] / n;
    for (let i = 0; i < n; i++) x[i * p + j] -= m;
  }
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let l = 0; l < p; l++) s += x[i * p + l] * x[j * p + l];
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  return k;
}

const cases: Case[] = [
  { name: "1 × 1", n: 1, a: Float64Array.of(3) },
  { name: "2 × 2", n: 2, a: Float64Array.of(2, -1, -1, 2) },
  { name: "random 33 (one leaf + corner)", n: 33, a: randomSymmetric(33, 1) },
  { name: "random 97 (blocks and merges)", n: 97, a: randomSymmetric(97, 2) },
  { name: "centred kernel 150 × 400 features", n: 150, a: centredKernel(150, 400, 3) },
  { name: "rank-5 kernel 120 (many zero eigenvalues)", n: 120, a: centredKernel(120, 5, 4) },
  {
    name: "eigenvalues repeated in blocks of 10",
    n: 130,
    a: fromFactors(
      orthogonal(130, 5),
      Array.from({ length: 130 }, (_, k) => Math.floor(k / 10)),
      130,
    ),
  },
  {
    name: "graded spectrum 1 … 1e-12",
    n: 90,
    a: fromFactors(
      orthogonal(90, 6),
      Array.from({ length: 90 }, (_, k) => 10 ** ((-12 * k) / 89)),
      90,
    ),
  },
  {
    name: "identity + rank one",
    n: 80,
    a: (() => {
      const z = Float64Array.from({ length: 80 }, gaussian(mulberry32(7)));
      const a = new Float64Array(80 * 80);
      for (let i = 0; i < 80; i++) for (let j = 0; j < 80; j++) a[i * 80 + j] = (i === j ? 1 : 0) + z[i] * z[j];
      return a;
    })(),
  },
  {
    name: "diagonal with ties (already tridiagonal)",
    n: 70,
    a: (() => {
      const a = new Float64Array(70 * 70);
      for (let i = 0; i < 70; i++) a[i * 70 + i] = i % 7;
      return a;
    })(),
  },
];

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max |A·v − λ·v| / ‖A‖max and max |VᵀV − I|. */
function quality(a: Float64Array, n: number, e: Eigh): { residual: number; orthogonality: number } {
  const scale = maxAbs(a) || 1;
  let residual = 0;
  let orthogonality = 0;
  for (let k = 0; k < n; k++) {
    const v = e.vectors.subarray(k * n, k * n + n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * v[j];
      residual = Math.max(residual, Math.abs(s - e.values[k] * v[i]) / scale);
    }
    for (let l = 0; l <= k; l++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * e.vectors[l * n + i];
      orthogonality = Math.max(orthogonality, Math.abs(d - (k === l ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

/**
 * The spectral projector onto eigenvalues below each gap of the reference: equal for any two correct
 * decompositions, even where eigenvectors are not unique (repeated eigenvalues).
 */
function projectorDifference(ref: Eigh, got: Eigh, n: number): number {
  const scale = Math.max(maxAbs(ref.values), 1e-300);
  let worst = 0;
  for (let cut = 1; cut < n; cut++) {
    if (ref.values[cut] - ref.values[cut - 1] < 1e-3 * scale) continue;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let p = 0;
        let q = 0;
        for (let k = 0; k < cut; k++) {
          p += ref.vectors[k * n + i] * ref.vectors[k * n + j];
          q += got.vectors[k * n + i] * got.vectors[k * n + j];
        }
        worst = Math.max(worst, Math.abs(p - q));
      }
    if (n > 60) cut += Math.floor(n / 6); // a few gaps suffice on the larger cases
  }
  return worst;
}

let ort: OrtBackend;
let ortGemm: Gemm;
beforeAll(() => {
  ort = new OrtBackend({ dtype: "float64" });
  ortGemm = backendGemm(ort);
});
afterAll(async () => ort.dispose());

describe("eighBlocked (tridiagonalisation + divide and conquer)", () => {
  it.each(cases)(
    "$name: same eigenvalues as the EISPACK eigh to 1e-10 relative, residual and orthogonality at rounding",
    async ({ n, a }) => {
      const ref = eigh(a, n);
      for (const gemm of [undefined, ortGemm]) {
        const got = await eighBlocked(a, n, gemm);
        const scale = Math.max(maxAbs(ref.values), 1e-300);
        for (let k = 0; k < n; k++) expect(Math.abs(got.values[k] - ref.values[k]) / scale).toBeLessThan(1e-10);
        for (let k = 1; k < n; k++) expect(got.values[k]).toBeGreaterThanOrEqual(got.values[k - 1]);
        const q = quality(a, n, got);
        expect(q.residual).toBeLessThan(1e-12);
        expect(q.orthogonality).toBeLessThan(1e-12);
        expect(projectorDifference(ref, got, n)).toBeLessThan(1e-10);
      }
    },
  );

  it("a 400 × 400 ridge-fold kernel through onnxruntime: eigenvectors equal the reference's up to sign", async () => {
    const n = 400;
    const a = centredKernel(n, 1200, 11);
    const ref = eigh(a, n);
    const got = await eighBlocked(a, n, ortGemm);
    const scale = ref.values[n - 1];
    for (let k = 0; k < n; k++) expect(Math.abs(got.values[k] - ref.values[k]) / scale).toBeLessThan(1e-10);
    // Distinct eigenvalues (all but the zero one): vectors agree up to sign.
    for (let k = 1; k < n; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += got.vectors[k * n + i] * ref.vectors[k * n + i];
      const sign = Math.sign(dot);
      let worst = 0;
      for (let i = 0; i < n; i++)
        worst = Math.max(worst, Math.abs(got.vectors[k * n + i] - sign * ref.vectors[k * n + i]));
      expect(worst).toBeLessThan(1e-10);
    }
  });

  it("the tridiagonal solver deflates exactly: a block-diagonal matrix keeps its blocks' eigenpairs", async () => {
    // e = 0 between the halves: every merge at that split is fully deflated.
    const n = 100;
    const d = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const e = Float64Array.from({ length: n - 1 }, (_, i) => (i === 49 ? 0 : 0.5 + 0.1 * Math.cos(i)));
    const got = await tridiagonalEigen(d, e);
    const t = new Float64Array(n * n);
    for (let i = 0; i < n; i++) t[i * n + i] = d[i];
    for (let i = 0; i < n - 1; i++) t[i * n + i + 1] = t[(i + 1) * n + i] = e[i];
    const ref = eigh(t, n);
    for (let k = 0; k < n; k++) expect(Math.abs(got.values[k] - ref.values[k])).toBeLessThan(1e-13);
    // Every eigenvector lives on one half: the other half's components are exactly zero.
    for (let j = 0; j < n; j++) {
      let top = 0;
      let bottom = 0;
      for (let i = 0; i < n; i++)
        i < 50 ? (top += Math.abs(got.vectors[i * n + j])) : (bottom += Math.abs(got.vectors[i * n + j]));
      expect(Math.min(top, bottom)).toBe(0);
    }
    const asRows: Eigh = { values: got.values, vectors: new Float64Array(n * n), n };
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) asRows.vectors[j * n + i] = got.vectors[i * n + j];
    const q = quality(t, n, asRows);
    expect(q.residual).toBeLessThan(1e-13);
    expect(q.orthogonality).toBeLessThan(1e-13);
  });

  it("refuses a matrix of the wrong size", async () => {
    await expect(eighBlocked(new Float64Array(5), 2)).rejects.toThrow(/expected 4 entries, got 5/);
  });
});

describe("choleskyBlocked", () => {
  it.each([5, 128, 129, 300])(
    "equals the row-wise factor to 1e-12 relative (n = %i), JavaScript and onnxruntime products",
    async (n) => {
      const rand = gaussian(mulberry32(n));
      const x = Float64Array.from({ length: n * n }, rand);
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j <= i; j++) {
          let s = i === j ? n : 0;
          for (let k = 0; k < n; k++) s += x[i * n + k] * x[j * n + k];
          a[i * n + j] = a[j * n + i] = s;
        }
      const ref = cholesky(a, n)!;
      for (const gemm of [undefined, ortGemm]) {
        const got = (await choleskyBlocked(a, n, gemm))!;
        const scale = maxAbs(ref);
        let worst = 0;
        for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / scale);
        expect(worst).toBeLessThan(1e-12);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(got[i * n + j]).toBe(0);
        // A reused output buffer holding another matrix's values gives the same bits, zeros above the diagonal.
        const into = new Float64Array(n * n).fill(Number.NaN);
        expect(await choleskyBlocked(a, n, gemm, into)).toBe(into);
        expect(into).toEqual(got);
      }
    },
  );

  it("returns null for a matrix that is not positive definite, in any block", async () => {
    const n = 300;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = i === 250 ? -1 : 1;
    expect(await choleskyBlocked(a, n, ortGemm)).toBeNull();
    expect(cholesky(a, n)).toBeNull();
  });
});

describe("interop with numpy (optional)", () => {
  const py = spawnSync("/usr/bin/python3", ["-c", "import numpy"], { encoding: "utf8" });
  const hasNumpy = py.status === 0;
  it.skipIf(!hasNumpy)(
    "eigenvalues and projectors equal numpy.linalg.eigh's, the Cholesky factor numpy.linalg.cholesky's",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "eigh-numpy-"));
      try {
        const n = 200;
        const a = centredKernel(n, 500, 21);
        for (let i = 0; i < n; i++) a[i * n + i] += 1; // positive definite for the Cholesky check
        writeFileSync(join(dir, "a.bin"), Buffer.from(a.buffer));
        const script = `import numpy as np, sys
a = np.fromfile(sys.argv[1] + "/a.bin", dtype=np.float64).reshape(${n}, ${n})
w, v = np.linalg.eigh(a)
w.tofile(sys.argv[1] + "/w.bin"); np.ascontiguousarray(v.T).tofile(sys.argv[1] + "/v.bin")
np.linalg.cholesky(a).tofile(sys.argv[1] + "/l.bin")`;
        const run = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
        expect(run.status, run.stderr).toBe(0);
        const read = (f: string) => new Float64Array(new Uint8Array(readFileSync(join(dir, f))).buffer);
        const np: Eigh = { values: read("w.bin"), vectors: read("v.bin"), n };
        const got = await eighBlocked(a, n, ortGemm);
        const scale = np.values[n - 1];
        for (let k = 0; k < n; k++) expect(Math.abs(got.values[k] - np.values[k]) / scale).toBeLessThan(1e-10);
        expect(projectorDifference(np, got, n)).toBeLessThan(1e-10);
        const l = (await choleskyBlocked(a, n, ortGemm))!;
        const lnp = read("l.bin");
        const ls = maxAbs(lnp);
        for (let i = 0; i < n * n; i++) expect(Math.abs(l[i] - lnp[i]) / ls).toBeLessThan(1e-12);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

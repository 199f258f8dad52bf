/**
 * PCA of forecast windows, fitted on training words only, computed through Gram matrices.
 *
 * A forecast window concatenates the activations of several words (7 × 768 = 5,376 dimensions for GPT-2),
 * too wide for a covariance eigendecomposition per fold and distance. But the inner product of two windows
 * is a sum of inner products of single words, so every window Gram matrix is a sum of shifted copies of
 * one word Gram matrix K = X·Xᵀ computed once per layer: Gw(a, b) = Σ_o K[a+o, b+o] (terms past the story's
 * ends are zero, i.e. words past the ends contribute zero vectors). Centering on the training windows' mean
 * and the top eigenvectors of the training block give exactly the PCA scores scikit-learn's
 * PCA(n).fit(train).transform(all) would (up to each component's sign).
 */
import type { ComputeBackend } from "../backend/types.js";
import { createBackend } from "../backend/index.js";
import type { Matrix } from "../linalg/dense.js";
import { cholesky } from "../linalg/cholesky.js";
import { eigh } from "../linalg/eigh.js";
import { gaussian, mulberry32 } from "../linalg/random.js";

export interface WordGram {
  /** W × W inner products of word activations (float64, row-major). */
  K: Float64Array;
  W: number;
}

/** The Gram matrix of the word features, from which every forecast window's PCA is computed. */
export async function wordGram(features: Matrix, backend?: ComputeBackend): Promise<WordGram> {
  const be = backend ?? createBackend("onnxruntime", "float64");
  const W = features.rows;
  const xt = { rows: features.cols, cols: W, data: new Float64Array(W * features.cols) };
  for (let w = 0; w < W; w++)
    for (let e = 0; e < features.cols; e++) xt.data[e * W + w] = features.data[w * features.cols + e];
  try {
    const K = await be.matmul(xt, xt, true);
    return { K: Float64Array.from(K.data), W };
  } finally {
    if (!backend) await be.dispose();
  }
}

/** Offsets of the window of `length` words ending `d` words ahead: w(n+d−length+1) … w(n+d). */
export function forecastOffsets(d: number, length = 7): number[] {
  if (!Number.isInteger(length) || length < 1)
    throw new Error(`window length must be a positive integer, got ${length}`);
  return Array.from({ length }, (_, i) => d - length + 1 + i);
}

/**
 * How the top eigenvectors of the training windows' Gram matrix are found: "exact" (full eigendecomposition),
 * "subspace" (block subspace iteration, a fixed 12 iterations with 12 extra vectors), or "auto" (default:
 * exact up to 600 training words).
 */
export type WindowPcaSolver = "auto" | "exact" | "subspace";

export interface WindowPcaOptions {
  offsets: number[];
  trainWords: Int32Array;
  nComponents: number;
  /** Words read through a permutation (the shuffled-future control): window(n) uses words π(n+o). */
  permutation?: Int32Array;
  seed?: number;
  solver?: WindowPcaSolver;
}

const EXACT_LIMIT = 600;

/** PCA scores (W × nComponents) of every word's window, fitted on the training words' windows. */
export async function windowPcaScores(
  gram: WordGram,
  options: WindowPcaOptions,
  backend: ComputeBackend,
): Promise<Matrix> {
  const { W } = gram;
  const tr = options.trainWords;
  const T = tr.length;
  if (T < 2) throw new Error(`window PCA needs at least 2 training words, got ${T}`);
  // Gw(a, b) for every word a and training word b.
  const G = new Float64Array(W * T);
  addWindowGram(gram, options.offsets, options.permutation, tr, G);
  const C = new Float64Array(T * T);
  for (let i = 0; i < T; i++) C.set(G.subarray(tr[i] * T, tr[i] * T + T), i * T);
  const columns = Int32Array.from({ length: T }, (_, j) => j);
  return pcaScoresFromGramRows(G, T, columns, C, options, backend);
}

/**
 * The full W × W window Gram matrix Gw(a, b) = Σ_o K[π(a+o), π(b+o)] at these offsets. Its entries hold the
 * same sums, in the same order, as windowPcaScores forms for each training word. `into` (W × W) receives it
 * instead of a new array.
 */
export function windowGram(
  gram: WordGram,
  offsets: number[],
  permutation?: Int32Array,
  into?: Float64Array,
): Float64Array {
  const W = gram.W;
  const out = into ?? new Float64Array(W * W);
  if (out.length !== W * W) throw new Error(`windowGram: output of ${out.length} for ${W} × ${W} windows`);
  out.fill(0);
  addWindowGram(gram, offsets, permutation, undefined, out);
  return out;
}

/**
 * The window Gram matrix of every distance of a sweep at once. A window ending d words ahead of word a is the
 * window ending at word a + d, so Gw_d(a, b) = G(a + d, b + d) for one Gram matrix G of the windows ending at
 * words dMin … W − 1 + dMax (words past the story's ends contributing zero vectors, as in windowGram): one
 * pass over K for the whole sweep instead of one per distance, the same sums in the same order (so the same
 * bits as windowGram at each distance).
 */
export interface ShiftedWindowGram {
  /** size × size, row-major: row q is the window ending at word q + firstEnd. */
  G: Float64Array;
  size: number;
  firstEnd: number;
  /** Story length in words. */
  W: number;
}

/** The shifted window Gram of windows of `length` words for distances dMin … dMax (see ShiftedWindowGram). */
export function shiftedWindowGram(
  gram: WordGram,
  length: number,
  dMin: number,
  dMax: number,
  permutation?: Int32Array,
): ShiftedWindowGram {
  if (!(Number.isInteger(dMin) && Number.isInteger(dMax) && dMin <= dMax))
    throw new Error(`shiftedWindowGram: distances must be whole words with dMin ≤ dMax, got ${dMin} … ${dMax}`);
  const { K, W } = gram;
  const size = W + dMax - dMin;
  const G = new Float64Array(size * size);
  const at = (i: number) => (permutation ? permutation[i] : i);
  const column = new Int32Array(size);
  // Offset by offset, as addWindowGram: every entry sums its terms in the offsets' order.
  for (const o of forecastOffsets(0, length)) {
    for (let q = 0; q < size; q++) {
      const w = q + dMin + o;
      column[q] = w >= 0 && w < W ? at(w) : -1;
    }
    for (let q = 0; q < size; q++) {
      const c0 = column[q];
      if (c0 < 0) continue;
      const rowK = c0 * W;
      const rowG = q * size;
      for (let j = 0; j < size; j++) {
        const c = column[j];
        if (c >= 0) G[rowG + j] += K[rowK + c];
      }
    }
  }
  return { G, size, firstEnd: dMin, W };
}

/** G[a, j] += Σ_o K[π(a+o), π(b_j+o)] over the columns b_j (every word when `columns` is undefined). */
function addWindowGram(
  gram: WordGram,
  offsets: number[],
  permutation: Int32Array | undefined,
  columns: Int32Array | undefined,
  G: Float64Array,
): void {
  const { K, W } = gram;
  const T = columns ? columns.length : W;
  const at = (i: number) => (permutation ? permutation[i] : i);
  const column = new Int32Array(T); // K's column of column j at this offset, −1 past the story's ends
  // Offset by offset, so every entry sums its terms in the offsets' order (the order is part of the result).
  for (const o of offsets) {
    for (let j = 0; j < T; j++) {
      const bo = (columns ? columns[j] : j) + o;
      column[j] = bo >= 0 && bo < W ? at(bo) : -1;
    }
    for (let a = 0; a < W; a++) {
      const ao = a + o;
      if (ao < 0 || ao >= W) continue;
      const rowK = at(ao) * W;
      const rowG = a * T;
      for (let j = 0; j < T; j++) {
        const c = column[j];
        if (c >= 0) G[rowG + j] += K[rowK + c];
      }
    }
  }
}

/**
 * The same PCA scores from a full window Gram matrix Gw (W × W, float64, row-major), for windows that are
 * not shifted copies of one word sequence (generated futures: each word has its own continuation).
 */
export async function windowPcaScoresFromGram(
  Gw: Float64Array,
  W: number,
  options: Omit<WindowPcaOptions, "offsets" | "permutation">,
  backend: ComputeBackend,
): Promise<Matrix> {
  if (Gw.length !== W * W) throw new Error(`window Gram: ${Gw.length} entries for ${W} × ${W} windows`);
  return scoresFromSquareGram(Gw, W, 0, W, options, backend);
}

/** The PCA scores of the windows ending d words ahead, from a sweep's shifted window Gram (ShiftedWindowGram). */
export async function windowPcaScoresAt(
  shifted: ShiftedWindowGram,
  d: number,
  options: Omit<WindowPcaOptions, "offsets" | "permutation">,
  backend: ComputeBackend,
): Promise<Matrix> {
  const shift = d - shifted.firstEnd;
  if (!Number.isInteger(d) || shift < 0 || shift + shifted.W > shifted.size)
    throw new Error(
      `window PCA: distance ${d} is outside the shifted Gram's ${shifted.firstEnd} … ` +
        `${shifted.size - shifted.W + shifted.firstEnd}`,
    );
  return scoresFromSquareGram(shifted.G, shifted.size, shift, shifted.W, options, backend);
}

/** Rows [shift, shift + W) of a size × size window Gram: word a's window is row and column a + shift. */
async function scoresFromSquareGram(
  G: Float64Array,
  size: number,
  shift: number,
  W: number,
  options: Omit<WindowPcaOptions, "offsets" | "permutation">,
  backend: ComputeBackend,
): Promise<Matrix> {
  const tr = options.trainWords;
  const T = tr.length;
  if (T < 2) throw new Error(`window PCA needs at least 2 training words, got ${T}`);
  const columns = Int32Array.from(tr, (w) => w + shift);
  // The training block, run by run (contiguous folds: training words come in runs of consecutive words).
  const C = new Float64Array(T * T);
  const runs: number[] = [];
  for (let j = 0; j < T;) {
    let e = j + 1;
    while (e < T && tr[e] === tr[e - 1] + 1) e++;
    runs.push(j, e);
    j = e;
  }
  for (let i = 0; i < T; i++) {
    const row = columns[i] * size;
    for (let r = 0; r < runs.length; r += 2) {
      const j = runs[r];
      C.set(G.subarray(row + columns[j], row + columns[j] + runs[r + 1] - j), i * T + j);
    }
  }
  // The W rows of the words, all columns: a view, no copy.
  return pcaScoresFromGramRows(G.subarray(shift * size, (shift + W) * size), size, columns, C, options, backend);
}

/**
 * PCA scores of every window from its Gram rows (W × P, the training windows at `columns`) and the training
 * block C (T × T, overwritten): C is centred on the training windows' mean and eigendecomposed; the scores
 * Gc(all, tr)·c_j (c_j = u_j/√λ_j) are one product of the uncentred rows with the components placed at the
 * training columns, then centred: Gc(a, j) = G(a, j) − m(a) − m(tr_j) + m̄, and c_j sums to zero (an
 * eigenvector of the centred block with a nonzero eigenvalue is orthogonal to its null vector 1), so
 * Gc·c_j = G·c_j − Σ_i m(tr_i)·c_j(i) — no pass over the W × T block in JavaScript.
 */
async function pcaScoresFromGramRows(
  rows: Float64Array,
  P: number,
  columns: Int32Array,
  C: Float64Array,
  options: Omit<WindowPcaOptions, "offsets" | "permutation">,
  backend: ComputeBackend,
): Promise<Matrix> {
  const { nComponents } = options;
  const solver = options.solver ?? "auto";
  const T = columns.length;
  const W = rows.length / P;
  if (!["auto", "exact", "subspace"].includes(solver))
    throw new Error(`window PCA: solver must be "auto", "exact" or "subspace", got "${solver}"`);
  // Centre the training block on the training windows' mean: Cc = C − rowMean − colMean + grand.
  const mean = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    let s = 0;
    for (let j = 0; j < T; j++) s += C[i * T + j];
    mean[i] = s / T;
  }
  let grand = 0;
  for (let j = 0; j < T; j++) grand += mean[j] / T;
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) C[i * T + j] += grand - mean[i] - mean[j];
  const k = Math.min(nComponents, T - 1);
  const exact = solver === "exact" || (solver === "auto" && T <= EXACT_LIMIT);
  const { values, vectors } = exact
    ? topEigenExact(C, T, k)
    : await topEigenSubspace(C, T, k, backend, options.seed ?? 0);
  // Components u_j/√λ_j at the training columns.
  const placed = new Float64Array(P * nComponents);
  const meanSums = new Float64Array(nComponents); // Σ_i m(tr_i)·c_j(i)
  const top = values[0] > 0 ? values[0] : 1;
  for (let j = 0; j < k; j++) {
    if (!(values[j] > 1e-12 * top)) continue;
    const inv = 1 / Math.sqrt(values[j]);
    for (let i = 0; i < T; i++) {
      const c = vectors[j * T + i] * inv;
      placed[columns[i] * nComponents + j] = c;
      meanSums[j] += mean[i] * c;
    }
  }
  const rowsMatrix = { rows: W, cols: P, data: rows };
  const scores = (await backend.matmul(rowsMatrix, { rows: P, cols: nComponents, data: placed })).data;
  const out = new Float64Array(W * nComponents);
  for (let a = 0; a < W; a++)
    for (let j = 0; j < nComponents; j++) out[a * nComponents + j] = scores[a * nComponents + j] - meanSums[j];
  return { rows: W, cols: nComponents, data: out };
}

/** Largest k eigenpairs (descending), eigenvectors as rows. */
export function topEigenExact(C: Float64Array, n: number, k: number): { values: Float64Array; vectors: Float64Array } {
  const e = eigh(C, n);
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * n);
  for (let j = 0; j < k; j++) {
    values[j] = e.values[n - 1 - j];
    vectors.set(e.vectors.subarray((n - 1 - j) * n, (n - j) * n), j * n);
  }
  return { values, vectors };
}

/**
 * Subspace iterations of the window PCAs past the exact path: like scikit-learn's randomized PCA (its
 * default 7 power iterations, 10 extra vectors), a fixed count with 12 extra vectors, so the cost is known.
 */
export const SUBSPACE_ITERATIONS = 12;

/** Starting bases drawn lately, by size and seed: a sweep's folds and distances start from the same few. */
const startingBases = new Map<string, Float64Array>();

/** The seeded random n × m starting basis of the subspace iteration, orthonormalised (a copy). */
async function startingBasis(n: number, m: number, seed: number, backend: ComputeBackend): Promise<Float64Array> {
  // Keyed by the backend too: another backend's products may round differently, and a result must not
  // depend on which backend ran first in the process.
  const key = `${n} ${m} ${seed} ${backend.name} ${backend.dtype}`;
  let q = startingBases.get(key);
  if (!q) {
    const rand = gaussian(mulberry32(seed + 17));
    q = await orthonormalizedColumns(Float64Array.from({ length: n * m }, rand), n, m, backend);
    if (startingBases.size >= 16) startingBases.delete(startingBases.keys().next().value!);
    startingBases.set(key, q);
  }
  return q.slice();
}

/** Block subspace iteration with Rayleigh–Ritz (products on the backend), for large training sets. */
async function topEigenSubspace(C: Float64Array, n: number, k: number, backend: ComputeBackend, seed: number) {
  const m = Math.min(n, k + 12);
  let Q = { rows: n, cols: m, data: await startingBasis(n, m, seed, backend) };
  const Cm = { rows: n, cols: n, data: C };
  for (let it = 0; it < SUBSPACE_ITERATIONS; it++) {
    const Z = await backend.matmul(Cm, Q);
    Q = { rows: n, cols: m, data: await orthonormalizedColumns(Float64Array.from(Z.data), n, m, backend) };
  }
  const CQ = await backend.matmul(Cm, Q);
  const B = await backend.matmul(Q, { rows: n, cols: m, data: Float64Array.from(CQ.data) }, true);
  const small = topEigenExact(Float64Array.from(B.data), m, k);
  const vectors = new Float64Array(k * n);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let l = 0; l < m; l++) s += Q.data[i * m + l] * small.vectors[j * m + l];
      vectors[j * n + i] = s;
    }
  }
  return { values: small.values, vectors };
}

/**
 * An orthonormal basis of the m columns of a row-major n × m matrix (the same columns' span, as Q of
 * z = Q·R with R's diagonal positive): CholeskyQR2 (Fukaya et al. 2014), i.e. twice R = chol(zᵀz),
 * z ← z·R⁻¹, with both products on the backend — Gram–Schmidt in JavaScript held each window PCA at
 * ~1 GFLOP/s (60 of its 70 ms). The first pass leaves an orthogonality error ~ε·cond(z)², which the second
 * removes while cond(z) < 10⁶; past that (a pivot under 10⁻¹² of the largest diagonal, e.g. fewer
 * independent columns than m) the columns go through Gram–Schmidt instead. `z` may be overwritten.
 */
export async function orthonormalizedColumns(
  z: Float64Array,
  n: number,
  m: number,
  backend: ComputeBackend,
): Promise<Float64Array> {
  let q = z;
  for (let pass = 0; pass < 2; pass++) {
    const qm = { rows: n, cols: m, data: q };
    const rInv = upperInverseOfCholesky((await backend.matmul(qm, qm, true)).data, m);
    if (!rInv) {
      orthonormalizeColumns(z, n, m);
      return z;
    }
    q = Float64Array.from((await backend.matmul(qm, { rows: m, cols: m, data: rInv })).data);
  }
  return q;
}

/** R⁻¹ (m × m, upper triangular) for s = RᵀR, or null when a pivot is under 10⁻¹² of s's largest diagonal. */
function upperInverseOfCholesky(s: ArrayLike<number>, m: number): Float64Array | null {
  let top = 0;
  for (let i = 0; i < m; i++) top = Math.max(top, s[i * m + i]);
  const l = top > 0 ? cholesky(s, m) : null; // s = L·Lᵀ, R = Lᵀ
  if (!l) return null;
  for (let i = 0; i < m; i++) if (!(l[i * m + i] ** 2 > 1e-12 * top)) return null;
  // L⁻¹ by forward substitution, column by column; R⁻¹ = (L⁻¹)ᵀ.
  const inv = new Float64Array(m * m); // row-major R⁻¹: inv[k, i] = (L⁻¹)[i, k]
  for (let k = 0; k < m; k++) {
    for (let i = k; i < m; i++) {
      let v = i === k ? 1 : 0;
      for (let j = k; j < i; j++) v -= l[i * m + j] * inv[k * m + j];
      inv[k * m + i] = v / l[i * m + i];
    }
  }
  return inv;
}

/** Modified Gram–Schmidt, twice, on the m columns of a row-major n × m matrix, in place. */
export function orthonormalizeColumns(q: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let l = 0; l < j; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * m + j] * q[i * m + l];
        for (let i = 0; i < n; i++) q[i * m + j] -= dot * q[i * m + l];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * m + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) q[i * m + j] /= norm;
  }
}

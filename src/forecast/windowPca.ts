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
  for (let w = 0; w < W; w++) for (let e = 0; e < features.cols; e++) xt.data[e * W + w] = features.data[w * features.cols + e];
  try {
    const K = await be.matmul(xt, xt, true);
    return { K: Float64Array.from(K.data), W };
  } finally {
    if (!backend) await be.dispose();
  }
}

/** Offsets of the window of `length` words ending `d` words ahead: w(n+d−length+1) … w(n+d). */
export function forecastOffsets(d: number, length = 7): number[] {
  if (!Number.isInteger(length) || length < 1) throw new Error(`window length must be a positive integer, got ${length}`);
  return Array.from({ length }, (_, i) => d - length + 1 + i);
}

export interface WindowPcaOptions {
  offsets: number[];
  trainWords: Int32Array;
  nComponents: number;
  /** Words read through a permutation (the shuffled-future control): window(n) uses words π(n+o). */
  permutation?: Int32Array;
  seed?: number;
}

const EXACT_LIMIT = 600;

/** PCA scores (W × nComponents) of every word's window, fitted on the training words' windows. */
export async function windowPcaScores(gram: WordGram, options: WindowPcaOptions, backend: ComputeBackend): Promise<Matrix> {
  const { K, W } = gram;
  const tr = options.trainWords;
  const T = tr.length;
  if (T < 2) throw new Error(`window PCA needs at least 2 training words, got ${T}`);
  const perm = options.permutation;
  const at = (i: number) => (perm ? perm[i] : i);
  // Gw(a, b) for every word a and training word b, offset by offset (the order of the sums is fixed).
  const G = new Float64Array(W * T);
  const column = new Int32Array(T); // K's column of training word j at this offset, −1 past the story's ends
  for (const o of options.offsets) {
    for (let j = 0; j < T; j++) {
      const bo = tr[j] + o;
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
  return pcaScoresFromGramColumns(G, W, tr, options.nComponents, backend, options.seed ?? 0);
}

/**
 * The same PCA scores from a full window Gram matrix Gw (W × W, float64, row-major), for windows that are
 * not shifted copies of one word sequence (generated futures: each word has its own continuation).
 */
export async function windowPcaScoresFromGram(Gw: Float64Array, W: number, options: Omit<WindowPcaOptions, "offsets" | "permutation">, backend: ComputeBackend): Promise<Matrix> {
  if (Gw.length !== W * W) throw new Error(`window Gram: ${Gw.length} entries for ${W} × ${W} windows`);
  const tr = options.trainWords;
  if (tr.length < 2) throw new Error(`window PCA needs at least 2 training words, got ${tr.length}`);
  const T = tr.length;
  const G = new Float64Array(W * T);
  for (let a = 0; a < W; a++) for (let j = 0; j < T; j++) G[a * T + j] = Gw[a * W + tr[j]];
  return pcaScoresFromGramColumns(G, W, tr, options.nComponents, backend, options.seed ?? 0);
}

/** G = Gram of every window with the training windows (W × T, overwritten): centred, eigendecomposed, projected. */
async function pcaScoresFromGramColumns(G: Float64Array, W: number, tr: Int32Array, nComponents: number, backend: ComputeBackend, seed: number): Promise<Matrix> {
  const T = tr.length;
  // Centre on the training windows' mean: Gc = G − rowMean − colMean + grand.
  const rowMean = new Float64Array(W);
  for (let a = 0; a < W; a++) {
    let s = 0;
    for (let j = 0; j < T; j++) s += G[a * T + j];
    rowMean[a] = s / T;
  }
  let grand = 0;
  for (let j = 0; j < T; j++) grand += rowMean[tr[j]] / T;
  for (let a = 0; a < W; a++) for (let j = 0; j < T; j++) G[a * T + j] += grand - rowMean[a] - rowMean[tr[j]];
  const C = new Float64Array(T * T);
  for (let i = 0; i < T; i++) C.set(G.subarray(tr[i] * T, tr[i] * T + T), i * T);
  const k = Math.min(nComponents, T - 1);
  const { values, vectors } = T <= EXACT_LIMIT ? topEigenExact(C, T, k) : await topEigenSubspace(C, T, k, backend, seed);
  // scores = Gc(all, tr) · u_j / √λ_j
  const comps = { rows: T, cols: nComponents, data: new Float64Array(T * nComponents) };
  const top = values[0] > 0 ? values[0] : 1;
  for (let j = 0; j < k; j++) {
    if (!(values[j] > 1e-12 * top)) continue;
    const inv = 1 / Math.sqrt(values[j]);
    for (let i = 0; i < T; i++) comps.data[i * nComponents + j] = vectors[j * T + i] * inv;
  }
  const scores = await backend.matmul({ rows: W, cols: T, data: G }, comps);
  return { rows: W, cols: nComponents, data: Float64Array.from(scores.data) };
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

/** Block subspace iteration with Rayleigh–Ritz (products on the backend), for large training sets. */
async function topEigenSubspace(C: Float64Array, n: number, k: number, backend: ComputeBackend, seed: number) {
  const m = Math.min(n, k + 12);
  const rand = gaussian(mulberry32(seed + 17));
  let Q = { rows: n, cols: m, data: Float64Array.from({ length: n * m }, rand) };
  orthonormalizeColumns(Q.data, n, m);
  const Cm = { rows: n, cols: n, data: C };
  for (let it = 0; it < 12; it++) {
    const Z = await backend.matmul(Cm, Q);
    Q = { rows: n, cols: m, data: Float64Array.from(Z.data) };
    orthonormalizeColumns(Q.data, n, m);
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

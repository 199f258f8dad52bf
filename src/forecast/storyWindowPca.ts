/**
 * PCA of forecast windows over several stories, computed in feature space: for corpora too long for the
 * word-by-word Gram path of windowPca.ts, which holds every word's inner products with every training word
 * (W × T float64: ~20 GB for the ~50,000 training words of one LeBel et al. 2023 subject).
 *
 * A window of word t concatenates the states of words t + o over the offsets o (zero vectors past its
 * story's ends: windows never cross stories). Its covariance over the training windows, C = X̃ᵀX̃ with X̃
 * the centred windows, is L·d wide (7 × 768 for GPT-2), so it is never formed: block subspace iteration
 * multiplies by it through the word states, X̃·Q = Σ_o S_o·X·Q_o (one product per story and iteration),
 * and Rayleigh–Ritz gives the top components. Memory is the states plus L·d × (k + 12) numbers. Cost per
 * iteration: 4·W·L·d·(k + 12) flops over the W training words (36 GFLOP for one LeBel subject).
 * Scores are (window − training mean)·axis for unit axes: scikit-learn's PCA(k).fit(train).transform(all),
 * and the Gram path's, up to each component's sign.
 */
import type { ComputeBackend } from "../backend/types.js";
import type { Matrix } from "../linalg/dense.js";
import { gaussian, mulberry32 } from "../linalg/random.js";
import { orthonormalizedColumns, SUBSPACE_ITERATIONS, topEigenExact } from "./windowPca.js";

export interface StoryWindowPcaOptions {
  /** Word offsets of the window (forecastOffsets(d, 7), or [0] for the current word alone). */
  offsets: number[];
  /** Indices of the stories whose windows the PCA is fitted on. */
  trainStories: number[];
  nComponents: number;
  seed?: number;
  /**
   * Iterations at most (default 12, as the word-Gram path and like scikit-learn's randomized PCA); iteration
   * stops earlier once the top Ritz pairs settle (`tolerance`). Raise it for the exact PCA of flat spectra.
   */
  maxIterations?: number;
  /** Largest residual ‖C·x − λ·x‖ of the top nComponents Ritz pairs, relative to λ₁ (default 1e-11). */
  tolerance?: number;
}

export interface StoryWindowPcaResult {
  /** Per story: words × nComponents scores. */
  scores: Matrix[];
  /** Variance of each component over the training windows (descending). */
  variances: Float64Array;
  iterations: number;
}

/** PCA scores of every window of every story, fitted on the training stories' windows. */
export async function storyWindowPcaScores(
  stories: Matrix[],
  options: StoryWindowPcaOptions,
  backend: ComputeBackend,
): Promise<StoryWindowPcaResult> {
  if (backend.dtype !== "float64") throw new Error("storyWindowPcaScores: the backend must be float64");
  if (stories.length === 0) throw new Error("storyWindowPcaScores: no stories");
  const d = stories[0].cols;
  for (const [s, m] of stories.entries())
    if (m.cols !== d) throw new Error(`storyWindowPcaScores: story ${s} has ${m.cols} features, story 0 has ${d}`);
  const { offsets, trainStories } = options;
  if (offsets.length === 0) throw new Error("storyWindowPcaScores: no window offsets");
  for (const s of trainStories)
    if (!(Number.isInteger(s) && s >= 0 && s < stories.length))
      throw new Error(`storyWindowPcaScores: no story ${s} (${stories.length} stories)`);
  const T = trainStories.reduce((n, s) => n + stories[s].rows, 0);
  if (T < 2) throw new Error(`window PCA needs at least 2 training words, got ${T}`);
  const L = offsets.length;
  const D = L * d;
  const k = Math.min(options.nComponents, T - 1, D);
  const m = Math.min(D, k + 12);
  const mean = windowMean(stories, trainStories, offsets, T);

  // X̃·Q for the training windows (rows of every training story, stacked), centred by μᵀQ.
  const forward = async (s: number, q: Float64Array, cols: number) => {
    const words = stories[s];
    const W = words.rows;
    // One product for every offset: X·[Q_0 … Q_{L−1}] (W × L·cols), then the shifted sum over offsets.
    const blocks = new Float64Array(d * L * cols);
    for (let o = 0; o < L; o++)
      for (let i = 0; i < d; i++)
        blocks.set(q.subarray((o * d + i) * cols, (o * d + i + 1) * cols), (i * L + o) * cols);
    const p = (await backend.matmul(words, { rows: d, cols: L * cols, data: blocks })).data;
    const centre = new Float64Array(cols);
    for (let j = 0; j < D; j++) for (let c = 0; c < cols; c++) centre[c] += mean[j] * q[j * cols + c];
    const z = new Float64Array(W * cols);
    for (let t = 0; t < W; t++) {
      for (let c = 0; c < cols; c++) z[t * cols + c] = -centre[c];
      for (let o = 0; o < L; o++) {
        const u = t + offsets[o];
        if (u < 0 || u >= W) continue;
        const row = (u * L + o) * cols;
        for (let c = 0; c < cols; c++) z[t * cols + c] += p[row + c];
      }
    }
    return z;
  };
  // C·Q = X̃ᵀ(X̃·Q): the centred scores' columns sum to zero over the training windows, so the mean drops out.
  const covarianceTimes = async (q: Float64Array) => {
    const out = new Float64Array(D * m);
    for (const s of trainStories) {
      const z = await forward(s, q, m);
      const W = stories[s].rows;
      // Row u of X meets window t = u − o at offset o: the scores shifted, side by side per offset.
      const shifted = new Float64Array(W * L * m);
      for (let o = 0; o < L; o++) {
        for (let u = 0; u < W; u++) {
          const t = u - offsets[o];
          if (t >= 0 && t < W) shifted.set(z.subarray(t * m, (t + 1) * m), (u * L + o) * m);
        }
      }
      const part = (await backend.matmul(stories[s], { rows: W, cols: L * m, data: shifted }, true)).data;
      for (let i = 0; i < d; i++)
        for (let o = 0; o < L; o++) for (let c = 0; c < m; c++) out[(o * d + i) * m + c] += part[(i * L + o) * m + c];
    }
    return out;
  };

  const rand = gaussian(mulberry32((options.seed ?? 0) + 29));
  let q = await orthonormalizedColumns(Float64Array.from({ length: D * m }, rand), D, m, backend);
  const maxIterations = options.maxIterations ?? SUBSPACE_ITERATIONS;
  const tolerance = options.tolerance ?? 1e-11;
  let ritz: ReturnType<typeof topEigenExact> = { values: new Float64Array(k), vectors: new Float64Array(k * m) };
  let iterations = 0;
  for (; iterations < maxIterations;) {
    const cq = await covarianceTimes(q);
    iterations++;
    // Rayleigh–Ritz on the current basis: B = Qᵀ·C·Q; settled when every top Ritz pair's residual
    // ‖C·x − λ·x‖ (x = Q·u, so C·x = (C·Q)·u) is below `tolerance`·λ₁: eigenvalues alone settle long before
    // the vectors (their error is the square of the vectors').
    ritz = topEigenExact(transposeTimes(q, cq, D, m), m, k);
    const settled = maxRitzResidual(q, cq, ritz, D, m, k) <= tolerance * Math.abs(ritz.values[0]);
    if (settled || iterations === maxIterations) break;
    q = await orthonormalizedColumns(cq, D, m, backend);
  }
  // Axes = Q·u_j (unit), scores = (window − μ)·axis for every story.
  const axes = new Float64Array(D * k);
  for (let j = 0; j < D; j++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let l = 0; l < m; l++) s += q[j * m + l] * ritz.vectors[c * m + l];
      axes[j * k + c] = s;
    }
  const nOut = options.nComponents;
  const scores: Matrix[] = [];
  for (let s = 0; s < stories.length; s++) {
    const z = await forward(s, axes, k);
    const out = new Float64Array(stories[s].rows * nOut);
    for (let t = 0; t < stories[s].rows; t++) out.set(z.subarray(t * k, (t + 1) * k), t * nOut);
    scores.push({ rows: stories[s].rows, cols: nOut, data: out });
  }
  const variances = new Float64Array(nOut);
  variances.set(ritz.values.map((v) => v / T));
  return { scores, variances, iterations };
}

/** The mean training window (L·d): each offset's block is the mean of the states it reads, zeros included. */
function windowMean(stories: Matrix[], train: number[], offsets: number[], T: number): Float64Array {
  const d = stories[0].cols;
  const mean = new Float64Array(offsets.length * d);
  for (const s of train) {
    const { rows: W, data } = stories[s];
    offsets.forEach((o, oi) => {
      for (let t = 0; t < W; t++) {
        const u = t + o;
        if (u < 0 || u >= W) continue;
        for (let i = 0; i < d; i++) mean[oi * d + i] += data[u * d + i];
      }
    });
  }
  for (let j = 0; j < mean.length; j++) mean[j] /= T;
  return mean;
}

/** max over the top k Ritz pairs (values, vectors u as rows) of ‖(C·Q)·u − λ·Q·u‖. */
function maxRitzResidual(
  q: Float64Array,
  cq: Float64Array,
  ritz: { values: Float64Array; vectors: Float64Array },
  D: number,
  m: number,
  k: number,
): number {
  let worst = 0;
  for (let j = 0; j < k; j++) {
    const u = ritz.vectors.subarray(j * m, (j + 1) * m);
    let ss = 0;
    for (let i = 0; i < D; i++) {
      let r = 0;
      for (let l = 0; l < m; l++) r += (cq[i * m + l] - ritz.values[j] * q[i * m + l]) * u[l];
      ss += r * r;
    }
    worst = Math.max(worst, Math.sqrt(ss));
  }
  return worst;
}

/** aᵀ·b for a, b both D × m (row-major). */
function transposeTimes(a: Float64Array, b: Float64Array, D: number, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let j = 0; j < D; j++)
    for (let r = 0; r < m; r++) {
      const ar = a[j * m + r];
      for (let c = 0; c < m; c++) out[r * m + c] += ar * b[j * m + c];
    }
  return out;
}

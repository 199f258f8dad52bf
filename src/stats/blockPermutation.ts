/**
 * Block-permutation p-values of test correlations per voxel, the Huth lab's test (`permutation_test` in
 * HuthLab/deep-fMRI-dataset encoding_utils.py): the test rows are cut into whole blocks of `blockLength`
 * TRs (a trailing partial block is dropped), the prediction's blocks are drawn with replacement, and each
 * voxel's p-value is the share of draws whose correlation with the responses reaches the observed one
 * (computed on all rows). Blocks keep the autocorrelation of the BOLD signal that a TR-wise shuffle would
 * destroy. Draws come from this toolkit's seeded generator (not numpy's), so p-values are reproducible.
 */
import type { Matrix } from "../linalg/dense.js";
import { mulberry32 } from "../linalg/random.js";

export interface BlockPermutationOptions {
  /** TRs per block (the original's blocklen, e.g. 10). */
  blockLength: number;
  /** Draws (the original's nperms, e.g. 1,000). */
  permutations?: number;
  seed?: number;
}

export interface BlockPermutationResult {
  /** Observed Pearson r per voxel (NaN → 0). */
  r: Float64Array;
  /** Share of draws with r ≥ the observed r, per voxel. */
  p: Float64Array;
}

/** Block-permutation p-values of each column's correlation between `responses` and `predictions`. */
export function blockPermutationTest(
  responses: Matrix,
  predictions: Matrix,
  options: BlockPermutationOptions,
): BlockPermutationResult {
  const { rows: T, cols: V } = responses;
  if (predictions.rows !== T || predictions.cols !== V) {
    throw new Error(
      `blockPermutationTest: responses are ${T} × ${V} but predictions ${predictions.rows} × ${predictions.cols}`,
    );
  }
  const L = options.blockLength;
  const permutations = options.permutations ?? 1000;
  if (!(Number.isInteger(L) && L >= 1))
    throw new Error(`blockPermutationTest: blockLength must be a whole number ≥ 1, got ${L}`);
  if (!(Number.isInteger(permutations) && permutations >= 1))
    throw new Error(`blockPermutationTest: permutations must be a whole number ≥ 1, got ${permutations}`);
  const blocks = Math.floor(T / L);
  if (blocks < 2)
    throw new Error(`blockPermutationTest: ${T} rows hold ${blocks} whole block(s) of ${L}; at least 2 are needed`);
  const r = correlations(responses, predictions, identity(T));
  const reached = new Float64Array(V);
  const rand = mulberry32(options.seed ?? 0);
  const rows = new Int32Array(blocks * L);
  for (let k = 0; k < permutations; k++) {
    for (let b = 0; b < blocks; b++) {
      const from = Math.floor(rand() * blocks) * L;
      for (let i = 0; i < L; i++) rows[b * L + i] = from + i;
    }
    const perm = correlations(responses, predictions, rows);
    for (let v = 0; v < V; v++) if (r[v] <= perm[v]) reached[v]++;
  }
  return { r, p: reached.map((c) => c / permutations) };
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Pearson r per column between the first rows.length rows of y and the rows `rows` of pred (NaN → 0). */
function correlations(y: Matrix, pred: Matrix, rows: Int32Array): Float64Array {
  const V = y.cols;
  const n = rows.length;
  const my = new Float64Array(V);
  const mp = new Float64Array(V);
  for (let i = 0; i < n; i++) {
    const a = i * V;
    const b = rows[i] * V;
    for (let v = 0; v < V; v++) {
      my[v] += y.data[a + v];
      mp[v] += pred.data[b + v];
    }
  }
  for (let v = 0; v < V; v++) {
    my[v] /= n;
    mp[v] /= n;
  }
  const syy = new Float64Array(V);
  const spp = new Float64Array(V);
  const syp = new Float64Array(V);
  for (let i = 0; i < n; i++) {
    const a = i * V;
    const b = rows[i] * V;
    for (let v = 0; v < V; v++) {
      const dy = y.data[a + v] - my[v];
      const dp = pred.data[b + v] - mp[v];
      syy[v] += dy * dy;
      spp[v] += dp * dp;
      syp[v] += dy * dp;
    }
  }
  return syp.map((s, v) => {
    const c = s / Math.sqrt(syy[v] * spp[v]);
    return Number.isFinite(c) ? c : 0;
  });
}

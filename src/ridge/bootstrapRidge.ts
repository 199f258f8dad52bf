/**
 * Bootstrap ridge, the Huth lab's penalty selection (LeBel et al. 2023; `ridge.bootstrap_ridge` in
 * HuthLab/deep-fMRI-dataset, MIT): for each of `nBoots` bootstraps, `nChunks` random chunks of
 * `chunkLength` contiguous training rows are held out, a ridge is fitted on the other rows for every alpha
 * and scored by Pearson r on the held-out rows; each target takes the alpha with the best mean r over the
 * bootstraps (or one alpha for all with `singleAlpha`), the weights are refitted on every training row, and
 * the test rows (another story) are predicted and scored.
 *
 * Conventions kept from the original, so results match it: no intercept and no standardisation here (the
 * caller z-scores stimuli and responses per story, as the original's pipeline does); the penalty enters as
 * α² (weights V·diag(s/(s² + α²))·Uᵀ·y, so its alphas are on the scale of singular values, not of
 * scikit-learn's λ = α²); singular values ≤ `singCutoff` are dropped in the bootstraps; r on a constant
 * prediction is 0; the first best alpha wins ties. Chunks are drawn with this toolkit's seeded generator —
 * not Python's `random` — so the original's held-out sets are replayed by passing them as `heldOut`.
 */
import { withBackends, type BackendSpec } from "../backend/index.js";
import type { ComputeBackend } from "../backend/types.js";
import { castArray, takeRows, type Matrix } from "../linalg/dense.js";
import { mulberry32 } from "../linalg/random.js";
import { decompose } from "./designSvd.js";

export interface BootstrapRidgeOptions {
  /** Penalties in the original's convention (entering as α²); default logspace(1, 3, 10), its default. */
  alphas?: ArrayLike<number>;
  /**
   * Bootstraps (default 50), rows per held-out chunk (40), chunks held out per bootstrap (125): encoding.py's defaults.
   */
  nBoots?: number;
  chunkLength?: number;
  nChunks?: number;
  /** Explicit held-out training rows per bootstrap (overrides nBoots/chunkLength/nChunks and the seed). */
  heldOut?: ArrayLike<number>[];
  seed?: number;
  /** Singular values at or below this are dropped in the bootstraps (default 1e-10). */
  singCutoff?: number;
  /** One alpha for every target: the best mean r over targets and bootstraps. */
  singleAlpha?: boolean;
  /** Score by Pearson r (default) or by the signed square root of R² (the original's use_corr=False). */
  useCorr?: boolean;
  /** Precision of the products (default float64: the original is float64). */
  dtype?: "float32" | "float64";
  /** Targets per block (default: ~64 MiB of float64 training responses per block). */
  targetChunkSize?: number;
  backend?: BackendSpec;
}

export interface BootstrapRidgeResult {
  /** p × V weights refitted on all training rows with each target's alpha. */
  weights: Matrix;
  /** V test scores (Pearson r of the test predictions, or signed √R² without useCorr). */
  corrs: Float64Array;
  /** The test rows' predictions (m × V, float64). */
  predictions: Matrix;
  /** V chosen alphas. */
  alphas: Float64Array;
  /** A × V × B held-out scores of every alpha, target and bootstrap (the original's bootstrap_corrs). */
  bootstrapCorrs: Float64Array;
  /** The held-out rows of each bootstrap. */
  heldOut: Int32Array[];
  alphaGrid: Float64Array;
}

/** Huth's default grid, logspace(1, 3, 10). */
export const HUTH_ALPHAS = Float64Array.from({ length: 10 }, (_, i) => 10 ** (1 + (2 * i) / 9));

/**
 * Bootstrap ridge on a training design (stories concatenated) and a test design: penalties chosen per
 * target on held-out chunks of the training rows, weights refitted on all of them, the test rows scored.
 */
export async function bootstrapRidge(
  trainX: Matrix,
  trainY: Matrix,
  testX: Matrix,
  testY: Matrix,
  options: BootstrapRidgeOptions = {},
): Promise<BootstrapRidgeResult> {
  const n = trainX.rows;
  if (trainY.rows !== n)
    throw new Error(`bootstrapRidge: ${n} training stimulus rows but ${trainY.rows} training response rows`);
  if (testY.rows !== testX.rows)
    throw new Error(`bootstrapRidge: ${testX.rows} test stimulus rows but ${testY.rows} test response rows`);
  if (testX.cols !== trainX.cols)
    throw new Error(`bootstrapRidge: test stimulus has ${testX.cols} features, training ${trainX.cols}`);
  if (testY.cols !== trainY.cols)
    throw new Error(`bootstrapRidge: test responses have ${testY.cols} targets, training ${trainY.cols}`);
  const alphas = Float64Array.from(options.alphas ?? HUTH_ALPHAS);
  if (alphas.length === 0 || alphas.some((a) => !(a >= 0)))
    throw new Error("bootstrapRidge: alphas must be a non-empty list of numbers ≥ 0");
  const heldOut = options.heldOut ? options.heldOut.map((h, b) => checkHeldOut(h, n, b)) : drawHeldOut(n, options);
  if (heldOut.length === 0 && !options.singleAlpha)
    throw new Error("bootstrapRidge: at least one bootstrap is needed to choose an alpha per target");
  const singCutoff = options.singCutoff ?? 1e-10;
  const useCorr = options.useCorr ?? true;
  const dtype = options.dtype ?? "float64";
  return withBackends(options.backend, dtype, async (backend, f64) => {
    const V = trainY.cols;
    const A = alphas.length;
    const B = heldOut.length;
    // Targets in blocks (each bootstrap's decomposition shared by all): at LeBel's scale (~9,000 training
    // TRs × ~90,000 voxels) a float64 copy of the responses alone would be 6.5 GB.
    const block = options.targetChunkSize ?? Math.max(256, Math.floor(TARGET_BLOCK_BYTES / (8 * n)));
    const bootstrapCorrs = new Float64Array(A * V * B);
    for (let b = 0; b < B; b++) {
      const held = heldOut[b];
      const isHeld = new Uint8Array(n);
      for (const i of held) isHeld[i] = 1;
      const kept = new Int32Array(n - held.length);
      for (let i = 0, k = 0; i < n; i++) if (!isHeld[i]) kept[k++] = i;
      const fold = await prepareBootstrap(
        takeRows(trainX, kept, "float64"),
        takeRows(trainX, held, "float64"),
        alphas,
        singCutoff,
        f64,
        backend.dtype,
      );
      for (let c0 = 0; c0 < V; c0 += block) {
        const c1 = Math.min(V, c0 + block);
        const scores = await scoreAlphas(
          fold,
          rowsAndColumns(trainY, kept, c0, c1),
          rowsAndColumns(trainY, held, c0, c1),
          useCorr,
          backend,
        );
        const c = c1 - c0;
        for (let a = 0; a < A; a++)
          for (let v = 0; v < c; v++) bootstrapCorrs[(a * V + c0 + v) * B + b] = scores[a * c + v];
      }
    }
    const chosen = chooseAlphas(bootstrapCorrs, alphas, V, B, options.singleAlpha ?? false);
    const weights = await refit(trainX, trainY, chosen, block, backend, f64);
    const pred = await backend.matmul(castMatrix64(testX), weights);
    const predictions = { rows: testX.rows, cols: testY.cols, data: castArray(pred.data, "float64") };
    const corrs = scoreColumns(predictions.data, testY, useCorr, true);
    return { weights, corrs, predictions, alphas: chosen, bootstrapCorrs, heldOut, alphaGrid: alphas };
  });
}

/** Float64 bytes of the training responses held per target block. */
const TARGET_BLOCK_BYTES = 64 * 2 ** 20;

/** Rows `rows` and columns [c0, c1) of m, in float64. */
function rowsAndColumns(m: Matrix, rows: ArrayLike<number>, c0: number, c1: number): Matrix {
  const c = c1 - c0;
  const out = new Float64Array(rows.length * c);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * m.cols + c0;
    for (let j = 0; j < c; j++) out[i * c + j] = m.data[src + j];
  }
  return { rows: rows.length, cols: c, data: out };
}

/** Held-out chunks as the original draws them: the rows cut into whole chunks, shuffled, the first nChunks kept. */
function drawHeldOut(n: number, options: BootstrapRidgeOptions): Int32Array[] {
  const nBoots = options.nBoots ?? 50;
  const chunkLength = options.chunkLength ?? 40;
  const nChunks = options.nChunks ?? 125;
  for (const [name, v] of [
    ["nBoots", nBoots],
    ["chunkLength", chunkLength],
    ["nChunks", nChunks],
  ] as const) {
    if (!(Number.isInteger(v) && v >= (name === "nBoots" ? 0 : 1)))
      throw new Error(`bootstrapRidge: ${name} must be a whole number${name === "nBoots" ? " ≥ 0" : " ≥ 1"}, got ${v}`);
  }
  const available = Math.floor(n / chunkLength);
  if (nChunks >= available)
    throw new Error(
      `bootstrapRidge: ${nChunks} held-out chunks of ${chunkLength} rows leave no training rows: the ${n} training rows hold ${available} whole chunks`,
    );
  const rand = mulberry32(options.seed ?? 0);
  const out: Int32Array[] = [];
  for (let b = 0; b < nBoots; b++) {
    const order = Array.from({ length: available }, (_, i) => i);
    for (let i = available - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const held = new Int32Array(nChunks * chunkLength);
    for (let c = 0; c < nChunks; c++)
      for (let k = 0; k < chunkLength; k++) held[c * chunkLength + k] = order[c] * chunkLength + k;
    out.push(held);
  }
  return out;
}

function checkHeldOut(h: ArrayLike<number>, n: number, b: number): Int32Array {
  const seen = new Uint8Array(n);
  for (let i = 0; i < h.length; i++) {
    const v = h[i];
    if (!Number.isInteger(v) || v < 0 || v >= n)
      throw new Error(`bootstrapRidge: heldOut[${b}][${i}] = ${v} is not a training row (0 … ${n - 1})`);
    if (seen[v]) throw new Error(`bootstrapRidge: heldOut[${b}] holds row ${v} twice`);
    seen[v] = 1;
  }
  if (h.length === 0 || h.length >= n - 1)
    throw new Error(
      `bootstrapRidge: heldOut[${b}] holds ${h.length} of ${n} rows; it must leave at least 2 to fit and hold out at least 1`,
    );
  return Int32Array.from(h);
}

/** What a bootstrap's fit rows decide once for every target block: Uᵀ, and each alpha's prediction filter. */
interface BootstrapFold {
  U: Matrix;
  /** Per alpha: held-out rows' projections scaled by s/(s² + α²), m × r, in the backend's precision. */
  filters: Matrix[];
}

/** The original's ridge_corr, its SVD part: singular values ≤ singCutoff dropped. */
async function prepareBootstrap(
  fitX: Matrix,
  valX: Matrix,
  alphas: Float64Array,
  singCutoff: number,
  f64: ComputeBackend,
  dtype: "float32" | "float64",
): Promise<BootstrapFold> {
  const dec = await decompose(fitX, f64);
  const cut = dec.s.findIndex((s) => s <= singCutoff);
  const r = cut < 0 ? dec.s.length : cut;
  const s = dec.s.subarray(0, r);
  const pv = castArray((await f64.matmul(valX, takeFirstColumns(dec.V!, r))).data, "float64"); // m × r
  const m = valX.rows;
  const filters = Array.from(alphas, (alpha) => {
    const scaled = new Float64Array(m * r);
    for (let i = 0; i < m; i++)
      for (let k = 0; k < r; k++) scaled[i * r + k] = (pv[i * r + k] * s[k]) / (s[k] * s[k] + alpha * alpha);
    return { rows: m, cols: r, data: castArray(scaled, dtype) };
  });
  return { U: takeFirstColumns(dec.U, r), filters };
}

/** [A × c] held-out scores of every alpha for one block of targets. */
async function scoreAlphas(
  fold: BootstrapFold,
  fitY: Matrix,
  valY: Matrix,
  useCorr: boolean,
  backend: ComputeBackend,
): Promise<Float64Array> {
  const ur = await backend.matmul(fold.U, fitY, true); // r × c
  const c = fitY.cols;
  const out = new Float64Array(fold.filters.length * c);
  for (const [a, filter] of fold.filters.entries()) {
    const pred = await backend.matmul(filter, ur);
    out.set(scoreColumns(castArray(pred.data, "float64"), valY, useCorr, false), a * c);
  }
  return out;
}

/** Best mean held-out score per target (first maximum), or one alpha for all. */
function chooseAlphas(corrs: Float64Array, alphas: Float64Array, V: number, B: number, single: boolean): Float64Array {
  const A = alphas.length;
  const mean = (a: number, v: number) => {
    let s = 0;
    for (let b = 0; b < B; b++) s += corrs[(a * V + v) * B + b];
    return s / B;
  };
  if (single) {
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < A; a++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += mean(a, v);
      if (B > 0 && s / V > bestScore) [best, bestScore] = [a, s / V];
    }
    return new Float64Array(V).fill(alphas[best]);
  }
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let best = 0;
    for (let a = 1; a < A; a++) if (mean(a, v) > mean(best, v)) best = a;
    out[v] = alphas[best];
  }
  return out;
}

/** Weights on every training row, each target with its alpha: V·diag(s/(s² + α²))·Uᵀy (full SVD, as `ridge`). */
async function refit(
  x: Matrix,
  y: Matrix,
  chosen: Float64Array,
  block: number,
  backend: ComputeBackend,
  f64: ComputeBackend,
): Promise<Matrix> {
  const dec = await decompose(castMatrix64(x), f64);
  const r = dec.s.length;
  const V = y.cols;
  const p = x.cols;
  const weights = new Float64Array(p * V);
  const all = Int32Array.from({ length: y.rows }, (_, i) => i);
  for (let c0 = 0; c0 < V; c0 += block) {
    const c1 = Math.min(V, c0 + block);
    const c = c1 - c0;
    const ur = castArray((await backend.matmul(dec.U, rowsAndColumns(y, all, c0, c1), true)).data, "float64"); // r × c
    for (let k = 0; k < r; k++) {
      const s = dec.s[k];
      for (let v = 0; v < c; v++) ur[k * c + v] *= s / (s * s + chosen[c0 + v] * chosen[c0 + v]);
    }
    const w = castArray((await f64.matmul(dec.V!, { rows: r, cols: c, data: ur })).data, "float64"); // p × c
    for (let j = 0; j < p; j++) weights.set(w.subarray(j * c, (j + 1) * c), j * V + c0);
  }
  return { rows: p, cols: V, data: weights };
}

/**
 * Per column of y: Pearson r with the prediction (population z-scores, NaN → 0, as the original), or the
 * signed √R² against y's variance. `testSet`: the final test scoring, whose R² uses y's variance as is; the
 * bootstraps' uses (1 + var)/2, the original's assumption that responses are z-scored.
 */
function scoreColumns(pred: ArrayLike<number>, y: Matrix, useCorr: boolean, testSet: boolean): Float64Array {
  const { rows: m, cols: V } = y;
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let my = 0;
    let mp = 0;
    for (let i = 0; i < m; i++) {
      my += y.data[i * V + v];
      mp += pred[i * V + v];
    }
    my /= m;
    mp /= m;
    let syy = 0;
    let spp = 0;
    let syp = 0;
    let sres = 0;
    let mres = 0;
    for (let i = 0; i < m; i++) mres += y.data[i * V + v] - pred[i * V + v];
    mres /= m;
    for (let i = 0; i < m; i++) {
      const dy = y.data[i * V + v] - my;
      const dp = pred[i * V + v] - mp;
      syy += dy * dy;
      spp += dp * dp;
      syp += dy * dp;
      const res = y.data[i * V + v] - pred[i * V + v] - mres;
      sres += res * res;
    }
    if (useCorr) {
      const r = syp / Math.sqrt(syy * spp);
      out[v] = Number.isFinite(r) ? r : 0;
    } else {
      const variance = testSet ? syy / m : (1 + syy / m) / 2;
      const r2 = 1 - sres / m / variance;
      out[v] = Math.sign(r2) * Math.sqrt(Math.abs(r2));
      if (!Number.isFinite(out[v])) out[v] = 0;
    }
  }
  return out;
}

function takeFirstColumns(m: Matrix, r: number): Matrix {
  if (r === m.cols) return m;
  const out = new Float64Array(m.rows * r);
  for (let i = 0; i < m.rows; i++) for (let k = 0; k < r; k++) out[i * r + k] = m.data[i * m.cols + k];
  return { rows: m.rows, cols: r, data: out };
}

function castMatrix64(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: castArray(m.data, "float64") };
}

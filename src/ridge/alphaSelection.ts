/**
 * Penalty selection per target. Each criterion scores every alpha of the grid for every target of a chunk
 * and returns the index of the best one:
 * - loo: exact leave-one-out squared error (scikit-learn RidgeCV's efficient LOO, alpha_per_target=True);
 *   ties go to the first (smallest) alpha, as scikit-learn's strict comparison does.
 * - gcv: generalized cross-validation, RSS/n / (1 − df/n)², the rotation-invariant version of LOO that
 *   replaces each sample's leverage h_jj by the mean leverage df/n. It needs only the projections Uᵀy, so
 *   it costs no pass over the samples per alpha; it differs from LOO when leverages are uneven.
 * - kfold: mean validation MSE over inner contiguous folds of the training set, each inner model centred on
 *   its own training rows (himalaya RidgeCV, solver "svd"); ties go to the larger alpha (himalaya adds
 *   1e-10·log(alpha) to the score).
 * Criteria are computed in the training fold's standardised units of Y, as both references do.
 */
import type { ComputeBackend } from "../backend/types.js";
import {
  allocate,
  castArray,
  castMatrix,
  takeRows,
  transpose,
  type DType,
  type Matrix,
  type MatrixStack,
} from "../linalg/dense.js";
import { centerColumns, decompose, rightVectors, type Decomposition } from "./designSvd.js";
import { gcvTerms, looTerms, ridgeFilter } from "./ridgeFilters.js";
import { contiguousFolds, type Fold } from "./folds.js";

export type AlphaSelection = "loo" | "gcv" | "kfold";
/** The penalty selection modes: loo, gcv, kfold. */
export const ALPHA_SELECTIONS: readonly AlphaSelection[] = ["loo", "gcv", "kfold"];

/** Stack of M·diag(f_a) over alphas, where f = factors[a*r + i], in the backend's precision. */
export function scaledStack(m: Matrix, factors: Float64Array, count: number, dtype: DType): MatrixStack {
  const { rows, cols: r } = m;
  const data = allocate(dtype, count * rows * r);
  for (let a = 0; a < count; a++) {
    for (let j = 0; j < rows; j++) {
      const dst = (a * rows + j) * r;
      for (let i = 0; i < r; i++) data[dst + i] = m.data[j * r + i] * factors[a * r + i];
    }
  }
  return { count, rows, cols: r, data };
}

/** What the criteria need to know about one chunk of targets on one outer training fold. */
export interface TrainTargets {
  /** n_train × c training rows (centred on the whole series, not on the training mean). */
  rows: Matrix;
  /** Training mean of each column of `rows`. */
  mean: Float64Array;
  /** Uᵀ·rows (r × c), projections on the left singular vectors (U ⊥ 1, so the mean drops out). */
  projections: Matrix;
  /** Training variance per target (ddof 0); 0 marks a constant target. */
  variance: Float64Array;
}

export interface Selection {
  /** Index of the chosen alpha per target. */
  best: Int32Array;
  /** criterion[a*c + t]: the mode's validation error in standardised units of Y (lower is better). */
  criterion: Float64Array;
}

export interface SelectionPlan {
  select(targets: TrainTargets, backend: ComputeBackend): Promise<Selection>;
}

/** Index of the best alpha per target (first minimum); curves[a*c + t] is the criterion, lower is better. */
function argminPerTarget(curves: Float64Array, count: number, c: number, variance: Float64Array): Int32Array {
  const best = new Int32Array(c);
  for (let t = 0; t < c; t++) {
    if (!(variance[t] > 0)) continue;
    let bi = 0;
    let bv = curves[t];
    for (let a = 1; a < count; a++) {
      const v = curves[a * c + t];
      if (v < bv) {
        bv = v;
        bi = a;
      }
    }
    best[t] = bi;
  }
  return best;
}

export function gcvPlan(dec: Decomposition, nTrain: number, alphas: ArrayLike<number>): SelectionPlan {
  const A = alphas.length;
  const r = dec.s.length;
  const { gain, denom } = gcvTerms(dec.s, alphas, nTrain);
  const gainMat = { rows: A, cols: r, data: gain };
  return {
    async select({ projections, variance }, backend) {
      const c = projections.cols;
      const sq = allocate(backend.dtype, r * c);
      for (let k = 0; k < r * c; k++) sq[k] = projections.data[k] * projections.data[k];
      const explained = castArray(
        (await backend.matmul(castMatrix(gainMat, backend.dtype), { rows: r, cols: c, data: sq })).data,
        "float64",
      );
      const curves = new Float64Array(A * c);
      for (let a = 0; a < A; a++) {
        for (let t = 0; t < c; t++) {
          const v = variance[t];
          const rss = nTrain - explained[a * c + t] / v;
          curves[a * c + t] = rss / nTrain / denom[a];
        }
      }
      return { best: argminPerTarget(curves, A, c, variance), criterion: curves };
    },
  };
}

export function looPlan(dec: Decomposition, alphas: ArrayLike<number>, dtype: DType): SelectionPlan {
  const A = alphas.length;
  const { U } = dec;
  const n = U.rows;
  const r = U.cols;
  const terms = looTerms(U, dec.s, alphas);
  const stack: MatrixStack = { count: A, rows: n, cols: r, data: castArray(terms.stack, dtype) };
  const weights = terms.weights;
  return {
    async select({ rows, mean, projections, variance }, backend) {
      const c = rows.cols;
      const rss = castArray(
        (await backend.residualSumSquares(stack, projections, rows, weights, mean)).data,
        "float64",
      );
      const curves = new Float64Array(A * c);
      for (let a = 0; a < A; a++) for (let t = 0; t < c; t++) curves[a * c + t] = rss[a * c + t] / n / variance[t];
      return { best: argminPerTarget(curves, A, c, variance), criterion: curves };
    },
  };
}

interface InnerFold {
  fold: Fold;
  U: Matrix; // backend precision, n_inner_train × r
  predictors: MatrixStack; // Xval_c · V · diag(s/(s²+α)) per alpha
}

/** Inner K-fold (or the given folds) over the outer-training rows (himalaya's RidgeCV(cv=K)). */
export async function kfoldPlan(
  xTrain: Matrix,
  alphas: ArrayLike<number>,
  innerFolds: number | Fold[],
  dtype: DType,
  f64: ComputeBackend,
): Promise<SelectionPlan> {
  const A = alphas.length;
  const inner: InnerFold[] = [];
  for (const fold of typeof innerFolds === "number" ? contiguousFolds(xTrain.rows, innerFolds) : innerFolds) {
    const xi = takeRows(xTrain, fold.train, "float64");
    const mean = centerColumns(xi);
    const xv = takeRows(xTrain, fold.test, "float64");
    for (let j = 0; j < xv.rows; j++) for (let k = 0; k < xv.cols; k++) xv.data[j * xv.cols + k] -= mean[k];
    const dec = await decompose(xi, f64);
    const r = dec.s.length;
    const mv = await f64.matmul(transpose(xv), rightVectors(dec), true);
    const filt = ridgeFilter(dec.s, alphas);
    inner.push({
      fold,
      U: castMatrix(dec.U, dtype),
      predictors: scaledStack({ rows: mv.rows, cols: r, data: castArray(mv.data, "float64") }, filt, A, dtype),
    });
  }
  const logAlpha = Float64Array.from(alphas as ArrayLike<number>, (a) => Math.log(a));
  return {
    async select({ rows, variance }, backend) {
      const c = rows.cols;
      const score = new Float64Array(A * c);
      for (const f of inner) {
        const yi = takeRows(rows, f.fold.train, backend.dtype);
        const yv = takeRows(rows, f.fold.test, backend.dtype);
        const innerMean = centerColumns(yi);
        for (let j = 0; j < yv.rows; j++) for (let t = 0; t < c; t++) yv.data[j * c + t] -= innerMean[t];
        const z = await backend.matmul(f.U, yi, true);
        const rss = castArray((await backend.residualSumSquares(f.predictors, z, yv, null)).data, "float64");
        const nv = f.fold.test.length;
        for (let k = 0; k < A * c; k++) score[k] += rss[k] / nv / inner.length;
      }
      const mse = new Float64Array(A * c);
      const tieBroken = new Float64Array(A * c);
      for (let a = 0; a < A; a++) {
        for (let t = 0; t < c; t++) {
          mse[a * c + t] = score[a * c + t] / variance[t];
          // himalaya maximises −MSE + 1e-10·log α, so near-ties go to the larger alpha.
          tieBroken[a * c + t] = mse[a * c + t] - 1e-10 * logAlpha[a];
        }
      }
      return { best: argminPerTarget(tieBroken, A, c, variance), criterion: mse };
    },
  };
}

/** The plan of one selection mode on one (standardised) training design and its decomposition. */
export async function selectionPlan(
  mode: AlphaSelection,
  xTrain: Matrix,
  dec: Decomposition,
  alphas: Float64Array,
  innerFolds: number | Fold[],
  dtype: DType,
  f64: ComputeBackend,
): Promise<SelectionPlan> {
  if (mode === "gcv") return gcvPlan(dec, xTrain.rows, alphas);
  if (mode === "loo") return looPlan(dec, alphas, dtype);
  return kfoldPlan(xTrain, alphas, innerFolds, dtype, f64);
}

/**
 * bandedBrainScore: the brain score of a banded ridge model — outer contiguous folds (or the given folds),
 * BandedRidgeCV fitted on each fold's training rows (X standardised on them, intercept fitted, weights per
 * feature space and alpha per target chosen by inner CV), held-out Pearson r averaged over folds.
 */
import { takeRows, type Matrix } from "../linalg/dense.js";
import { findNonFiniteTargets } from "./checks.js";
import { BandedRidgeCV, type BandedRidgeCVOptions } from "./bandedRidge.js";
import { resolveFolds, type CrossValidation } from "./folds.js";
import { pearsonScore } from "./scoring.js";

export interface BandedBrainScoreOptions extends Omit<BandedRidgeCVOptions, "bands" | "keepFoldScores"> {
  /** Outer folds (default 5 contiguous), as brainScore's `folds`. `cv` sets the inner folds of each fit. */
  folds?: CrossValidation;
}

export interface BandedBrainScoreResult {
  /** Held-out Pearson r per target, averaged over folds. */
  r: Float64Array;
  /** K × V per fold. */
  rFolds: Float64Array;
  /** K × bands × V chosen weight of each feature space. */
  gammas: Float64Array;
  nFolds: number;
}

/**
 * `spaces` holds the feature spaces (same rows), or one such list per outer fold when features are fitted
 * inside the cross-validation (e.g. a PCA on each fold's training words).
 */
export async function bandedBrainScore(
  spaces: Matrix[] | Matrix[][],
  y: Matrix,
  options: BandedBrainScoreOptions = {},
): Promise<BandedBrainScoreResult> {
  const perFold = Array.isArray(spaces[0]) ? (spaces as Matrix[][]) : null;
  const first = perFold ? perFold[0] : (spaces as Matrix[]);
  const folds = resolveFolds(options.folds ?? 5, y.rows, "folds");
  if (perFold && perFold.length !== folds.length)
    throw new Error(`bandedBrainScore: ${perFold.length} per-fold feature sets for ${folds.length} folds`);
  const K = folds.length;
  const V = y.cols;
  // Targets with NaN/Inf are scored NaN, never mixed in (as brainScore's invalidTargets: "mask").
  const bad = findNonFiniteTargets(y);
  if (bad.length > 0) {
    y = { rows: y.rows, cols: V, data: Float64Array.from(y.data) };
    for (const t of bad) for (let i = 0; i < y.rows; i++) y.data[i * V + t] = 0;
  }
  const B = first.length;
  const rFolds = new Float64Array(K * V);
  const gammas = new Float64Array(K * B * V);
  for (const [k, fold] of folds.entries()) {
    const xs = perFold ? perFold[k] : first;
    const model = await new BandedRidgeCV({ standardize: true, fitIntercept: true, ...options }).fit(
      xs.map((m) => takeRows(m, fold.train, "float64")),
      takeRows(y, fold.train, "float64"),
    );
    const pred = await model.predict(xs.map((m) => takeRows(m, fold.test, "float64")));
    rFolds.set(pearsonScore(takeRows(y, fold.test, "float64"), pred), k * V);
    gammas.set(model.bestGammas!, k * B * V);
  }
  for (const t of bad) for (let k = 0; k < K; k++) rFolds[k * V + t] = NaN;
  const r = Float64Array.from({ length: V }, (_, t) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += rFolds[k * V + t];
    return s / K;
  });
  return { r, rFolds, gammas, nFolds: K };
}

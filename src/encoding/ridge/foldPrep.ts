/**
 * What one outer fold needs before any target is scored — standardised design, its decomposition, the test
 * rows' projection and (loo) the triangular LOO factors — computed once per fold from X alone. One
 * implementation for both lanes of foldLanes.ts: the calling thread and the worker (foldWorker.ts).
 */
import type { ComputeBackend, GraphRunner } from "../../backend/types.js";
import { castArray, type DType, type Matrix } from "../../linalg/dense.js";
import type { AlphaSelection } from "./criteria.js";
import { applyStandardizer, decompose, fitStandardizer, projectRows, type Decomposition } from "./design.js";
import type { Fold } from "./folds.js";
import { looFactorsFor } from "./fusedFold.js";

export interface PreparedFold {
  dec: Decomposition;
  /** Standardised test design times V (n_test × r, float64). */
  testDesign: Matrix;
  /** loo only: the triangular factors, or undefined for the residual form. */
  looFactors?: Float64Array[];
}

export interface FoldPrepSpec {
  fold: Fold;
  alphas: Float64Array;
  mode: AlphaSelection;
  dtype: DType;
}

/** `gram` is float64; `runner` runs graphs in the fold's precision (the LOO weighted Gram matrices). */
export async function prepareFold(x: Matrix, spec: FoldPrepSpec, gram: ComputeBackend, runner: GraphRunner | undefined): Promise<PreparedFold> {
  const { fold } = spec;
  const st = fitStandardizer(x, fold.train);
  const xTrain = applyStandardizer(x, fold.train, st);
  const xTest = applyStandardizer(x, fold.test, st);
  // Only the test rows' projection is needed, so kernel-form folds skip V.
  const dec = await decompose(xTrain, gram, { rightVectors: false });
  const projected = await projectRows(dec, xTrain, xTest, gram);
  const testDesign = { ...projected, data: castArray(projected.data, "float64") };
  let looFactors: Float64Array[] | undefined;
  if (spec.mode === "loo" && runner && dec.s.length > 0) {
    looFactors = (await looFactorsFor(dec, fold, spec.alphas, spec.dtype, runner, gram)) ?? undefined;
  }
  return { dec, testDesign, looFactors };
}

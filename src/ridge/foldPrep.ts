/**
 * What one outer fold needs before any target is scored — standardised design, its decomposition, the test
 * rows' projection and (loo) the triangular LOO factors — computed once per fold from X alone. One
 * implementation for both lanes of foldLanes.ts: the calling thread and the worker (foldWorker.ts).
 */
import type { ComputeBackend, GraphRunner } from "../backend/types.js";
import { castArray, type DType, type Matrix } from "../linalg/dense.js";
import type { AlphaSelection } from "./alphaSelection.js";
import { applyStandardizer, decompose, fitStandardizer, projectRows, type Decomposition } from "./designSvd.js";
import type { Fold } from "./folds.js";
import { looBlocksFor, triangularLooBasis, type LooBasis, type LooBlocks } from "./fusedFold.js";

export interface PreparedFold {
  dec: Decomposition;
  /** Standardised test design times V (n_test × r, float64). */
  testDesign: Matrix;
  /** loo only: the row blocks of the triangular factors, or undefined for the residual form. */
  looBlocks?: LooBlocks;
  /** With looBlocks: their basis, when it is not dec's own (dec completed by null directions). */
  looBasis?: LooBasis;
}

export interface FoldPrepSpec {
  fold: Fold;
  alphas: Float64Array;
  mode: AlphaSelection;
  dtype: DType;
  /** loo: prepare the triangular factors (else the fold is scored in the residual form). */
  triangular: boolean;
}

let scratch = new Float64Array(0);

/** `f64` is float64; `runner` runs graphs in the fold's precision (the LOO weighted Gram matrices). */
export async function prepareFold(
  x: Matrix,
  spec: FoldPrepSpec,
  f64: ComputeBackend,
  runner: GraphRunner | undefined,
): Promise<PreparedFold> {
  const { fold } = spec;
  const st = fitStandardizer(x, fold.train);
  const size = (fold.train.length + fold.test.length) * x.cols;
  if (scratch.length < size) scratch = new Float64Array(size);
  // Both standardised blocks live only during this preparation: one buffer per thread, reused fold after fold
  // and kept for the process (the largest design's rows × columns doubles, e.g. 37 MB at 1,000 × 4,608).
  const xTrain = applyStandardizer(x, fold.train, st, scratch);
  const xTest = applyStandardizer(x, fold.test, st, scratch.subarray(fold.train.length * x.cols));
  // Only the test rows' projection is needed, so kernel-form folds skip V.
  const dec = await decompose(xTrain, f64, { rightVectors: false });
  const projected = await projectRows(dec, xTrain, xTest, f64);
  const testDesign = { ...projected, data: castArray(projected.data, "float64") };
  if (spec.mode === "loo" && spec.triangular && runner && dec.s.length > 0) {
    const basis = triangularLooBasis(dec, testDesign, spec.alphas.length);
    const looBlocks = basis && (await looBlocksFor(basis, fold, spec.alphas, spec.dtype, runner, f64));
    if (looBlocks) return { dec, testDesign, looBlocks, ...(basis!.U === dec.U ? {} : { looBasis: basis! }) };
  }
  return { dec, testDesign };
}

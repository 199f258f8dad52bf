/**
 * `brainscore/ridge`: The encoding model: ridge brain scores (LOO, GCV, k-fold, bootstrap), the estimators (Ridge,
 * RidgeCV, BandedRidgeCV), folds, scoring and the compute backends.
 */
export { brainScore, type BrainScoreOptions, type BrainScoreResult } from "../ridge/crossValidate.js";
export { brainScoreInBlocks, brainScoreMemory, type BrainScoreShape } from "../ridge/targetBlocks.js";
export {
  bootstrapRidge,
  HUTH_ALPHAS,
  type BootstrapRidgeOptions,
  type BootstrapRidgeResult,
} from "../ridge/bootstrapRidge.js";
export { Ridge, RidgeCV, type RidgeCVOptions, type RidgeOptions } from "../ridge/estimator.js";
export { BandedRidgeCV, type BandedRidgeCVOptions } from "../ridge/bandedRidge.js";
export {
  bandedBrainScore,
  type BandedBrainScoreOptions,
  type BandedBrainScoreResult,
} from "../ridge/bandedBrainScore.js";
export {
  pearsonScore,
  r2Score,
  r2ScoreSplit,
  SCORING_NAMES,
  type Scorer,
  type Scoring,
  type ScoringName,
} from "../ridge/scoring.js";
export { contiguousFolds, groupFolds, foldIds, resolveFolds, type CrossValidation, type Fold } from "../ridge/folds.js";
export { DEFAULT_ALPHAS, logspace, parseAlphas } from "../ridge/alphas.js";
export { ALPHA_SELECTIONS, type AlphaSelection } from "../ridge/alphaSelection.js";
export {
  createBackend,
  openBackends,
  withBackends,
  JsBackend,
  OrtBackend,
  type BackendName,
  type BackendSpec,
  type ComputeBackend,
} from "../backend/index.js";

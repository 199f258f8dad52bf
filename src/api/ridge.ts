/** `brainscore/ridge`: The encoding model: ridge brain scores (LOO, GCV, k-fold, bootstrap), the estimators (Ridge, RidgeCV, BandedRidgeCV), folds, scoring and the compute backends. */
export { brainScore, type BrainScoreOptions, type BrainScoreResult } from "../encoding/ridge/crossValidate.js";
export { brainScoreInBlocks, brainScoreMemory, type BrainScoreShape } from "../encoding/ridge/targetBlocks.js";
export { bootstrapRidge, HUTH_ALPHAS, type BootstrapRidgeOptions, type BootstrapRidgeResult } from "../encoding/ridge/bootstrapRidge.js";
export { Ridge, RidgeCV, type RidgeCVOptions, type RidgeOptions } from "../encoding/ridge/estimator.js";
export { BandedRidgeCV, type BandedRidgeCVOptions } from "../encoding/ridge/bandedRidge.js";
export { bandedBrainScore, type BandedBrainScoreOptions, type BandedBrainScoreResult } from "../encoding/ridge/bandedBrainScore.js";
export { pearsonScore, r2Score, r2ScoreSplit, SCORING_NAMES, type Scorer, type Scoring, type ScoringName } from "../encoding/ridge/scoring.js";
export { contiguousFolds, groupFolds, foldIds, resolveFolds, type CrossValidation, type Fold } from "../encoding/ridge/folds.js";
export { DEFAULT_ALPHAS, logspace, parseAlphas } from "../encoding/ridge/alphas.js";
export { ALPHA_SELECTIONS, type AlphaSelection } from "../encoding/ridge/criteria.js";
export { createBackend, withBackends, JsBackend, OrtBackend, type BackendName, type BackendSpec, type ComputeBackend } from "../backend/index.js";

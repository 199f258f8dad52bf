/**
 * Library entry point: the everyday names, one import away (`import { brainScore, RidgeCV } from "brainscore"`).
 * Every domain also has its own entry with all of its public names (src/api/): `brainscore/ridge`, `/io`,
 * `/lm`, `/fmri`, `/forecast`, `/stats`, `/finetune`, `/report`, `/pipeline` — e.g. the training internals
 * (`Tape`, `adamWStep`) only under `brainscore/finetune`.
 */
export { brainScore, type BrainScoreOptions, type BrainScoreResult } from "./ridge/crossValidate.js";
export { brainScoreInBlocks, brainScoreMemory, type BrainScoreShape } from "./ridge/targetBlocks.js";
export {
  bootstrapRidge,
  HUTH_ALPHAS,
  type BootstrapRidgeOptions,
  type BootstrapRidgeResult,
} from "./ridge/bootstrapRidge.js";
export { Ridge, RidgeCV, type RidgeCVOptions, type RidgeOptions } from "./ridge/estimator.js";
export { BandedRidgeCV, type BandedRidgeCVOptions } from "./ridge/bandedRidge.js";
export {
  bandedBrainScore,
  type BandedBrainScoreOptions,
  type BandedBrainScoreResult,
} from "./ridge/bandedBrainScore.js";
export {
  pearsonScore,
  r2Score,
  r2ScoreSplit,
  SCORING_NAMES,
  type Scorer,
  type Scoring,
  type ScoringName,
} from "./ridge/scoring.js";
export { contiguousFolds, groupFolds, foldIds, resolveFolds, type CrossValidation, type Fold } from "./ridge/folds.js";
export { DEFAULT_ALPHAS, logspace, parseAlphas } from "./ridge/alphas.js";
export { ALPHA_SELECTIONS, type AlphaSelection } from "./ridge/alphaSelection.js";
export {
  createBackend,
  withBackends,
  JsBackend,
  OrtBackend,
  type BackendName,
  type BackendSpec,
  type ComputeBackend,
} from "./backend/index.js";
export { readNpy, writeNpy, parseNpy } from "./io/npy.js";
export { readSafetensors, writeSafetensors, parseSafetensors } from "./io/safetensors.js";
export { loadMatrix } from "./io/arrays.js";
export { locateMatrix, readColumns, type MatrixLocation } from "./io/arrayBlocks.js";
export type { DType, Matrix } from "./linalg/dense.js";
export { extractWordFeatures, type ExtractOptions, type WordFeatures } from "./lm/extract.js";
export { resolveCheckpoint, resolveModel } from "./lm/hub.js";
export {
  createLanguageModel,
  readModelInfo,
  SUPPORTED_MODEL_TYPES,
  type ModelInfo,
  type ModelType,
} from "./lm/architectures.js";
export type { LanguageModelRuntime, ForwardResult } from "./lm/runtime.js";
export { readWords } from "./stimuli/readers.js";
export type { WordEvents } from "./stimuli/words.js";
export { readNifti, writeNifti } from "./fmri/formats/nifti.js";
export {
  readGifti,
  readGiftiTimeSeries,
  writeGiftiTimeSeries,
  writeGiftiMesh,
  giftiMesh,
} from "./fmri/formats/gifti.js";
export { readAnnot } from "./fmri/formats/annot.js";
export { NarrativesDataset, NARRATIVES_TR } from "./fmri/datasets/narratives.js";
export { LebelDataset, LEBEL_CODE_TR, type LebelStoryWords } from "./fmri/datasets/lebel.js";
export { findLebelVolume, type SubjectVolume } from "./fmri/datasets/lebelVolume.js";
export {
  lebelBrainScores,
  lebelForecast,
  lebelStoryDesign,
  lebelStoryStates,
  type LebelEncodingOptions,
  type LebelEncodingResult,
  type LebelForecastOptions,
  type LebelForecastResult,
} from "./pipeline/lebel.js";
export { simulateLebelDataset, type LebelSimulation, type LebelTruth } from "./simulate/lebelSimulate.js";
export {
  blockPermutationTest,
  type BlockPermutationOptions,
  type BlockPermutationResult,
} from "./stats/blockPermutation.js";
export {
  lebelScaling,
  type LebelScalingModel,
  type LebelScalingOptions,
  type LebelScalingResult,
} from "./pipeline/lebelScaling.js";
export {
  isLebelRunConfig,
  parseLebelRunConfig,
  runLebel,
  type LebelForecastConfig,
  type LebelRunConfig,
  type LebelRunReport,
} from "./pipeline/lebelRun.js";
export { linearFit, type LinearFit } from "./stats/regression.js";
export { loadBidsRun } from "./fmri/datasets/bids.js";
export { loadAliceSubject, listAliceSubjects, ALICE_ROIS } from "./fmri/datasets/alice.js";
export { cleanRun } from "./fmri/preprocess.js";
export {
  wordDesign,
  wordDesigner,
  namedTrDesign,
  PAPER_FIR_DELAYS,
  type TrDesign,
  type WordDesignOptions,
} from "./fmri/design/wordDesign.js";
export { firDelays } from "./fmri/design/fir.js";
export { lanczosDownsample, lanczosKernel, type LanczosOptions } from "./fmri/design/lanczos.js";
export {
  HUTH_DELAYS,
  HUTH_TRIM,
  lanczosStoryDesign,
  trimRows,
  zscoreColumns,
  type LanczosStoryOptions,
  type StoryTrim,
} from "./fmri/design/storyDesign.js";
export { gloverHrf, spmHrf } from "./fmri/design/hrf.js";
export {
  parcellationFromAnnot,
  parcellationFromGiftiLabels,
  parcellationFromLabelVolume,
  splitLargeRegions,
  regionAverages,
  summarizeByRegion,
} from "./fmri/regions.js";
export { forecastSweep, peakDistances, type ForecastSweepOptions, type ForecastSweepResult } from "./forecast/sweep.js";
export { PAPER, paperDistances, paperDistances as defaultDistances, atPaperDepth } from "./config/paper.js";
export {
  storyForecastSweep,
  type ForecastStory,
  type StoryForecastOptions,
  type StoryForecastResult,
} from "./forecast/storySweep.js";
export { groupForecastPeaks, forecastDepth } from "./stats/forecastPeaks.js";
export { syntaxSemantics } from "./lm/decomposition.js";
export { wilcoxon, pearsonr, fdrBh, bootstrapMeanCi } from "./stats/tests.js";
export { parseRunConfig, readRunConfig, type RunConfig } from "./pipeline/config.js";
export { runPipeline, mergeResults, type RunReport } from "./pipeline/run.js";
export { parseSimulationConfig, simulateDataset, type SimulationConfig } from "./simulate/simulate.js";
export { runAliceDemo, type AliceDemoResult } from "./pipeline/aliceDemo.js";
export { lineChartSvg, type LineChartSpec } from "./report/figures/lineChart.js";
export { brainMapSvg, type BrainMapSpec } from "./report/figures/brainMap.js";
export { svgToPng, writeSvgAsPng } from "./report/figures/png.js";
export { finetune, type FinetuneOptions, type FinetuneResult, type FinetuneProgress } from "./finetune/trainer.js";
export { parseFinetuneConfig, readFinetuneConfig, CONDITIONS, type FinetuneConfig } from "./finetune/config.js";

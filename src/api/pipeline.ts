/**
 * `brainscore/pipeline`: The pipeline: run configurations, runs and merges (Narratives and LeBel), the simulators, the
 * demos.
 */
export {
  lebelBrainScores,
  lebelForecast,
  lebelStoryDesign,
  lebelStoryStates,
  type LebelEncodingOptions,
  type LebelEncodingResult,
  type LebelForecastOptions,
  type LebelForecastResult,
} from "../pipeline/lebel.js";
export { simulateLebelDataset, type LebelSimulation, type LebelTruth } from "../simulate/lebelSimulate.js";
export {
  lebelScaling,
  type LebelScalingModel,
  type LebelScalingOptions,
  type LebelScalingResult,
} from "../pipeline/lebelScaling.js";
export {
  isLebelRunConfig,
  parseLebelRunConfig,
  runLebel,
  type LebelForecastConfig,
  type LebelRunConfig,
  type LebelRunReport,
} from "../pipeline/lebelRun.js";
export { plantedSignal, withNoise } from "../simulate/plantedSignal.js";
export { parseRunConfig, readRunConfig, type RunConfig } from "../pipeline/config.js";
export { runPipeline, mergeResults, type RunReport } from "../pipeline/run.js";
export { parseSimulationConfig, simulateDataset, type SimulationConfig } from "../simulate/simulate.js";
export { runAliceDemo, type AliceDemoResult } from "../pipeline/aliceDemo.js";

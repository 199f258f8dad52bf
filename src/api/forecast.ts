/**
 * `brainscore/forecast`: Forecast scores F(d): window PCAs, the sweeps (per scan and per story), group peaks, the
 * syntax/semantics decomposition, the paper's constants.
 */
export {
  forecastSweep,
  peakDistances,
  type ForecastSweepOptions,
  type ForecastSweepResult,
} from "../forecast/sweep.js";
export { PAPER, paperDistances, paperDistances as defaultDistances, atPaperDepth } from "../config/paper.js";
export { windowPcaScores, windowPcaScoresFromGram, wordGram, forecastOffsets } from "../forecast/windowPca.js";
export {
  storyWindowPcaScores,
  type StoryWindowPcaOptions,
  type StoryWindowPcaResult,
} from "../forecast/storyWindowPca.js";
export {
  storyForecastSweep,
  type ForecastStory,
  type StoryForecastOptions,
  type StoryForecastResult,
} from "../forecast/storySweep.js";
export { GeneratedWindowGram, type GeneratedStates } from "../forecast/generatedWindows.js";
export { groupForecastPeaks, forecastDepth } from "../stats/forecastPeaks.js";
export { syntaxSemantics } from "../lm/decomposition.js";
export { tagWords, tagsFromParses, readConllu, syntacticAlternatives } from "../lm/syntax.js";

/**
 * `brainscore/lm`: Language-model features: hidden states of GPT-2 and the other supported families per word,
 * checkpoints from the hub layout, generation.
 */
export { extractWordFeatures, WordFeatureExtractor, type ExtractOptions, type WordFeatures } from "../lm/extract.js";
export { resolveCheckpoint, resolveModel } from "../lm/hub.js";
export {
  generateFutures,
  generatedFutureFeatures,
  type GenerationOptions,
  type GeneratedFutures,
} from "../lm/generate.js";
export { Gpt2Runtime, type KvCache } from "../lm/modelingGpt2.js";
export {
  createLanguageModel,
  readModelInfo,
  SUPPORTED_MODEL_TYPES,
  type ModelInfo,
  type ModelType,
} from "../lm/architectures.js";
export { readCheckpointTensors, weightFiles, weightsSha256 } from "../lm/checkpoint.js";
export type { LanguageModelRuntime, ForwardResult } from "../lm/runtime.js";

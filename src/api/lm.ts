/** `brainscore/lm`: Language-model features: hidden states of GPT-2 and the other supported families per word, checkpoints from the hub layout, generation. */
export { extractWordFeatures, type ExtractOptions, type WordFeatures } from "../encoding/lm/extract.js";
export { resolveCheckpoint, resolveModel } from "../encoding/lm/hub.js";
export { generateFutures, generatedFutureFeatures, type GenerationOptions, type GeneratedFutures } from "../encoding/lm/generate.js";
export { Gpt2Runtime, type KvCache } from "../encoding/lm/modelingGpt2.js";
export { createLanguageModel, readModelInfo, SUPPORTED_MODEL_TYPES, type ModelInfo, type ModelType } from "../encoding/lm/architectures.js";
export { readCheckpointTensors, weightFiles, weightsSha256 } from "../encoding/lm/checkpoint.js";
export type { LanguageModelRuntime, ForwardResult } from "../encoding/lm/runtime.js";

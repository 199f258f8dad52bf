/**
 * Architecture registry: config.json's `model_type` selects the modeling file, as Hugging Face's
 * AutoModel does. Each entry reads its config, checks and loads the weights, and builds an onnxruntime
 * runtime with the `output_hidden_states` convention, so extraction code never depends on the family.
 */
import { join } from "node:path";
import type { GraphBuilder } from "../backend/onnx/graph.js";
import { readJsonFile } from "../io/files.js";
import { parseGpt2Config } from "./config.js";
import { readCheckpointTensors, type CheckpointTensors } from "./checkpoint.js";
import { Gpt2Runtime, type EmbeddingVariant } from "./modelingGpt2.js";
import { buildGptNeoxGraph, parseGptNeoxConfig, type GptNeoxConfig } from "./modelingGptNeox.js";
import { buildLlamaGraph, parseLlamaConfig, type LlamaConfig } from "./modelingLlama.js";
import { buildOptGraph, parseOptConfig, type OptConfig } from "./modelingOpt.js";
import { GraphRuntime, type LanguageModelRuntime, type ModelShape, type SessionOptions } from "./runtime.js";
import { loadGpt2Weights } from "./weights.js";

/** The config.json model_type values the toolkit can run. */
export const SUPPORTED_MODEL_TYPES = ["gpt2", "gpt_neox", "opt", "llama", "mistral", "qwen2"] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

export interface ModelInfo extends ModelShape {
  modelType: ModelType;
}

function readConfigJson(dir: string): { json: Record<string, unknown>; path: string; modelType: ModelType } {
  const path = join(dir, "config.json");
  const json = readJsonFile<Record<string, unknown>>(path);
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error(`${path}: not a JSON object`);
  const modelType = (json.model_type ?? "gpt2") as ModelType;
  if (!SUPPORTED_MODEL_TYPES.includes(modelType)) {
    throw new Error(
      `${path}: model_type "${String(json.model_type)}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`,
    );
  }
  return { json, path, modelType };
}

interface Family {
  parse(json: Record<string, unknown>, source: string): ModelShape;
  graph(config: ModelShape, tensors: CheckpointTensors, layers: number[]): GraphBuilder;
}

/** One entry per modeling file (GPT-2 has its own runtime, with the key/value cache for generation). */
const FAMILIES: Record<Exclude<ModelType, "gpt2">, Family> = {
  gpt_neox: { parse: parseGptNeoxConfig, graph: (c, w, l) => buildGptNeoxGraph(c as GptNeoxConfig, w, l) },
  opt: { parse: parseOptConfig, graph: (c, w, l) => buildOptGraph(c as OptConfig, w, l) },
  llama: { parse: parseLlamaConfig, graph: (c, w, l) => buildLlamaGraph(c as LlamaConfig, w, l) },
  mistral: { parse: parseLlamaConfig, graph: (c, w, l) => buildLlamaGraph(c as LlamaConfig, w, l) },
  qwen2: { parse: parseLlamaConfig, graph: (c, w, l) => buildLlamaGraph(c as LlamaConfig, w, l) },
};

/** The shape of a checkpoint's model (layers, width, positions, vocabulary) from its config.json. */
export function readModelInfo(dir: string): ModelInfo {
  const { json, path, modelType } = readConfigJson(dir);
  const c = modelType === "gpt2" ? parseGpt2Config(json, path) : FAMILIES[modelType].parse(json, path);
  return { modelType, nLayer: c.nLayer, nEmbd: c.nEmbd, nPositions: c.nPositions, vocabSize: c.vocabSize };
}

export interface LanguageModelOptions extends SessionOptions {
  layers: number[];
  /** GPT-2 only: layer 0 without position embeddings (the paper's variant); other families have none there. */
  embedding?: EmbeddingVariant;
}

/**
 * Loads a checkpoint folder as the runtime of its config.json's model_type (gpt2, gpt_neox, opt, llama, mistral,
 * qwen2).
 */
export async function createLanguageModel(dir: string, options: LanguageModelOptions): Promise<LanguageModelRuntime> {
  const { json, path, modelType } = readConfigJson(dir);
  if (modelType === "gpt2") {
    const config = parseGpt2Config(json, path);
    return Gpt2Runtime.create(config, () => loadGpt2Weights(dir, config), options);
  }
  const family = FAMILIES[modelType];
  const config = family.parse(json, path);
  return GraphRuntime.create(
    family.graph(config, readCheckpointTensors(dir), options.layers),
    config,
    options.layers,
    options,
  );
}

/** GPT-2 configuration (Hugging Face `config.json`, model_type "gpt2"), validated at the boundary. */
import { join } from "node:path";
import { readText } from "../io/files.js";

export interface Gpt2Config {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  vocabSize: number;
  nInner: number;
  layerNormEpsilon: number;
  activation: "gelu_new" | "gelu";
  /** Attention scores divided by √(head size) (Hugging Face's default). */
  scaleAttnWeights: boolean;
  /** Attention scores further divided by (layer index + 1) (Mistral/Stanford CRFM GPT-2 runs). */
  scaleAttnByInverseLayerIdx: boolean;
}

export function parseGpt2Config(json: unknown, source = "config.json"): Gpt2Config {
  if (json === null || typeof json !== "object") throw new Error(`${source}: not a JSON object`);
  const c = json as Record<string, unknown>;
  if (c.model_type !== undefined && c.model_type !== "gpt2") {
    throw new Error(
      `${source}: model_type "${String(c.model_type)}" is not supported (only GPT-2-family checkpoints, model_type "gpt2")`,
    );
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(c[key])}`);
    return v;
  };
  const nEmbd = int("n_embd");
  const nHead = int("n_head");
  if (nEmbd % nHead !== 0) throw new Error(`${source}: n_embd (${nEmbd}) is not a multiple of n_head (${nHead})`);
  const activation = (c.activation_function ?? "gelu_new") as string;
  if (activation !== "gelu_new" && activation !== "gelu") {
    throw new Error(`${source}: activation_function "${activation}" is not supported (gelu_new or gelu)`);
  }
  const flag = (key: string, fallback: boolean): boolean => {
    const v = c[key] ?? fallback;
    if (typeof v !== "boolean")
      throw new Error(`${source}: "${key}" must be true or false, got ${JSON.stringify(c[key])}`);
    return v;
  };
  // reorder_and_upcast_attn only reorders float32 work in Hugging Face (same result); it is validated, then has no
  // effect.
  flag("reorder_and_upcast_attn", false);
  const eps = c.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== "number" || !(eps > 0))
    throw new Error(`${source}: "layer_norm_epsilon" must be a positive number`);
  return {
    nLayer: int("n_layer"),
    nHead,
    nEmbd,
    nPositions: int("n_positions", c.n_ctx as number | undefined),
    vocabSize: int("vocab_size"),
    nInner: c.n_inner === null || c.n_inner === undefined ? 4 * nEmbd : int("n_inner"),
    layerNormEpsilon: eps,
    activation,
    scaleAttnWeights: flag("scale_attn_weights", true),
    scaleAttnByInverseLayerIdx: flag("scale_attn_by_inverse_layer_idx", false),
  };
}

export function readGpt2Config(dir: string): Gpt2Config {
  const path = join(dir, "config.json");
  const text = readText(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseGpt2Config(json, path);
}

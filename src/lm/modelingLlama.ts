/**
 * Llama-family forward pass (model_type "llama", also Mistral, TinyLlama, SmolLM; "qwen2" = the same with
 * biases on q/k/v) as an ONNX graph built from the checkpoint's tensors, names as Hugging Face's
 * `LlamaForCausalLM` state dict (`model.layers.{i}.self_attn.q_proj.weight`, …). RMSNorm, rotary position
 * embeddings (rotate_half pairs (j, j + D/2); `rope_scaling` null, "linear" or "llama3"), grouped-query
 * attention (key/value head g serves query heads g·n_rep … g·n_rep + n_rep − 1), SwiGLU MLP.
 * Hidden states follow `output_hidden_states`: [0] token embedding, [i] after block i, [L] final norm.
 *
 * Inputs/outputs as every architecture's graph (src/lm/graphParts.ts): input_ids and
 * position_ids [B, T], attention_bias [T, T]; hidden_<i> [B, T, E].
 */
import type { GraphBuilder } from "../backend/onnx/graph.js";
import type { CheckpointTensors } from "./checkpoint.js";
import { blocksToBuild, TorchGraph } from "./graphParts.js";

export interface LlamaConfig {
  modelType: "llama" | "mistral" | "qwen2";
  nLayer: number;
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  headDim: number;
  nInner: number;
  nPositions: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling:
    | null
    | { type: "linear"; factor: number }
    | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };
  /** Biases on q/k/v (qwen2 always; llama with attention_bias, which also adds one to o_proj). */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
}

export function parseLlamaConfig(json: Record<string, unknown>, source: string): LlamaConfig {
  const modelType = json.model_type as LlamaConfig["modelType"];
  const int = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(json[key])}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !(v > 0))
      throw new Error(`${source}: "${key}" must be a positive number, got ${JSON.stringify(json[key])}`);
    return v;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const v = json[key] ?? fallback;
    if (typeof v !== "boolean")
      throw new Error(`${source}: "${key}" must be true or false, got ${JSON.stringify(json[key])}`);
    return v;
  };
  const nEmbd = int("hidden_size");
  const nHead = int("num_attention_heads");
  const nKvHead = int("num_key_value_heads", nHead);
  if (nHead % nKvHead !== 0)
    throw new Error(`${source}: num_attention_heads (${nHead}) is not a multiple of num_key_value_heads (${nKvHead})`);
  const headDim = int("head_dim", nEmbd / nHead);
  if (headDim % 2 !== 0) throw new Error(`${source}: head_dim ${headDim} must be even for rotary embeddings`);
  const act = json.hidden_act ?? "silu";
  if (act !== "silu") throw new Error(`${source}: hidden_act "${String(act)}" is not supported (silu)`);
  if (json.use_sliding_window === true)
    throw new Error(`${source}: use_sliding_window true is not supported (full causal attention only)`);
  const rs = json.rope_scaling as Record<string, unknown> | null | undefined;
  let ropeScaling: LlamaConfig["ropeScaling"] = null;
  if (rs !== null && rs !== undefined) {
    const type = (rs.rope_type ?? rs.type) as string;
    const f = (k: string) => {
      const v = rs[k];
      if (typeof v !== "number" || !(v > 0))
        throw new Error(`${source}: rope_scaling.${k} must be a positive number, got ${JSON.stringify(v)}`);
      return v;
    };
    if (type === "linear") ropeScaling = { type, factor: f("factor") };
    else if (type === "llama3")
      ropeScaling = {
        type,
        factor: f("factor"),
        lowFreqFactor: f("low_freq_factor"),
        highFreqFactor: f("high_freq_factor"),
        originalMaxPositions: f("original_max_position_embeddings"),
      };
    else if (type !== "default")
      throw new Error(`${source}: rope_scaling type "${type}" is not supported (linear, llama3)`);
  }
  const attentionBias = flag("attention_bias", false);
  return {
    modelType,
    nLayer: int("num_hidden_layers"),
    nHead,
    nKvHead,
    nEmbd,
    headDim,
    nInner: int("intermediate_size"),
    nPositions: int("max_position_embeddings"),
    vocabSize: int("vocab_size"),
    rmsNormEps: num("rms_norm_eps", 1e-6),
    ropeTheta: num("rope_theta", 10000),
    ropeScaling,
    qkvBias: modelType === "qwen2" || attentionBias,
    oBias: modelType !== "qwen2" && attentionBias,
    mlpBias: flag("mlp_bias", false),
  };
}

/** Rotary inverse frequencies, with Hugging Face's rope_scaling rules. */
export function ropeInverseFrequencies(c: LlamaConfig): Float64Array {
  const D = c.headDim;
  const inv = Float64Array.from({ length: D / 2 }, (_, j) => 1 / c.ropeTheta ** ((2 * j) / D));
  const s = c.ropeScaling;
  if (s?.type === "linear") return inv.map((f) => f / s.factor);
  if (s?.type === "llama3") {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f;
      if (wavelen > lowWavelen) return f / s.factor;
      const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      return (1 - smooth) * (f / s.factor) + smooth * f;
    });
  }
  return inv;
}

export function buildLlamaGraph(c: LlamaConfig, w: CheckpointTensors, layers: number[]): GraphBuilder {
  const { nLayer: L, nHead: H, nKvHead: KV, nEmbd: E, headDim: D, nInner: I } = c;
  const t = new TorchGraph(c.modelType, w);
  const g = t.g;
  const rope = t.rotary(ropeInverseFrequencies(c), c.nPositions, D);
  const norm = (x: string, name: string) => t.rmsNorm(x, name, E, c.rmsNormEps);
  let x = t.embedding("model.embed_tokens.weight", c.vocabSize, E, "input_ids");
  const outputs = new Map<number, string>([[0, t.fromFirst(x, 1)]]);
  const blocks = blocksToBuild(L, layers, c.modelType);
  for (let l = 0; l < blocks; l++) {
    const p = `model.layers.${l}`;
    const last = l === blocks - 1; // computes the rows from first_position only
    const h = norm(x, `${p}.input_layernorm`);
    const q = rope(t.heads(t.linear(h, `${p}.self_attn.q_proj`, E, H * D, c.qkvBias), H, D));
    const k = t.repeatKv(rope(t.heads(t.linear(h, `${p}.self_attn.k_proj`, E, KV * D, c.qkvBias), KV, D)), H, KV, D);
    const v = t.repeatKv(t.heads(t.linear(h, `${p}.self_attn.v_proj`, E, KV * D, c.qkvBias), KV, D), H, KV, D);
    x = g.op("Add", [
      last ? t.fromFirst(x, 1) : x,
      t.linear(t.attention(q, k, v, 1 / Math.sqrt(D), H, D, last), `${p}.self_attn.o_proj`, H * D, E, c.oBias),
    ]);
    const h2 = norm(x, `${p}.post_attention_layernorm`);
    const gate = t.linear(h2, `${p}.mlp.gate_proj`, E, I, c.mlpBias);
    const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])]);
    x = g.op("Add", [
      x,
      t.linear(
        g.op("Mul", [silu, t.linear(h2, `${p}.mlp.up_proj`, E, I, c.mlpBias)]),
        `${p}.mlp.down_proj`,
        I,
        E,
        c.mlpBias,
      ),
    ]);
    if (l < L - 1) outputs.set(l + 1, last ? x : t.fromFirst(x, 1));
  }
  if (blocks === L) outputs.set(L, norm(x, "model.norm"));
  t.checkLayerCount(`model.layers.${L}.input_layernorm.weight`, L);
  return t.finish(outputs, layers, E, c.modelType);
}

/**
 * GPT-NeoX forward pass (model_type "gpt_neox": Pythia, GPT-NeoX-20B), names as Hugging Face's
 * `GPTNeoXForCausalLM` state dict (`gpt_neox.layers.{i}.attention.query_key_value.weight`, …).
 * Fused QKV laid out per head (head j owns outputs [3D·j, 3D·j + 3D) = its q | k | v), partial rotary
 * embeddings on the first rotary_pct · D dims, exact GELU, and — with use_parallel_residual — attention
 * and MLP both read the block input: x + attn(ln1(x)) + mlp(ln2(x)). Hidden states as
 * `output_hidden_states`: [0] token embedding, [i] after block i, [L] final LayerNorm.
 */
import type { GraphBuilder } from "../backend/onnx/graph.js";
import type { CheckpointTensors } from "./checkpoint.js";
import { blocksToBuild, TorchGraph } from "./graphParts.js";

export interface GptNeoxConfig {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nInner: number;
  nPositions: number;
  vocabSize: number;
  layerNormEps: number;
  rotaryDims: number;
  rotaryBase: number;
  parallelResidual: boolean;
  attentionBias: boolean;
}

export function parseGptNeoxConfig(json: Record<string, unknown>, source: string): GptNeoxConfig {
  const int = (key: string): number => {
    const v = json[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (keys: string[], fallback: number, check: (v: number) => boolean, rule: string): number => {
    const key = keys.find((k) => json[k] !== undefined && json[k] !== null);
    const v = key ? json[key] : fallback;
    if (typeof v !== "number" || !check(v))
      throw new Error(`${source}: "${key}" must be ${rule}, got ${JSON.stringify(v)}`);
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
  if (nEmbd % nHead !== 0)
    throw new Error(`${source}: hidden_size (${nEmbd}) is not a multiple of num_attention_heads (${nHead})`);
  const act = json.hidden_act ?? "gelu";
  if (act !== "gelu") throw new Error(`${source}: hidden_act "${String(act)}" is not supported (gelu)`);
  if (json.rope_scaling !== undefined && json.rope_scaling !== null)
    throw new Error(`${source}: rope_scaling is not supported for gpt_neox`);
  // Pythia's field names, or the newer partial_rotary_factor / rope_theta.
  const pct = num(["rotary_pct", "partial_rotary_factor"], 1, (v) => v > 0 && v <= 1, "in (0, 1]");
  const D = nEmbd / nHead;
  const rotaryDims = Math.floor(D * pct);
  if (rotaryDims < 2 || rotaryDims % 2 !== 0)
    throw new Error(`${source}: rotary_pct ${pct} gives ${rotaryDims} rotary dims of ${D}; need an even number ≥ 2`);
  return {
    nLayer: int("num_hidden_layers"),
    nHead,
    nEmbd,
    nInner: int("intermediate_size"),
    nPositions: int("max_position_embeddings"),
    vocabSize: int("vocab_size"),
    layerNormEps: num(["layer_norm_eps"], 1e-5, (v) => v > 0, "a positive number"),
    rotaryDims,
    rotaryBase: num(["rotary_emb_base", "rope_theta"], 10000, (v) => v > 0, "a positive number"),
    parallelResidual: flag("use_parallel_residual", true),
    attentionBias: flag("attention_bias", true),
  };
}

export function buildGptNeoxGraph(c: GptNeoxConfig, w: CheckpointTensors, layers: number[]): GraphBuilder {
  const { nLayer: L, nHead: H, nEmbd: E, nInner: I } = c;
  const D = E / H;
  const t = new TorchGraph("gpt_neox", w);
  const g = t.g;
  const inv = Float64Array.from({ length: c.rotaryDims / 2 }, (_, j) => 1 / c.rotaryBase ** ((2 * j) / c.rotaryDims));
  const rope = t.rotary(inv, c.nPositions, D);
  const ln = (x: string, name: string) => t.layerNorm(x, name, E, c.layerNormEps);
  const slice = (u: string, from: number, to: number) => g.op("Slice", [u, t.ints([from]), t.ints([to]), t.ints([-1])]);
  let x = t.embedding("gpt_neox.embed_in.weight", c.vocabSize, E, "input_ids");
  const outputs = new Map<number, string>([[0, t.fromFirst(x, 1)]]);
  const blocks = blocksToBuild(L, layers, "gpt_neox");
  for (let l = 0; l < blocks; l++) {
    const p = `gpt_neox.layers.${l}`;
    const last = l === blocks - 1; // computes the rows from first_position only
    const qkv = t.heads(
      t.linear(ln(x, `${p}.input_layernorm`), `${p}.attention.query_key_value`, E, 3 * E, c.attentionBias),
      H,
      3 * D,
    ); // [B,H,T,3D]
    const q = rope(slice(qkv, 0, D));
    const k = rope(slice(qkv, D, 2 * D));
    const v = slice(qkv, 2 * D, 3 * D);
    const attended = t.attention(q, k, v, 1 / Math.sqrt(D), H, D, last);
    const attn = t.linear(attended, `${p}.attention.dense`, E, E, c.attentionBias);
    if (last) x = t.fromFirst(x, 1);
    const mlp = (u: string) =>
      t.linear(t.gelu(t.linear(u, `${p}.mlp.dense_h_to_4h`, E, I, true)), `${p}.mlp.dense_4h_to_h`, I, E, true);
    if (c.parallelResidual) x = g.op("Add", [g.op("Add", [x, attn]), mlp(ln(x, `${p}.post_attention_layernorm`))]);
    else {
      x = g.op("Add", [x, attn]);
      x = g.op("Add", [x, mlp(ln(x, `${p}.post_attention_layernorm`))]);
    }
    if (l < L - 1) outputs.set(l + 1, last ? x : t.fromFirst(x, 1));
  }
  if (blocks === L) outputs.set(L, ln(x, "gpt_neox.final_layer_norm"));
  t.checkLayerCount(`gpt_neox.layers.${L}.input_layernorm.weight`, L);
  return t.finish(outputs, layers, E, "gpt_neox");
}

/**
 * OPT forward pass (model_type "opt", the opt-125m … opt-66b layout with word_embed_proj_dim = hidden_size
 * and pre-LN), names as Hugging Face's `OPTForCausalLM` state dict (`model.decoder.layers.{i}.fc1.weight`,
 * …; checkpoints saved without the leading `model.` are read too). Learned positions offset by 2 (row
 * t + 2 for token t), queries scaled by D^-½ with their bias, ReLU MLP, LayerNorm eps 1e-5. Hidden states
 * as `output_hidden_states`: [0] token + position embedding, [i] after block i, [L] final LayerNorm.
 */
import type { GraphBuilder } from "../backend/onnx/graph.js";
import type { CheckpointTensors } from "./checkpoint.js";
import { blocksToBuild, TorchGraph } from "./graphParts.js";

export interface OptConfig {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nInner: number;
  nPositions: number;
  vocabSize: number;
  bias: boolean;
}

/** OPT's learned position table has two extra leading rows that are never used. */
const POSITION_OFFSET = 2;

export function parseOptConfig(json: Record<string, unknown>, source: string): OptConfig {
  const int = (key: string): number => {
    const v = json[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const nEmbd = int("hidden_size");
  const nHead = int("num_attention_heads");
  if (nEmbd % nHead !== 0)
    throw new Error(`${source}: hidden_size (${nEmbd}) is not a multiple of num_attention_heads (${nHead})`);
  const unsupported = (what: string) =>
    new Error(
      `${source}: ${what} is not supported (the opt-125m layout: pre-LN, word_embed_proj_dim = hidden_size, relu)`,
    );
  if ((json.word_embed_proj_dim ?? nEmbd) !== nEmbd)
    throw unsupported(
      `word_embed_proj_dim ${String(json.word_embed_proj_dim)} ≠ hidden_size (project_in/out, opt-350m)`,
    );
  if (json.do_layer_norm_before === false) throw unsupported("do_layer_norm_before false (post-LN)");
  if (json._remove_final_layer_norm === true) throw unsupported("_remove_final_layer_norm true");
  if ((json.activation_function ?? "relu") !== "relu")
    throw unsupported(`activation_function "${String(json.activation_function)}"`);
  if (json.layer_norm_elementwise_affine === false) throw unsupported("layer_norm_elementwise_affine false");
  const bias = json.enable_bias ?? true;
  if (typeof bias !== "boolean")
    throw new Error(`${source}: "enable_bias" must be true or false, got ${JSON.stringify(bias)}`);
  return {
    nLayer: int("num_hidden_layers"),
    nHead,
    nEmbd,
    nInner: int("ffn_dim"),
    nPositions: int("max_position_embeddings"),
    vocabSize: int("vocab_size"),
    bias,
  };
}

export function buildOptGraph(c: OptConfig, w: CheckpointTensors, layers: number[]): GraphBuilder {
  const { nLayer: L, nHead: H, nEmbd: E, nInner: I } = c;
  const D = E / H;
  const prefix = w.has("model.decoder.embed_tokens.weight") ? "model.decoder" : "decoder";
  const t = new TorchGraph("opt", w);
  const g = t.g;
  const ln = (x: string, name: string) => t.layerNorm(x, name, E, 1e-5);
  const shifted = g.op("Add", ["position_ids", t.g.constant("int64", [], [POSITION_OFFSET])]);
  let x = g.op("Add", [
    t.embedding(`${prefix}.embed_tokens.weight`, c.vocabSize, E, "input_ids"),
    t.embedding(`${prefix}.embed_positions.weight`, c.nPositions + POSITION_OFFSET, E, shifted),
  ]);
  const outputs = new Map<number, string>([[0, t.fromFirst(x, 1)]]);
  const blocks = blocksToBuild(L, layers, "opt");
  for (let l = 0; l < blocks; l++) {
    const p = `${prefix}.layers.${l}`;
    const last = l === blocks - 1; // computes the rows from first_position only
    const h = ln(x, `${p}.self_attn_layer_norm`);
    const q = t.heads(t.linear(h, `${p}.self_attn.q_proj`, E, E, c.bias), H, D);
    const k = t.heads(t.linear(h, `${p}.self_attn.k_proj`, E, E, c.bias), H, D);
    const v = t.heads(t.linear(h, `${p}.self_attn.v_proj`, E, E, c.bias), H, D);
    // HF scales q (bias included) by D^-½ before q·kᵀ: the same as scaling the scores.
    const attended = t.attention(q, k, v, D ** -0.5, H, D, last);
    x = g.op("Add", [last ? t.fromFirst(x, 1) : x, t.linear(attended, `${p}.self_attn.out_proj`, E, E, c.bias)]);
    const relu = g.op("Relu", [t.linear(ln(x, `${p}.final_layer_norm`), `${p}.fc1`, E, I, c.bias)]);
    x = g.op("Add", [x, t.linear(relu, `${p}.fc2`, I, E, c.bias)]);
    if (l < L - 1) outputs.set(l + 1, last ? x : t.fromFirst(x, 1));
  }
  if (blocks === L) outputs.set(L, ln(x, `${prefix}.final_layer_norm`));
  t.checkLayerCount(`${prefix}.layers.${L}.fc1.weight`, L);
  return t.finish(outputs, layers, E, "opt");
}

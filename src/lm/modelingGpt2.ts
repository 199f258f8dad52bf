/**
 * GPT-2 forward pass as an ONNX graph built from the checkpoint's weights, run by onnxruntime (CPU, or a
 * CUDA execution provider where one is installed). Returns hidden states with Hugging Face
 * `output_hidden_states=True` semantics: index 0 = token + position embeddings, index i = residual stream
 * after block i, the last index = ln_f applied to the last block's output.
 *
 * Inputs: input_ids [B, T] int64, position_ids [B, T] int64, attention_bias [T, T] (0 where a query may
 * attend, a large negative number elsewhere: the causal mask). Outputs: hidden_<i> [B, T, E] for the
 * requested layers.
 *
 * For generation (`cache: true`), as Hugging Face's past_key_values: inputs past_key_<l>/past_value_<l>
 * [B, H, P, D] are prepended to each block's keys and values, attention_bias is [T, P + T], and the graph
 * also outputs present_key_<l>/present_value_<l> [B, H, P + T, D] and logits [B, vocab] of the last
 * position (ln_f output times the tied token embedding, as GPT2LMHeadModel).
 */
import * as ort from "onnxruntime-node";
import { GraphBuilder, attr } from "../backend/onnx/graph.js";
import type { Gpt2Config } from "./config.js";
import type { Gpt2Weights } from "./weights.js";
import { blocksToBuild, geluErf, geluTanh, hiddenOutputs } from "./graphParts.js";
import {
  causalBias,
  createSession,
  runForward,
  readHidden,
  tokenTensors,
  type ForwardResult,
  type LanguageModelRuntime,
  type SessionOptions,
} from "./runtime.js";

export type { ForwardResult } from "./runtime.js";

/** The paper's layer-0 variant: token embedding only, without position embeddings. */
export type EmbeddingVariant = "token+position" | "token";

export interface Gpt2GraphOptions {
  /** Which hidden states to output (0 … nLayer); default all. */
  layers?: number[];
  embedding?: EmbeddingVariant;
  /** Past keys/values in, present keys/values and last-position logits out (incremental decoding). */
  cache?: boolean;
}

/**
 * Built outside the async create: a suspended async function keeps its register file, stale temporaries
 * included, so weights loaded there would stay reachable (and in memory) while onnxruntime loads its copy.
 */
function graphFromLoader(
  config: Gpt2Config,
  weights: Gpt2Weights | (() => Gpt2Weights),
  options: Gpt2GraphOptions,
): GraphBuilder {
  return buildGpt2Graph(config, typeof weights === "function" ? weights() : weights, options);
}

export function buildGpt2Graph(config: Gpt2Config, w: Gpt2Weights, options: Gpt2GraphOptions = {}): GraphBuilder {
  const { nLayer: L, nHead: H, nEmbd: E, nInner: I } = config;
  const D = E / H;
  const layers = options.layers ?? Array.from({ length: L + 1 }, (_, i) => i);
  const g = new GraphBuilder("gpt2");
  // Weights are shared with the checkpoint's buffers, not copied (they are never mutated).
  const f32 = (dims: number[], data: Float32Array | number[]) => g.constant("float32", dims, data, undefined, true);
  const scalar = (v: number) => f32([], [v]);
  const shape = (dims: number[]) => g.constant("int64", [dims.length], dims);
  g.input("input_ids", "int64", ["batch", "tokens"]);
  g.input("position_ids", "int64", ["batch", "tokens"]);
  const cache = options.cache === true;
  g.input("attention_bias", "float32", ["tokens", cache ? "total" : "tokens"]);
  // Forward graphs return the states of positions first_position … T − 1 only, and their last block computes
  // attention scores, output projection and MLP for those positions alone (its fused query/key/value
  // projection still spans the window): a window read at its last token skips most of that block.
  if (!cache) g.input("first_position", "int64", [1]);
  const fromFirst = (t: string, axis: number) =>
    cache ? t : g.op("Slice", [t, "first_position", shape([Number.MAX_SAFE_INTEGER]), shape([axis])]);
  let bias = "attention_bias";

  const wte = f32([config.vocabSize, E], w.wte);
  const tokens = g.op("Gather", [wte, "input_ids"], { axis: attr.int(0) });
  const positions = g.op("Gather", [f32([config.nPositions, E], w.wpe), "position_ids"], { axis: attr.int(0) });
  let x = g.op("Add", [tokens, positions]);
  const outputs = new Map<number, string>();
  // Layer 0 as the paper's variant (token embedding only) or Hugging Face's (token + position).
  outputs.set(0, fromFirst(options.embedding === "token" ? tokens : x, 1));

  const layerNorm = (input: string, p: { weight: Float32Array; bias: Float32Array }) =>
    g.op("LayerNormalization", [input, f32([E], p.weight), f32([E], p.bias)], {
      axis: attr.int(-1),
      epsilon: attr.float(config.layerNormEpsilon),
    });
  const linear = (input: string, weight: Float32Array, bias: Float32Array, inDim: number, outDim: number) =>
    g.op("Add", [g.op("MatMul", [input, f32([inDim, outDim], weight)]), f32([outDim], bias)]);
  const sliceLast = (input: string, start: number, end: number) =>
    g.op("Slice", [input, shape([start]), shape([end]), shape([-1])]);
  // The block's parameters by their checkpoint names (h.<l>.ln_1, h.<l>.attn.c_attn, …).
  const blockParams = (prefix: string) => {
    const m = /^h\.(\d+)\.(.+)$/.exec(prefix);
    const b = m ? w.blocks[Number(m[1])] : undefined;
    if (!m || !b) throw new Error(`GPT-2 graph: no parameters named ${prefix}`);
    return { b, part: m[2] };
  };
  const linears: Record<string, (b: Gpt2Weights["blocks"][number]) => [Float32Array, Float32Array, number, number]> = {
    "attn.c_attn": (b) => [b.attnW, b.attnB, E, 3 * E],
    "attn.c_proj": (b) => [b.attnProjW, b.attnProjB, E, E],
    "mlp.c_fc": (b) => [b.fcW, b.fcB, E, I],
    "mlp.c_proj": (b) => [b.fcProjW, b.fcProjB, I, E],
  };
  const transpose = (t: string, perm: number[]) => g.op("Transpose", [t], { perm: attr.ints(perm) });
  const ops: Gpt2BlockOps = {
    layerNorm: (input, prefix) => {
      const { b, part } = blockParams(prefix);
      return layerNorm(input, part === "ln_1" ? b.ln1 : b.ln2);
    },
    linear: (input, prefix) => {
      const { b, part } = blockParams(prefix);
      return linear(input, ...linears[part](b));
    },
    sliceLast,
    heads: (t) => transpose(g.op("Reshape", [t, shape([0, 0, H, D])]), [0, 2, 1, 3]),
    mergeHeads: (t) => g.op("Reshape", [transpose(t, [0, 2, 1, 3]), shape([0, 0, E])]),
    transpose,
    matmul: (a, b) => g.op("MatMul", [a, b]),
    maskedScores: (qk, scale) => g.op("Add", [g.op("Mul", [qk, scalar(scale)]), bias]),
    softmax: (t) => g.op("Softmax", [t], { axis: attr.int(-1) }),
    add: (a, b) => g.op("Add", [a, b]),
    gelu: (t, kind) => (kind === "tanh" ? geluTanh(g, t) : geluErf(g, t)),
    keysValues: cache
      ? (l, k, v) => {
          for (const kind of ["key", "value"] as const)
            g.input(`past_${kind}_${l}`, "float32", ["batch", H, "past", D]);
          const present = {
            k: g.op("Concat", [`past_key_${l}`, k], { axis: attr.int(2) }, `present_key_${l}`),
            v: g.op("Concat", [`past_value_${l}`, v], { axis: attr.int(2) }, `present_value_${l}`),
          };
          for (const kind of ["key", "value"] as const)
            g.output(`present_${kind}_${l}`, "float32", ["batch", H, "total", D]);
          return present;
        }
      : undefined,
  };

  // Generation needs the last block's logits; otherwise stop at the deepest layer asked for.
  const blocks = cache ? L : blocksToBuild(L, layers, "GPT-2");
  for (let l = 0; l < blocks; l++) {
    const last = l === blocks - 1 && !cache;
    // The mask's rows follow the queries: the last block's rows from first_position on.
    if (last) bias = fromFirst("attention_bias", 0);
    x = gpt2Block(ops, config, x, l, last ? fromFirst : undefined);
    if (l < L - 1) outputs.set(l + 1, last ? x : fromFirst(x, 1));
  }
  if (blocks === L) outputs.set(L, layerNorm(x, w.lnF));
  if (cache) {
    // Logits of the last position only: [B, E] × wteᵀ (the LM head is tied to the token embedding).
    const last = g.op("Reshape", [
      g.op("Slice", [outputs.get(L)!, shape([-1]), shape([Number.MAX_SAFE_INTEGER]), shape([1])]),
      shape([-1, E]),
    ]);
    g.op("Gemm", [last, wte], { transB: attr.int(1) }, "logits");
    g.output("logits", "float32", ["batch", config.vocabSize]);
  }

  return hiddenOutputs(g, outputs, layers, E, "GPT-2");
}

/**
 * The operations a GPT-2 block is written in, on an inference graph (buildGpt2Graph) or on a training tape
 * (finetune/gpt2TrainingGraph.ts): one block recipe, gpt2Block, for both. Parameters go by their checkpoint
 * names (h.<l>.ln_1, h.<l>.attn.c_attn, h.<l>.attn.c_proj, h.<l>.ln_2, h.<l>.mlp.c_fc, h.<l>.mlp.c_proj).
 */
export interface Gpt2BlockOps {
  layerNorm(x: string, prefix: string): string;
  /** x·W + b with the Conv1D layout of GPT-2's checkpoints (W is [in, out]). */
  linear(x: string, prefix: string): string;
  sliceLast(x: string, start: number, end: number): string;
  /** [B, T, E] → [B, H, T, D]. */
  heads(x: string): string;
  /** [B, H, T, D] → [B, T, E]. */
  mergeHeads(x: string): string;
  transpose(x: string, perm: number[]): string;
  matmul(a: string, b: string): string;
  /** q·kᵀ times the attention scale, plus the causal mask (0 where a query may attend, −∞-like elsewhere). */
  maskedScores(qk: string, scale: number): string;
  softmax(x: string): string;
  add(a: string, b: string): string;
  gelu(x: string, kind: "tanh" | "erf"): string;
  /** Incremental decoding: the keys and values attended to, past ones included ([B, H, P + T, D]). */
  keysValues?(layer: number, k: string, v: string): { k: string; v: string };
}

/**
 * Hugging Face's attention scale of block l: 1/√D unless scale_attn_weights is false, times 1/(l + 1) with
 * scale_attn_by_inverse_layer_idx (reorder_and_upcast_attn only changes the order of float32 work).
 */
export function gpt2AttentionScale(config: Gpt2Config, l: number): number {
  const D = config.nEmbd / config.nHead;
  return (config.scaleAttnWeights ? 1 / Math.sqrt(D) : 1) / (config.scaleAttnByInverseLayerIdx ? l + 1 : 1);
}

/**
 * Block l of GPT-2 (pre-LayerNorm attention and MLP, each added to the residual stream x): the new stream.
 * `queries(t, axis)`, when given, keeps the positions whose outputs are wanted (along t's token axis): their
 * queries attend to every position's keys and values, and the rest of the block runs on them alone (the
 * caller's mask must have the same rows).
 */
export function gpt2Block(
  ops: Gpt2BlockOps,
  config: Gpt2Config,
  x: string,
  l: number,
  queries?: (t: string, axis: number) => string,
): string {
  const E = config.nEmbd;
  const h = `h.${l}`;
  const qkv = ops.linear(ops.layerNorm(x, `${h}.ln_1`), `${h}.attn.c_attn`);
  let q = ops.heads(ops.sliceLast(qkv, 0, E)); // [B,H,T,D]
  if (queries) q = queries(q, 2);
  let k = ops.heads(ops.sliceLast(qkv, E, 2 * E));
  let v = ops.heads(ops.sliceLast(qkv, 2 * E, 3 * E));
  if (ops.keysValues) ({ k, v } = ops.keysValues(l, k, v));
  const scores = ops.maskedScores(ops.matmul(q, ops.transpose(k, [0, 1, 3, 2])), gpt2AttentionScale(config, l));
  const context = ops.matmul(ops.softmax(scores), v); // [B,H,T,D]
  const attended = ops.add(queries ? queries(x, 1) : x, ops.linear(ops.mergeHeads(context), `${h}.attn.c_proj`));
  const act = ops.gelu(
    ops.linear(ops.layerNorm(attended, `${h}.ln_2`), `${h}.mlp.c_fc`),
    config.activation === "gelu_new" ? "tanh" : "erf",
  );
  return ops.add(attended, ops.linear(act, `${h}.mlp.c_proj`));
}

/** Keys and values of every block for the tokens seen so far ([B, H, length, D] each). */
export interface KvCache {
  batch: number;
  length: number;
  key: ort.Tensor[];
  value: ort.Tensor[];
}

/** A compiled GPT-2 on onnxruntime. */
export class Gpt2Runtime implements LanguageModelRuntime {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly config: Gpt2Config,
    readonly layers: number[],
    private readonly cached: boolean,
  ) {}

  static async create(
    config: Gpt2Config,
    weights: Gpt2Weights | (() => Gpt2Weights),
    options: Gpt2GraphOptions & SessionOptions = {},
  ): Promise<Gpt2Runtime> {
    const layers = options.layers ?? Array.from({ length: config.nLayer + 1 }, (_, i) => i);
    const model = graphFromLoader(config, weights, { ...options, layers });
    const session = await createSession(model, options);
    return new Gpt2Runtime(session, config, layers, options.cache === true);
  }

  /**
   * Runs a batch of equally long token sequences (positions 0 … T−1 each) and returns the states of
   * positions `from` … T−1 (default all). A window read at its last token (from = T − 1) skips the last
   * block's work for the other positions: GPT-2-small shape, 1,024 tokens, in pairs: see README.
   */
  async forward(batch: ArrayLike<number>[], from = 0): Promise<ForwardResult> {
    if (this.cached) throw new Error("GPT-2 forward: this runtime was built for incremental decoding; use step()");
    return runForward(this.session, this.config, this.layers, batch, from);
  }

  /**
   * One incremental-decoding step (runtimes created with `cache: true`): new tokens [B, T] at positions
   * P … P+T−1 after the P cached ones (P = 0: the prompt). Returns their hidden states, the logits of the
   * last position and the grown cache.
   */
  async step(
    batch: ArrayLike<number>[],
    past: KvCache | null,
  ): Promise<ForwardResult & { logits: Float32Array; cache: KvCache }> {
    if (!this.cached)
      throw new Error("GPT-2 step: this runtime was built without a key/value cache (create it with cache: true)");
    const P = past?.length ?? 0;
    const { ids, pos, B, T } = tokenTensors(batch, P, this.config);
    if (past && past.batch !== B) throw new Error(`GPT-2 step: ${B} sequences for a cache of ${past.batch}`);
    const { nLayer: L, nHead: H, nEmbd: E } = this.config;
    const feeds: Record<string, ort.Tensor> = { input_ids: ids, position_ids: pos, attention_bias: causalBias(T, P) };
    const empty = () => new ort.Tensor("float32", new Float32Array(0), [B, H, 0, E / H]);
    for (let l = 0; l < L; l++) {
      feeds[`past_key_${l}`] = past?.key[l] ?? empty();
      feeds[`past_value_${l}`] = past?.value[l] ?? empty();
    }
    const out = await this.session.run(feeds);
    const hidden = readHidden(out, this.layers);
    const cache: KvCache = { batch: B, length: P + T, key: [], value: [] };
    for (let l = 0; l < L; l++) {
      cache.key.push(out[`present_key_${l}`]);
      cache.value.push(out[`present_value_${l}`]);
    }
    return { hidden, batch: B, tokens: T, from: 0, logits: out.logits.data as Float32Array, cache };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

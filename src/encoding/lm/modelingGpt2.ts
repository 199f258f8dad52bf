/**
 * GPT-2 forward pass as an ONNX graph built from the checkpoint's weights, run by onnxruntime (CPU, or a
 * CUDA execution provider where one is installed). Returns hidden states with Hugging Face
 * `output_hidden_states=True` semantics: index 0 = token + position embeddings, index i = residual stream
 * after block i, the last index = ln_f applied to the last block's output.
 *
 * Inputs: input_ids [B, T] int64, position_ids [B, T] int64, attention_bias [T, T] (0 where a query may
 * attend, a large negative number elsewhere: the causal mask). Outputs: hidden_<i> [B, T, E] for the
 * requested layers.
 */
import * as ort from "onnxruntime-node";
import { GraphBuilder, attr } from "../../backend/onnx/graph.js";
import type { Gpt2Config } from "./config.js";
import type { Gpt2Weights } from "./weights.js";

/** The paper's layer-0 variant: token embedding only, without position embeddings. */
export type EmbeddingVariant = "token+position" | "token";

export interface Gpt2GraphOptions {
  /** Which hidden states to output (0 … nLayer); default all. */
  layers?: number[];
  embedding?: EmbeddingVariant;
}

export function buildGpt2Graph(config: Gpt2Config, w: Gpt2Weights, options: Gpt2GraphOptions = {}): Uint8Array {
  const { nLayer: L, nHead: H, nEmbd: E, nInner: I } = config;
  const D = E / H;
  const layers = options.layers ?? Array.from({ length: L + 1 }, (_, i) => i);
  const g = new GraphBuilder("gpt2");
  const f32 = (dims: number[], data: Float32Array | number[]) => g.constant("float32", dims, data);
  const scalar = (v: number) => f32([], [v]);
  const shape = (dims: number[]) => g.constant("int64", [dims.length], dims);
  g.input("input_ids", "int64", ["batch", "tokens"]);
  g.input("position_ids", "int64", ["batch", "tokens"]);
  g.input("attention_bias", "float32", ["tokens", "tokens"]);

  const tokens = g.op("Gather", [f32([config.vocabSize, E], w.wte), "input_ids"], { axis: attr.int(0) });
  const positions = g.op("Gather", [f32([config.nPositions, E], w.wpe), "position_ids"], { axis: attr.int(0) });
  let x = g.op("Add", [tokens, positions]);
  const outputs = new Map<number, string>();
  // Layer 0 as the paper's variant (token embedding only) or Hugging Face's (token + position).
  outputs.set(0, options.embedding === "token" ? tokens : x);

  const layerNorm = (input: string, p: { weight: Float32Array; bias: Float32Array }) =>
    g.op("LayerNormalization", [input, f32([E], p.weight), f32([E], p.bias)], { axis: attr.int(-1), epsilon: attr.float(config.layerNormEpsilon) });
  const linear = (input: string, weight: Float32Array, bias: Float32Array, inDim: number, outDim: number) =>
    g.op("Add", [g.op("MatMul", [input, f32([inDim, outDim], weight)]), f32([outDim], bias)]);
  const sliceLast = (input: string, start: number, end: number) => g.op("Slice", [input, shape([start]), shape([end]), shape([-1])]);
  // Hugging Face's attention scale: 1/√D unless scale_attn_weights is false, times 1/(layer + 1) with
  // scale_attn_by_inverse_layer_idx (reorder_and_upcast_attn only changes the order of float32 work).
  const attnScale = (l: number) => scalar((config.scaleAttnWeights ? 1 / Math.sqrt(D) : 1) / (config.scaleAttnByInverseLayerIdx ? l + 1 : 1));

  for (let l = 0; l < L; l++) {
    const b = w.blocks[l];
    const qkv = linear(layerNorm(x, b.ln1), b.attnW, b.attnB, E, 3 * E);
    const heads = (t: string) => g.op("Reshape", [t, shape([0, 0, H, D])]);
    const q = g.op("Transpose", [heads(sliceLast(qkv, 0, E))], { perm: attr.ints([0, 2, 1, 3]) }); // [B,H,T,D]
    const kT = g.op("Transpose", [heads(sliceLast(qkv, E, 2 * E))], { perm: attr.ints([0, 2, 3, 1]) }); // [B,H,D,T]
    const v = g.op("Transpose", [heads(sliceLast(qkv, 2 * E, 3 * E))], { perm: attr.ints([0, 2, 1, 3]) });
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, kT]), attnScale(l)]), "attention_bias"]);
    const context = g.op("MatMul", [g.op("Softmax", [scores], { axis: attr.int(-1) }), v]); // [B,H,T,D]
    const merged = g.op("Reshape", [g.op("Transpose", [context], { perm: attr.ints([0, 2, 1, 3]) }), shape([0, 0, E])]);
    x = g.op("Add", [x, linear(merged, b.attnProjW, b.attnProjB, E, E)]);
    const hidden = linear(layerNorm(x, b.ln2), b.fcW, b.fcB, E, I);
    const act = config.activation === "gelu_new" ? geluTanh(g, hidden) : geluErf(g, hidden);
    x = g.op("Add", [x, linear(act, b.fcProjW, b.fcProjB, I, E)]);
    if (l < L - 1) outputs.set(l + 1, x);
  }
  outputs.set(L, layerNorm(x, w.lnF));

  for (const layer of layers) {
    const name = outputs.get(layer);
    if (name === undefined) throw new Error(`GPT-2: layer ${layer} does not exist (0 … ${L})`);
    g.op("Identity", [name], {}, `hidden_${layer}`);
    g.output(`hidden_${layer}`, "float32", ["batch", "tokens", E]);
  }
  return g.toModel();
}

/** gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's activation. */
function geluTanh(g: GraphBuilder, x: string): string {
  const c = (v: number) => g.constant("float32", [], [v]);
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
  const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))]);
  return g.op("Mul", [g.op("Mul", [x, c(0.5)]), g.op("Add", [g.op("Tanh", [inner]), c(1)])]);
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
function geluErf(g: GraphBuilder, x: string): string {
  const c = (v: number) => g.constant("float32", [], [v]);
  return g.op("Mul", [g.op("Mul", [x, c(0.5)]), g.op("Add", [g.op("Erf", [g.op("Mul", [x, c(Math.SQRT1_2)])]), c(1)])]);
}

export interface ForwardResult {
  /** hidden[layer] = Float32Array [B × T × E] */
  hidden: Map<number, Float32Array>;
  batch: number;
  tokens: number;
}

/** A compiled GPT-2 on onnxruntime. */
export class Gpt2Runtime {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly config: Gpt2Config,
    readonly layers: number[],
  ) {}

  static async create(
    config: Gpt2Config,
    weights: Gpt2Weights,
    options: Gpt2GraphOptions & { executionProviders?: string[]; intraOpNumThreads?: number } = {},
  ): Promise<Gpt2Runtime> {
    const layers = options.layers ?? Array.from({ length: config.nLayer + 1 }, (_, i) => i);
    const model = buildGpt2Graph(config, weights, { ...options, layers });
    const session = await ort.InferenceSession.create(model, {
      executionProviders: options.executionProviders ?? ["cpu"],
      intraOpNumThreads: options.intraOpNumThreads ?? 0,
      graphOptimizationLevel: "all",
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
    return new Gpt2Runtime(session, config, layers);
  }

  /** Runs a batch of equally long token sequences (positions 0 … T−1 each). */
  async forward(batch: ArrayLike<number>[]): Promise<ForwardResult> {
    const B = batch.length;
    const T = batch[0]?.length ?? 0;
    if (B === 0 || T === 0) throw new Error("GPT-2 forward: empty batch");
    if (T > this.config.nPositions) throw new Error(`GPT-2 forward: ${T} tokens exceed the model's ${this.config.nPositions} positions`);
    const ids = new BigInt64Array(B * T);
    const pos = new BigInt64Array(B * T);
    batch.forEach((seq, b) => {
      if (seq.length !== T) throw new Error("GPT-2 forward: sequences in a batch must have equal length");
      for (let t = 0; t < T; t++) {
        const id = seq[t];
        if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) throw new Error(`GPT-2 forward: token id ${id} outside the vocabulary`);
        ids[b * T + t] = BigInt(id);
        pos[b * T + t] = BigInt(t);
      }
    });
    const bias = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) bias[i * T + j] = -1e9;
    const out = await this.session.run({
      input_ids: new ort.Tensor("int64", ids, [B, T]),
      position_ids: new ort.Tensor("int64", pos, [B, T]),
      attention_bias: new ort.Tensor("float32", bias, [T, T]),
    });
    const hidden = new Map<number, Float32Array>();
    for (const l of this.layers) hidden.set(l, out[`hidden_${l}`].data as Float32Array);
    return { hidden, batch: B, tokens: T };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

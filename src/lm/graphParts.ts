/**
 * Graph pieces shared by the modeling files of torch-layout checkpoints (Llama/Qwen2, GPT-NeoX, OPT):
 * nn.Linear ([out, in] weights), LayerNorm, RMSNorm, rotary embeddings (full or partial, rotate_half
 * pairs), head split/merge and causal softmax attention, and the hidden_<l> outputs. Each modeling file
 * stays a readable description of its architecture.
 */
import { GraphBuilder, attr } from "../backend/onnx/graph.js";
import type { CheckpointTensors } from "./checkpoint.js";

/**
 * Blocks a forward pass must build to output `layers` of an L-block model: up to the deepest one asked
 * for (L when the final norm's output, layer L, is wanted). Blocks past it cannot change the states asked
 * for, and onnxruntime runs them all the same when they are in the graph (the syntactic alternatives read
 * layer 8 of 12: a third of their work). Refuses a layer the model does not have.
 */
export function blocksToBuild(L: number, layers: number[], family: string): number {
  for (const l of layers)
    if (!Number.isInteger(l) || l < 0 || l > L) throw new Error(`${family}: layer ${l} does not exist (0 … ${L})`);
  return layers.length === 0 ? L : Math.max(...layers);
}

export class TorchGraph {
  readonly g: GraphBuilder;

  constructor(
    name: string,
    readonly w: CheckpointTensors,
  ) {
    this.g = new GraphBuilder(name);
    this.g.input("input_ids", "int64", ["batch", "tokens"]);
    this.g.input("position_ids", "int64", ["batch", "tokens"]);
    this.g.input("attention_bias", "float32", ["tokens", "tokens"]);
    // The states of positions first_position … T − 1 are returned, and the last block computes only their
    // rows past its keys and values (GPT-2's modeling file does the same; see its forward).
    this.g.input("first_position", "int64", [1]);
  }

  /** t's positions first_position … T − 1 along its token axis. */
  fromFirst(t: string, axis: number): string {
    return this.g.op("Slice", [t, "first_position", this.ints([Number.MAX_SAFE_INTEGER]), this.ints([axis])]);
  }

  /** float32 constants share the caller's memory (checkpoint weights are never mutated). */
  f32(dims: number[], data: Float32Array | number[]): string {
    return this.g.constant("float32", dims, data, undefined, true);
  }

  ints(v: number[]): string {
    return this.g.constant("int64", [v.length], v);
  }

  /** Rows of an embedding table gathered by an index input ([B, T] → [B, T, E]). */
  embedding(name: string, rows: number, E: number, index: "input_ids" | "position_ids" | string): string {
    return this.g.op("Gather", [this.f32([rows, E], this.w.get(name, [rows, E])), index], { axis: attr.int(0) });
  }

  /**
   * torch nn.Linear: y = x·Wᵀ (+ b), W stored [out, in]. The transpose is a graph node on the checkpoint's
   * own buffer, which onnxruntime folds into the weight once at load: no transposed copy is held in
   * JavaScript beside the checkpoint (that copy made a 5.7 GB model peak at 2.8× its weights).
   */
  linear(x: string, name: string, inDim: number, outDim: number, bias: boolean): string {
    const wt = this.f32([outDim, inDim], this.w.get(`${name}.weight`, [outDim, inDim]));
    const y = this.g.op("MatMul", [x, this.g.op("Transpose", [wt], { perm: attr.ints([1, 0]) })]);
    return bias ? this.g.op("Add", [y, this.f32([outDim], this.w.get(`${name}.bias`, [outDim]))]) : y;
  }

  layerNorm(x: string, name: string, E: number, eps: number): string {
    return this.g.op(
      "LayerNormalization",
      [x, this.f32([E], this.w.get(`${name}.weight`, [E])), this.f32([E], this.w.get(`${name}.bias`, [E]))],
      { axis: attr.int(-1), epsilon: attr.float(eps) },
    );
  }

  /** x / √(mean(x²) + eps) · w (no mean subtraction, no bias). */
  rmsNorm(x: string, name: string, E: number, eps: number): string {
    const g = this.g;
    const ms = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [ms, this.f32([], [eps])])])]);
    return g.op("Mul", [g.op("Mul", [x, inv]), this.f32([E], this.w.get(`${name}.weight`, [E]))]);
  }

  /** [B, T, n·D] → [B, n, T, D]. */
  heads(x: string, n: number, D: number): string {
    return this.g.op("Transpose", [this.g.op("Reshape", [x, this.ints([0, 0, n, D])])], {
      perm: attr.ints([0, 2, 1, 3]),
    });
  }

  /**
   * Rotary embedding of the first r of D dims of u [B, n, T, D] (r = D: all), pairs (j, j + r/2):
   * u·cos + rotate_half(u)·sin with rotate_half(u) = cat(−u[r/2:r], u[0:r/2]); dims r … D − 1 pass through.
   */
  rotary(inverseFrequencies: Float64Array, nPositions: number, D: number): (u: string) => string {
    const g = this.g;
    const r = 2 * inverseFrequencies.length;
    const cosT = new Float32Array(nPositions * r);
    const sinT = new Float32Array(nPositions * r);
    for (let p = 0; p < nPositions; p++) {
      for (let j = 0; j < r; j++) {
        const a = p * inverseFrequencies[j % (r / 2)];
        cosT[p * r + j] = Math.cos(a);
        sinT[p * r + j] = Math.sin(a);
      }
    }
    const table = (t: Float32Array) =>
      g.op("Unsqueeze", [
        g.op("Gather", [this.f32([nPositions, r], t), "position_ids"], { axis: attr.int(0) }),
        this.ints([1]),
      ]); // [B,1,T,r]
    const cos = table(cosT);
    const sin = table(sinT);
    const slice = (u: string, from: number, to: number) =>
      g.op("Slice", [u, this.ints([from]), this.ints([to]), this.ints([-1])]);
    return (u: string) => {
      const part = r === D ? u : slice(u, 0, r);
      const rotated = g.op("Concat", [g.op("Neg", [slice(part, r / 2, r)]), slice(part, 0, r / 2)], {
        axis: attr.int(-1),
      });
      const out = g.op("Add", [g.op("Mul", [part, cos]), g.op("Mul", [rotated, sin])]);
      return r === D ? out : g.op("Concat", [out, slice(u, r, D)], { axis: attr.int(-1) });
    };
  }

  /**
   * Key/value heads repeated for grouped-query attention: [B, KV, T, D] → [B, H, T, D] (g serves g·rep … g·rep + rep −
   * 1).
   */
  repeatKv(x: string, H: number, KV: number, D: number): string {
    if (H === KV) return x;
    const g = this.g;
    return g.op("Reshape", [
      g.op("Tile", [g.op("Unsqueeze", [x, this.ints([2])]), this.ints([1, 1, H / KV, 1, 1])]),
      this.ints([0, H, -1, D]),
    ]);
  }

  /**
   * softmax(q·kᵀ·scale + causal mask)·v over [B, H, T, D] heads, merged back to [B, T, H·D]; with
   * `fromFirst`, only the queries (and mask rows) of positions first_position on: [B, T − first, H·D].
   */
  attention(q: string, k: string, v: string, scale: number, H: number, D: number, fromFirst = false): string {
    const g = this.g;
    const kT = g.op("Transpose", [k], { perm: attr.ints([0, 1, 3, 2]) });
    const qs = fromFirst ? this.fromFirst(q, 2) : q;
    const bias = fromFirst ? this.fromFirst("attention_bias", 0) : "attention_bias";
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [qs, kT]), this.f32([], [scale])]), bias]);
    const ctx = g.op("MatMul", [g.op("Softmax", [scores], { axis: attr.int(-1) }), v]);
    return g.op("Reshape", [g.op("Transpose", [ctx], { perm: attr.ints([0, 2, 1, 3]) }), this.ints([0, 0, H * D])]);
  }

  gelu(x: string): string {
    return geluErf(this.g, x);
  }

  /** hidden_<l> outputs for the requested layers; `outputs` maps layer → tensor (0 … L). */
  finish(outputs: Map<number, string>, layers: number[], E: number, family: string): GraphBuilder {
    return hiddenOutputs(this.g, outputs, layers, E, family);
  }

  /** Refuses checkpoints with more layers than config.json declares (the tensor of layer L exists). */
  checkLayerCount(extraLayerTensor: string, L: number): void {
    if (this.w.has(extraLayerTensor))
      throw new Error(`${this.w.files.join(", ")}: holds more layers than config.json's num_hidden_layers = ${L}`);
  }
}

/** hidden_<l> outputs [batch, tokens, E] for the requested layers; `outputs` maps layer → tensor (0 … L). */
export function hiddenOutputs(
  g: GraphBuilder,
  outputs: Map<number, string>,
  layers: number[],
  E: number,
  family: string,
): GraphBuilder {
  const L = outputs.size - 1;
  for (const layer of layers) {
    const name = outputs.get(layer);
    if (name === undefined) throw new Error(`${family}: layer ${layer} does not exist (0 … ${L})`);
    g.op("Identity", [name], {}, `hidden_${layer}`);
    g.output(`hidden_${layer}`, "float32", ["batch", "tokens", E]);
  }
  return g;
}

/** gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's activation. */
export function geluTanh(g: GraphBuilder, x: string): string {
  const c = (v: number) => g.constant("float32", [], [v]);
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
  const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))]);
  return g.op("Mul", [g.op("Mul", [x, c(0.5)]), g.op("Add", [g.op("Tanh", [inner]), c(1)])]);
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
export function geluErf(g: GraphBuilder, x: string): string {
  const c = (v: number) => g.constant("float32", [], [v]);
  return g.op("Mul", [g.op("Mul", [x, c(0.5)]), g.op("Add", [g.op("Erf", [g.op("Mul", [x, c(Math.SQRT1_2)])]), c(1)])]);
}

/**
 * The GPT-2 training graph: the forward of modelingGpt2.ts written on the autodiff tape, the paper's
 * objective (next-token cross-entropy + λ · auxiliary loss of a linear head on the last hidden state
 * against a frozen model's state further ahead) and the gradient of every parameter — one onnxruntime
 * session per batch shape.
 *
 * Parameters are graph inputs named by their checkpoint keys (wte.weight, h.0.attn.c_attn.weight, …,
 * head.weight, head.bias), so the optimizer updates plain Float32Arrays between steps. The embedding
 * lookups are not differentiated in the graph: it outputs the gradient of the embedding sum
 * (grad_embeddings [B, T, E]) and the trainer adds its rows into wte and wpe (a scatter-add in JS is
 * exact and costs B·T·E additions).
 *
 * Inputs: input_ids, position_ids [B, T] int64; lm_labels [B·T] int64 and lm_weights [B·T] (1/count on
 * predicted positions, 0 elsewhere); with an auxiliary head, aux_target [B·T, E] and aux_weights [B·T].
 * Outputs: loss, ce, aux (scalars) and, with gradients, grad_<parameter> (every parameter used beyond the
 * embedding lookups) and grad_embeddings.
 */
import type { GraphBuilder } from "../backend/onnx/graph.js";
import type { Gpt2Config } from "../lm/config.js";
import { Tape } from "./autodiff.js";
import { gpt2Block, type Gpt2BlockOps } from "../lm/modelingGpt2.js";

export type AuxLoss = "mse" | "cosine";

export interface TrainingGraphOptions {
  batch: number;
  tokens: number;
  /** Weight λ of the auxiliary loss; 0 or undefined: language modelling only (no head). */
  auxWeight?: number;
  auxLoss?: AuxLoss;
  /** false: loss terms only (held-out evaluation). */
  gradients?: boolean;
}

/** Names and shapes of the trainable tensors, in a fixed order (the checkpoint's keys; head last). */
export function gpt2ParameterShapes(config: Gpt2Config, withHead: boolean): [string, number[]][] {
  const { nEmbd: E, nInner: I, nLayer: L } = config;
  const out: [string, number[]][] = [
    ["wte.weight", [config.vocabSize, E]],
    ["wpe.weight", [config.nPositions, E]],
  ];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}`;
    out.push(
      [`${h}.ln_1.weight`, [E]],
      [`${h}.ln_1.bias`, [E]],
      [`${h}.attn.c_attn.weight`, [E, 3 * E]],
      [`${h}.attn.c_attn.bias`, [3 * E]],
      [`${h}.attn.c_proj.weight`, [E, E]],
      [`${h}.attn.c_proj.bias`, [E]],
      [`${h}.ln_2.weight`, [E]],
      [`${h}.ln_2.bias`, [E]],
      [`${h}.mlp.c_fc.weight`, [E, I]],
      [`${h}.mlp.c_fc.bias`, [I]],
      [`${h}.mlp.c_proj.weight`, [I, E]],
      [`${h}.mlp.c_proj.bias`, [E]],
    );
  }
  out.push(["ln_f.weight", [E]], ["ln_f.bias", [E]]);
  if (withHead) out.push(["head.weight", [E, E]], ["head.bias", [E]]);
  return out;
}

/** The loss and gradient graph of a GPT-2 (see the file comment for inputs and outputs). */
export function buildGpt2TrainingGraph(config: Gpt2Config, options: TrainingGraphOptions): GraphBuilder {
  const { batch: B, tokens: T } = options;
  const { nLayer: L, nHead: H, nEmbd: E } = config;
  if (T > config.nPositions)
    throw new Error(`training graph: ${T} tokens exceed the model's ${config.nPositions} positions`);
  const D = E / H;
  const N = B * T;
  const withHead = (options.auxWeight ?? 0) > 0;
  const tape = new Tape("gpt2_training");
  const g = tape.g;
  const params = new Map(gpt2ParameterShapes(config, withHead).map(([name, shape]) => [name, tape.param(name, shape)]));
  const p = (name: string) => params.get(name)!;

  const ids = tape.input("input_ids", "int64", [B, T]);
  const pos = tape.input("position_ids", "int64", [B, T]);
  const embedded = g.op("Add", [g.op("Gather", [p("wte.weight"), ids]), g.op("Gather", [p("wpe.weight"), pos])]);
  let x = tape.leaf(embedded, [B, T, E]);

  // Causal mask as a constant: this graph serves one sequence length.
  const mask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
  const causal = g.constant("float32", [T, T], mask);
  const linear = (input: string, prefix: string) =>
    tape.add(tape.matmul(input, p(`${prefix}.weight`)), p(`${prefix}.bias`));
  const ln = (input: string, prefix: string) =>
    tape.layerNorm(input, p(`${prefix}.weight`), p(`${prefix}.bias`), config.layerNormEpsilon);
  const ops: Gpt2BlockOps = {
    layerNorm: ln,
    linear,
    sliceLast: (t, start, end) => tape.sliceLast(t, start, end),
    heads: (t) => tape.transpose(tape.reshape(t, [B, T, H, D]), [0, 2, 1, 3]),
    mergeHeads: (t) => tape.reshape(tape.transpose(t, [0, 2, 1, 3]), [B, T, E]),
    transpose: (t, perm) => tape.transpose(t, perm),
    matmul: (a, b) => tape.matmul(a, b),
    maskedScores: (qk, scale) => tape.add(tape.scale(qk, scale), tape.raw("Identity", [causal], [T, T])),
    softmax: (t) => tape.softmax(t),
    add: (a, b) => tape.add(a, b),
    gelu: (t, kind) => tape.gelu(t, kind),
  };
  for (let l = 0; l < L; l++) x = gpt2Block(ops, config, x, l);
  const last = tape.reshape(ln(x, "ln_f"), [N, E]);

  const logits = tape.matmulTransB(last, p("wte.weight")); // tied LM head
  const ce = tape.crossEntropy(logits, tape.input("lm_labels", "int64", [N]), tape.input("lm_weights", "float32", [N]));
  let loss = ce;
  let aux: string | undefined;
  if (withHead) {
    const headOut = tape.add(tape.matmul(last, p("head.weight")), p("head.bias"));
    const target = tape.input("aux_target", "float32", [N, E]);
    const weights = tape.input("aux_weights", "float32", [N]);
    aux =
      options.auxLoss === "cosine"
        ? tape.weightedCosineDistance(headOut, target, weights)
        : tape.weightedSquaredError(headOut, target, weights);
    loss = tape.add(ce, tape.scale(aux, options.auxWeight!));
  }
  g.op("Identity", [loss], {}, "loss");
  g.op("Identity", [ce], {}, "ce");
  g.op(aux ? "Identity" : "Mul", aux ? [aux] : [ce, tape.scalar(0)], {}, "aux");
  for (const name of ["loss", "ce", "aux"]) g.output(name, "float32", []);
  if (options.gradients === false) return g;

  const grads = tape.gradients(loss, [...params.values(), embedded]);
  for (const [name, shape] of gpt2ParameterShapes(config, withHead)) {
    const grad = grads.get(p(name));
    // wpe's only use is the embedding lookup, whose gradient the trainer scatters: no output for it.
    if (grad === undefined) continue;
    g.op("Identity", [grad], {}, `grad_${name}`);
    g.output(`grad_${name}`, "float32", shape);
  }
  g.op("Identity", [grads.get(embedded)!], {}, "grad_embeddings");
  g.output("grad_embeddings", "float32", [B, T, E]);
  return g;
}

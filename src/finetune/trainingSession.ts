/**
 * One compiled training graph (src/finetune/gpt2TrainingGraph.ts) and what runs it: feeds the current
 * parameters (wrapped, not copied), the batch and its targets; returns the loss terms and the gradient of
 * every parameter, the embedding gradient scattered into wte and wpe rows here.
 */
import * as ort from "onnxruntime-node";
import type { Gpt2Config } from "../lm/config.js";
import { createSession } from "../lm/runtime.js";
import { buildGpt2TrainingGraph, gpt2ParameterShapes, type AuxLoss } from "./gpt2TrainingGraph.js";
import { lmTargets, type TokenBatch } from "./objective.js";

export type Parameters = Map<string, Float32Array>;

export interface StepInputs {
  batch: TokenBatch;
  /** With an auxiliary head: aux_target [B·T, E] and aux_weights [B·T] (src/finetune/objective.ts). */
  aux?: { target: Float32Array; weights: Float32Array };
}

export interface StepResult {
  loss: number;
  ce: number;
  aux: number;
  /** Gradients by parameter name (absent when the session was built without gradients). */
  grads: Parameters;
}

/** A compiled training (or evaluation) graph for one batch shape; `run` feeds parameters and a batch. */
export class TrainingSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly config: Gpt2Config,
    readonly batch: number,
    readonly tokens: number,
    readonly withHead: boolean,
    readonly withGradients: boolean,
  ) {}

  static async create(
    config: Gpt2Config,
    options: {
      batch: number;
      tokens: number;
      auxWeight?: number;
      auxLoss?: AuxLoss;
      gradients?: boolean;
      intraOpNumThreads?: number;
    },
  ): Promise<TrainingSession> {
    const graph = buildGpt2TrainingGraph(config, options);
    const session = await createSession(graph, { intraOpNumThreads: options.intraOpNumThreads });
    return new TrainingSession(
      session,
      config,
      options.batch,
      options.tokens,
      (options.auxWeight ?? 0) > 0,
      options.gradients !== false,
    );
  }

  async run(params: Parameters, inputs: StepInputs): Promise<StepResult> {
    const { batch: B, tokens: T, config } = this;
    const { ids } = inputs.batch;
    if (ids.length !== B || ids.some((r) => r.length !== T))
      throw new Error(`training step: expected ${B} rows of ${T} tokens`);
    const E = config.nEmbd;
    const idData = new BigInt64Array(B * T);
    const posData = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const id = ids[b][t];
        if (id < 0 || id >= config.vocabSize)
          throw new Error(`training step: token id ${id} outside the vocabulary (0 … ${config.vocabSize - 1})`);
        idData[b * T + t] = BigInt(id);
        posData[b * T + t] = BigInt(t);
      }
    }
    const { labels, weights } = lmTargets(inputs.batch);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", idData, [B, T]),
      position_ids: new ort.Tensor("int64", posData, [B, T]),
      lm_labels: new ort.Tensor("int64", labels, [B * T]),
      lm_weights: new ort.Tensor("float32", weights, [B * T]),
    };
    if (this.withHead) {
      if (!inputs.aux) throw new Error("training step: this objective has an auxiliary head; pass its targets");
      feeds.aux_target = new ort.Tensor("float32", inputs.aux.target, [B * T, E]);
      feeds.aux_weights = new ort.Tensor("float32", inputs.aux.weights, [B * T]);
    }
    for (const [name, shape] of gpt2ParameterShapes(config, this.withHead)) {
      const value = params.get(name);
      if (!value) throw new Error(`training step: parameter "${name}" is missing`);
      feeds[name] = new ort.Tensor("float32", value, shape);
    }
    const out = await this.session.run(feeds);
    const scalar = (name: string) => (out[name].data as Float32Array)[0];
    const grads: Parameters = new Map();
    if (this.withGradients) {
      for (const [name, shape] of gpt2ParameterShapes(config, this.withHead)) {
        const g = out[`grad_${name}`];
        grads.set(name, g ? (g.data as Float32Array) : new Float32Array(shape.reduce((a, b) => a * b, 1)));
      }
      // The embedding lookups' backward: rows of the embedding-sum gradient added into wte and wpe.
      const ge = out.grad_embeddings.data as Float32Array;
      const wte = grads.get("wte.weight")!;
      const wpe = grads.get("wpe.weight")!;
      for (let i = 0; i < B * T; i++) {
        const id = Number(idData[i]);
        const t = i % T;
        for (let e = 0; e < E; e++) {
          wte[id * E + e] += ge[i * E + e];
          wpe[t * E + e] += ge[i * E + e];
        }
      }
    }
    return { loss: scalar("loss"), ce: scalar("ce"), aux: scalar("aux"), grads };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The fine-tuning loop: seeded batches of corpus blocks, the frozen model's states as auxiliary targets,
 * gradients from the training graph, accumulation, clipping, AdamW on the warm-up + cosine schedule,
 * held-out perplexity, and a checkpoint (parameters, moments and the logs so far, one safetensors file
 * written atomically) every N steps. A killed run started again with the same configuration resumes from
 * its last checkpoint and ends with the weights an uninterrupted run ends with: the batch order depends
 * only on (seed, step) and the state is restored bit for bit.
 *
 * Output folder: model/ (Hugging Face layout + head.safetensors + training.json), loss.csv, eval.csv,
 * loss.png, perplexity.png, checkpoint.safetensors.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { readGpt2Config } from "../lm/config.js";
import { weightsSha256 } from "../lm/checkpoint.js";
import { resolveModel, type HubOptions } from "../lm/hub.js";
import { Gpt2Runtime } from "../lm/modelingGpt2.js";
import { loadGpt2Tokenizer } from "../lm/tokenizer.js";
import { loadGpt2Weights } from "../lm/weights.js";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import { writeCsv, type Row } from "../report/csv.js";
import { adamWState, adamWStep, clipGradients, scheduledLr, type AdamWState } from "./adamw.js";
import type { FinetuneConfig } from "./config.js";
import { resolveLayer } from "./config.js";
import { BatchOrder, NARRATIVES_TRANSCRIPTS, pick, readDocuments, toBlocks, tokenizeDocuments } from "./corpus.js";
import { writeTrainingCurves } from "./curves.js";
import { gpt2ParameterShapes } from "./gpt2TrainingGraph.js";
import { auxTargets, targetPositions, type TokenBatch } from "./objective.js";
import { initHead, loadGpt2Parameters, saveGpt2Checkpoint } from "./parameters.js";
import { TrainingSession, type Parameters } from "./trainingSession.js";

export interface FinetuneProgress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSecond: number;
}

export interface FinetuneOptions extends HubOptions {
  onProgress?: (p: FinetuneProgress) => void;
  /** Stop after this many steps of this call (the run stays resumable); for tests of interruption. */
  stopAfter?: number;
  /** Where the config came from, for error messages. */
  source?: string;
}

export interface FinetuneResult {
  modelDir: string;
  steps: number;
  resumedFrom: number;
  log: Row[];
  evals: Row[];
  /** The trained tensors by checkpoint name (head included when the objective has one). */
  parameters: Parameters;
}

const CHECKPOINT = "checkpoint.safetensors";

/** Runs (or resumes) a fine-tuning run described by a validated configuration; see the file comment for its outputs. */
export async function finetune(config: FinetuneConfig, options: FinetuneOptions = {}): Promise<FinetuneResult> {
  const source = options.source ?? "finetune config";
  const baseDir = await resolveModel(config.model, options);
  const model = readGpt2Config(baseDir);
  const tr = config.training;
  const obj = config.objective;
  const withHead = obj.auxWeight > 0;
  const layer = withHead ? resolveLayer(obj, model.nLayer, source) : -1;
  if (tr.blockSize > model.nPositions)
    throw new Error(`${source}.training.blockSize: ${tr.blockSize} exceeds the model's ${model.nPositions} positions`);

  // Corpus: held-out documents by name, else the last validFraction of the blocks.
  const tokenizer = loadGpt2Tokenizer(baseDir);
  const docs = readDocuments(config.corpus.paths ?? [NARRATIVES_TRANSCRIPTS]);
  const unknown = config.corpus.heldOut.filter((n) => !docs.some((d) => d.name === n));
  if (unknown.length)
    throw new Error(
      `${source}.corpus.heldOut: no document named ${unknown.map((n) => `"${n}"`).join(", ")} (documents: ${docs.map((d) => d.name).join(", ")})`,
    );
  const eos = model.vocabSize === 50257 ? 50256 : undefined;
  let train: TokenBatch;
  let heldOut: TokenBatch;
  if (config.corpus.heldOut.length) {
    train = toBlocks(
      tokenizeDocuments(
        docs.filter((d) => !config.corpus.heldOut.includes(d.name)),
        tokenizer,
        eos,
      ),
      tr.blockSize,
    );
    heldOut = toBlocks(
      tokenizeDocuments(
        docs.filter((d) => config.corpus.heldOut.includes(d.name)),
        tokenizer,
        eos,
      ),
      tr.blockSize,
    );
  } else {
    const all = toBlocks(tokenizeDocuments(docs, tokenizer, eos), tr.blockSize);
    const nHeld = Math.max(1, Math.round(all.ids.length * config.corpus.validFraction));
    if (all.ids.length - nHeld < 1)
      throw new Error(
        `${source}.corpus: ${all.ids.length} blocks of ${tr.blockSize} tokens; too few to hold out ${nHeld}`,
      );
    train = pick(
      all,
      Array.from({ length: all.ids.length - nHeld }, (_, i) => i),
    );
    heldOut = pick(
      all,
      Array.from({ length: nHeld }, (_, i) => all.ids.length - nHeld + i),
    );
  }
  if (config.training.evalBlocks > 0)
    heldOut = pick(
      heldOut,
      Array.from({ length: Math.min(heldOut.ids.length, config.training.evalBlocks) }, (_, i) => i),
    );
  const order = new BatchOrder(train.ids.length, tr.seed);

  const baseSha = await weightsSha256(baseDir, options.cacheDir);
  const runHash = createHash("sha256")
    .update(JSON.stringify({ baseSha, objective: obj, corpus: config.corpus, training: tr, layer }))
    .digest("hex");
  const shapes = new Map(gpt2ParameterShapes(model, withHead));
  let params: Parameters = loadGpt2Parameters(baseDir, model);
  if (withHead) for (const [k, v] of initHead(model.nEmbd, tr.seed + 1)) params.set(k, v);
  let state: AdamWState = adamWState(params);
  let log: Row[] = [];
  let evals: Row[] = [];
  mkdirSync(config.out, { recursive: true });
  const checkpointPath = join(config.out, CHECKPOINT);
  if (existsSync(checkpointPath)) ({ params, state, log, evals } = loadCheckpoint(checkpointPath, runHash, shapes));
  const resumedFrom = state.step;

  const threads = { intraOpNumThreads: config.threads };
  const session = await TrainingSession.create(model, {
    batch: tr.batchSize,
    tokens: tr.blockSize,
    auxWeight: obj.auxWeight,
    auxLoss: obj.loss,
    ...threads,
  });
  const evalBatch = Math.min(tr.batchSize, heldOut.ids.length);
  const evalSession = heldOut.ids.length
    ? await TrainingSession.create(model, {
        batch: evalBatch,
        tokens: tr.blockSize,
        auxWeight: obj.auxWeight,
        auxLoss: obj.loss,
        gradients: false,
        ...threads,
      })
    : null;
  const teacher = withHead
    ? await Gpt2Runtime.create(model, () => loadGpt2Weights(baseDir, model), { layers: [layer], ...threads })
    : null;
  const auxFor = async (batch: TokenBatch) => {
    if (!teacher) return undefined;
    const states = (await teacher.forward(batch.ids)).hidden.get(layer)!;
    return auxTargets(states, targetPositions(batch, obj), batch.ids.length, tr.blockSize, model.nEmbd, obj.loss);
  };
  const evaluate = async (step: number) => {
    if (!evalSession) return;
    let ce = 0;
    let aux = 0;
    let n = 0;
    for (let i = 0; i + evalBatch <= heldOut.ids.length; i += evalBatch) {
      const batch = pick(
        heldOut,
        Array.from({ length: evalBatch }, (_, j) => i + j),
      );
      const r = await evalSession.run(params, { batch, aux: await auxFor(batch) });
      ce += r.ce;
      aux += r.aux;
      n++;
    }
    evals.push({ step, heldout_ce: ce / n, perplexity: Math.exp(ce / n), heldout_aux: aux / n });
  };

  try {
    if (state.step === 0 && evals.length === 0) await evaluate(0);
    let stepsThisCall = 0;
    while (state.step < tr.steps && (options.stopAfter === undefined || stepsThisCall < options.stopAfter)) {
      const started = performance.now();
      const step = state.step;
      const lr = scheduledLr(step, tr.lr, tr.warmupSteps, tr.steps, tr.minLrRatio);
      let grads: Parameters | undefined;
      let loss = 0;
      let ce = 0;
      let aux = 0;
      for (let micro = 0; micro < tr.gradientAccumulation; micro++) {
        const batch = pick(train, order.batch(step * tr.gradientAccumulation + micro, tr.batchSize));
        const r = await session.run(params, { batch, aux: await auxFor(batch) });
        const w = 1 / tr.gradientAccumulation;
        loss += r.loss * w;
        ce += r.ce * w;
        aux += r.aux * w;
        if (!grads) grads = new Map([...r.grads].map(([k, g]) => [k, scaleInPlace(g, w)]));
        else for (const [k, g] of r.grads) addScaled(grads.get(k)!, g, w);
      }
      const { norm } = clipGradients(grads!, tr.clip);
      adamWStep(
        params,
        grads!,
        state,
        shapes,
        { lr: tr.lr, betas: tr.betas, eps: tr.eps, weightDecay: tr.weightDecay },
        lr,
      );
      stepsThisCall++;
      const seconds = (performance.now() - started) / 1000;
      const tokensPerSecond = (tr.batchSize * tr.blockSize * tr.gradientAccumulation) / seconds;
      log.push({ step: state.step, lr, loss, ce, aux, grad_norm: norm, tokens_per_s: tokensPerSecond });
      if (state.step % tr.evalEvery === 0 || state.step === tr.steps) await evaluate(state.step);
      if (state.step % tr.checkpointEvery === 0 || state.step === tr.steps)
        saveCheckpoint(checkpointPath, runHash, params, state, log, evals);
      options.onProgress?.({ step: state.step, steps: tr.steps, loss, tokensPerSecond });
    }
  } finally {
    await session.release();
    await evalSession?.release();
    await teacher?.release();
  }

  const modelDir = join(config.out, "model");
  writeCsv(join(config.out, "loss.csv"), log);
  writeCsv(join(config.out, "eval.csv"), evals);
  if (state.step === tr.steps) {
    const record = {
      base: config.model,
      baseWeightsSha256: baseSha,
      condition: config.condition ?? null,
      objective: { ...obj, layer: withHead ? layer : null },
      training: tr,
      corpus: { ...config.corpus, trainBlocks: train.ids.length, heldOutBlocks: heldOut.ids.length },
      finalEval: evals.at(-1) ?? null,
    };
    saveGpt2Checkpoint(modelDir, baseDir, model, params, record);
    writeTrainingCurves(config.out, log, evals, config.condition ?? "fine-tuning");
  }
  return { modelDir, steps: state.step, resumedFrom, log, evals, parameters: params };
}

function scaleInPlace(g: Float32Array, w: number): Float32Array {
  if (w !== 1) for (let i = 0; i < g.length; i++) g[i] *= w;
  return g;
}

function addScaled(into: Float32Array, g: Float32Array, w: number): void {
  for (let i = 0; i < g.length; i++) into[i] += g[i] * w;
}

function saveCheckpoint(
  path: string,
  runHash: string,
  params: Parameters,
  state: AdamWState,
  log: Row[],
  evals: Row[],
): void {
  const tensors: Record<string, TensorInput> = {};
  for (const [k, p] of params) {
    tensors[`param.${k}`] = { shape: [p.length], data: p };
    tensors[`m.${k}`] = { shape: [p.length], data: state.m.get(k)! };
    tensors[`v.${k}`] = { shape: [p.length], data: state.v.get(k)! };
  }
  writeSafetensors(path, tensors, {
    runHash,
    step: String(state.step),
    log: JSON.stringify(log),
    evals: JSON.stringify(evals),
  });
}

function loadCheckpoint(
  path: string,
  runHash: string,
  shapes: Map<string, number[]>,
): { params: Parameters; state: AdamWState; log: Row[]; evals: Row[] } {
  const file = readSafetensors(path);
  if (file.metadata.runHash !== runHash) {
    throw new Error(
      `${path}: checkpoint of a different run (model weights, corpus, objective or training settings changed); delete it or choose another "out"`,
    );
  }
  const params: Parameters = new Map();
  const state: AdamWState = { step: Number(file.metadata.step), m: new Map(), v: new Map() };
  for (const [k, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const get = (name: string) => {
      const t = file.tensors.get(name);
      if (!t || t.data.length !== n) throw new Error(`${path}: "${name}" is missing or has the wrong size`);
      return Float32Array.from(t.data as Float32Array);
    };
    params.set(k, get(`param.${k}`));
    state.m.set(k, get(`m.${k}`));
    state.v.set(k, get(`v.${k}`));
  }
  return { params, state, log: JSON.parse(file.metadata.log), evals: JSON.parse(file.metadata.evals) };
}

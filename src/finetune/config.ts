/**
 * `brainscore finetune --config finetune.json`: the schema, validated at the boundary (unknown keys get
 * "did you mean", every value its type and range). The paper's conditions are presets of the objective:
 *   "lm"                     language modelling only (λ = 0, no head)
 *   "high-level"             layer round(2L/3) (8 of GPT-2's 12), 1 word ahead
 *   "long-range"             layer 0 (embeddings), 8 words ahead
 *   "high-level-long-range"  layer round(2L/3), 8 words ahead
 * and every field of "objective" overrides its preset.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, expectKeys, expectObject, optionalNumber, optionalString } from "../config/validate.js";
import { readJsonFile } from "../io/files.js";
import type { AuxLoss } from "./gpt2TrainingGraph.js";

/** The paper's fine-tuning conditions (presets of the objective). */
export const CONDITIONS = ["lm", "high-level", "long-range", "high-level-long-range"] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface ObjectiveConfig {
  /** λ; 0 = language modelling only. */
  auxWeight: number;
  /** Frozen model's layer k (0 = embeddings; "high" = round(2L/3), resolved once the model is known). */
  layer: number | "high";
  distance: number;
  unit: "tokens" | "words";
  loss: AuxLoss;
}

export interface TrainingConfig {
  steps: number;
  batchSize: number;
  blockSize: number;
  gradientAccumulation: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  clip: number;
  seed: number;
  checkpointEvery: number;
  evalEvery: number;
  /** Held-out blocks evaluated at each evaluation (all when 0). */
  evalBlocks: number;
}

export interface FinetuneConfig {
  model: string;
  out: string;
  condition?: Condition;
  objective: ObjectiveConfig;
  corpus: { paths?: string[]; heldOut: string[]; validFraction: number };
  training: TrainingConfig;
  threads: number;
}

const PRESETS: Record<Condition, ObjectiveConfig> = {
  lm: { auxWeight: 0, layer: 0, distance: 0, unit: "words", loss: "mse" },
  "high-level": { auxWeight: 0.5, layer: "high", distance: 1, unit: "words", loss: "mse" },
  "long-range": { auxWeight: 0.5, layer: 0, distance: 8, unit: "words", loss: "mse" },
  "high-level-long-range": { auxWeight: 0.5, layer: "high", distance: 8, unit: "words", loss: "mse" },
};

const TRAINING_DEFAULTS: TrainingConfig = {
  steps: 300,
  batchSize: 4,
  blockSize: 128,
  gradientAccumulation: 1,
  lr: 1e-4,
  warmupSteps: 30,
  minLrRatio: 0,
  weightDecay: 0.01,
  betas: [0.9, 0.999],
  eps: 1e-8,
  clip: 1,
  seed: 0,
  checkpointEvery: 50,
  evalEvery: 50,
  evalBlocks: 0,
};

const isInt = (n: number) => Number.isInteger(n);
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/** Validates a parsed finetune.json (`source` names it in errors); paths resolve relative to its folder. */
export function parseFinetuneConfig(json: unknown, source: string): FinetuneConfig {
  const c = expectObject(json, source);
  expectKeys(c, ["model", "out", "condition", "objective", "corpus", "training", "threads"], source);
  const model = optionalString(c, "model", source);
  if (!model) throw new ConfigError(`${source}.model: required (a checkpoint folder, a hub id or "tiny")`);
  const out = optionalString(c, "out", source);
  if (!out) throw new ConfigError(`${source}.out: required (the output folder)`);
  const base = dirname(source);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const condition = optionalString(c, "condition", source, CONDITIONS);

  const o = expectObject(c.objective ?? {}, `${source}.objective`);
  const ow = `${source}.objective`;
  expectKeys(o, ["auxWeight", "layer", "distance", "unit", "loss"], ow);
  const preset = PRESETS[condition ?? "lm"];
  if (
    !condition &&
    o.auxWeight !== undefined &&
    (o.auxWeight as number) > 0 &&
    (o.layer === undefined || o.distance === undefined)
  ) {
    throw new ConfigError(`${ow}: with auxWeight > 0 and no "condition", give "layer" and "distance"`);
  }
  const layer =
    o.layer === "high"
      ? "high"
      : optionalNumber(o, "layer", ow, (n) => isInt(n) && n >= 0, 'a layer index ≥ 0 or "high"');
  const objective: ObjectiveConfig = {
    auxWeight: optionalNumber(o, "auxWeight", ow, (n) => n >= 0, "a number ≥ 0") ?? preset.auxWeight,
    layer: layer ?? preset.layer,
    distance: optionalNumber(o, "distance", ow, isInt, "an integer") ?? preset.distance,
    unit: optionalString(o, "unit", ow, ["tokens", "words"] as const) ?? preset.unit,
    loss: optionalString(o, "loss", ow, ["mse", "cosine"] as const) ?? preset.loss,
  };
  if (condition === "lm" && objective.auxWeight > 0)
    throw new ConfigError(`${ow}.auxWeight: condition "lm" has no auxiliary loss`);

  const k = expectObject(c.corpus ?? {}, `${source}.corpus`);
  const kw = `${source}.corpus`;
  expectKeys(k, ["paths", "heldOut", "validFraction"], kw);
  const strings = (v: unknown, where: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string" || s.length === 0))
      throw new ConfigError(`${where}: expected a list of non-empty strings`);
    return v as string[];
  };
  const paths = strings(k.paths, `${kw}.paths`)?.map(path);
  if (paths && paths.length === 0)
    throw new ConfigError(`${kw}.paths: the list is empty (leave it out for the embedded Narratives transcripts)`);
  const corpus = {
    paths,
    heldOut: strings(k.heldOut, `${kw}.heldOut`) ?? (paths ? [] : ["pieman"]),
    validFraction: optionalNumber(k, "validFraction", kw, (n) => n > 0 && n < 1, "a fraction in (0, 1)") ?? 0.1,
  };

  const t = expectObject(c.training ?? {}, `${source}.training`);
  const tw = `${source}.training`;
  expectKeys(t, Object.keys(TRAINING_DEFAULTS), tw);
  const num = (key: keyof TrainingConfig, check: (n: number) => boolean, rule: string) =>
    optionalNumber(t, key, tw, check, rule) ?? (TRAINING_DEFAULTS[key] as number);
  let betas = TRAINING_DEFAULTS.betas;
  if (t.betas !== undefined) {
    const b = t.betas;
    if (!Array.isArray(b) || b.length !== 2 || b.some((x) => typeof x !== "number" || !(x >= 0 && x < 1)))
      throw new ConfigError(`${tw}.betas: expected two numbers in [0, 1), got ${JSON.stringify(b)}`);
    betas = [b[0], b[1]];
  }
  const training: TrainingConfig = {
    steps: num("steps", positiveInt, "a positive integer"),
    batchSize: num("batchSize", positiveInt, "a positive integer"),
    blockSize: num("blockSize", (n) => positiveInt(n) && n >= 2, "an integer ≥ 2"),
    gradientAccumulation: num("gradientAccumulation", positiveInt, "a positive integer"),
    lr: num("lr", (n) => n > 0, "a positive number"),
    warmupSteps: num("warmupSteps", (n) => isInt(n) && n >= 0, "an integer ≥ 0"),
    minLrRatio: num("minLrRatio", (n) => n >= 0 && n <= 1, "a number in [0, 1]"),
    weightDecay: num("weightDecay", (n) => n >= 0, "a number ≥ 0"),
    betas,
    eps: num("eps", (n) => n > 0, "a positive number"),
    clip: num("clip", (n) => n > 0, "a positive number"),
    seed: num("seed", (n) => isInt(n) && n >= 0, "an integer ≥ 0"),
    checkpointEvery: num("checkpointEvery", positiveInt, "a positive integer"),
    evalEvery: num("evalEvery", positiveInt, "a positive integer"),
    evalBlocks: num("evalBlocks", (n) => isInt(n) && n >= 0, "an integer ≥ 0"),
  };
  const threads = optionalNumber(c, "threads", source, (n) => isInt(n) && n >= 0, "an integer ≥ 0 (0: all cores)") ?? 0;
  return { model, out: path(out), condition, objective, corpus, training, threads };
}

/** Reads and validates finetune.json. */
export function readFinetuneConfig(path: string): FinetuneConfig {
  return parseFinetuneConfig(readJsonFile(path), path);
}

/** The frozen layer of the objective for a model of L layers. */
export function resolveLayer(objective: ObjectiveConfig, nLayer: number, source: string): number {
  const k = objective.layer === "high" ? Math.round((2 * nLayer) / 3) : objective.layer;
  if (k > nLayer) throw new ConfigError(`${source}.objective.layer: ${k} exceeds the model's ${nLayer} layers`);
  return k;
}

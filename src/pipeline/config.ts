/**
 * The `brainscore run` configuration: dataset → features → brain scores per layer → forecast sweeps →
 * decomposition → statistics → tables, maps and figures. Every key is validated; unknown keys are refused
 * with the closest known one.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import {
  ConfigError,
  expectKeys,
  expectObject,
  optionalBoolean,
  optionalNumber,
  optionalString,
  optionalAlphaGrid,
} from "../config/validate.js";
import type { AlphaSelection } from "../ridge/alphaSelection.js";
import type { ClockOverride } from "../fmri/datasets/narrativesClock.js";
import { namedTrDesign, TR_DESIGN_NAMES, type TrDesign, type TrDesignName } from "../fmri/design/wordDesign.js";
import { PAPER, paperDistances } from "../config/paper.js";

function wordClocks(v: unknown, where: string): Record<string, ClockOverride> {
  const o = expectObject(v ?? {}, where);
  for (const [story, x] of Object.entries(o)) {
    if (!(x === "scan" || x === "story" || (typeof x === "number" && Number.isFinite(x))))
      throw new ConfigError(
        `${where}.${story}: expected "scan", "story" or the audio's onset in the scan in seconds, got ${JSON.stringify(x)}`,
      );
  }
  return o as Record<string, ClockOverride>;
}

export interface RunConfig {
  name: string;
  dataset: string;
  space: "fsaverage6" | "fsaverage5" | "MNI152NLin2009cAsym";
  tasks?: string[];
  subjects?: string[];
  pipeline: string;
  model: string;
  layers: number[];
  /** A scaling sweep: several checkpoints, each with its layers or relative depths (0 = embeddings, 1 = last). */
  models?: { model: string; layers?: number[]; depths?: number[] }[];
  /** With "models": the model every other is compared with (brain-score gain per region, Wilcoxon, FDR). */
  compareTo?: string;
  context: number;
  contextMode: "exact" | "strided";
  embedding: "token+position" | "token";
  /**
   * `design`: "fir" (the paper: TR sums with `firDelays`) or the TR sums convolved with an HRF ("glover", "spm"), a
   * fixed response.
   */
  ridge: {
    alphaSelection: AlphaSelection;
    folds: number;
    firDelays: number[];
    design: TrDesignName;
    alphas?: number[];
  };
  detrendOrder: number;
  /** Per-story word clock overrides: "scan", "story" or the audio's onset in the scan in seconds. */
  wordClock: Record<string, ClockOverride>;
  /** Refuse a scan when more than this share of its story's words falls outside the trimmed scan. */
  maxWordsOutside: number;
  /**
   * Surface runs: one .annot or .label.gii per hemisphere on fsaverage vertices ("default": the embedded
   * Desikan labelling, mirrored to the right); volume runs: a NIfTI label volume on the BOLD grid.
   */
  regions: {
    annot: "default" | { L?: string; R?: string };
    labels?: string;
    maxVertices: number;
    axis: "principal" | "y";
  };
  forecast: null | {
    layer: number;
    distances: number[];
    windowLength: number;
    components: number;
    decompose: boolean;
    k: number;
    /** Controls on regions: random vectors, shuffled words, or the model's own generated continuations. */
    controls: ("random" | "shuffled" | "generated")[];
    /** How the "generated" control continues each context. */
    generation: {
      strategy: "greedy" | "sample";
      seed: number;
      temperature: number;
      topK: number;
      context: number;
      maxTokens?: number;
      batchSize: number;
    };
    /** Layers whose F(dDepth) − baseline is computed for the forecast depth k*. */
    depthLayers: number[];
    dTest: number;
    /** null: test F(dTest) > 0 (the forecast window's gain over none). */
    dRef: number | null;
    /** F(d) at every vertex too (full, syntax, semantics), for the paper's maps. */
    vertexLevel: boolean;
    /**
     * "single": one penalty for current words and window (the paper). "banded": the region-level analyses
     * (full, syntax, semantics) are also computed with one weight per feature space (banded_full, …).
     */
    ridge: "single" | "banded";
  };
  noiseCeiling: boolean;
  statistics: { alpha: number; bootstrap: number };
  outDir: string;
  cacheDir?: string;
  /**
   * Keys left at their GPT-2-small defaults (layers 0, 4, 8, 12; forecast layer 8), which `resolveRun`
   * rescales to the model's depth (the same relative depths: 0, ⅓, ⅔, 1) once the model is known.
   */
  depthDefaults: ("layers" | "forecast.layer" | "forecast.depthLayers")[];
  /** The configuration file, named in errors found after parsing. */
  source: string;
}

const TOP = [
  "name",
  "dataset",
  "space",
  "tasks",
  "subjects",
  "pipeline",
  "model",
  "layers",
  "models",
  "compareTo",
  "context",
  "contextMode",
  "embedding",
  "ridge",
  "detrendOrder",
  "wordClock",
  "maxWordsOutside",
  "regions",
  "forecast",
  "noiseCeiling",
  "statistics",
  "outDir",
  "cacheDir",
];
const RIDGE = ["alphaSelection", "folds", "firDelays", "design", "alphas"];
const REGIONS = ["annot", "hemi", "labels", "maxVertices", "axis"];
const FORECAST = [
  "layer",
  "distances",
  "windowLength",
  "components",
  "decompose",
  "k",
  "controls",
  "generation",
  "depthLayers",
  "dTest",
  "dRef",
  "vertexLevel",
  "ridge",
];
const GENERATION = ["strategy", "seed", "temperature", "topK", "context", "maxTokens", "batchSize"];
const STATS = ["alpha", "bootstrap"];

/** "compareTo": one of the "models" entries' model. */
function compareTo(c: Record<string, unknown>, source: string): string | undefined {
  const ref = optionalString(c, "compareTo", source);
  if (ref === undefined) return undefined;
  const models = Array.isArray(c.models) ? c.models.map((m) => (m as { model?: unknown }).model) : [];
  if (!models.includes(ref))
    throw new ConfigError(
      `${source}.compareTo: "${ref}" is not one of the "models" (${models.map(String).join(", ") || "none given"})`,
    );
  return ref;
}

/**
 * "models": [{"model": id, "layers": [...]} or {"model": id, "depths": [0, 0.5, 1]}], exclusive with "model"/"layers".
 */
function modelList(c: Record<string, unknown>, source: string): RunConfig["models"] {
  if (c.models === undefined) return undefined;
  const where = `${source}.models`;
  if (c.model !== undefined || c.layers !== undefined)
    throw new ConfigError(`${where}: give either "models" (a sweep) or "model" and "layers", not both`);
  if (!Array.isArray(c.models) || c.models.length === 0)
    throw new ConfigError(`${where}: expected a non-empty list of {"model", "layers" or "depths"}`);
  return c.models.map((entry, i) => {
    const e = expectObject(entry, `${where}[${i}]`);
    expectKeys(e, ["model", "layers", "depths"], `${where}[${i}]`);
    const model = optionalString(e, "model", `${where}[${i}]`);
    if (!model) throw new ConfigError(`${where}[${i}].model: required (a hub id, a folder or "tiny")`);
    if (e.layers !== undefined && e.depths !== undefined)
      throw new ConfigError(`${where}[${i}]: give "layers" or "depths", not both`);
    const layers = e.layers === undefined ? undefined : intList(e.layers, `${where}[${i}].layers`, []);
    if (layers?.some((l) => l < 0)) throw new ConfigError(`${where}[${i}].layers: layer indices are ≥ 0`);
    const depths = e.depths;
    if (
      depths !== undefined &&
      (!Array.isArray(depths) ||
        depths.length === 0 ||
        depths.some((d) => typeof d !== "number" || !(d >= 0 && d <= 1)))
    ) {
      throw new ConfigError(
        `${where}[${i}].depths: expected a non-empty list of relative depths in [0, 1], got ${JSON.stringify(depths)}`,
      );
    }
    return { model, layers, depths: depths as number[] | undefined };
  });
}

function intList(v: unknown, where: string, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  if (Array.isArray(v) && v.length === 0) throw new ConfigError(`${where}: the list is empty; give at least one value`);
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x))) return v as number[];
  // {"from": a, "to": b} ranges, e.g. distances −10 … 30
  if (
    v &&
    typeof v === "object" &&
    Number.isInteger((v as { from?: number }).from) &&
    Number.isInteger((v as { to?: number }).to)
  ) {
    const { from, to } = v as { from: number; to: number };
    if (to < from) throw new ConfigError(`${where}: empty range`);
    if (to - from >= 10_000)
      throw new ConfigError(
        `${where}: range {"from": ${from}, "to": ${to}} has ${to - from + 1} values; at most 10,000`,
      );
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  throw new ConfigError(`${where}: expected a list of integers or {"from": a, "to": b}`);
}

/** regions.annot: one file per hemisphere, or one file with its hemisphere declared. */
function annotations(
  regions: Record<string, unknown>,
  where: string,
  path: (p: string) => string,
): RunConfig["regions"]["annot"] {
  const a = regions.annot;
  const hemi = optionalString(regions, "hemi", where, ["L", "R"] as const);
  if (a === undefined || a === "default") {
    if (hemi) throw new ConfigError(`${where}.hemi: only meaningful with one "annot" file`);
    return "default";
  }
  if (typeof a === "string") {
    if (!hemi) {
      throw new ConfigError(
        `${where}.annot: one annotation for a two-hemisphere run; give one file per hemisphere ({"L": "lh.aparc.a2009s.annot", "R": "rh.aparc.a2009s.annot"}) or declare its hemisphere ("hemi": "L" or "R"; only that hemisphere then gets regions)`,
      );
    }
    return { [hemi]: path(a) };
  }
  const o = expectObject(a, `${where}.annot`);
  expectKeys(o, ["L", "R"], `${where}.annot`);
  if (hemi) throw new ConfigError(`${where}.hemi: not used with one file per hemisphere`);
  const out: { L?: string; R?: string } = {};
  for (const h of ["L", "R"] as const) if (o[h] !== undefined) out[h] = path(optionalString(o, h, `${where}.annot`)!);
  if (!out.L && !out.R) throw new ConfigError(`${where}.annot: expected {"L": file, "R": file} (at least one)`);
  return out;
}

/** The run's TR design rule, shared by brain scores and forecast sweeps. */
export function trDesignOf(c: RunConfig): TrDesign {
  return namedTrDesign(c.ridge.design, c.ridge.firDelays);
}

/** A run configuration from parsed JSON, every key checked; `source` names the file in errors. */
export function parseRunConfig(json: unknown, source: string): RunConfig {
  const c = expectObject(json, source);
  expectKeys(c, TOP, source);
  const base = dirname(resolve(source));
  const path = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const dataset = optionalString(c, "dataset", source);
  if (!dataset) throw new ConfigError(`${source}: "dataset" (the dataset's root folder) is required`);
  const ridge = expectObject(c.ridge ?? {}, `${source}.ridge`);
  expectKeys(ridge, RIDGE, `${source}.ridge`);
  const regions = expectObject(c.regions ?? {}, `${source}.regions`);
  expectKeys(regions, REGIONS, `${source}.regions`);
  const stats = expectObject(c.statistics ?? {}, `${source}.statistics`);
  expectKeys(stats, STATS, `${source}.statistics`);
  const layers = intList(c.layers, `${source}.layers`, [...PAPER.gpt2.layers]);
  const depthDefaults: RunConfig["depthDefaults"] = c.layers === undefined ? ["layers"] : [];
  if (layers.some((l) => l < 0))
    throw new ConfigError(`${source}.layers: layer indices are ≥ 0 (0 = embeddings), got ${JSON.stringify(layers)}`);
  let forecast: RunConfig["forecast"] = null;
  if (c.forecast !== false && c.forecast !== null) {
    const f = expectObject(c.forecast ?? {}, `${source}.forecast`);
    expectKeys(f, FORECAST, `${source}.forecast`);
    const controls = (f.controls ?? ["random", "shuffled"]) as string[];
    if (!Array.isArray(controls) || controls.some((x) => !["random", "shuffled", "generated"].includes(x)))
      throw new ConfigError(
        `${source}.forecast.controls: expected a list of "random", "shuffled" and/or "generated", got ${JSON.stringify(controls)}`,
      );
    const g = expectObject(f.generation ?? {}, `${source}.forecast.generation`);
    expectKeys(g, GENERATION, `${source}.forecast.generation`);
    const gw = `${source}.forecast.generation`;
    const generation = {
      strategy: optionalString(g, "strategy", gw, ["greedy", "sample"] as const) ?? "greedy",
      seed: optionalNumber(g, "seed", gw, Number.isInteger, "an integer") ?? 0,
      temperature: optionalNumber(g, "temperature", gw, (n) => n > 0, "a positive number") ?? 1,
      topK:
        optionalNumber(g, "topK", gw, (n) => Number.isInteger(n) && n >= 0, "a non-negative integer (0: all tokens)") ??
        0,
      context:
        optionalNumber(g, "context", gw, (n) => Number.isInteger(n) && n > 0, "a positive number of tokens") ?? 256,
      maxTokens: optionalNumber(g, "maxTokens", gw, (n) => Number.isInteger(n) && n > 0, "a positive integer"),
      batchSize: optionalNumber(g, "batchSize", gw, (n) => Number.isInteger(n) && n > 0, "a positive integer") ?? 8,
    };
    const flayer =
      optionalNumber(f, "layer", `${source}.forecast`, Number.isInteger, "a layer index") ?? PAPER.gpt2.forecastLayer;
    if (f.layer === undefined) depthDefaults.push("forecast.layer");
    if (f.depthLayers === undefined && c.layers === undefined) depthDefaults.push("forecast.depthLayers");
    forecast = {
      layer: flayer,
      distances: intList(f.distances, `${source}.forecast.distances`, paperDistances()),
      windowLength:
        optionalNumber(
          f,
          "windowLength",
          `${source}.forecast`,
          (n) => Number.isInteger(n) && n > 0,
          "a positive integer",
        ) ?? PAPER.windowLength,
      components:
        optionalNumber(
          f,
          "components",
          `${source}.forecast`,
          (n) => Number.isInteger(n) && n > 0,
          "a positive integer",
        ) ?? PAPER.components,
      decompose: optionalBoolean(f, "decompose", `${source}.forecast`) ?? true,
      k:
        optionalNumber(f, "k", `${source}.forecast`, (n) => Number.isInteger(n) && n > 0, "a positive integer") ??
        PAPER.alternatives,
      controls: controls as ("random" | "shuffled" | "generated")[],
      generation,
      depthLayers: intList(f.depthLayers, `${source}.forecast.depthLayers`, layers),
      dTest: optionalNumber(f, "dTest", `${source}.forecast`, Number.isInteger, "an integer") ?? PAPER.dTest,
      dRef:
        f.dRef === null
          ? null
          : (optionalNumber(f, "dRef", `${source}.forecast`, Number.isInteger, "an integer or null") ?? 0),
      vertexLevel: optionalBoolean(f, "vertexLevel", `${source}.forecast`) ?? true,
      ridge: optionalString(f, "ridge", `${source}.forecast`, ["single", "banded"] as const) ?? "single",
    };
    if (
      !forecast.distances.includes(forecast.dTest) ||
      (forecast.dRef !== null && !forecast.distances.includes(forecast.dRef))
    ) {
      throw new ConfigError(
        `${source}.forecast.distances: must include dTest (${forecast.dTest})${forecast.dRef === null ? "" : ` and dRef (${forecast.dRef})`}`,
      );
    }
  }
  const strings = (v: unknown, where: string) => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
      throw new ConfigError(`${where}: expected a list of strings`);
    return v as string[];
  };
  if (c.space === "MNI152NLin2009cAsym" && regions.labels === undefined) {
    throw new ConfigError(`${source}.regions.labels: volume runs need a NIfTI label volume on the BOLD grid`);
  }
  return {
    name: optionalString(c, "name", source) ?? "run",
    dataset: path(dataset),
    space:
      optionalString(c, "space", source, ["fsaverage6", "fsaverage5", "MNI152NLin2009cAsym"] as const) ?? "fsaverage6",
    tasks: strings(c.tasks, `${source}.tasks`),
    subjects: strings(c.subjects, `${source}.subjects`),
    pipeline: optionalString(c, "pipeline", source) ?? "afni-nosmooth",
    model: optionalString(c, "model", source) ?? "gpt2",
    layers,
    models: modelList(c, source),
    compareTo: compareTo(c, source),
    context: optionalNumber(c, "context", source, (n) => Number.isInteger(n) && n > 0, "a positive integer") ?? 1024,
    contextMode: optionalString(c, "contextMode", source, ["exact", "strided"] as const) ?? "exact",
    embedding: optionalString(c, "embedding", source, ["token+position", "token"] as const) ?? "token+position",
    ridge: {
      alphaSelection:
        optionalString(ridge, "alphaSelection", `${source}.ridge`, ["loo", "gcv", "kfold"] as const) ?? "loo",
      folds:
        optionalNumber(ridge, "folds", `${source}.ridge`, (n) => Number.isInteger(n) && n >= 2, "an integer ≥ 2") ??
        PAPER.folds,
      firDelays: intList(ridge.firDelays, `${source}.ridge.firDelays`, [...PAPER.firDelays]),
      design: optionalString(ridge, "design", `${source}.ridge`, TR_DESIGN_NAMES) ?? "fir",
      alphas: optionalAlphaGrid(ridge.alphas, `${source}.ridge.alphas`),
    },
    detrendOrder:
      optionalNumber(c, "detrendOrder", source, (n) => Number.isInteger(n) && n >= 0, "an integer ≥ 0") ?? 1,
    wordClock: wordClocks(c.wordClock, `${source}.wordClock`),
    maxWordsOutside:
      optionalNumber(c, "maxWordsOutside", source, (n) => n >= 0 && n <= 1, "a fraction in [0, 1]") ?? 0.1,
    regions: {
      annot: annotations(regions, `${source}.regions`, path),
      labels: regions.labels === undefined ? undefined : path(optionalString(regions, "labels", `${source}.regions`)!),
      maxVertices:
        optionalNumber(
          regions,
          "maxVertices",
          `${source}.regions`,
          (n) => Number.isInteger(n) && n > 0,
          "a positive integer",
        ) ?? 500,
      axis: optionalString(regions, "axis", `${source}.regions`, ["principal", "y"] as const) ?? "principal",
    },
    forecast,
    noiseCeiling: optionalBoolean(c, "noiseCeiling", source) ?? true,
    statistics: {
      alpha:
        optionalNumber(stats, "alpha", `${source}.statistics`, (n) => n > 0 && n < 1, "a number in (0, 1)") ?? 0.01,
      bootstrap:
        optionalNumber(
          stats,
          "bootstrap",
          `${source}.statistics`,
          (n) => Number.isInteger(n) && n >= 100,
          "an integer ≥ 100",
        ) ?? 2000,
    },
    outDir: path(optionalString(c, "outDir", source) ?? "results"),
    cacheDir: c.cacheDir === undefined ? undefined : path(optionalString(c, "cacheDir", source)!),
    depthDefaults,
    source,
  };
}

/** Reads and checks a run configuration file. */
export function readRunConfig(path: string): RunConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError(
      `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not valid JSON (${(e as Error).message})`}`,
    );
  }
  return parseRunConfig(json, path);
}

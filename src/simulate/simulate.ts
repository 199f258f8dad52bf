/**
 * `brainscore simulate`: a Narratives-layout dataset (real GIfTI/JSON/CSV files) from real story timings,
 * with BOLD generated from planted encoding models. Per region: which layer, what signal-to-noise ratio,
 * which forecast distance (or none), which component (full, syntactic or semantic activations) — the planted
 * per-word signal is summed into TRs, convolved with an HRF (glover or spm, sampled at the TR) and added to
 * unit-variance Gaussian noise, independently per subject and vertex. A truth file records what was planted, for power
 * analyses and method checks.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { writeTextAtomic } from "../io/atomic.js";
import { join } from "node:path";
import { extractWordFeatures } from "../lm/extract.js";
import { readModelInfo } from "../lm/architectures.js";
import { resolveModel } from "../lm/hub.js";
import { FSAVERAGE_VERTICES } from "../fmri/fsaverage.js";
import { syntaxSemantics } from "../lm/decomposition.js";
import { ConfigError, expectKeys, expectObject, optionalNumber, optionalString } from "../config/validate.js";
import { writeNarrativesLayout, type LayoutScan } from "../fmri/datasets/narrativesWriter.js";
import { readAnnot } from "../fmri/formats/annot.js";
import { defaultHemisphereLabels } from "../fmri/surfaceLabels.js";
import { wordDesign } from "../fmri/design/wordDesign.js";
import type { EventMeta } from "../fmri/datasets/narratives.js";
import { validateEventMeta } from "../fmri/datasets/narrativesMeta.js";
import type { Matrix } from "../linalg/dense.js";
import { gaussian, mulberry32 } from "../linalg/random.js";
import { wordsOnScanClock } from "../fmri/datasets/narrativesClock.js";
import { readWords } from "../stimuli/readers.js";
import { standardize } from "./plantedSignal.js";
import { createBackend } from "../backend/index.js";
import { forecastOffsets, windowPcaScores, wordGram } from "../forecast/windowPca.js";
import { embeddedData } from "../io/paths.js";
import { PAPER } from "../config/paper.js";

export const EMBEDDED_NARRATIVES = embeddedData("narratives");
const DESIKAN = embeddedData("fsaverage5", "desikan_test.annot");

export interface PlantedRegion {
  name: string;
  /** Desikan label (fsaverage5 numbering; the first 10,242 fsaverage6 vertices are the same vertices). */
  label: string;
  hemi: "L" | "R" | "both";
  layer: number;
  snr: number;
  /** Forecast distance of the planted window; null or absent = the current word only. */
  d?: number | null;
  windowLength?: number;
  component?: "full" | "syntax" | "semantics";
  /** The planted signal mixes the top principal components of the window (default 20, as the analysis keeps). */
  components?: number;
}

export interface SimulationConfig {
  seed: number;
  stories: string[];
  alignDir: string;
  eventMeta: EventMeta;
  subjects: number;
  surface: "fsaverage5" | "fsaverage6";
  model: string;
  context: number;
  contextMode: "exact" | "strided";
  hrf: "glover" | "spm";
  k: number;
  excludeSubjects: string[];
  /** `layer` absent: ⅔ of the model's depth (GPT-2 small's layer 8), resolved when the model is known. */
  regions: (Omit<PlantedRegion, "layer"> & { layer?: number })[];
  /** The configuration file, named in errors found after parsing. */
  source: string;
}

const TOP_KEYS = [
  "seed",
  "stories",
  "alignDir",
  "eventMeta",
  "subjects",
  "surface",
  "model",
  "context",
  "contextMode",
  "hrf",
  "k",
  "excludeSubjects",
  "regions",
];
const REGION_KEYS = ["name", "label", "hemi", "layer", "snr", "d", "windowLength", "component", "components"];

/** A simulation configuration from parsed JSON, every key checked. */
export function parseSimulationConfig(json: unknown, source: string): SimulationConfig {
  const c = expectObject(json, source);
  expectKeys(c, TOP_KEYS, source);
  const stories = c.stories ?? ["pieman"];
  if (!Array.isArray(stories) || stories.length === 0 || !stories.every((s) => typeof s === "string"))
    throw new ConfigError(`${source}.stories: expected a non-empty list of story names`);
  const alignDir = optionalString(c, "alignDir", source) ?? join(EMBEDDED_NARRATIVES, "align");
  const eventMeta =
    c.eventMeta !== undefined
      ? validateEventMeta(c.eventMeta, `${source}.eventMeta`)
      : (JSON.parse(readFileSync(join(EMBEDDED_NARRATIVES, "event_meta.json"), "utf8")) as EventMeta);
  for (const s of stories as string[]) {
    if (!eventMeta[s]?.[s]) throw new ConfigError(`${source}.stories: "${s}" has no onset/duration in event_meta`);
    if (!existsSync(join(alignDir, s, "align.csv")))
      throw new ConfigError(`${source}.stories: no ${join(alignDir, s, "align.csv")}`);
  }
  const regionsRaw = c.regions;
  if (!Array.isArray(regionsRaw) || regionsRaw.length === 0)
    throw new ConfigError(`${source}.regions: expected a non-empty list of planted regions`);
  const annot = readAnnot(DESIKAN);
  const regions = regionsRaw.map((r, i): SimulationConfig["regions"][number] => {
    const where = `${source}.regions[${i}]`;
    const o = expectObject(r, where);
    expectKeys(o, REGION_KEYS, where);
    const label = optionalString(o, "label", where);
    if (!label || !annot.names.includes(label))
      throw new ConfigError(
        `${where}.label: expected a Desikan label (${annot.names.filter((n) => n !== "unknown").join(", ")})`,
      );
    const d = o.d;
    if (d !== undefined && d !== null && !(typeof d === "number" && Number.isInteger(d)))
      throw new ConfigError(`${where}.d: expected a whole number of words or null`);
    return {
      name: optionalString(o, "name", where) ?? label,
      label,
      hemi: optionalString(o, "hemi", where, ["L", "R", "both"] as const) ?? "L",
      layer: optionalNumber(o, "layer", where, (n) => Number.isInteger(n) && n >= 0, "a layer index ≥ 0"),
      snr: optionalNumber(o, "snr", where, (n) => n >= 0, "a signal-to-noise ratio ≥ 0") ?? 0.5,
      d: d as number | null | undefined,
      windowLength:
        optionalNumber(o, "windowLength", where, (n) => Number.isInteger(n) && n >= 1, "a positive integer") ??
        PAPER.windowLength,
      component: optionalString(o, "component", where, ["full", "syntax", "semantics"] as const) ?? "full",
      components:
        optionalNumber(o, "components", where, (n) => Number.isInteger(n) && n >= 1, "a positive integer") ??
        PAPER.components,
    };
  });
  return {
    seed: optionalNumber(c, "seed", source, Number.isInteger, "an integer") ?? 0,
    stories: stories as string[],
    alignDir,
    eventMeta,
    subjects: optionalNumber(c, "subjects", source, (n) => Number.isInteger(n) && n >= 2, "an integer ≥ 2") ?? 8,
    surface: optionalString(c, "surface", source, ["fsaverage5", "fsaverage6"] as const) ?? "fsaverage5",
    model: optionalString(c, "model", source) ?? "tiny",
    context: optionalNumber(c, "context", source, (n) => Number.isInteger(n) && n >= 1, "a positive integer") ?? 1024,
    contextMode: optionalString(c, "contextMode", source, ["exact", "strided"] as const) ?? "strided",
    hrf: optionalString(c, "hrf", source, ["glover", "spm"] as const) ?? "glover",
    k: optionalNumber(c, "k", source, (n) => Number.isInteger(n) && n >= 1, "a positive integer") ?? 10,
    excludeSubjects: Array.isArray(c.excludeSubjects) ? (c.excludeSubjects as string[]) : [],
    regions,
    source,
  };
}

export interface SimulationTruth {
  surface: string;
  verticesPerHemisphere: number;
  regions: (PlantedRegion & { vertices: { L: number[]; R: number[] } })[];
  subjects: Record<string, string[]>;
}

/** Writes a Narratives-layout dataset with planted encoding models and returns what was planted. */
export async function simulateDataset(
  config: SimulationConfig,
  root: string,
  options: { cacheDir?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<SimulationTruth> {
  const model = await resolveModel(config.model, { cacheDir: options.cacheDir });
  // Layers checked (and defaulted) against the model before any feature is computed.
  const { nLayer } = readModelInfo(model);
  const planted: PlantedRegion[] = config.regions.map((r, i) => {
    const layer = r.layer ?? Math.round((8 / 12) * nLayer);
    if (layer > nLayer)
      throw new Error(
        `${config.source}: regions[${i}].layer: layer ${layer} does not exist; ${config.model} has layers 0 … ${nLayer} (0 = embeddings)`,
      );
    return { ...r, layer };
  });
  const V = FSAVERAGE_VERTICES[config.surface];
  // Planted with the same per-hemisphere labels the analysis uses (the right one mirrored through the sphere).
  const hemiLabels = defaultHemisphereLabels();
  const members = (h: "L" | "R", label: string) => {
    const { labels, names } = hemiLabels[h];
    return Array.from(labels.keys()).filter((v) => names[labels[v]] === label);
  };
  const truth: SimulationTruth = { surface: config.surface, verticesPerHemisphere: V, regions: [], subjects: {} };
  for (const r of planted) {
    truth.regions.push({
      ...r,
      vertices: { L: r.hemi === "R" ? [] : members("L", r.label), R: r.hemi === "L" ? [] : members("R", r.label) },
    });
  }
  const scans: LayoutScan[] = [];
  const alignments: Record<string, string> = {};
  let done = 0;
  const total = config.stories.length * config.subjects;
  for (const [si, story] of config.stories.entries()) {
    const alignPath = join(config.alignDir, story, "align.csv");
    alignments[story] = readFileSync(alignPath, "utf8");
    const { onset, duration } = config.eventMeta[story][story];
    // Planted on the scan clock by the same per-story word clock the loader uses.
    const events = wordsOnScanClock(story, readWords(alignPath), {
      storyOnset: onset * 1.5,
      storyEnd: (onset + duration) * 1.5,
    }).words;
    const scanTRs = onset + duration + 5;
    // The planted per-word values are summed into TRs as the analysis does (TR floor(t/TR) + 1), then
    // convolved with the HRF sampled at the TR: the run's "glover"/"spm" design is this same rule.
    const toBold = (perWord: Float64Array) =>
      wordDesign({ rows: perWord.length, cols: 1, data: perWord }, events.onsets, {
        kind: "summedHrf",
        model: config.hrf,
        tr: 1.5,
        nTRs: scanTRs,
      }).design.data as Float64Array;
    // One planted time course per region (shared by subjects), from that region's features.
    const signals = new Map<string, Float64Array>();
    for (const [ri, r] of planted.entries()) {
      const feats = await regionFeatures(model, events, r, config, options.cacheDir);
      signals.set(r.name, standardize(toBold(await plantedPerWord(feats, r, config.seed + 97 * ri + si))));
    }
    const subjects = Array.from(
      { length: config.subjects },
      (_, i) => `sub-${String(si * 100 + i + 1).padStart(3, "0")}`,
    );
    truth.subjects[story] = subjects;
    for (const [i, sub] of subjects.entries()) {
      const rand = gaussian(mulberry32(config.seed * 1000003 + si * 1009 + i));
      const hemis = { L: noise(scanTRs, V, rand), R: noise(scanTRs, V, rand) };
      for (const r of truth.regions) {
        const s = signals.get(r.name)!;
        const gain = Math.sqrt(r.snr);
        for (const h of ["L", "R"] as const) {
          for (const v of r.vertices[h]) {
            const w = gain * (0.5 + 0.5 * rand() ** 2);
            for (let t = 0; t < scanTRs; t++) hemis[h].data[t * V + v] += w * s[t];
          }
        }
      }
      // A realistic baseline: BOLD around 1000 with slow drift, which preprocessing must remove.
      for (const h of ["L", "R"] as const)
        for (let t = 0; t < scanTRs; t++) for (let v = 0; v < V; v++) hemis[h].data[t * V + v] += 1000 + 0.01 * t;
      scans.push({ subject: sub, task: story, hemis });
      options.onProgress?.(++done, total);
    }
  }
  const scanExclude = Object.fromEntries(
    config.stories.map((story) => [
      story,
      Object.fromEntries(
        config.excludeSubjects.filter((s) => truth.subjects[story].includes(s)).map((s) => [s, [`${s}_task-${story}`]]),
      ),
    ]),
  );
  const eventMeta = Object.fromEntries(config.stories.map((s) => [s, config.eventMeta[s]]));
  writeNarrativesLayout(root, { eventMeta, scanExclude, alignments, scans, surface: config.surface });
  mkdirSync(join(root, "derivatives", "simulation"), { recursive: true });
  writeTextAtomic(
    join(root, "derivatives", "simulation", "truth.json"),
    JSON.stringify({ ...truth, config: { ...config, eventMeta: undefined } }, null, 2),
  );
  return truth;
}

async function regionFeatures(
  model: string,
  events: ReturnType<typeof readWords>,
  r: PlantedRegion,
  c: SimulationConfig,
  cacheDir?: string,
): Promise<Matrix> {
  const common = { context: c.context, mode: c.contextMode, cacheDir };
  if (r.component === "full") {
    const f = await extractWordFeatures(model, events, { ...common, layers: [r.layer] });
    return { rows: events.words.length, cols: f.nEmbd, data: Float64Array.from(f.hiddenStates) };
  }
  const dec = await syntaxSemantics(model, events, { ...common, layer: r.layer, k: c.k, seed: c.seed });
  return r.component === "syntax" ? dec.syntax : dec.semantics;
}

/**
 * Per-word planted value: a random combination of the top principal components of each word's window
 * (the current word alone when d is null). Brains are assumed to track the dominant dimensions of the
 * representation, which is also what the analysis keeps (PCA), so a planted effect is recoverable.
 */
async function plantedPerWord(features: Matrix, r: PlantedRegion, seed: number): Promise<Float64Array> {
  const W = features.rows;
  const L = r.d === null || r.d === undefined ? 1 : (r.windowLength ?? PAPER.windowLength);
  const d = r.d ?? 0;
  const backend = createBackend("onnxruntime", "float64");
  try {
    const k = r.components ?? PAPER.components;
    const all = Int32Array.from({ length: W }, (_, i) => i);
    const scores = await windowPcaScores(
      await wordGram(features, backend),
      { offsets: forecastOffsets(d, L), trainWords: all, nComponents: k, seed },
      backend,
    );
    const rand = gaussian(mulberry32(seed));
    const beta = Float64Array.from({ length: k }, rand);
    return Float64Array.from({ length: W }, (_, n) => {
      let z = 0;
      for (let j = 0; j < k; j++) z += scores.data[n * k + j] * beta[j];
      return z;
    });
  } finally {
    await backend.dispose();
  }
}

function noise(T: number, V: number, rand: () => number): Matrix {
  return { rows: T, cols: V, data: Float32Array.from({ length: T * V }, rand) };
}

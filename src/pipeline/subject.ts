/**
 * The per-subject stage of `brainscore run`: one scan → cleaned BOLD → brain scores per layer (every
 * vertex and every region) → region-level forecast sweeps (full, controls, syntax, semantics) and F(d) per
 * layer for the forecast depth. The result is one safetensors file per scan, written atomically, so a rerun
 * skips finished subjects and a Slurm array can split subjects across jobs.
 */
import { openBackends } from "../backend/index.js";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { brainScore } from "../encoding/ridge/crossValidate.js";
import { extractWordFeatures } from "../encoding/lm/extract.js";
import { FSAVERAGE_VERTICES } from "../fmri/fsaverage.js";
import { generatedFutureFeatures, type GeneratedFutures } from "../encoding/lm/generate.js";
import type { NarrativesDataset, NarrativesScan } from "../fmri/datasets/narratives.js";
import { wordDesign } from "../fmri/design/wordDesign.js";
import { cleanRun } from "../fmri/preprocess.js";
import { parcellationFromLabelVolume, regionAverages, type Parcellation } from "../fmri/regions.js";
import { defaultHemisphereLabels, readSurfaceLabels, surfaceParcellation } from "../fmri/surfaceLabels.js";
import { readNifti } from "../fmri/formats/nifti.js";
import { forecastAnalyses } from "../forecast/analyses.js";
import { syntaxSemantics, type Decomposition } from "../forecast/decomposition.js";
import { forecastSweep } from "../forecast/sweep.js";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import type { Matrix } from "../linalg/dense.js";
import type { WordEvents } from "../stimuli/words.js";
import { trDesignOf, type RunConfig } from "./config.js";
import { stageClock, type StageSeconds } from "./stageClock.js";

/** Where the columns of a scan's BOLD live: two hemispheres' vertices, or voxels inside a volume mask. */
export type Layout = { kind: "surface"; L: number; R: number } | { kind: "volume"; shape: number[]; affine: number[][]; maskIndices: Int32Array };

export interface SubjectResult {
  key: string;
  subject: string;
  task: string;
  story: string;
  regions: string[];
  layers: number[];
  layout: Layout;
  /** [layers × V] per-vertex (or per-voxel) brain scores. */
  vertexScores: Float32Array;
  /** [layers × R] per-region brain scores. */
  regionScores: Float64Array;
  /** [T × R] cleaned region-average BOLD (for the noise ceiling). */
  regionBold: Matrix;
  forecast?: {
    distances: number[];
    analyses: Record<string, { forecast: Float64Array; baseline: Float64Array }>;
    depthLayers: number[];
    depth: Float64Array;
    /** Vertex-level F(d) per mapped analysis (full, syntax, semantics): [distances × V]; read from `source` when stored. */
    vertex?: Record<string, Float32Array>;
    vertexAnalyses?: string[];
  };
  /** The stored result file (vertex-level forecasts are read from it on demand, one subject at a time). */
  source?: string;
  masked: number;
  /** The story's words on this scan: alignment, word clock, and words dropped outside the trimmed scan. */
  words: WordsReport;
  /** Seconds per stage of this computation (not stored: a rerun that loads the result has none). */
  stageSeconds?: StageSeconds;
  /** CPU seconds per stage (all threads), beside stageSeconds. */
  stageCpuSeconds?: StageSeconds;
}

export interface WordsReport {
  alignment: string;
  total: number;
  outsideBefore: number;
  outsideAfter: number;
  droppedBefore: number;
  droppedAfter: number;
  clock: string;
  audioOnset: number;
  clockSource: string;
  warnings: string[];
}

/**
 * Hash of everything that changes a subject's results: the configuration and the checkpoint's weights
 * (sha256 of model.safetensors), so new weights under the same model name are never mixed with old ones.
 */
export function subjectConfigHash(c: RunConfig, weightsSha256: string): string {
  const relevant = { weightsSha256, wordClock: c.wordClock, maxWordsOutside: c.maxWordsOutside, model: c.model, layers: c.layers, context: c.context, contextMode: c.contextMode, embedding: c.embedding, ridge: c.ridge, detrendOrder: c.detrendOrder, regions: c.regions, forecast: c.forecast, space: c.space, pipeline: c.pipeline };
  return createHash("sha256").update(JSON.stringify(relevant)).digest("hex").slice(0, 16);
}

export function subjectResultPath(c: RunConfig, scan: NarrativesScan): string {
  return join(c.outDir, c.name, "subjects", scan.task, `${scan.key}.safetensors`);
}

/** Regions of a scan's columns: the annotation on both hemispheres, or the label volume inside the mask. */
export function runParcellation(c: RunConfig, layout: Layout): Parcellation {
  if (layout.kind === "surface") return hemisphereParcellation(c, layout);
  const img = readNifti(c.regions.labels!);
  const nVox = layout.shape.slice(0, 3).reduce((a, b) => a * b, 1);
  if (img.data.length !== nVox) throw new Error(`${c.regions.labels}: label volume has ${img.data.length} voxels, the BOLD grid ${nVox}`);
  const all = parcellationFromLabelVolume(img);
  if (all.names.length === 0) throw new Error(`${c.regions.labels}: the label volume labels no voxel (every value is 0)`);
  const labels = Int32Array.from(layout.maskIndices, (i) => all.labels[i]);
  // A region outside one scan's mask scores NaN for that scan (counted in the tables' n); none inside is an error.
  if (!labels.some((l) => l >= 0)) throw new Error(`${c.regions.labels}: no labelled voxel inside the scan's brain mask (${layout.maskIndices.length} voxels)`);
  return { labels, names: all.names };
}

/** Parcellation of both hemispheres (names prefixed L_/R_) from the configured per-hemisphere labels. */
export function hemisphereParcellation(c: RunConfig, hemiVertices: { L: number; R: number }): Parcellation {
  const a = c.regions.annot;
  const labels = a === "default" ? defaultHemisphereLabels() : { L: a.L ? readSurfaceLabels(a.L) : undefined, R: a.R ? readSurfaceLabels(a.R) : undefined };
  const parc = surfaceParcellation(labels, hemiVertices, { maxVertices: c.regions.maxVertices, axis: c.regions.axis });
  if (parc.names.length === 0) {
    const files = [labels.L?.source, labels.R?.source].filter(Boolean).join(" and ");
    throw new Error(`${files}: no region has a vertex among each hemisphere's first 10,242 vertices (where regions are scored)`);
  }
  return parc;
}

export interface StoryFeatures {
  events: WordEvents;
  /** layer → W × E */
  layers: Map<number, Matrix>;
  decomposition?: Decomposition;
  /** The model's own continuation after each word (the "generated" forecast control). */
  generated?: GeneratedFutures;
}

export async function storyFeatures(c: RunConfig, scanWords: WordEvents, model: string): Promise<StoryFeatures> {
  const wanted = [...new Set([...c.layers, ...(c.forecast ? [c.forecast.layer, ...c.forecast.depthLayers] : [])])].sort((a, b) => a - b);
  const feats = await extractWordFeatures(model, scanWords, { layers: wanted, context: c.context, mode: c.contextMode, embedding: c.embedding, cacheDir: c.cacheDir });
  const W = scanWords.words.length;
  const E = feats.nEmbd;
  const layers = new Map<number, Matrix>();
  wanted.forEach((l, i) => layers.set(l, { rows: W, cols: E, data: Float64Array.from(feats.hiddenStates.subarray(i * W * E, (i + 1) * W * E)) }));
  const decomposition = c.forecast?.decompose
    ? await syntaxSemantics(model, scanWords, { layer: c.forecast.layer, k: c.forecast.k, context: c.context, mode: c.contextMode, cacheDir: c.cacheDir, states: layers.get(c.forecast.layer) })
    : undefined;
  const f = c.forecast;
  const generated = f?.controls.includes("generated")
    ? await generatedFutureFeatures(model, scanWords, { ...f.generation, words: Math.max(1, ...f.distances), layer: f.layer, cacheDir: c.cacheDir })
    : undefined;
  return { events: scanWords, layers, decomposition, generated };
}

export async function runSubject(c: RunConfig, ds: NarrativesDataset, scan: NarrativesScan, model: string, featureCache: Map<string, StoryFeatures>): Promise<SubjectResult> {
  const clock = stageClock();
  const loaded = ds.load(scan);
  if (loaded.hemiVertices && c.space !== "MNI152NLin2009cAsym") {
    // Regions, group maps and figures index the space's vertices: another count would land on the wrong ones.
    const expected = FSAVERAGE_VERTICES[c.space];
    for (const h of ["L", "R"] as const) {
      const n = loaded.hemiVertices[h];
      if (n !== expected) throw new Error(`${scan.files.find((f) => f.includes(`_hemi-${h}_`)) ?? scan.key}: ${n} vertices, but ${c.space} has ${expected} per hemisphere`);
    }
  }
  const words = ds.storyWords(loaded, { maxOutsideFraction: c.maxWordsOutside });
  const wordsReport: WordsReport = {
    alignment: words.alignment,
    total: words.words.length,
    outsideBefore: words.outside.before,
    outsideAfter: words.outside.after,
    droppedBefore: words.dropped.before,
    droppedAfter: words.dropped.after,
    clock: words.clock.convention,
    audioOnset: words.clock.audioOnset,
    clockSource: words.clock.source,
    warnings: words.warnings,
  };
  const cleaned = cleanRun(loaded.bold, { detrendOrder: c.detrendOrder });
  const masked = cleaned.nonFinite.length + cleaned.constant.length;
  const bold = cleaned.bold;
  const T = bold.rows;
  // Keyed by alignment too: a task heard in versions (milkyway) has one story name and several transcripts.
  const featureKey = `${words.alignment}/${loaded.story}`;
  clock.lap("load");
  let story = featureCache.get(featureKey);
  if (!story) {
    story = await storyFeatures(c, words, model);
    featureCache.set(featureKey, story);
  }
  clock.lap("features");
  const gen = story.generated;
  if (gen && gen.missing > 0) {
    wordsReport.warnings.push(`${featureKey}: ${gen.missing} of ${gen.W * gen.words} generated words missing (continuations reached forecast.generation.maxTokens); their window entries are zero`);
  }
  const layout: Layout = loaded.hemiVertices
    ? { kind: "surface", ...loaded.hemiVertices }
    : { kind: "volume", shape: loaded.volume!.shape, affine: loaded.volume!.affine, maskIndices: loaded.maskIndices! };
  const parc = runParcellation(c, layout);
  const skip = [...cleaned.nonFinite, ...cleaned.constant];
  const regionBold = regionAverages(bold, parc, skip);
  // One backend pair for every ridge fit and forecast sweep of the scan: kernels compile once.
  const backends = openBackends("onnxruntime", "float32");
  try {
    const ridge = { alphaSelection: c.ridge.alphaSelection, alphas: c.ridge.alphas, folds: c.ridge.folds, invalidTargets: "mask" as const, backend: backends };
    const V = bold.cols;
    const R = parc.names.length;
    const vertexScores = new Float32Array(c.layers.length * V);
    const regionScores = new Float64Array(c.layers.length * R);
    // Vertices and regions are scored in one ridge call (one decomposition per fold) as extra target columns.
    const both = { rows: T, cols: V + R, data: new Float32Array(T * (V + R)) };
    for (let t = 0; t < T; t++) {
      both.data.set(bold.data.subarray(t * V, (t + 1) * V), t * (V + R));
      for (let q = 0; q < R; q++) both.data[t * (V + R) + V + q] = Number.isFinite(regionBold.data[t * R + q]) ? regionBold.data[t * R + q] : 0;
    }
    for (const [i, layer] of c.layers.entries()) {
      const { design } = wordDesign(story.layers.get(layer)!, words.onsets, { ...trDesignOf(c), tr: loaded.tr, nTRs: T });
      const r = (await brainScore(design, both, ridge)).r;
      vertexScores.set(r.subarray(0, V), i * V);
      regionScores.set(r.subarray(V), i * R);
    }
    clock.lap("brain scores");
    let forecast: SubjectResult["forecast"];
    if (c.forecast) {
      const f = c.forecast;
      const common = { tr: loaded.tr, distances: f.distances, windowLength: f.windowLength, nComponents: f.components, design: trDesignOf(c), folds: c.ridge.folds, ridge: { alphaSelection: c.ridge.alphaSelection, alphas: c.ridge.alphas }, backend: backends };
      const X = story.layers.get(f.layer)!;
      const analyses: Record<string, { forecast: Float64Array; baseline: Float64Array }> = {};
      const vertex: Record<string, Float32Array> = {};
      const D = f.distances.length;
      // The sweeps the paper maps (full; syntax and semantics) run on every vertex and region in one ridge call
      // per distance; the controls on regions only. Results: F(d) as [D × columns], baselines per column.
      const regionsOnly = { rows: T, cols: R, data: Float64Array.from(regionBold.data, (v) => (Number.isFinite(v) ? v : 0)) };
      let bothBaseline: Float64Array | undefined;
      const sweepAll = async (name: string, extra: object) => {
        const targets = f.vertexLevel ? both : regionsOnly;
        const res = await forecastSweep(X, words.onsets, targets, { ...common, ...extra, baseline: bothBaseline });
        bothBaseline = res.baseline;
        const C = targets.cols;
        const off = C - R; // region columns come last
        const fc = new Float64Array(D * R);
        for (let i = 0; i < D; i++) fc.set(res.forecast.subarray(i * C + off, i * C + C), i * R);
        analyses[name] = { forecast: fc, baseline: res.baseline.slice(off) };
        if (f.vertexLevel) {
          const vf = new Float32Array(D * V);
          for (let i = 0; i < D; i++) vf.set(res.forecast.subarray(i * C, i * C + V), i * V);
          vertex[name] = vf;
        }
      };
      // Sweeps on every vertex count as "vertex sweeps", the rest (controls, banded, depth) as "region sweeps".
      const sweepStage = f.vertexLevel ? "vertex sweeps" : "region sweeps";
      const list = forecastAnalyses({ controls: f.controls, decomposition: story.decomposition });
      for (const a of list) {
        if (a.mapped) {
          await sweepAll(a.name, { windowFeatures: a.windowFeatures });
          clock.lap(sweepStage);
        } else {
          const res = await forecastSweep(X, words.onsets, regionsOnly, { ...common, control: a.control, generated: story.generated, baseline: analyses.full.baseline });
          analyses[a.name] = { forecast: res.forecast, baseline: res.baseline };
          clock.lap("region sweeps");
        }
      }
      if (f.ridge === "banded") {
        // The mapped analyses with one weight per feature space (regions only: the inner search is costly).
        let bandedBaseline: Float64Array | undefined;
        for (const a of list.filter((x) => x.mapped)) {
          const res = await forecastSweep(X, words.onsets, regionsOnly, { ...common, windowFeatures: a.windowFeatures, ridgeKind: "banded", baseline: bandedBaseline });
          bandedBaseline = res.baseline;
          analyses[`banded_${a.name}`] = { forecast: res.forecast, baseline: res.baseline };
        }
      }
      const depth = new Float64Array(f.depthLayers.length * R);
      for (const [i, layer] of f.depthLayers.entries()) {
        const res = await forecastSweep(story.layers.get(layer)!, words.onsets, regionBold, { ...common, distances: [f.dTest] });
        depth.set(res.forecast, i * R);
      }
      forecast = { distances: f.distances, analyses, depthLayers: f.depthLayers, depth, vertex: f.vertexLevel ? vertex : undefined };
      clock.lap("region sweeps");
    }
    return { key: scan.key, subject: scan.subject, task: scan.task, story: loaded.story, regions: parc.names, layers: c.layers, layout, vertexScores, regionScores, regionBold, forecast, masked, words: wordsReport, stageSeconds: clock.seconds, stageCpuSeconds: clock.cpuSeconds };
  } finally {
    await backends.dispose();
  }
}

/** A subject's vertex-level F(d) [distances × V] for one analysis, from memory or its stored file. */
export function vertexForecast(r: SubjectResult, analysis: string): Float32Array {
  const inMemory = r.forecast?.vertex?.[analysis];
  if (inMemory) return inMemory;
  if (!r.source) throw new Error(`${r.key}: no vertex-level forecast "${analysis}"`);
  const t = readSafetensors(r.source).tensors.get(`vertex_forecast_${analysis}`);
  if (!t) throw new Error(`${r.source}: no vertex-level forecast "${analysis}"`);
  return t.data as Float32Array;
}

export function saveSubjectResult(path: string, r: SubjectResult, configHash: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const tensors: Record<string, TensorInput> = {
    vertex_scores: { shape: [r.layers.length, r.vertexScores.length / r.layers.length], data: r.vertexScores },
    region_scores: { shape: [r.layers.length, r.regions.length], data: r.regionScores },
    region_bold: { shape: [r.regionBold.rows, r.regionBold.cols], data: Float64Array.from(r.regionBold.data) },
  };
  if (r.layout.kind === "volume") tensors.mask_indices = { shape: [r.layout.maskIndices.length], data: r.layout.maskIndices };
  if (r.forecast) {
    for (const [name, a] of Object.entries(r.forecast.analyses)) {
      tensors[`forecast_${name}`] = { shape: [r.forecast.distances.length, r.regions.length], data: a.forecast };
      tensors[`baseline_${name}`] = { shape: [r.regions.length], data: a.baseline };
    }
    tensors.depth = { shape: [r.forecast.depthLayers.length, r.regions.length], data: r.forecast.depth };
    for (const [name, vf] of Object.entries(r.forecast.vertex ?? {})) tensors[`vertex_forecast_${name}`] = { shape: [r.forecast.distances.length, vf.length / r.forecast.distances.length], data: vf };
  }
  const meta = { key: r.key, subject: r.subject, task: r.task, story: r.story, regions: r.regions, layers: r.layers, layout: r.layout.kind === "surface" ? r.layout : { ...r.layout, maskIndices: undefined }, masked: r.masked, words: r.words, distances: r.forecast?.distances, analyses: r.forecast ? Object.keys(r.forecast.analyses) : [], vertexAnalyses: Object.keys(r.forecast?.vertex ?? {}), depthLayers: r.forecast?.depthLayers };
  writeSafetensors(path, tensors, { format: "brainscore.subject/1", config: configHash, meta: JSON.stringify(meta) });
}

export function loadSubjectResult(path: string, configHash?: string): SubjectResult | null {
  const r = inspectSubjectResult(path, configHash);
  return "result" in r ? r.result : null;
}

/** A stored subject result, or why it cannot be used (missing, unreadable, another configuration). */
export function inspectSubjectResult(path: string, configHash?: string): { result: SubjectResult } | { reason: string } {
  if (!existsSync(path)) return { reason: "missing" };
  let file;
  try {
    file = readSafetensors(path);
  } catch (e) {
    return { reason: `unreadable (${(e as Error).message})` };
  }
  if (configHash && file.metadata.config !== configHash) return { reason: `computed with another configuration or other weights (hash ${file.metadata.config}, this run ${configHash})` };
  try {
    return { result: { ...decodeSubjectResult(file), source: path } };
  } catch (e) {
    return { reason: `unreadable (${(e as Error).message})` };
  }
}

function decodeSubjectResult(file: ReturnType<typeof readSafetensors>): SubjectResult {
  const m = JSON.parse(file.metadata.meta);
  const t = (n: string) => {
    const x = file.tensors.get(n);
    if (!x) throw new Error(`no tensor "${n}"`);
    return x;
  };
  const rb = t("region_bold");
  const forecast = m.distances
    ? {
        distances: m.distances as number[],
        analyses: Object.fromEntries((m.analyses as string[]).map((a) => [a, { forecast: t(`forecast_${a}`).data as Float64Array, baseline: t(`baseline_${a}`).data as Float64Array }])),
        depthLayers: m.depthLayers as number[],
        depth: t("depth").data as Float64Array,
        vertexAnalyses: (m.vertexAnalyses as string[] | undefined) ?? [],
      }
    : undefined;
  const layout: Layout = m.layout.kind === "surface" ? m.layout : { ...m.layout, maskIndices: t("mask_indices").data as Int32Array };
  return {
    ...m,
    layout,
    vertexScores: t("vertex_scores").data as Float32Array,
    regionScores: t("region_scores").data as Float64Array,
    regionBold: { rows: rb.shape[0], cols: rb.shape[1], data: rb.data as Float64Array },
    forecast,
  };
}

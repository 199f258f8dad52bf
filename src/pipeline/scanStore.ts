/**
 * Storage of one scan's results: the configuration hash that decides whether a stored result can be reused,
 * where it lives, and its safetensors file (written atomically by writeSafetensors; vertex-level forecasts
 * read back on demand, one scan at a time). The scan's regions are stored with it (names and each column's
 * region), so the group stage never parcellates again.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { NarrativesScan } from "../fmri/datasets/narratives.js";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import type { Matrix } from "../linalg/dense.js";
import type { RunConfig } from "./config.js";
import type { StageSeconds } from "./stageClock.js";

/** Where the columns of a scan's BOLD live: two hemispheres' vertices, or voxels inside a volume mask. */
export type Layout =
  | { kind: "surface"; L: number; R: number }
  | { kind: "volume"; shape: number[]; affine: number[][]; maskIndices: Int32Array };

export interface SubjectResult {
  key: string;
  subject: string;
  task: string;
  story: string;
  regions: string[];
  /** Per column (vertex or voxel inside the mask): the index of its region in `regions`, −1 for none. */
  regionLabels: Int32Array;
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
    /**
     * Vertex-level F(d) per mapped analysis (full, syntax, semantics): [distances × V]; read from `source` when stored.
     */
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
  const relevant = {
    weightsSha256,
    wordClock: c.wordClock,
    maxWordsOutside: c.maxWordsOutside,
    model: c.model,
    layers: c.layers,
    context: c.context,
    contextMode: c.contextMode,
    embedding: c.embedding,
    ridge: c.ridge,
    detrendOrder: c.detrendOrder,
    regions: c.regions,
    forecast: c.forecast,
    space: c.space,
    pipeline: c.pipeline,
  };
  return createHash("sha256").update(JSON.stringify(relevant)).digest("hex").slice(0, 16);
}

/** The stored result's format: /2 added each column's region (region_labels). */
const SCAN_FORMAT = "brainscore.subject/2";

export function subjectResultPath(c: RunConfig, scan: NarrativesScan): string {
  return join(c.outDir, c.name, "subjects", scan.task, `${scan.key}.safetensors`);
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
    region_labels: { shape: [r.regionLabels.length], data: r.regionLabels },
  };
  if (r.layout.kind === "volume")
    tensors.mask_indices = { shape: [r.layout.maskIndices.length], data: r.layout.maskIndices };
  if (r.forecast) {
    for (const [name, a] of Object.entries(r.forecast.analyses)) {
      tensors[`forecast_${name}`] = { shape: [r.forecast.distances.length, r.regions.length], data: a.forecast };
      tensors[`baseline_${name}`] = { shape: [r.regions.length], data: a.baseline };
    }
    tensors.depth = { shape: [r.forecast.depthLayers.length, r.regions.length], data: r.forecast.depth };
    for (const [name, vf] of Object.entries(r.forecast.vertex ?? {}))
      tensors[`vertex_forecast_${name}`] = {
        shape: [r.forecast.distances.length, vf.length / r.forecast.distances.length],
        data: vf,
      };
  }
  const meta = {
    key: r.key,
    subject: r.subject,
    task: r.task,
    story: r.story,
    regions: r.regions,
    layers: r.layers,
    layout: r.layout.kind === "surface" ? r.layout : { ...r.layout, maskIndices: undefined },
    masked: r.masked,
    words: r.words,
    distances: r.forecast?.distances,
    analyses: r.forecast ? Object.keys(r.forecast.analyses) : [],
    vertexAnalyses: Object.keys(r.forecast?.vertex ?? {}),
    depthLayers: r.forecast?.depthLayers,
  };
  writeSafetensors(path, tensors, { format: SCAN_FORMAT, config: configHash, meta: JSON.stringify(meta) });
}

export function loadSubjectResult(path: string, configHash?: string): SubjectResult | null {
  const r = inspectSubjectResult(path, configHash);
  return "result" in r ? r.result : null;
}

/** A stored subject result, or why it cannot be used (missing, unreadable, another configuration). */
export function inspectSubjectResult(
  path: string,
  configHash?: string,
): { result: SubjectResult } | { reason: string } {
  if (!existsSync(path)) return { reason: "missing" };
  let file;
  try {
    file = readSafetensors(path);
  } catch (e) {
    return { reason: `unreadable (${(e as Error).message})` };
  }
  if (file.metadata.format !== SCAN_FORMAT)
    return {
      reason: `stored by another version of brainscore (format ${file.metadata.format ?? "unknown"}, this version writes ${SCAN_FORMAT})`,
    };
  if (configHash && file.metadata.config !== configHash)
    return {
      reason: `computed with another configuration or other weights (hash ${file.metadata.config}, this run ${configHash})`,
    };
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
        analyses: Object.fromEntries(
          (m.analyses as string[]).map((a) => [
            a,
            { forecast: t(`forecast_${a}`).data as Float64Array, baseline: t(`baseline_${a}`).data as Float64Array },
          ]),
        ),
        depthLayers: m.depthLayers as number[],
        depth: t("depth").data as Float64Array,
        vertexAnalyses: (m.vertexAnalyses as string[] | undefined) ?? [],
      }
    : undefined;
  const layout: Layout =
    m.layout.kind === "surface" ? m.layout : { ...m.layout, maskIndices: t("mask_indices").data as Int32Array };
  return {
    ...m,
    layout,
    vertexScores: t("vertex_scores").data as Float32Array,
    regionScores: t("region_scores").data as Float64Array,
    regionBold: { rows: rb.shape[0], cols: rb.shape[1], data: rb.data as Float64Array },
    regionLabels: t("region_labels").data as Int32Array,
    forecast,
  };
}

/**
 * The per-subject stage of `brainscore run`: one scan → cleaned BOLD → brain scores per layer (every
 * vertex and every region) → region-level forecast sweeps (full, controls, syntax, semantics) and F(d) per
 * layer for the forecast depth. The story's features come from storyFeatures.ts, the scan's regions from
 * scanRegions.ts, and its storage (one safetensors file per scan, so a rerun skips finished subjects and a
 * Slurm array can split subjects across jobs) is scanStore.ts.
 */
import { openBackends } from "../backend/index.js";
import { brainScore } from "../ridge/crossValidate.js";
import { FSAVERAGE_VERTICES } from "../fmri/fsaverage.js";
import type { NarrativesDataset, NarrativesScan } from "../fmri/datasets/narratives.js";
import { wordDesign } from "../fmri/design/wordDesign.js";
import { cleanRun } from "../fmri/preprocess.js";
import { regionAverages } from "../fmri/regions.js";
import { forecastAnalyses } from "../forecast/analyses.js";
import { forecastSweep } from "../forecast/sweep.js";
import { trDesignOf, type RunConfig } from "./config.js";
import type { Layout, SubjectResult, WordsReport } from "./scanStore.js";
import { runParcellation } from "./scanRegions.js";
import { stageClock } from "./stageClock.js";
import { storyFeatures, type StoryFeatures } from "./storyFeatures.js";

export async function runSubject(
  c: RunConfig,
  ds: NarrativesDataset,
  scan: NarrativesScan,
  model: string,
  featureCache: Map<string, StoryFeatures>,
): Promise<SubjectResult> {
  const clock = stageClock();
  const loaded = ds.load(scan);
  if (loaded.hemiVertices && c.space !== "MNI152NLin2009cAsym") {
    // Regions, group maps and figures index the space's vertices: another count would land on the wrong ones.
    const expected = FSAVERAGE_VERTICES[c.space];
    for (const h of ["L", "R"] as const) {
      const n = loaded.hemiVertices[h];
      if (n !== expected)
        throw new Error(
          `${scan.files.find((f) => f.includes(`_hemi-${h}_`)) ?? scan.key}: ${n} vertices, but ${c.space} has ${expected} per hemisphere`,
        );
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
    wordsReport.warnings.push(
      `${featureKey}: ${gen.missing} of ${gen.W * gen.words} generated words missing (continuations reached forecast.generation.maxTokens); their window entries are zero`,
    );
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
    const ridge = {
      alphaSelection: c.ridge.alphaSelection,
      alphas: c.ridge.alphas,
      folds: c.ridge.folds,
      invalidTargets: "mask" as const,
      backend: backends,
    };
    const V = bold.cols;
    const R = parc.names.length;
    const vertexScores = new Float32Array(c.layers.length * V);
    const regionScores = new Float64Array(c.layers.length * R);
    // Vertices and regions are scored in one ridge call (one decomposition per fold) as extra target columns.
    const both = { rows: T, cols: V + R, data: new Float32Array(T * (V + R)) };
    for (let t = 0; t < T; t++) {
      both.data.set(bold.data.subarray(t * V, (t + 1) * V), t * (V + R));
      for (let q = 0; q < R; q++)
        both.data[t * (V + R) + V + q] = Number.isFinite(regionBold.data[t * R + q]) ? regionBold.data[t * R + q] : 0;
    }
    for (const [i, layer] of c.layers.entries()) {
      const { design } = wordDesign(story.layers.get(layer)!, words.onsets, {
        ...trDesignOf(c),
        tr: loaded.tr,
        nTRs: T,
      });
      const r = (await brainScore(design, both, ridge)).r;
      vertexScores.set(r.subarray(0, V), i * V);
      regionScores.set(r.subarray(V), i * R);
    }
    clock.lap("brain scores");
    let forecast: SubjectResult["forecast"];
    if (c.forecast) {
      const f = c.forecast;
      const common = {
        tr: loaded.tr,
        distances: f.distances,
        windowLength: f.windowLength,
        nComponents: f.components,
        design: trDesignOf(c),
        folds: c.ridge.folds,
        ridge: { alphaSelection: c.ridge.alphaSelection, alphas: c.ridge.alphas },
        backend: backends,
      };
      const X = story.layers.get(f.layer)!;
      const analyses: Record<string, { forecast: Float64Array; baseline: Float64Array }> = {};
      const vertex: Record<string, Float32Array> = {};
      const D = f.distances.length;
      // The sweeps the paper maps (full; syntax and semantics) run on every vertex and region in one ridge call
      // per distance; the controls on regions only. Results: F(d) as [D × columns], baselines per column.
      const regionsOnly = {
        rows: T,
        cols: R,
        data: Float64Array.from(regionBold.data, (v) => (Number.isFinite(v) ? v : 0)),
      };
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
          const res = await forecastSweep(X, words.onsets, regionsOnly, {
            ...common,
            control: a.control,
            generated: story.generated,
            baseline: analyses.full.baseline,
          });
          analyses[a.name] = { forecast: res.forecast, baseline: res.baseline };
          clock.lap("region sweeps");
        }
      }
      if (f.ridge === "banded") {
        // The mapped analyses with one weight per feature space (regions only: the inner search is costly).
        let bandedBaseline: Float64Array | undefined;
        for (const a of list.filter((x) => x.mapped)) {
          const res = await forecastSweep(X, words.onsets, regionsOnly, {
            ...common,
            windowFeatures: a.windowFeatures,
            ridgeKind: "banded",
            baseline: bandedBaseline,
          });
          bandedBaseline = res.baseline;
          analyses[`banded_${a.name}`] = { forecast: res.forecast, baseline: res.baseline };
        }
      }
      const depth = new Float64Array(f.depthLayers.length * R);
      for (const [i, layer] of f.depthLayers.entries()) {
        const res = await forecastSweep(story.layers.get(layer)!, words.onsets, regionBold, {
          ...common,
          distances: [f.dTest],
        });
        depth.set(res.forecast, i * R);
      }
      forecast = {
        distances: f.distances,
        analyses,
        depthLayers: f.depthLayers,
        depth,
        vertex: f.vertexLevel ? vertex : undefined,
      };
      clock.lap("region sweeps");
    }
    return {
      key: scan.key,
      subject: scan.subject,
      task: scan.task,
      story: loaded.story,
      regions: parc.names,
      regionLabels: parc.labels,
      layers: c.layers,
      layout,
      vertexScores,
      regionScores,
      regionBold,
      forecast,
      masked,
      words: wordsReport,
      stageSeconds: clock.seconds,
      stageCpuSeconds: clock.cpuSeconds,
    };
  } finally {
    await backends.dispose();
  }
}

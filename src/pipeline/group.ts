/**
 * The group stage of `brainscore run` (also `brainscore merge` after sharded runs): statistics across
 * subjects, the noise ceiling, tidy tables (Parquet + CSV), GIfTI maps per hemisphere and PNG figures.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { brainScore } from "../encoding/ridge/crossValidate.js";
import { writeGifti } from "../fmri/formats/gifti.js";
import { writeNifti } from "../fmri/formats/nifti.js";
import type { Matrix } from "../linalg/dense.js";
import { brainMapSvg } from "../report/figures/brainMap.js";
import { lineChartSvg, type Series } from "../report/figures/lineChart.js";
import { writeSvgAsPng } from "../report/figures/png.js";
import type { Row } from "../report/csv.js";
import { writeTable } from "../report/table.js";
import { writeMapViewer, type ViewerMap } from "../report/viewer.js";
import { bootstrapMeanCi, fdrBh, wilcoxon } from "../stats/tests.js";
import { groupForecastPeaks, kStarFromMeans, meanOverSubjects } from "../forecast/group.js";
import type { RunConfig } from "./config.js";
import { groupSpace } from "./groupSpace.js";
import { runParcellation, vertexForecast, type SubjectResult } from "./subject.js";

export interface GroupOutputs {
  files: string[];
  summary: string[];
}

const hemiOf = (region: string) => (/^[LR]_/.test(region) ? region[0] : null);
const mean = (xs: number[]) => {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

export async function groupStage(c: RunConfig, stored: SubjectResult[]): Promise<GroupOutputs> {
  if (stored.length === 0) throw new Error("group stage: no subject results to combine");
  const root = join(c.outDir, c.name);
  for (const d of ["tables", "maps", "figures"]) mkdirSync(join(root, d), { recursive: true });
  const files: string[] = [];
  const summary: string[] = [];
  // A scan with no valid target (every vertex NaN or constant) is reported and kept out of the statistics.
  const results = stored.filter((r) => r.vertexScores.some(Number.isFinite));
  for (const r of stored) if (!results.includes(r)) summary.push(`excluded from group statistics: ${r.key} (no valid target: every vertex NaN or constant)`);
  if (results.length === 0) throw new Error(`group stage: no scan has a valid target (${stored.map((r) => r.key).join(", ")}: every vertex NaN or constant)`);
  const regions = results[0].regions;
  const R = regions.length;
  for (const r of results) if (r.regions.join() !== regions.join()) throw new Error(`${r.key}: regions differ from ${results[0].key}`);
  const layers = c.layers;

  // Brain scores per region and layer.
  const scoreRows: Row[] = [];
  for (const r of results) {
    layers.forEach((layer, li) => regions.forEach((region, q) => scoreRows.push({ subject: r.subject, task: r.task, model: c.model, layer, analysis: "brain_score", d: null, hemi: hemiOf(region), region, score: r.regionScores[li * R + q] })));
  }
  files.push(...writeTable(join(root, "tables", "brain_scores"), scoreRows));
  // Words per scan: the clock their alignment was read on and how many fell outside the trimmed scan.
  const wordRows: Row[] = results.map((r) => ({
    subject: r.subject, task: r.task, story: r.story, alignment: r.words.alignment, clock: r.words.clock, audio_onset: r.words.audioOnset,
    clock_source: r.words.clockSource, words: r.words.total, outside_before: r.words.outsideBefore, outside_after: r.words.outsideAfter, dropped_before: r.words.droppedBefore, dropped_after: r.words.droppedAfter,
  }));
  files.push(...writeTable(join(root, "tables", "words"), wordRows));
  const dropped = results.filter((r) => r.words.droppedBefore + r.words.droppedAfter > 0);
  if (dropped.length > 0) summary.push(`words outside the trimmed scan (dropped from the design): ${[...new Set(dropped.map((r) => `${r.words.alignment} ${r.words.droppedBefore} before, ${r.words.droppedAfter} after`))].join("; ")}`);
  const groupRows: Row[] = [];
  const pvals: number[] = [];
  layers.forEach((layer, li) =>
    regions.forEach((region, q) => {
      const xs = results.map((r) => r.regionScores[li * R + q]).filter(Number.isFinite);
      const ci = bootstrapMeanCi(xs, { samples: c.statistics.bootstrap, seed: li * 7919 + q });
      const p = xs.length >= 2 && xs.some((x) => x !== 0) ? wilcoxon(xs, "greater").pvalue : NaN;
      pvals.push(Number.isFinite(p) ? p : 1);
      groupRows.push({ layer, hemi: hemiOf(region), region, n: xs.length, mean: ci.mean, ci_low: ci.low, ci_high: ci.high, p });
    }),
  );
  fdrBh(pvals).forEach((p, i) => (groupRows[i].p_fdr = p));
  files.push(...writeTable(join(root, "tables", "group_brain_scores"), groupRows));

  // Maps: subject-mean brain score per layer — GIfTI per hemisphere (surfaces) or NIfTI (volumes).
  // Averages by vertex, or by voxel position on the common grid (each volume scan has its own mask).
  const space = groupSpace(results);
  const layout = space.layout;
  const surface = layout.kind === "surface";
  const nL = layout.kind === "surface" ? layout.L : 0;
  const nR = layout.kind === "surface" ? layout.R : 0;
  const V = space.V;
  const scores = results.map((r) => space.expand(r, r.vertexScores, layers.length));
  const layerMaps = layers.map((_, li) => {
    const m = new Float32Array(V);
    for (let v = 0; v < V; v++) m[v] = mean(scores.map((s) => s[li * V + v]));
    return m;
  });
  const writeHemiMaps = (stem: string, values: Float32Array | Float64Array, intent = "NIFTI_INTENT_NONE") => {
    if (layout.kind === "volume") {
      const [x, y, z] = layout.shape;
      const vol = new Float32Array(x * y * z).fill(NaN);
      layout.maskIndices.forEach((voxel, k) => (vol[voxel] = values[k]));
      const path = join(root, "maps", `${stem}.nii.gz`);
      writeNifti(path, { shape: [x, y, z], data: vol, affine: layout.affine, zooms: [0, 1, 2].map((i) => Math.hypot(layout.affine[0][i], layout.affine[1][i], layout.affine[2][i])) });
      files.push(path);
      return;
    }
    for (const [h, off, n] of [["L", 0, nL], ["R", nL, nR]] as const) {
      const path = join(root, "maps", `${stem}_hemi-${h}.func.gii`);
      writeGifti(path, [{ intent, data: Float32Array.from(values.subarray(off, off + n)), dims: [n] }], {
        meta: { AnatomicalStructurePrimary: h === "L" ? "CortexLeft" : "CortexRight" },
      });
      files.push(path);
    }
  };
  layers.forEach((layer, li) => writeHemiMaps(`brain_score_layer-${layer}`, layerMaps[li]));
  if (layout.kind === "volume") {
    writeHemiMaps("subjects_per_voxel", Float32Array.from(space.counts));
    const partial = space.counts.filter((n) => n < results.length).length;
    if (partial > 0) summary.push(`volume: ${V} voxels in the union of ${results.length} brain masks; ${partial} covered by only some scans (maps/subjects_per_voxel)`);
  }
  // Vertex-level significance of the brain score across subjects (one-sided Wilcoxon, FDR) per layer.
  const sigRows: Row[] = [];
  layers.forEach((layer, li) => {
    const p = Float64Array.from({ length: V }, (_, v) => {
      const xs = scores.map((s) => s[li * V + v]).filter(Number.isFinite);
      return xs.length >= 2 && xs.some((x) => x !== 0) ? wilcoxon(xs, "greater").pvalue : 1;
    });
    const q = fdrBh(p);
    const n = q.filter((x) => x < c.statistics.alpha).length;
    sigRows.push({ layer, vertices: V, significant: n, fraction: n / V, alpha: c.statistics.alpha, subjects: results.length });
    writeHemiMaps(`brain_score_fdr_layer-${layer}`, Float32Array.from(layerMaps[li], (m, v) => (q[v] < c.statistics.alpha ? m : NaN)));
  });
  files.push(...writeTable(join(root, "tables", "vertex_significance"), sigRows));
  const layerMeans = layerMaps.map((m) => mean(Array.from(m)));
  const best = Math.max(0, layerMeans.findIndex((m) => m === Math.max(...layerMeans.filter(Number.isFinite))));
  if (!layerMeans.some(Number.isFinite)) summary.push("brain score: no finite vertex score in any layer (every vertex constant or masked)");
  else summary.push(`brain score: mean over vertices and subjects peaks at layer ${layers[best]} (r = ${layerMeans[best].toFixed(4)}); ${results.length} scans; FDR-significant vertices at that layer: ${(100 * Number(sigRows[best].fraction)).toFixed(1)}%`);

  const figure = (name: string, svg: string) => {
    const path = join(root, "figures", name);
    writeSvgAsPng(path, svg);
    files.push(path);
  };
  // Brain score per layer: mean over regions of each hemisphere, with bootstrap bands across subjects.
  const perLayer: Series[] = (["L", "R"] as const).map((h) => {
    const idx = regions.map((r, q) => (hemiOf(r) === h ? q : -1)).filter((q) => q >= 0);
    const bySubject = (li: number) => results.map((r) => mean(idx.map((q) => r.regionScores[li * R + q])));
    const cis = layers.map((_, li) => bootstrapMeanCi(bySubject(li), { samples: c.statistics.bootstrap, seed: li }));
    return { name: h === "L" ? "left hemisphere" : "right hemisphere", x: layers, y: cis.map((x) => x.mean), band: { low: cis.map((x) => x.low), high: cis.map((x) => x.high) } };
  });
  figure("brain_score_by_layer.png", lineChartSvg({ title: `Brain score per layer (${c.model}, ${results.length} scans)`, xLabel: "layer", yLabel: "brain score (Pearson r)", series: perLayer, markPeaks: true }));
  if (surface) figure("brain_score_map.png", brainMapSvg({ title: `Brain score, layer ${layers[best]} (mean of ${results.length} scans)`, values: { L: layerMaps[best].subarray(0, nL), R: layerMaps[best].subarray(nL) }, label: "Pearson r", threshold: 0 }));

  // Noise ceiling.
  if (c.noiseCeiling) {
    const rows = await noiseCeiling(c, results);
    if (rows.length > 0) {
      files.push(...writeTable(join(root, "tables", "noise_ceiling"), rows));
      summary.push(`noise ceiling: mean r ${mean(rows.map((r) => Number(r.score))).toFixed(4)} over ${rows.length} subject-region pairs`);
    }
  }

  const extraViewerMaps: ViewerMap[] = [];
  const f = c.forecast;
  const withForecast = results.filter((r) => r.forecast);
  if (f && withForecast.length > 0) {
    const D = f.distances.length;
    const analyses = Object.keys(withForecast[0].forecast!.analyses);
    const fRows: Row[] = [];
    for (const r of withForecast) {
      for (const a of analyses) {
        const fc = r.forecast!.analyses[a].forecast;
        f.distances.forEach((d, i) => regions.forEach((region, q) => fRows.push({ subject: r.subject, task: r.task, model: c.model, layer: f.layer, analysis: a, d, hemi: hemiOf(region), region, score: fc[i * R + q] })));
      }
    }
    files.push(...writeTable(join(root, "tables", "forecast"), fRows));
    // Per region: F(dTest) − F(dRef) > 0 across subjects, FDR; d* where significant; k* from the depth
    // sweep — the library's group statistics (src/forecast/group.ts), one rule for every caller.
    const asSweep = (a: string) => withForecast.map((r) => ({ distances: f.distances, forecast: r.forecast!.analyses[a].forecast, nTargets: R }));
    const peaks = groupForecastPeaks(asSweep("full"), { dTest: f.dTest, dRef: f.dRef, alpha: c.statistics.alpha });
    const meanF = (a: string) => (a === "full" ? peaks.meanForecast : meanOverSubjects(asSweep(a).map((s) => s.forecast), D * R).mean);
    const depthLayers = withForecast[0].forecast!.depthLayers;
    const kStarAll = kStarFromMeans(depthLayers, meanOverSubjects(withForecast.map((r) => r.forecast!.depth), depthLayers.length * R).mean, R);
    const dStar = Array.from(peaks.dStarAll, (d) => (Number.isFinite(d) ? d : null));
    const kStar = Array.from(kStarAll, (k) => (Number.isFinite(k) ? k : null));
    const peakRows: Row[] = regions.map((region, q) => ({
      hemi: hemiOf(region), region, n: peaks.nSubjects[q], d_star: dStar[q], k_star: kStar[q], p: peaks.p[q], p_fdr: peaks.pFdr[q], significant: peaks.significant[q] === 1, peak_forecast: peaks.peak[q],
    }));
    files.push(...writeTable(join(root, "tables", "forecast_peaks"), peakRows));
    const significant = peakRows.filter((r) => r.significant).length;
    summary.push(`forecast: ${significant} of ${R} regions with F(${f.dTest}) > F(${f.dRef}) (one-sided Wilcoxon, FDR < ${c.statistics.alpha}) and a positive peak; their d*: ${peakRows.filter((r) => r.significant).map((r) => `${r.region} ${r.d_star}`).join(", ") || "none"}`);
    // Maps of d* and k* (region-painted; NaN where not significant).
    const parc = runParcellation(c, layout);
    const paint = (values: (number | null)[]) =>
      Float32Array.from(parc.labels, (q) => (q >= 0 && peakRows[q].significant && values[q] !== null ? Number(values[q]) : NaN));
    const dMap = paint(dStar);
    const kMap = paint(kStar);
    writeHemiMaps("forecast_dstar", dMap);
    writeHemiMaps("forecast_kstar", kMap);
    extraViewerMaps.push(
      { name: "forecast distance d*", L: dMap.subarray(0, nL), R: dMap.subarray(nL), min: Math.min(...f.distances), max: Math.max(...f.distances) },
      { name: "forecast depth k*", L: kMap.subarray(0, nL), R: kMap.subarray(nL), min: Math.min(...depthLayers), max: Math.max(...depthLayers) },
    );
    if (surface) figure("forecast_dstar_map.png", brainMapSvg({ title: `Forecast distance d* (significant regions)`, values: { L: dMap.subarray(0, nL), R: dMap.subarray(nL) }, label: "d* (words)", colormap: "viridis", vmin: Math.min(...f.distances), vmax: Math.max(...f.distances) }));
    if (surface) figure("forecast_kstar_map.png", brainMapSvg({ title: `Forecast depth k* (significant regions)`, values: { L: kMap.subarray(0, nL), R: kMap.subarray(nL) }, label: "k* (layer)", colormap: "viridis", vmin: Math.min(...depthLayers), vmax: Math.max(...depthLayers) }));
    // Vertex level (the paper's Figs. 2–4): the same statistics per vertex, subjects streamed from disk.
    const mapped = withForecast[0].forecast!.vertexAnalyses ?? Object.keys(withForecast[0].forecast!.vertex ?? {});
    if (mapped.includes("full") && withForecast.every((r) => (r.forecast!.vertexAnalyses ?? Object.keys(r.forecast!.vertex ?? {})).includes("full"))) {
      const vRows: Row[] = [];
      for (const a of mapped) {
        const subjectsOf = function* () {
          for (const r of withForecast) yield { distances: f.distances, forecast: space.expand(r, vertexForecast(r, a), D), nTargets: V };
        };
        const vp = groupForecastPeaks(subjectsOf(), { dTest: f.dTest, dRef: f.dRef, alpha: c.statistics.alpha });
        const iT = f.distances.indexOf(f.dTest);
        const fTest = Float32Array.from(vp.meanForecast.subarray(iT * V, (iT + 1) * V));
        const dMapV = Float32Array.from(vp.dStar);
        writeHemiMaps(`forecast_vertex_${a}_F${f.dTest}`, fTest);
        writeHemiMaps(`forecast_vertex_${a}_dstar`, dMapV);
        const sig = vp.significant.reduce((x, y) => x + y, 0);
        const ds = Array.from(vp.dStar).filter(Number.isFinite).sort((x, y) => x - y);
        vRows.push({ analysis: a, vertices: V, significant: sig, fraction: sig / V, median_d_star: ds.length ? ds[Math.floor(ds.length / 2)] : null, alpha: c.statistics.alpha, subjects: withForecast.length });
        if (a === "full") {
          summary.push(`vertex-level forecast: ${sig} of ${V} vertices with F(${f.dTest}) > F(${f.dRef}) (FDR < ${c.statistics.alpha}) and a positive peak; median d* ${ds.length ? ds[Math.floor(ds.length / 2)] : "–"}`);
          extraViewerMaps.push({ name: `F(${f.dTest}) per vertex`, L: fTest.subarray(0, nL), R: fTest.subarray(nL), threshold: 0 }, { name: "d* per vertex", L: dMapV.subarray(0, nL), R: dMapV.subarray(nL), min: Math.min(...f.distances), max: Math.max(...f.distances) });
        }
        if (surface) {
          figure(`forecast_vertex_${a}_F${f.dTest}_map.png`, brainMapSvg({ title: `F(${f.dTest}) per vertex (${a}, mean of ${withForecast.length} scans)`, values: { L: fTest.subarray(0, nL), R: fTest.subarray(nL) }, label: `F(${f.dTest})`, threshold: 0 }));
          figure(`forecast_vertex_${a}_dstar_map.png`, brainMapSvg({ title: `d* per vertex (${a}, FDR-significant vertices)`, values: { L: dMapV.subarray(0, nL), R: dMapV.subarray(nL) }, label: "d* (words)", colormap: "viridis", vmin: Math.min(...f.distances), vmax: Math.max(...f.distances) }));
        }
      }
      files.push(...writeTable(join(root, "tables", "vertex_forecast"), vRows));
    }
    // F(d) per region (the paper's Fig. 2 style): the regions with the largest peaks, with bootstrap bands.
    const peakOf = (q: number) => (Number.isFinite(peaks.peak[q]) ? peaks.peak[q] : -Infinity);
    const top = [...regions.keys()].sort((a, b) => peakOf(b) - peakOf(a)).slice(0, 6);
    const band = (a: string, q: number) => {
      const cis = f.distances.map((_, i) => bootstrapMeanCi(withForecast.map((r) => r.forecast!.analyses[a].forecast[i * R + q]), { samples: c.statistics.bootstrap, seed: i }));
      return { y: cis.map((x) => x.mean), band: { low: cis.map((x) => x.low), high: cis.map((x) => x.high) } };
    };
    figure("forecast_by_region.png", lineChartSvg({ title: `Forecast score F(d), layer ${f.layer}`, xLabel: "d (words ahead)", yLabel: "F(d) = Δ brain score", vline: 0, markPeaks: true, series: top.map((q) => ({ name: regions[q], x: f.distances, ...band("full", q) })) }));
    // Full vs syntax vs semantics vs controls, averaged over the significant (or all) regions.
    const sel = peakRows.some((r) => r.significant) ? regions.map((_, q) => q).filter((q) => peakRows[q].significant) : regions.map((_, q) => q);
    const avg = (a: string) => {
      const m = meanF(a);
      return f.distances.map((_, i) => mean(sel.map((q) => m[i * R + q])));
    };
    figure("forecast_components.png", lineChartSvg({ title: `F(d) by component (${sel.length} regions)`, xLabel: "d (words ahead)", yLabel: "F(d)", vline: 0, markPeaks: true, series: analyses.map((a) => ({ name: a, x: f.distances, y: avg(a) })) }));
  }
  // Interactive viewer of every map (NiiVue, offline).
  const viewerMaps = layers.map((layer, li) => ({ name: `brain score, layer ${layer}`, L: layerMaps[li].subarray(0, nL), R: layerMaps[li].subarray(nL), threshold: 0 }));
  if (surface) files.push(writeMapViewer(join(root, "viewer"), `brainscore: ${c.name}`, [...viewerMaps, ...extraViewerMaps]));
  return { files, summary };
}


/** Each subject predicted from the mean region BOLD of the other subjects who heard the same story. */
async function noiseCeiling(c: RunConfig, results: SubjectResult[]): Promise<Row[]> {
  const rows: Row[] = [];
  const byTask = new Map<string, SubjectResult[]>();
  for (const r of results) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
  for (const [task, group] of byTask) {
    if (group.length < 2) continue;
    for (const r of group) {
      const others = group.filter((o) => o !== r && o.regionBold.rows === r.regionBold.rows);
      if (others.length === 0) continue;
      const { rows: T, cols: R } = r.regionBold;
      const x: Matrix = { rows: T, cols: R, data: new Float64Array(T * R) };
      for (const o of others) for (let i = 0; i < T * R; i++) x.data[i] += o.regionBold.data[i] / others.length;
      for (let i = 0; i < T * R; i++) if (!Number.isFinite(x.data[i])) x.data[i] = 0;
      const y = { ...r.regionBold, data: Float64Array.from(r.regionBold.data, (v) => (Number.isFinite(v) ? v : 0)) };
      const res = await brainScore(x, y, { alphaSelection: c.ridge.alphaSelection, folds: c.ridge.folds, invalidTargets: "mask" });
      r.regions.forEach((region, q) => rows.push({ subject: r.subject, task, hemi: hemiOf(region), region, analysis: "noise_ceiling", score: res.r[q] }));
    }
  }
  return rows;
}

/**
 * Brain scores across subjects: tables per region and layer (with bootstrap CIs, one-sided Wilcoxon and
 * FDR), words per scan, subject-mean maps per layer, vertex-level significance, and the layer figures.
 */
import type { Row } from "../../report/csv.js";
import { brainMapSvg } from "../../report/figures/brainMap.js";
import { lineChartSvg, type Series } from "../../report/figures/lineChart.js";
import { bootstrapMeanCi, fdrBh, wilcoxon } from "../../stats/tests.js";
import { hemiOf, mean, type GroupContext } from "./context.js";

/** Writes the brain-score outputs; returns the subject-mean map per layer and the best layer's index. */
export function brainScoreOutputs(ctx: GroupContext): { layerMaps: Float32Array[]; best: number } {
  const { c, results, regions, R, space, layout, surface, nL, V, summary, writeHemiMaps, figure, table } = ctx;
  const layers = c.layers;
  // Brain scores per region and layer.
  const scoreRows: Row[] = [];
  for (const r of results) {
    layers.forEach((layer, li) => regions.forEach((region, q) => scoreRows.push({ subject: r.subject, task: r.task, model: c.model, layer, analysis: "brain_score", d: null, hemi: hemiOf(region), region, score: r.regionScores[li * R + q] })));
  }
  table("brain_scores", scoreRows);
  // Words per scan: the clock their alignment was read on and how many fell outside the trimmed scan.
  const wordRows: Row[] = results.map((r) => ({
    subject: r.subject, task: r.task, story: r.story, alignment: r.words.alignment, clock: r.words.clock, audio_onset: r.words.audioOnset,
    clock_source: r.words.clockSource, words: r.words.total, outside_before: r.words.outsideBefore, outside_after: r.words.outsideAfter, dropped_before: r.words.droppedBefore, dropped_after: r.words.droppedAfter,
  }));
  table("words", wordRows);
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
  table("group_brain_scores", groupRows);

  // Maps: subject-mean brain score per layer (by vertex, or by voxel position on the common grid).
  const scores = results.map((r) => space.expand(r, r.vertexScores, layers.length));
  const layerMaps = layers.map((_, li) => {
    const m = new Float32Array(V);
    for (let v = 0; v < V; v++) m[v] = mean(scores.map((s) => s[li * V + v]));
    return m;
  });
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
  table("vertex_significance", sigRows);
  const layerMeans = layerMaps.map((m) => mean(Array.from(m)));
  const best = Math.max(0, layerMeans.findIndex((m) => m === Math.max(...layerMeans.filter(Number.isFinite))));
  if (!layerMeans.some(Number.isFinite)) summary.push("brain score: no finite vertex score in any layer (every vertex constant or masked)");
  else summary.push(`brain score: mean over vertices and subjects peaks at layer ${layers[best]} (r = ${layerMeans[best].toFixed(4)}); ${results.length} scans; FDR-significant vertices at that layer: ${(100 * Number(sigRows[best].fraction)).toFixed(1)}%`);

  // Brain score per layer: mean over regions of each hemisphere, with bootstrap bands across subjects.
  const perLayer: Series[] = (["L", "R"] as const).map((h) => {
    const idx = regions.map((r, q) => (hemiOf(r) === h ? q : -1)).filter((q) => q >= 0);
    const bySubject = (li: number) => results.map((r) => mean(idx.map((q) => r.regionScores[li * R + q])));
    const cis = layers.map((_, li) => bootstrapMeanCi(bySubject(li), { samples: c.statistics.bootstrap, seed: li }));
    return { name: h === "L" ? "left hemisphere" : "right hemisphere", x: layers, y: cis.map((x) => x.mean), band: { low: cis.map((x) => x.low), high: cis.map((x) => x.high) } };
  });
  figure("brain_score_by_layer.png", lineChartSvg({ title: `Brain score per layer (${c.model}, ${results.length} scans)`, xLabel: "layer", yLabel: "brain score (Pearson r)", series: perLayer, markPeaks: true }));
  if (surface) figure("brain_score_map.png", brainMapSvg({ title: `Brain score, layer ${layers[best]} (mean of ${results.length} scans)`, values: { L: layerMaps[best].subarray(0, nL), R: layerMaps[best].subarray(nL) }, label: "Pearson r", threshold: 0 }));

  return { layerMaps, best };
}

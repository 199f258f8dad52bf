/**
 * Brain scores across subjects: tables per region and layer (with bootstrap CIs, one-sided Wilcoxon and
 * FDR), words per scan, subject-mean maps per layer, vertex-level significance, and the layer figures.
 */
import type { Row } from "../../report/csv.js";
import { brainMapSvg } from "../../report/figures/brainMap.js";
import { lineChartSvg, type Series } from "../../report/figures/lineChart.js";
import { fdrAcrossTargets, finiteMean, wilcoxonGreater } from "../../stats/acrossSubjects.js";
import { bootstrapMeanCi } from "../../stats/tests.js";
import { describeBestLayer, bestLayer } from "../bestLayer.js";
import { hemiOf, type GroupContext } from "./context.js";

/**
 * Writes the brain-score outputs; returns the subject-mean map per layer, the same maps where vertices are
 * FDR-significant (NaN elsewhere) with their counts, and the best layer's index.
 */
export function brainScoreOutputs(ctx: GroupContext): {
  layerMaps: Float32Array[];
  fdrMaps: { map: Float32Array; significant: number }[];
  best: number;
} {
  const { c, results, regions, R, space, layout, surface, nL, V, summary, writeHemiMaps, figure, table } = ctx;
  const layers = c.layers;
  // Brain scores per region and layer.
  const scoreRows: Row[] = [];
  for (const r of results) {
    layers.forEach((layer, li) =>
      regions.forEach((region, q) =>
        scoreRows.push({
          subject: r.subject,
          task: r.task,
          model: c.model,
          layer,
          analysis: "brain_score",
          d: null,
          hemi: hemiOf(region),
          region,
          score: r.regionScores[li * R + q],
        }),
      ),
    );
  }
  table("brain_scores", scoreRows);
  // Words per scan: the clock their alignment was read on and how many fell outside the trimmed scan.
  const wordRows: Row[] = results.map((r) => ({
    subject: r.subject,
    task: r.task,
    story: r.story,
    alignment: r.words.alignment,
    clock: r.words.clock,
    audio_onset: r.words.audioOnset,
    clock_source: r.words.clockSource,
    words: r.words.total,
    outside_before: r.words.outsideBefore,
    outside_after: r.words.outsideAfter,
    dropped_before: r.words.droppedBefore,
    dropped_after: r.words.droppedAfter,
  }));
  table("words", wordRows);
  const dropped = results.filter((r) => r.words.droppedBefore + r.words.droppedAfter > 0);
  if (dropped.length > 0)
    summary.push(
      `words outside the trimmed scan (dropped from the design): ${[...new Set(dropped.map((r) => `${r.words.alignment} ${r.words.droppedBefore} before, ${r.words.droppedAfter} after`))].join("; ")}`,
    );
  const groupRows: Row[] = [];
  const pvals: number[] = [];
  layers.forEach((layer, li) =>
    regions.forEach((region, q) => {
      const xs = results.map((r) => r.regionScores[li * R + q]).filter(Number.isFinite);
      const ci = bootstrapMeanCi(xs, { samples: c.statistics.bootstrap, seed: li * 7919 + q });
      const p = wilcoxonGreater(xs);
      pvals.push(p);
      groupRows.push({
        layer,
        hemi: hemiOf(region),
        region,
        n: xs.length,
        mean: ci.mean,
        ci_low: ci.low,
        ci_high: ci.high,
        p,
      });
    }),
  );
  fdrAcrossTargets(pvals).forEach((q, i) => (groupRows[i].p_fdr = q));
  table("group_brain_scores", groupRows);

  // Maps: subject-mean brain score per layer (by vertex, or by voxel position on the common grid).
  const scores = results.map((r) => space.expand(r, r.vertexScores, layers.length));
  const layerMaps = layers.map((_, li) => {
    const m = new Float32Array(V);
    for (let v = 0; v < V; v++) m[v] = finiteMean(scores.map((s) => s[li * V + v]));
    return m;
  });
  layers.forEach((layer, li) => writeHemiMaps(`brain_score_layer-${layer}`, layerMaps[li]));
  if (layout.kind === "volume") {
    writeHemiMaps("subjects_per_voxel", Float32Array.from(space.counts));
    const partial = space.counts.filter((n) => n < results.length).length;
    if (partial > 0)
      summary.push(
        `volume: ${V} voxels in the union of ${results.length} brain masks; ${partial} covered by only some scans (maps/subjects_per_voxel)`,
      );
  }
  // Vertex-level significance of the brain score across subjects (one-sided Wilcoxon, FDR) per layer.
  const sigRows: Row[] = [];
  const fdrMaps: { map: Float32Array; significant: number }[] = [];
  layers.forEach((layer, li) => {
    const p = new Float64Array(V);
    const xs = new Float64Array(scores.length);
    for (let v = 0; v < V; v++) {
      scores.forEach((s, i) => (xs[i] = s[li * V + v]));
      p[v] = wilcoxonGreater(xs);
    }
    const q = fdrAcrossTargets(p);
    const n = q.filter((x) => x < c.statistics.alpha).length;
    sigRows.push({
      layer,
      vertices: V,
      significant: n,
      fraction: n / V,
      alpha: c.statistics.alpha,
      subjects: results.length,
    });
    const fdrMap = Float32Array.from(layerMaps[li], (m, v) => (q[v] < c.statistics.alpha ? m : NaN));
    fdrMaps.push({ map: fdrMap, significant: n });
    writeHemiMaps(`brain_score_fdr_layer-${layer}`, fdrMap);
  });
  // The best layer (bestLayer.ts): each scan's mean over its vertices, then the mean over scans. The
  // console, the layer figure, vertex_significance and the map all name this one layer.
  const scanMean = (s: Float32Array, li: number, from = 0, to = V) =>
    finiteMean(s.subarray(li * V + from, li * V + to));
  const layerMeans = layers.map((_, li) => finiteMean(scores.map((s) => scanMean(s, li))));
  const best = bestLayer(layerMeans, layers);
  sigRows.forEach((row, li) => Object.assign(row, { mean_score: layerMeans[li], best_layer: li === best.index }));
  table("vertex_significance", sigRows);
  if (best.index < 0)
    summary.push("brain score: no finite vertex score in any layer (every vertex constant or masked)");
  else
    summary.push(
      `brain score: best ${describeBestLayer(best)} (mean over vertices, then scans: r = ${best.mean.toFixed(4)}); ${results.length} scans; FDR-significant vertices at that layer: ${(100 * Number(sigRows[best.index].fraction)).toFixed(1)}%`,
    );

  // Brain score per layer, by the same average (over each hemisphere's vertices, then scans), with
  // bootstrap bands across scans; the best layer is marked.
  const halves = surface
    ? ([
        ["left hemisphere", 0, nL],
        ["right hemisphere", nL, V],
      ] as const)
    : ([["all voxels", 0, V]] as const);
  const perLayer: Series[] = halves.map(([name, from, to]) => {
    const cis = layers.map((_, li) =>
      bootstrapMeanCi(
        scores.map((s) => scanMean(s, li, from, to)),
        { samples: c.statistics.bootstrap, seed: li },
      ),
    );
    return {
      name,
      x: layers,
      y: cis.map((x) => x.mean),
      band: { low: cis.map((x) => x.low), high: cis.map((x) => x.high) },
    };
  });
  const bestNote = best.index < 0 ? "no finite score" : `best ${describeBestLayer(best)}, mean over vertices`;
  figure(
    "brain_score_by_layer.png",
    lineChartSvg({
      title: `Brain score per layer (${c.model}, ${results.length} scans; ${bestNote})`,
      xLabel: "layer",
      yLabel: "brain score (Pearson r, mean over vertices)",
      series: perLayer,
      vline: best.index < 0 ? undefined : best.layer,
    }),
  );
  const shown = Math.max(0, best.index);
  if (surface)
    figure(
      "brain_score_map.png",
      brainMapSvg({
        title: `Brain score, ${best.index < 0 ? `layer ${layers[0]}` : `best ${describeBestLayer(best)}`} (mean of ${results.length} scans)`,
        values: { L: layerMaps[shown].subarray(0, nL), R: layerMaps[shown].subarray(nL) },
        label: "Pearson r",
        threshold: 0,
      }),
    );

  return { layerMaps, fdrMaps, best: shown };
}

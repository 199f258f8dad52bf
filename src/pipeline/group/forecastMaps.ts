/**
 * Forecast scores across subjects: tidy F(d) tables, d* and k* per region (the library's group statistics,
 * one rule for every caller), their maps, the vertex-level maps of the paper's Figs. 2–4, and F(d) figures.
 */
import type { Row } from "../../report/csv.js";
import { brainMapSvg, integerTicks } from "../../report/figures/brainMap.js";
import { lineChartSvg } from "../../report/figures/lineChart.js";
import type { ViewerMap } from "../../report/viewer.js";
import { bootstrapMeanCi } from "../../stats/tests.js";
import { forecastTestLabel, groupForecastPeaks, kStarFromMeans } from "../../stats/forecastPeaks.js";
import { vertexForecast } from "../scanStore.js";
import { finiteMean as mean, meanOverSubjects } from "../../stats/acrossSubjects.js";
import { hemiOf, type GroupContext } from "./context.js";

/** Writes the forecast outputs (when the run has forecasts); returns the maps for the viewer. */
export function forecastOutputs(ctx: GroupContext): ViewerMap[] {
  const { c, results, regions, R, space, surface, nL, V, summary, writeHemiMaps, figure, table } = ctx;
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
        f.distances.forEach((d, i) =>
          regions.forEach((region, q) =>
            fRows.push({
              subject: r.subject,
              task: r.task,
              model: c.model,
              layer: f.layer,
              analysis: a,
              d,
              hemi: hemiOf(region),
              region,
              score: fc[i * R + q],
            }),
          ),
        );
      }
    }
    table("forecast", fRows);
    // Per region: F(dTest) − F(dRef) > 0 across subjects, FDR; d* where significant; k* from the depth
    // sweep — the library's group statistics (src/stats/forecastPeaks.ts), one rule for every caller.
    const asSweep = (a: string) =>
      withForecast.map((r) => ({ distances: f.distances, forecast: r.forecast!.analyses[a].forecast, nTargets: R }));
    const peaks = groupForecastPeaks(asSweep("full"), { dTest: f.dTest, dRef: f.dRef, alpha: c.statistics.alpha });
    const meanF = (a: string) =>
      a === "full"
        ? peaks.meanForecast
        : meanOverSubjects(
            asSweep(a).map((s) => s.forecast),
            D * R,
          ).mean;
    const depthLayers = withForecast[0].forecast!.depthLayers;
    const kStarAll = kStarFromMeans(
      depthLayers,
      meanOverSubjects(
        withForecast.map((r) => r.forecast!.depth),
        depthLayers.length * R,
      ).mean,
      R,
    );
    const dStar = Array.from(peaks.dStarAll, (d) => (Number.isFinite(d) ? d : null));
    const kStar = Array.from(kStarAll, (k) => (Number.isFinite(k) ? k : null));
    const peakRows: Row[] = regions.map((region, q) => ({
      hemi: hemiOf(region),
      region,
      n: peaks.nSubjects[q],
      d_star: dStar[q],
      k_star: kStar[q],
      p: peaks.p[q],
      p_fdr: peaks.pFdr[q],
      significant: peaks.significant[q] === 1,
      peak_forecast: peaks.peak[q],
    }));
    table("forecast_peaks", peakRows);
    // The syntactic and semantic sweeps get the same test, FDR and d* (the paper's Fig. 4: d* per component).
    const components = analyses.filter((a) => a === "syntax" || a === "semantics");
    if (components.length > 0) {
      const componentRows: Row[] = components.flatMap((a) => {
        const cp = groupForecastPeaks(asSweep(a), { dTest: f.dTest, dRef: f.dRef, alpha: c.statistics.alpha });
        return regions.map((region, q) => ({
          analysis: a,
          hemi: hemiOf(region),
          region,
          n: cp.nSubjects[q],
          d_star: Number.isFinite(cp.dStarAll[q]) ? cp.dStarAll[q] : null,
          p: cp.p[q],
          p_fdr: cp.pFdr[q],
          significant: cp.significant[q] === 1,
          peak_forecast: cp.peak[q],
        }));
      });
      table("forecast_peaks_components", componentRows);
      for (const a of components) {
        const sig = componentRows.filter((r) => r.analysis === a && r.significant);
        summary.push(
          `forecast (${a}): ${sig.length} of ${R} regions with ${forecastTestLabel(f.dTest, f.dRef)} (FDR < ${c.statistics.alpha}); their d*: ${sig.map((r) => `${r.region} ${r.d_star}`).join(", ") || "none"}`,
        );
      }
    }
    const significant = peakRows.filter((r) => r.significant).length;
    summary.push(
      `forecast: ${significant} of ${R} regions with ${forecastTestLabel(f.dTest, f.dRef)} (one-sided Wilcoxon, FDR < ${c.statistics.alpha}) and a positive peak; their d*: ${
        peakRows
          .filter((r) => r.significant)
          .map((r) => `${r.region} ${r.d_star}`)
          .join(", ") || "none"
      }`,
    );
    // Maps of d* and k* (region-painted; NaN where not significant).
    const paint = (values: (number | null)[]) =>
      Float32Array.from(space.regionLabels, (q) =>
        q >= 0 && peakRows[q].significant && values[q] !== null ? Number(values[q]) : NaN,
      );
    const dMap = paint(dStar);
    const kMap = paint(kStar);
    writeHemiMaps("forecast_dstar", dMap);
    writeHemiMaps("forecast_kstar", kMap);
    // Maps and figures say when nothing reached significance (a blank brain is otherwise unexplained).
    const regionNote =
      significant === 0
        ? `no region FDR-significant (α ${c.statistics.alpha}): nothing to paint`
        : `${significant} FDR-significant region(s) painted`;
    extraViewerMaps.push(
      {
        name: "forecast distance d*",
        L: dMap.subarray(0, nL),
        R: dMap.subarray(nL),
        min: Math.min(...f.distances),
        max: Math.max(...f.distances),
        label: "d* (words ahead)",
        note: regionNote,
      },
      {
        name: "forecast depth k*",
        L: kMap.subarray(0, nL),
        R: kMap.subarray(nL),
        min: Math.min(...depthLayers),
        max: Math.max(...depthLayers),
        label: "k* (layer)",
        note: regionNote,
      },
    );
    const regionTitle =
      significant === 0 ? `no region FDR-significant at α ${c.statistics.alpha}` : `${significant} significant regions`;
    const dRange = [Math.min(...f.distances), Math.max(...f.distances)];
    const regionMaps = [
      {
        file: "forecast_dstar_map.png",
        title: "Forecast distance d*",
        map: dMap,
        label: "d* (words)",
        range: dRange,
        ticks: integerTicks(dRange[0], dRange[1]),
      },
      {
        file: "forecast_kstar_map.png",
        title: "Forecast depth k*",
        map: kMap,
        label: "k* (layer)",
        range: [Math.min(...depthLayers), Math.max(...depthLayers)],
        ticks: depthLayers,
      },
    ];
    for (const m of surface ? regionMaps : []) {
      const values = { L: m.map.subarray(0, nL), R: m.map.subarray(nL) };
      const [vmin, vmax] = m.range;
      figure(
        m.file,
        brainMapSvg({
          title: `${m.title} (${regionTitle})`,
          values,
          label: m.label,
          colormap: "viridis",
          vmin,
          vmax,
          ticks: m.ticks,
        }),
      );
    }
    // Vertex level (the paper's Figs. 2–4): the same statistics per vertex, subjects streamed from disk.
    const mapped = withForecast[0].forecast!.vertexAnalyses ?? Object.keys(withForecast[0].forecast!.vertex ?? {});
    if (
      mapped.includes("full") &&
      withForecast.every((r) => (r.forecast!.vertexAnalyses ?? Object.keys(r.forecast!.vertex ?? {})).includes("full"))
    ) {
      const vRows: Row[] = [];
      for (const a of mapped) {
        const subjectsOf = function* () {
          for (const r of withForecast)
            yield { distances: f.distances, forecast: space.expand(r, vertexForecast(r, a), D), nTargets: V };
        };
        const vp = groupForecastPeaks(subjectsOf(), { dTest: f.dTest, dRef: f.dRef, alpha: c.statistics.alpha });
        const iT = f.distances.indexOf(f.dTest);
        const fTest = Float32Array.from(vp.meanForecast.subarray(iT * V, (iT + 1) * V));
        const dMapV = Float32Array.from(vp.dStar);
        writeHemiMaps(`forecast_vertex_${a}_F${f.dTest}`, fTest);
        writeHemiMaps(`forecast_vertex_${a}_dstar`, dMapV);
        const sig = vp.significant.reduce((x, y) => x + y, 0);
        const ds = Array.from(vp.dStar)
          .filter(Number.isFinite)
          .sort((x, y) => x - y);
        vRows.push({
          analysis: a,
          vertices: V,
          significant: sig,
          fraction: sig / V,
          median_d_star: ds.length ? ds[Math.floor(ds.length / 2)] : null,
          alpha: c.statistics.alpha,
          subjects: withForecast.length,
        });
        if (a === "full") {
          summary.push(
            `vertex-level forecast: ${sig} of ${V} vertices with ${forecastTestLabel(f.dTest, f.dRef)} (FDR < ${c.statistics.alpha}) and a positive peak; median d* ${ds.length ? ds[Math.floor(ds.length / 2)] : "–"}`,
          );
          const vertexNote =
            sig === 0
              ? `no vertex FDR-significant (α ${c.statistics.alpha}): nothing to paint`
              : `${sig} of ${V} vertices FDR-significant`;
          extraViewerMaps.push(
            {
              name: `F(${f.dTest}) per vertex`,
              L: fTest.subarray(0, nL),
              R: fTest.subarray(nL),
              threshold: 0,
              label: `F(${f.dTest}) (Δ Pearson r, mean of scans)`,
            },
            {
              name: "d* per vertex",
              L: dMapV.subarray(0, nL),
              R: dMapV.subarray(nL),
              min: Math.min(...f.distances),
              max: Math.max(...f.distances),
              label: "d* (words ahead)",
              note: vertexNote,
            },
          );
        }
        if (surface) {
          figure(
            `forecast_vertex_${a}_F${f.dTest}_map.png`,
            brainMapSvg({
              title: `F(${f.dTest}) per vertex (${a}, mean of ${withForecast.length} scans)`,
              values: { L: fTest.subarray(0, nL), R: fTest.subarray(nL) },
              label: `F(${f.dTest})`,
              threshold: 0,
            }),
          );
          figure(
            `forecast_vertex_${a}_dstar_map.png`,
            brainMapSvg({
              title: `d* per vertex (${a}; ${sig === 0 ? `no vertex FDR-significant at α ${c.statistics.alpha}` : `${sig} FDR-significant vertices`})`,
              values: { L: dMapV.subarray(0, nL), R: dMapV.subarray(nL) },
              label: "d* (words)",
              colormap: "viridis",
              vmin: Math.min(...f.distances),
              vmax: Math.max(...f.distances),
              ticks: integerTicks(Math.min(...f.distances), Math.max(...f.distances)),
            }),
          );
        }
      }
      table("vertex_forecast", vRows);
    }
    // F(d) per region (the paper's Fig. 2 style): the significant regions with the largest peaks (all
    // regions' largest peaks when none is significant), with bootstrap bands; the title says which.
    const peakOf = (q: number) => (Number.isFinite(peaks.peak[q]) ? peaks.peak[q] : -Infinity);
    const pool = significant > 0 ? [...regions.keys()].filter((q) => peakRows[q].significant) : [...regions.keys()];
    const top = pool.sort((a, b) => peakOf(b) - peakOf(a)).slice(0, 6);
    const chosen =
      significant > 0
        ? `${top.length} of ${significant} significant regions, largest peaks`
        : `largest peaks of all regions; none significant`;
    const band = (a: string, q: number) => {
      const cis = f.distances.map((_, i) =>
        bootstrapMeanCi(
          withForecast.map((r) => r.forecast!.analyses[a].forecast[i * R + q]),
          { samples: c.statistics.bootstrap, seed: i },
        ),
      );
      return { y: cis.map((x) => x.mean), band: { low: cis.map((x) => x.low), high: cis.map((x) => x.high) } };
    };
    figure(
      "forecast_by_region.png",
      lineChartSvg({
        title: `Forecast score F(d), layer ${f.layer} (${chosen})`,
        xLabel: "d (words ahead)",
        yLabel: "F(d) = Δ brain score",
        vline: 0,
        markPeaks: true,
        series: top.map((q) => ({ name: regions[q], x: f.distances, ...band("full", q) })),
      }),
    );
    // Full vs syntax vs semantics vs controls, averaged over the significant (or all) regions.
    const sel = peakRows.some((r) => r.significant)
      ? regions.map((_, q) => q).filter((q) => peakRows[q].significant)
      : regions.map((_, q) => q);
    const avg = (a: string) => {
      const m = meanF(a);
      return f.distances.map((_, i) => mean(sel.map((q) => m[i * R + q])));
    };
    figure(
      "forecast_components.png",
      lineChartSvg({
        title: `F(d) by component (mean of ${sel.length} regions${significant > 0 ? " significant in the full sweep" : "; none significant, all shown"})`,
        xLabel: "d (words ahead)",
        yLabel: "F(d)",
        vline: 0,
        markPeaks: true,
        series: analyses.map((a) => ({ name: a, x: f.distances, y: avg(a) })),
      }),
    );
  }
  return extraViewerMaps;
}

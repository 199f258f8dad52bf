/**
 * Planted vs recovered, for a simulated run: per planted region, the analysis that should find it (full,
 * syntax or semantics), how many of its parts are FDR-significant, their d* and p, and the best layer;
 * then every region with no plant that came out significant (false positives). Computed from the stored
 * results with the same group statistics as the run's tables (groupForecastPeaks, bestLayerPerRegion).
 */
import { groupForecastPeaks } from "../stats/forecastPeaks.js";
import type { SimulationTruth } from "../simulate/simulate.js";
import { bestLayerPerRegion } from "./bestLayer.js";
import type { RunConfig } from "./config.js";
import { collectResults } from "./run.js";

export interface PlantRecovery {
  plant: string;
  /** The run's regions that hold the plant (a label's parts, per hemisphere). */
  regions: string[];
  analysis: string;
  plantedD: number | null;
  plantedLayer: number;
  /** Parts FDR-significant in `analysis` (forecast plants), of `regions.length`. */
  significant: number;
  /** Median d* over the parts. */
  dStar: number | null;
  /** Largest FDR-corrected p over the parts. */
  pFdr: number;
  /** The most frequent best brain-score layer over the parts. */
  bestLayer: number;
}

export interface RecoveryReport {
  plants: PlantRecovery[];
  /** Regions without any plant that are FDR-significant in an analysis. */
  falsePositives: { analysis: string; region: string; dStar: number | null; pFdr: number }[];
  /** Regions tested per analysis (the FDR family). */
  regions: number;
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

/** The regions of a run that belong to a Desikan label in the given hemispheres (whole or split into parts). */
export function plantRegions(regions: string[], label: string, hemi: "L" | "R" | "both"): string[] {
  const hemis = hemi === "both" ? ["L", "R"] : [hemi];
  return regions.filter((r) => hemis.some((h) => r === `${h}_${label}` || r.startsWith(`${h}_${label}_part`)));
}

export async function plantRecovery(truth: SimulationTruth, config: RunConfig): Promise<RecoveryReport> {
  const f = config.forecast;
  if (!f) throw new Error("plant recovery: the run has no forecast analyses");
  const { results } = await collectResults(config);
  const withForecast = results.filter((r) => r.forecast);
  if (withForecast.length === 0) throw new Error("plant recovery: no stored result with forecasts");
  const regions = withForecast[0].regions;
  const R = regions.length;
  const analyses = Object.keys(withForecast[0].forecast!.analyses).filter(
    (a) => a === "full" || a === "syntax" || a === "semantics",
  );
  const peaks = new Map(
    analyses.map((a) => [
      a,
      groupForecastPeaks(
        withForecast.map((r) => ({ distances: f.distances, forecast: r.forecast!.analyses[a].forecast, nTargets: R })),
        { dTest: f.dTest, dRef: f.dRef, alpha: config.statistics.alpha },
      ),
    ]),
  );
  const best = bestLayerPerRegion(results);
  const layers = results[0].layers;
  const planted = new Set<string>();
  const plants = truth.regions.map((p) => {
    const names = plantRegions(regions, p.label, p.hemi);
    names.forEach((n) => planted.add(n));
    const idx = names.map((n) => regions.indexOf(n));
    const analysis = p.component && p.component !== "full" ? p.component : "full";
    const pk = peaks.get(analysis);
    const layerCounts = new Map<number, number>();
    for (const q of idx)
      if (best[q].layer >= 0) layerCounts.set(layers[best[q].layer], (layerCounts.get(layers[best[q].layer]) ?? 0) + 1);
    const bestLayer = [...layerCounts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? NaN;
    return {
      plant: p.name,
      regions: names,
      analysis,
      plantedD: p.d ?? null,
      plantedLayer: p.layer,
      significant: pk ? idx.filter((q) => pk.significant[q] === 1).length : 0,
      dStar: pk ? median(idx.map((q) => pk.dStarAll[q])) : null,
      pFdr: pk ? Math.max(...idx.map((q) => pk.pFdr[q])) : NaN,
      bestLayer,
    };
  });
  const falsePositives: RecoveryReport["falsePositives"] = [];
  for (const [a, pk] of peaks) {
    regions.forEach((region, q) => {
      if (!planted.has(region) && pk.significant[q] === 1)
        falsePositives.push({
          analysis: a,
          region,
          dStar: Number.isFinite(pk.dStarAll[q]) ? pk.dStarAll[q] : null,
          pFdr: pk.pFdr[q],
        });
    });
  }
  return { plants, falsePositives, regions: R };
}

/** The recovery as console lines (the demo prints them; the README quotes a measured run). */
export function describeRecovery(rec: RecoveryReport, alpha: number): string[] {
  const lines = [
    `planted vs recovered (FDR α ${alpha} over ${rec.regions} regions per analysis):`,
    "  plant                                  analysis   planted d  d*   significant parts  max p_FDR  planted layer  best layer",
  ];
  for (const p of rec.plants) {
    const forecastPlant = p.plantedD !== null;
    lines.push(
      // A current-word plant has no forecast: its parts should not pass the forecast test (shown in brackets).
      `  ${p.plant.padEnd(38)} ${p.analysis.padEnd(10)} ${String(p.plantedD ?? "–").padStart(9)}  ${String(forecastPlant ? (p.dStar ?? "–") : "–").padStart(3)}  ${(forecastPlant ? `${p.significant}/${p.regions.length}` : `(${p.significant}/${p.regions.length})`).padStart(17)}  ${(forecastPlant ? p.pFdr.toExponential(1) : "–").padStart(9)}  ${String(p.plantedLayer).padStart(13)}  ${String(p.bestLayer).padStart(10)}`,
    );
  }
  lines.push(
    rec.falsePositives.length === 0
      ? "  regions without a plant: none significant in any analysis"
      : `  regions without a plant that came out significant: ${rec.falsePositives.map((x) => `${x.region} (${x.analysis}, d* ${x.dStar}, p_FDR ${x.pFdr.toExponential(1)})`).join(", ")}`,
  );
  return lines;
}

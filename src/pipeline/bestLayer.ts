/**
 * Best layers, one rule everywhere: the layer with the highest group-mean brain score, ties (means equal
 * to 1e-9 relative) reported and resolved to the shallower layer. Per region for the scaling table and the
 * model comparison; over the cortex (each scan's mean over its vertices, then the mean over scans) for the
 * console, the layer figure, the tables and the maps.
 */
import { argmaxFinite, finiteMean } from "../stats/acrossSubjects.js";
import type { SubjectResult } from "./scanStore.js";

export interface BestLayer {
  /** Index into `layers`; −1 when no layer has a finite mean. */
  index: number;
  layer: number;
  mean: number;
  /** Other layers whose mean ties with the best (1e-9 relative). */
  ties: number[];
}

/** The best of per-layer means (NaN = not scored), with its ties. */
export function bestLayer(means: ArrayLike<number>, layers: number[]): BestLayer {
  const index = argmaxFinite((li) => means[li], means.length);
  if (index < 0) return { index, layer: NaN, mean: NaN, ties: [] };
  const top = means[index];
  const ties = layers.filter(
    (_, li) =>
      li !== index && Number.isFinite(means[li]) && Math.abs(means[li] - top) <= 1e-9 * Math.max(Math.abs(top), 1e-300),
  );
  return { index, layer: layers[index], mean: top, ties };
}

/** "layer 4" or "layer 4 (tied with layer 8)": how outputs name a best layer. */
export function describeBestLayer(b: BestLayer): string {
  return `layer ${b.layer}${b.ties.length ? ` (tied with layer ${b.ties.join(", ")})` : ""}`;
}

export interface RegionBest {
  /** Index into the results' layers; −1 where no layer has a finite mean (the region is never scored). */
  layer: number;
  /** That layer's mean score over the scans with a finite score; NaN with layer −1. */
  mean: number;
}

/** Per region of `results` (scans scored on the same layers and regions); ties go to the shallower layer. */
export function bestLayerPerRegion(results: SubjectResult[]): RegionBest[] {
  const R = results[0]?.regions.length ?? 0;
  const L = results[0]?.layers.length ?? 0;
  const layers = Array.from({ length: L }, (_, li) => li);
  return Array.from({ length: R }, (_, q) => {
    const means = layers.map((li) => finiteMean(results.map((r) => r.regionScores[li * R + q])));
    const b = bestLayer(means, layers);
    return { layer: b.index, mean: b.mean };
  });
}

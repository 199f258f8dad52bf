/**
 * The best layer per region: the layer with the highest group-mean brain score over scans. One rule for
 * the scaling table and the model comparison, so "each model at its best layer" means the same in both.
 */
import type { SubjectResult } from "./subject.js";

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
  return Array.from({ length: R }, (_, q) => {
    let best: RegionBest = { layer: -1, mean: NaN };
    for (let li = 0; li < L; li++) {
      let sum = 0;
      let n = 0;
      for (const r of results) {
        const x = r.regionScores[li * R + q];
        if (Number.isFinite(x)) (sum += x), n++;
      }
      const mean = n ? sum / n : NaN;
      if (Number.isFinite(mean) && !(mean <= best.mean)) best = { layer: li, mean };
    }
    return best;
  });
}

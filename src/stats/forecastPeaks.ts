/**
 * Group-level forecast statistics, as the paper, in one implementation used by the library, the pipeline
 * and the CLI: across subjects, test F(dTest) − F(dRef) per target, or F(dTest) itself with dRef null (the
 * forecast window's gain over no window: F is already a difference of brain scores) (Wilcoxon signed-rank, one-sided
 * "greater", Benjamini–Hochberg FDR); d* = argmax over d of the subjects' mean F(d); a target is
 * significant when its FDR-corrected p < alpha and the forecast helps at its peak (mean F(d*) > 0).
 * k* = the layer whose mean F(dTest) is largest. NaN-safe (means and tests over each target's finite
 * subjects, counted; the test's guard and the FDR family are stats/acrossSubjects.ts's) and linear in
 * subjects × distances × targets.
 */
import {
  argmaxFinite,
  fdrAcrossTargets,
  FiniteMeanAccumulator,
  meanOverSubjects,
  wilcoxonGreater,
} from "./acrossSubjects.js";
import { PAPER } from "../config/paper.js";

/** One subject's sweep: F(d) as [D × V] over the shared distances. */
export interface SubjectForecast {
  distances: number[];
  forecast: Float64Array | Float32Array;
  nTargets: number;
}

export interface GroupPeaks {
  /** Mean F(d) over the subjects with a finite value: [D × V]. */
  meanForecast: Float64Array;
  /** Subjects with a finite F(dTest) − F(dRef), per target. */
  nSubjects: Int32Array;
  /**
   * Per target: uncorrected and FDR-corrected p of F(dTest) − F(dRef) > 0; NaN where untestable (fewer than
   * minSubjects finite differences, or all zero).
   */
  p: Float64Array;
  pFdr: Float64Array;
  significant: Uint8Array;
  /** d* per target: argmax of the mean F(d) (NaN when no finite mean). */
  dStarAll: Float64Array;
  /** d* where significant, NaN elsewhere. */
  dStar: Float64Array;
  /** Mean F(d*) per target. */
  peak: Float64Array;
  distances: number[];
}

export interface GroupPeakOptions {
  dTest?: number;
  /** The reference distance; null: no reference (test F(dTest) > 0). Default 0. */
  dRef?: number | null;
  alpha?: number;
  /** Fewest subjects for a test (default 2). */
  minSubjects?: number;
}

/** How outputs name the test: "F(8) > F(0)", or "F(8) > 0" without a reference distance. */
export function forecastTestLabel(dTest: number, dRef: number | null): string {
  return dRef === null ? `F(${dTest}) > 0` : `F(${dTest}) > F(${dRef})`;
}

/**
 * Subjects are read once, in order, from any iterable (a generator can load each from disk): memory is
 * D × V for the mean plus subjects × V for the F(dTest) − F(dRef) differences, whatever D is.
 */
export function groupForecastPeaks(subjects: Iterable<SubjectForecast>, options: GroupPeakOptions = {}): GroupPeaks {
  const dTest = options.dTest ?? PAPER.dTest;
  const dRef = options.dRef === undefined ? 0 : options.dRef;
  let distances: number[] | undefined;
  let V = 0;
  let iTest = -1;
  let iRef = -1;
  let acc = new FiniteMeanAccumulator(0);
  const diffRows: Float64Array[] = [];
  for (const s of subjects) {
    if (!distances) {
      distances = s.distances;
      V = s.nTargets;
      iTest = distances.indexOf(dTest);
      iRef = dRef === null ? -1 : distances.indexOf(dRef);
      if (iTest < 0 || (dRef !== null && iRef < 0))
        throw new Error(
          `group forecast: the sweep must include d = ${dTest}${dRef === null ? "" : ` and d = ${dRef}`}`,
        );
      acc = new FiniteMeanAccumulator(distances.length * V);
    } else if (s.nTargets !== V || s.distances.join() !== distances.join())
      throw new Error("group forecast: subjects must share targets and distances");
    acc.add(s.forecast);
    const diff = new Float64Array(V);
    for (let t = 0; t < V; t++) diff[t] = s.forecast[iTest * V + t] - (iRef < 0 ? 0 : s.forecast[iRef * V + t]);
    diffRows.push(diff);
  }
  if (!distances) throw new Error("group forecast: no subject results");
  const minSubjects = options.minSubjects ?? 2;
  const D = distances.length;
  const meanForecast = acc.mean();
  const p = new Float64Array(V);
  const nSubjects = new Int32Array(V);
  const S = diffRows.length;
  const xs = new Float64Array(S);
  for (let t = 0; t < V; t++) {
    let n = 0;
    for (let s = 0; s < S; s++) {
      xs[s] = diffRows[s][t];
      if (Number.isFinite(xs[s])) n++;
    }
    nSubjects[t] = n;
    p[t] = wilcoxonGreater(xs, minSubjects);
  }
  const pFdr = fdrAcrossTargets(p);
  const alpha = options.alpha ?? 0.01;
  const dStarAll = new Float64Array(V).fill(NaN);
  const dStar = new Float64Array(V).fill(NaN);
  const peak = new Float64Array(V).fill(NaN);
  const significant = new Uint8Array(V);
  for (let t = 0; t < V; t++) {
    const b = argmaxFinite((i) => meanForecast[i * V + t], D);
    if (b < 0) continue;
    dStarAll[t] = distances[b];
    peak[t] = meanForecast[b * V + t];
    if (pFdr[t] < alpha && peak[t] > 0) {
      significant[t] = 1;
      dStar[t] = distances[b];
    }
  }
  return { meanForecast, nSubjects, p, pFdr, significant, dStarAll, dStar, peak, distances };
}

/** k* per target from each layer's subject-mean F(dTest): [layers × V] → the best layer (NaN if none finite). */
export function kStarFromMeans(layers: number[], means: Float64Array, V: number): Float64Array {
  return Float64Array.from({ length: V }, (_, t) => {
    const b = argmaxFinite((li) => means[li * V + t], layers.length);
    return b < 0 ? NaN : layers[b];
  });
}

/** k* per target: the layer with the largest subject-mean F(d) (d = 8 by default). */
export function forecastDepth(
  byLayer: Map<number, SubjectForecast[]>,
  d = 8,
): { layers: number[]; kStar: Float64Array; values: Float64Array } {
  const layers = [...byLayer.keys()].sort((a, b) => a - b);
  if (layers.length === 0) throw new Error("forecast depth: no layers");
  const V = byLayer.get(layers[0])![0].nTargets;
  const values = new Float64Array(layers.length * V);
  layers.forEach((layer, li) => {
    const subjects = byLayer.get(layer)!;
    const i = subjects[0].distances.indexOf(d);
    if (i < 0) throw new Error(`forecast depth: layer ${layer}'s sweep lacks d = ${d}`);
    values.set(
      meanOverSubjects(
        subjects.map((s) => s.forecast.subarray(i * V, (i + 1) * V)),
        V,
      ).mean,
      li * V,
    );
  });
  return { layers, kStar: kStarFromMeans(layers, values, V), values };
}

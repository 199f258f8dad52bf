/**
 * Event regressors sampled at scan times, with nilearn 0.9's compute_regressor semantics: events become
 * boxes on a high-resolution grid (oversampling 50, starting min_onset = −24 s before the first scan; a
 * zero-duration event is one grid sample wide), are convolved with the HRF (glover, spm) or with FIR boxes,
 * and linearly interpolated at the scan times.
 *
 * Convolution and interpolation are linear, so instead of convolving one long signal per feature this
 * computes, for every event, its response at every scan (a scans × events matrix R) in closed form from the
 * kernel's cumulative sum; a design for word features X (events × features) is then R·X. That makes a
 * 768-dimensional GPT-2 design as cheap as a single regressor.
 */
import type { Matrix } from "../../linalg/dense.js";
import { gloverHrf, spmHrf } from "./hrf.js";

export type HrfModel = "glover" | "spm" | "fir";

export interface RegressorOptions {
  model: HrfModel;
  /** FIR delays in scans (model "fir"). */
  firDelays?: number[];
  oversampling?: number;
  minOnset?: number;
}

/** nilearn's high-resolution time grid. */
export function highResolutionGrid(frameTimes: Float64Array, oversampling = 50, minOnset = -24): Float64Array {
  const n = frameTimes.length;
  const fmin = Math.min(...frameTimes);
  const fmax = Math.max(...frameTimes);
  const nHr = Math.round(((n - 1) / (fmax - fmin)) * (fmax * (1 + 1 / (n - 1)) - fmin - minOnset) * oversampling + 1);
  return linspace(fmin + minOnset, fmax * (1 + 1 / (n - 1)), nHr);
}

/** numpy.linspace's arithmetic (i·step + start, last point = stop), so grid points round the same way. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const step = (stop - start) / (num - 1);
  return Float64Array.from({ length: num }, (_, i) => (num > 1 && i === num - 1 ? stop : i * step + start));
}

function searchSorted(grid: Float64Array, x: number): number {
  let lo = 0;
  let hi = grid.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (grid[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function kernels(model: HrfModel, tr: number, oversampling: number, firDelays: number[]): Float64Array[] {
  if (model === "glover") return [gloverHrf(tr, oversampling)];
  if (model === "spm") return [spmHrf(tr, oversampling)];
  return firDelays.map((d) => {
    const k = new Float64Array((d + 1) * oversampling);
    k.fill(1 / oversampling, d * oversampling);
    return k;
  });
}

/**
 * R[k][t, e]: response at scan t to event e alone (unit amplitude), for each kernel k (one for glover/spm,
 * one per delay for fir).
 */
export function eventResponses(
  onsets: ArrayLike<number>,
  durations: ArrayLike<number>,
  frameTimes: Float64Array,
  options: RegressorOptions,
): Matrix[] {
  const oversampling = options.oversampling ?? 50;
  const minOnset = options.minOnset ?? -24;
  const n = frameTimes.length;
  if (n < 2) throw new Error("event regressors need at least 2 scans");
  const tr = Math.max(...frameTimes) / (n - 1);
  let grid = highResolutionGrid(frameTimes, oversampling, minOnset);
  const tmax = grid.length;
  const E = onsets.length;
  const boxes = new Int32Array(2 * E);
  for (let e = 0; e < E; e++) {
    const on = Math.min(searchSorted(grid, onsets[e]), tmax - 1);
    let off = Math.min(searchSorted(grid, onsets[e] + durations[e]), tmax - 1);
    if (off < tmax - 1 && off === on) off += 1;
    boxes[2 * e] = on;
    boxes[2 * e + 1] = off;
  }
  // FIR regressors are read one grid sample later (nilearn aligns the box to the scan that follows).
  const shift = options.model === "fir" ? oversampling - 1 : 0;
  if (shift > 0) grid = grid.subarray(0, tmax - shift);
  return kernels(options.model, tr, oversampling, options.firDelays ?? [0]).map((h) => {
    const cum = new Float64Array(h.length);
    let acc = 0;
    h.forEach((v, i) => (cum[i] = acc += v));
    const H = (j: number) => (j < 0 ? 0 : j >= cum.length ? cum[cum.length - 1] : cum[j]);
    // Convolution of the box [on, off) with h, truncated to the grid as np.convolve(...)[:len].
    const conv = (i: number, on: number, off: number) => (i >= tmax ? 0 : H(i - on) - H(i - off));
    const out = { rows: n, cols: E, data: new Float64Array(n * E) };
    for (let t = 0; t < n; t++) {
      // interp1d on the (possibly shifted) grid
      const x = frameTimes[t];
      let j = searchSorted(grid, x);
      if (j >= grid.length) throw new Error(`scan time ${x} lies beyond the high-resolution grid`);
      const exact = grid[j] === x;
      if (!exact) j = Math.max(1, j);
      const w = exact ? 0 : (x - grid[j - 1]) / (grid[j] - grid[j - 1]);
      for (let e = 0; e < E; e++) {
        const on = boxes[2 * e];
        const off = boxes[2 * e + 1];
        const hi = conv(j + shift, on, off);
        out.data[t * E + e] = exact ? hi : (1 - w) * conv(j - 1 + shift, on, off) + w * hi;
      }
    }
    return out;
  });
}

/** nilearn's compute_regressor for one condition: scans × kernels (1 column, or one per FIR delay). */
export function computeRegressor(
  onsets: ArrayLike<number>,
  durations: ArrayLike<number>,
  amplitudes: ArrayLike<number>,
  frameTimes: Float64Array,
  options: RegressorOptions,
): Matrix {
  const responses = eventResponses(onsets, durations, frameTimes, options);
  const n = frameTimes.length;
  const K = responses.length;
  const out = { rows: n, cols: K, data: new Float64Array(n * K) };
  responses.forEach((R, k) => {
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let e = 0; e < R.cols; e++) s += R.data[t * R.cols + e] * amplitudes[e];
      out.data[t * K + k] = s;
    }
  });
  return out;
}

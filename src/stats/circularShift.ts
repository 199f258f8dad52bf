/**
 * Circular-shift null for time series: shifting the BOLD relative to the design by a random offset keeps
 * each series' autocorrelation (which inflates naive tests) while destroying their alignment.
 */
import type { Matrix } from "../linalg/dense.js";
import { mulberry32 } from "../linalg/random.js";

/** Seeded offsets in [minShift, n − minShift], so no shift is near alignment. */
export function circularShiftOffsets(n: number, count: number, minShift: number, seed: number): number[] {
  if (2 * minShift >= n)
    throw new Error(`circular shifts: a series of ${n} samples cannot be shifted by at least ${minShift} both ways`);
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => minShift + Math.floor(rand() * (n - 2 * minShift + 1)));
}

/**
 * Stacks shifted copies of every column: the result has y.cols × (1 + offsets.length) columns, block 0 the
 * original, block s + 1 rolled by offsets[s] rows. Scoring them all in one ridge call shares the design's
 * decomposition across the null.
 */
export function stackCircularShifts(y: Matrix, offsets: readonly number[]): Matrix {
  const { rows: n, cols: c } = y;
  const width = c * (1 + offsets.length);
  const data = new Float64Array(n * width);
  [0, ...offsets].forEach((shift, s) => {
    for (let t = 0; t < n; t++) {
      const src = (((t - shift) % n) + n) % n;
      for (let j = 0; j < c; j++) data[t * width + s * c + j] = y.data[src * c + j];
    }
  });
  return { rows: n, cols: width, data };
}

/** One-sided permutation p-value with the observed value counted in the null: (1 + #{null ≥ obs}) / (1 + N). */
export function permutationPValue(observed: number, nullValues: ArrayLike<number>): number {
  if (Number.isNaN(observed)) return NaN;
  let exceed = 0;
  for (let i = 0; i < nullValues.length; i++) if (nullValues[i] >= observed) exceed++;
  return (1 + exceed) / (1 + nullValues.length);
}

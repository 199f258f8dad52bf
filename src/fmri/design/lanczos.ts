/**
 * Lanczos downsampling of word vectors to TR times, the Huth lab's convention (LeBel et al. 2023;
 * `interpdata.lanczosinterp2D` in HuthLab/deep-fMRI-dataset): each TR's row is a windowed-sinc weighted sum
 * of the words around it, low-passed at the TR's sampling frequency, instead of the plain sum of the words
 * inside the TR (`wordsPerTR.ts`, the Narratives convention). Weights are not normalised, as in the original.
 */
import type { Matrix } from "../../linalg/dense.js";

export interface LanczosOptions {
  /** Lobes of the sinc kept (default 3). */
  window?: number;
  /** Cutoff as a multiple of the new sampling frequency 1/mean(ΔTR time) (default 1). */
  cutoffMult?: number;
}

/** The Lanczos kernel at times t (seconds) for a cutoff (Hz): sinc(t·c)·sinc(t·c/window), 0 beyond window. */
export function lanczosKernel(t: number, cutoff: number, window = 3): number {
  const x = t * cutoff;
  if (x === 0) return 1;
  if (Math.abs(x) > window) return 0;
  return (window * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / window)) / (Math.PI * Math.PI * x * x);
}

/**
 * Rows of `data` (one per word, at `wordTimes`) interpolated to `trTimes` (evenly spaced): returns
 * [trTimes.length × data.cols]. Errors name what is wrong (lengths, unsorted or non-finite times).
 */
export function lanczosDownsample(
  data: Matrix,
  wordTimes: ArrayLike<number>,
  trTimes: ArrayLike<number>,
  options: LanczosOptions = {},
): Matrix {
  const window = options.window ?? 3;
  const cutoffMult = options.cutoffMult ?? 1;
  if (!(Number.isInteger(window) && window >= 1))
    throw new Error(`lanczosDownsample: window is a whole number of lobes ≥ 1, got ${window}`);
  if (!(cutoffMult > 0)) throw new Error(`lanczosDownsample: cutoffMult must be > 0, got ${cutoffMult}`);
  if (wordTimes.length !== data.rows)
    throw new Error(`lanczosDownsample: ${data.rows} word vectors but ${wordTimes.length} word times`);
  if (trTimes.length < 2)
    throw new Error(
      `lanczosDownsample: at least 2 TR times are needed to know the sampling rate, got ${trTimes.length}`,
    );
  for (let i = 0; i < wordTimes.length; i++)
    if (!Number.isFinite(wordTimes[i])) throw new Error(`lanczosDownsample: word time ${i} is ${wordTimes[i]}`);
  for (let i = 1; i < trTimes.length; i++) {
    if (!(trTimes[i] > trTimes[i - 1]))
      throw new Error(`lanczosDownsample: TR times must increase (time ${i} is ${trTimes[i]} after ${trTimes[i - 1]})`);
  }
  const T = trTimes.length;
  const cutoff = (cutoffMult * (T - 1)) / (trTimes[T - 1] - trTimes[0]);
  const { rows: W, cols: p } = data;
  const out = new Float64Array(T * p);
  for (let t = 0; t < T; t++) {
    for (let w = 0; w < W; w++) {
      const k = lanczosKernel(trTimes[t] - wordTimes[w], cutoff, window);
      if (k === 0) continue;
      for (let j = 0; j < p; j++) out[t * p + j] += k * data.data[w * p + j];
    }
  }
  return { rows: T, cols: p, data: out };
}

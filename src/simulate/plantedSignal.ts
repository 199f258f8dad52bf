/**
 * Planted encoding signals for simulations: BOLD that is, by construction, a linear function of the words'
 * features at a chosen forecast distance — so an analysis can be checked against a known answer.
 */
import { firDelays } from "../fmri/design/fir.js";
import { sumWordsIntoTRs } from "../fmri/design/wordsPerTR.js";
import type { Matrix } from "../linalg/dense.js";
import { gaussian, mulberry32 } from "../linalg/random.js";
import { PAPER } from "../config/paper.js";

export interface PlantOptions {
  tr: number;
  nTRs: number;
  /** Forecast distance of the planted window (0 = the current word only, with windowLength 1). */
  d: number;
  windowLength?: number;
  /** Haemodynamic lag, in TRs, of the planted response (default 2). */
  lagTRs?: number;
  seed?: number;
}

/**
 * Σ over the window w(n+d−L+1) … w(n+d) of x·β (β random per window position), summed per TR as the
 * paper's design and delayed by lagTRs; scaled to unit variance. Words past the story's ends add nothing.
 */
export function plantedSignal(features: Matrix, onsets: ArrayLike<number>, o: PlantOptions): Float64Array {
  const L = o.windowLength ?? PAPER.windowLength;
  const W = features.rows;
  const E = features.cols;
  const rand = gaussian(mulberry32(o.seed ?? 0));
  const beta = Float64Array.from({ length: L * E }, rand);
  const perWord = { rows: W, cols: 1, data: new Float64Array(W) };
  for (let n = 0; n < W; n++) {
    let s = 0;
    for (let i = 0; i < L; i++) {
      const w = n + o.d - L + 1 + i;
      if (w < 0 || w >= W) continue;
      for (let e = 0; e < E; e++) s += features.data[w * E + e] * beta[i * E + e];
    }
    perWord.data[n] = s;
  }
  const perTR = firDelays(sumWordsIntoTRs(perWord, onsets, o.nTRs, o.tr).design, [o.lagTRs ?? 2]).data;
  return standardize(Float64Array.from(perTR));
}

export function standardize(x: Float64Array): Float64Array {
  const n = x.length;
  const m = x.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / n) || 1;
  return x.map((v) => (v - m) / sd);
}

/** signal·√(snr/(1+snr)) + noise·√(1/(1+snr)), seeded: unit-variance BOLD with the given SNR. */
export function withNoise(signal: Float64Array, snr: number, seed: number): Float64Array {
  const rand = gaussian(mulberry32(seed));
  const a = Math.sqrt(snr / (1 + snr));
  const b = Math.sqrt(1 / (1 + snr));
  return signal.map((s) => a * s + b * rand());
}

/**
 * Haemodynamic response functions as nilearn 0.9 defines them: a difference of two gamma densities sampled
 * on linspace(0, time_length, rint(time_length / dt)) with dt = tr / oversampling, shifted by loc = dt, and
 * normalised to sum 1.
 */

import { lgamma } from "../../stats/distributions.js";

export interface GammaDifferenceParams {
  delay: number;
  undershoot: number;
  dispersion: number;
  uDispersion: number;
  ratio: number;
}

export const GLOVER: GammaDifferenceParams = {
  delay: 6,
  undershoot: 12,
  dispersion: 0.9,
  uDispersion: 0.9,
  ratio: 0.35,
};
export const SPM: GammaDifferenceParams = { delay: 6, undershoot: 16, dispersion: 1, uDispersion: 1, ratio: 0.167 };

/** scipy.stats.gamma.pdf(t, shape, loc, scale). */
export function gammaPdf(t: number, shape: number, loc: number, scale: number): number {
  const x = (t - loc) / scale;
  if (x <= 0) return x === 0 && shape === 1 ? 1 / scale : 0;
  return Math.exp((shape - 1) * Math.log(x) - x - lgamma(shape)) / scale;
}

export function hrfTimeStamps(tr: number, oversampling: number, timeLength: number): Float64Array {
  const dt = tr / oversampling;
  const n = Math.round(timeLength / dt);
  // numpy.linspace(0, time_length, n): i·step + 0, last point exactly time_length.
  const step = timeLength / (n - 1);
  return Float64Array.from({ length: n }, (_, i) => (n > 1 && i === n - 1 ? timeLength : i * step));
}

export function gammaDifferenceHrf(
  tr: number,
  p: GammaDifferenceParams,
  oversampling = 50,
  timeLength = 32,
  onset = 0,
): Float64Array {
  const dt = tr / oversampling;
  const t = hrfTimeStamps(tr, oversampling, timeLength);
  const h = t.map((ti) => {
    const s = ti - onset;
    return (
      gammaPdf(s, p.delay / p.dispersion, dt, p.dispersion) -
      p.ratio * gammaPdf(s, p.undershoot / p.uDispersion, dt, p.uDispersion)
    );
  });
  const sum = h.reduce((a, b) => a + b, 0);
  return h.map((v) => v / sum);
}

/** Glover's HRF sampled at tr / oversampling (nilearn's glover_hrf). */
export const gloverHrf = (tr: number, oversampling = 50, timeLength = 32) =>
  gammaDifferenceHrf(tr, GLOVER, oversampling, timeLength);
/** SPM's canonical HRF sampled at tr / oversampling (nilearn's spm_hrf). */
export const spmHrf = (tr: number, oversampling = 50, timeLength = 32) =>
  gammaDifferenceHrf(tr, SPM, oversampling, timeLength);

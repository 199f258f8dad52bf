/**
 * Ordinary least squares of y on one x with the slope's confidence interval (Student t, n − 2 degrees of
 * freedom) — the scaling-law fit of best brain score against log10(parameters) (Antonello et al. 2023).
 */
import { betaInc } from "./distributions.js";

export interface LinearFit {
  n: number;
  slope: number;
  intercept: number;
  /** Standard error of the slope, and its two-sided confidence interval at `level` (NaN with n < 3). */
  slopeSe: number;
  slopeLow: number;
  slopeHigh: number;
  level: number;
  r2: number;
}

/** Two-sided p-value of a t statistic with df degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSided(t: number, df: number): number {
  return betaInc(df / (df + t * t), df / 2, 0.5);
}

/** The quantile q (0.5 < q < 1) of Student's t with df degrees of freedom, by bisection on its tail. */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0.5 && q < 1) || !(df > 0))
    throw new Error(`studentTQuantile: need 0.5 < q < 1 and df > 0, got q ${q}, df ${df}`);
  const tail = 2 * (1 - q);
  let lo = 0;
  let hi = 1;
  while (studentTwoSided(hi, df) > tail) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSided(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** y = intercept + slope·x by least squares; the slope's interval at `level` (default 0.95). */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): LinearFit {
  const n = x.length;
  if (y.length !== n) throw new Error(`linearFit: ${n} x values but ${y.length} y values`);
  if (n < 2) throw new Error(`linearFit: need at least 2 points, got ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (!(sxx > 0)) throw new Error("linearFit: every x is the same; no slope can be fitted");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const rss = Math.max(0, syy - slope * sxy);
  const slopeSe = n > 2 ? Math.sqrt(rss / (n - 2) / sxx) : NaN;
  const t = n > 2 ? studentTQuantile(1 - (1 - level) / 2, n - 2) : NaN;
  return {
    n,
    slope,
    intercept,
    slopeSe,
    slopeLow: slope - t * slopeSe,
    slopeHigh: slope + t * slopeSe,
    level,
    r2: syy > 0 ? 1 - rss / syy : NaN,
  };
}

/**
 * Tests across subjects: Wilcoxon signed-rank (scipy.stats.wilcoxon semantics), Pearson r with its exact
 * p-value (scipy.stats.pearsonr), Benjamini–Hochberg FDR (statsmodels multipletests 'fdr_bh') and
 * bootstrap confidence intervals.
 */
import { mulberry32 } from "../linalg/random.js";
import { betaInc, normalCdf, normalSf } from "./distributions.js";

export type Alternative = "two-sided" | "greater" | "less";

export interface TestResult {
  statistic: number;
  pvalue: number;
  /** "exact" null distribution or "approx" (normal, with tie correction). */
  mode: "exact" | "approx";
  n: number;
}

/** Average ranks (1-based) of a sample, ties sharing the mean of their positions. */
export function rankdata(values: ArrayLike<number>): { ranks: Float64Array; tieSizes: number[] } {
  const n = values.length;
  const order: number[] = new Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  const tieSizes: number[] = [];
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    if (j > i) tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

/**
 * Exact null distribution of the signed-rank sum for n untied ranks, as tail counts: below[r] = #{R ≤ r},
 * above[r] = #{R ≥ r} (out of 2ⁿ; integers, exact in float64 for n ≤ 50). Memoised per n: vertex-level maps
 * run one test per vertex with the same number of subjects.
 */
const nullTails = new Map<number, { below: Float64Array; above: Float64Array }>();
function wilcoxonNullTails(n: number): { below: Float64Array; above: Float64Array } {
  let tails = nullTails.get(n);
  if (!tails) {
    const max = (n * (n + 1)) / 2;
    const c = new Float64Array(max + 1);
    c[0] = 1;
    for (let k = 1; k <= n; k++) for (let s = max; s >= k; s--) c[s] += c[s - k];
    const below = new Float64Array(max + 1);
    const above = new Float64Array(max + 1);
    for (let r = 0, acc = 0; r <= max; r++) below[r] = acc += c[r];
    for (let r = max, acc = 0; r >= 0; r--) above[r] = acc += c[r];
    tails = { below, above };
    nullTails.set(n, tails);
  }
  return tails;
}

/**
 * The smallest p-value a one-sided Wilcoxon signed-rank test can return with n paired values (every
 * difference positive): 2^−n in the exact range (n ≤ 50), smaller under the normal approximation beyond.
 * Computed by the test itself, so it is the floor of what `wilcoxon` reports.
 */
export function wilcoxonFloor(n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) return 1;
  return wilcoxon(
    Float64Array.from({ length: n }, (_, i) => i + 1),
    "greater",
  ).pvalue;
}

/**
 * One-sample Wilcoxon signed-rank test of d (e.g. per-subject score differences) against 0, as
 * scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False, mode="auto") in scipy 1.10: exact null
 * distribution for n ≤ 50 without zeros, else the normal approximation on the non-zero values with the tie
 * correction of the variance. The statistic is min(R+, R−) two-sided and R+ one-sided.
 */
export function wilcoxon(d: ArrayLike<number>, alternative: Alternative = "two-sided"): TestResult {
  // Plain loops (no intermediate arrays): vertex-level maps call this once per vertex.
  const all: number[] = [];
  let nZero = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (Number.isNaN(v)) continue;
    all.push(v);
    if (v === 0) nZero++;
  }
  if (all.length === 0) throw new Error("wilcoxon: no finite values");
  let mode: "exact" | "approx" = all.length <= 50 ? "exact" : "approx";
  if (nZero > 0) mode = "approx";
  const x = mode === "approx" && nZero > 0 ? all.filter((v) => v !== 0) : all;
  const n = x.length;
  if (n === 0) throw new Error("wilcoxon: every difference is zero");
  const abs = new Float64Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(x[i]);
  const { ranks, tieSizes } = rankdata(abs);
  let rPlus = 0;
  let rMinus = 0;
  x.forEach((v, i) => (v > 0 ? (rPlus += ranks[i]) : (rMinus += ranks[i])));
  const T = alternative === "two-sided" ? Math.min(rPlus, rMinus) : rPlus;
  let p: number;
  if (mode === "approx") {
    const mn = (n * (n + 1)) / 4;
    let se = n * (n + 1) * (2 * n + 1);
    for (const t of tieSizes) se -= 0.5 * t * (t * t - 1);
    se = Math.sqrt(se / 24);
    const z = (T - mn) / se;
    p =
      alternative === "two-sided" ? 2 * normalSf(Math.abs(z)) : alternative === "greater" ? normalSf(z) : normalCdf(z);
  } else {
    const { below, above } = wilcoxonNullTails(n);
    const total = 2 ** n;
    const r = Math.trunc(rPlus);
    const last = below.length - 1;
    if (alternative === "two-sided") p = r === Math.floor(last / 2) ? 1 : (2 * Math.min(below[r], above[r])) / total;
    else if (alternative === "greater") p = above[r] / total;
    else p = below[r] / total;
  }
  return { statistic: T, pvalue: Math.min(1, Math.max(0, p)), mode, n };
}

/** Pearson r with scipy's exact two-sided p-value (beta distribution of r under independence). */
export function pearsonr(x: ArrayLike<number>, y: ArrayLike<number>): { r: number; pvalue: number } {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearsonr: ${n} and ${y.length} values`);
  if (n < 2) throw new Error("pearsonr: need at least 2 pairs");
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  if (n === 2) return { r, pvalue: 1 };
  const ab = n / 2 - 1;
  // P(|R| ≥ |r|) = 2·B_{ab,ab}((1 − |r|)/2), as scipy.stats.pearsonr.
  const pvalue = Math.min(1, 2 * betaInc((1 - Math.abs(r)) / 2, ab, ab));
  return { r, pvalue };
}

/** Benjamini–Hochberg adjusted p-values (input order kept), as statsmodels' fdr_bh. */
export function fdrBh(pvals: ArrayLike<number>): Float64Array {
  const m = pvals.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pvals[a] - pvals[b] || a - b);
  const adjusted = new Float64Array(m);
  let running = Infinity;
  for (let k = m - 1; k >= 0; k--) {
    const i = order[k];
    running = Math.min(running, (pvals[i] * m) / (k + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

/** Percentile bootstrap confidence interval of the mean across subjects (seeded). */
export function bootstrapMeanCi(
  values: ArrayLike<number>,
  options: { samples?: number; level?: number; seed?: number } = {},
): { mean: number; low: number; high: number } {
  const x = Array.from(values).filter((v) => Number.isFinite(v));
  if (x.length === 0) return { mean: NaN, low: NaN, high: NaN };
  const B = options.samples ?? 10000;
  const level = options.level ?? 0.95;
  const rand = mulberry32(options.seed ?? 0);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[Math.floor(rand() * x.length)];
    means[b] = s / x.length;
  }
  means.sort();
  const q = (p: number) => means[Math.min(B - 1, Math.max(0, Math.round(p * (B - 1))))];
  return { mean: x.reduce((a, b) => a + b, 0) / x.length, low: q((1 - level) / 2), high: q(1 - (1 - level) / 2) };
}

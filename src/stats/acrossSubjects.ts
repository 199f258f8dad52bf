/**
 * The group-level rules, one home each, used by every table, map and figure of the group stage, the
 * forecast peaks and the model comparison: the NaN-safe mean, the argmax over finite values (first of
 * ties), and "one-sided Wilcoxon across subjects, then Benjamini–Hochberg across targets" with one guard.
 *
 * The guard: a target is testable when it has at least `minSubjects` (default 2) finite values and not all of
 * them are zero; an untestable target gets p = NaN (scipy's wilcoxon refuses all-zero differences) and stays
 * in the FDR family as p = 1 (it cannot be significant, and leaving it out would make the others' q smaller
 * than the number of targets tested warrants); its q is NaN too.
 */
import { fdrBh, wilcoxon } from "./tests.js";

/** Mean of the finite values; NaN when there is none. */
export function finiteMean(xs: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (Number.isFinite(x)) {
      sum += x;
      n++;
    }
  }
  return n > 0 ? sum / n : NaN;
}

/**
 * NaN-safe mean over subjects, entry by entry, with subjects added one at a time (a group stage streams them
 * from disk): memory is one sum and one count per entry, whatever the number of subjects.
 */
export class FiniteMeanAccumulator {
  readonly sum: Float64Array;
  readonly count: Int32Array;
  constructor(readonly size: number) {
    this.sum = new Float64Array(size);
    this.count = new Int32Array(size);
  }

  add(a: ArrayLike<number>): void {
    if (a.length !== this.size)
      throw new Error(`group statistics: a subject has ${a.length} values, expected ${this.size}`);
    const { sum, count } = this;
    for (let i = 0; i < this.size; i++) {
      const x = a[i];
      if (Number.isFinite(x)) {
        sum[i] += x;
        count[i]++;
      }
    }
  }

  /** The means (NaN where no subject had a finite value). */
  mean(): Float64Array {
    const out = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.count[i] > 0 ? this.sum[i] / this.count[i] : NaN;
    return out;
  }
}

/** NaN-safe mean over subjects of equally long arrays, entry by entry; counts of finite values per entry. */
export function meanOverSubjects(arrays: ArrayLike<number>[], size: number): { mean: Float64Array; count: Int32Array } {
  const acc = new FiniteMeanAccumulator(size);
  for (const a of arrays) acc.add(a);
  return { mean: acc.mean(), count: acc.count };
}

/** Index of the largest finite value among `n` entries (the first of ties), −1 if none is finite. */
export function argmaxFinite(get: (i: number) => number, n: number): number {
  let best = -1;
  let top = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = get(i);
    if (Number.isFinite(x) && (best < 0 || x > top)) {
      best = i;
      top = x;
    }
  }
  return best;
}

let scratch = new Float64Array(0);

/**
 * One-sided Wilcoxon signed-rank p of "greater than 0" over the finite values of `xs` (one per subject:
 * scores, or gains over a reference); NaN when untestable (see the header). Vertex-level maps call this once
 * per vertex, so the finite values are gathered into a reused buffer.
 */
export function wilcoxonGreater(xs: ArrayLike<number>, minSubjects = 2): number {
  if (scratch.length < xs.length) scratch = new Float64Array(xs.length);
  let n = 0;
  let nonZero = false;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (Number.isFinite(x)) {
      scratch[n++] = x;
      if (x !== 0) nonZero = true;
    }
  }
  if (n < Math.max(1, minSubjects) || !nonZero) return NaN;
  return wilcoxon(scratch.subarray(0, n), "greater").pvalue;
}

/** Benjamini–Hochberg q over all targets, an untestable target (p NaN) counted as p = 1 and given q NaN. */
export function fdrAcrossTargets(p: ArrayLike<number>): Float64Array {
  const filled = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) filled[i] = Number.isNaN(p[i]) ? 1 : p[i];
  const q = fdrBh(filled);
  for (let i = 0; i < q.length; i++) if (Number.isNaN(p[i])) q[i] = NaN;
  return q;
}

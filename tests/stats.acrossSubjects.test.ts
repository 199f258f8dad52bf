/**
 * The group-level rules (src/stats/acrossSubjects.ts): the guarded one-sided Wilcoxon against scipy's, the FDR
 * family with untestable targets against statsmodels', the NaN-safe mean and the argmax.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  argmaxFinite,
  fdrAcrossTargets,
  FiniteMeanAccumulator,
  finiteMean,
  meanOverSubjects,
  wilcoxonGreater,
} from "../src/stats/acrossSubjects.js";
import { sharedPath } from "./helpers/shared.js";

const load = (f: string) => JSON.parse(readFileSync(sharedPath(`reference/stats/${f}`), "utf8"));

describe("wilcoxonGreater", () => {
  const samples: { x: number[]; greater: { pvalue: number } }[] = load("wilcoxon.json").samples;
  it("is scipy's one-sided p on the finite values, whatever NaN or ±Infinity sits between them", () => {
    let checked = 0;
    for (const s of samples) {
      if (!s.x.some((v) => v !== 0)) continue;
      const withGaps = s.x.flatMap((v, i) => (i % 3 === 0 ? [v, NaN] : i % 5 === 0 ? [Infinity, v] : [v]));
      const p = wilcoxonGreater(withGaps);
      expect(Math.abs(p - s.greater.pvalue) / s.greater.pvalue).toBeLessThan(1e-10);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });
  it("is NaN when untestable: fewer finite values than minSubjects, or every value zero", () => {
    expect(wilcoxonGreater([0.3])).toBeNaN();
    expect(wilcoxonGreater([0.3, NaN, -Infinity])).toBeNaN();
    expect(wilcoxonGreater([0, 0, 0, NaN])).toBeNaN();
    expect(wilcoxonGreater([])).toBeNaN();
    expect(wilcoxonGreater([0.1, 0.2, 0.3], 4)).toBeNaN();
    expect(wilcoxonGreater([0.1, 0.2, 0.3], 3)).toBeCloseTo(1 / 8, 15);
    expect(wilcoxonGreater([0.3], 1)).toBeCloseTo(0.5, 15);
  });
});

describe("fdrAcrossTargets", () => {
  it("counts an untestable target as p = 1 (statsmodels' q of the others unchanged) and gives it q NaN", () => {
    const ref = load("fdr_bh.json");
    const pvals: number[] = ref.pvals;
    const ones = pvals.map((p, i) => (p === 1 ? i : -1)).filter((i) => i >= 0);
    expect(ones.length).toBeGreaterThan(0);
    const q = fdrAcrossTargets(pvals.map((p) => (p === 1 ? NaN : p)));
    let worst = 0;
    pvals.forEach((p, i) => {
      if (p === 1) expect(q[i]).toBeNaN();
      else worst = Math.max(worst, Math.abs(q[i] - ref.pvals_corrected[i]));
    });
    expect(worst).toBeLessThan(1e-15);
    expect(Array.from(q).filter((v) => v <= 0.05).length).toBe(ref["n_reject_alpha_0.05"]);
  });
});

describe("means and argmax", () => {
  it("finiteMean skips NaN and ±Infinity; NaN when nothing is finite", () => {
    expect(finiteMean([1, NaN, 3, Infinity, -Infinity])).toBe(2);
    expect(finiteMean(new Float32Array([NaN]))).toBeNaN();
    expect(finiteMean([])).toBeNaN();
  });
  it("the streamed mean over subjects equals the batch mean, with counts", () => {
    const subjects = [Float32Array.of(1, NaN, 3), Float32Array.of(3, NaN, NaN), Float32Array.of(5, NaN, 5)];
    const acc = new FiniteMeanAccumulator(3);
    subjects.forEach((s) => acc.add(s));
    const batch = meanOverSubjects(subjects, 3);
    expect(Array.from(acc.mean())).toEqual([3, NaN, 4]);
    expect(Array.from(batch.mean)).toEqual([3, NaN, 4]);
    expect(Array.from(batch.count)).toEqual([3, 0, 2]);
    expect(() => acc.add([1, 2])).toThrow(/2 values, expected 3/);
  });
  it("argmaxFinite takes the first of ties and skips NaN; −1 when nothing is finite", () => {
    const xs = [NaN, 2, 5, 5, Infinity, -1];
    expect(argmaxFinite((i) => xs[i], xs.length)).toBe(2);
    expect(argmaxFinite(() => NaN, 3)).toBe(-1);
    expect(argmaxFinite(() => 0, 0)).toBe(-1);
  });
});

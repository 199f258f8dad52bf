/** Statistics against scipy 1.10 / statsmodels 0.13 outputs in ../shared/reference/stats. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { erfc, normalSf } from "../src/stats/distributions.js";
import { bootstrapMeanCi, fdrBh, pearsonr, rankdata, wilcoxon } from "../src/stats/tests.js";
import { sharedPath } from "./helpers/shared.js";

const load = (f: string) => JSON.parse(readFileSync(sharedPath(`reference/stats/${f}`), "utf8"));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe("Wilcoxon signed-rank (scipy.stats.wilcoxon)", () => {
  const samples: { kind: string }[] = load("wilcoxon.json").samples;
  it("covers exact, zero and tie cases", () => {
    expect(samples.length).toBe(50);
    expect(new Set(samples.map((s) => s.kind))).toEqual(new Set(["continuous", "zeros", "zeros_and_ties"]));
  });
  it.each(samples.map((s: unknown, i: number) => [i, s] as [number, unknown]))(
    "sample %i: statistic and p-values (two-sided, greater) match",
    (_i, s) => {
      const sample = s as {
        x: number[];
        scipy_mode_used: string;
        two_sided: { statistic: number; pvalue: number };
        greater: { statistic: number; pvalue: number };
      };
      const two = wilcoxon(sample.x, "two-sided");
      const greater = wilcoxon(sample.x, "greater");
      expect(two.mode).toBe(sample.scipy_mode_used);
      expect(two.statistic).toBe(sample.two_sided.statistic);
      expect(greater.statistic).toBe(sample.greater.statistic);
      expect(rel(two.pvalue, sample.two_sided.pvalue)).toBeLessThan(1e-10);
      expect(rel(greater.pvalue, sample.greater.pvalue)).toBeLessThan(1e-10);
    },
  );
});

describe("Pearson r (scipy.stats.pearsonr)", () => {
  const pairs: unknown[] = load("pearsonr.json").pairs;
  it.each(pairs.map((p: unknown, i: number) => [i, p] as [number, unknown]))(
    "pair %i: r and exact p-value match",
    (_i, p) => {
      const pair = p as { x: number[]; y: number[]; r: number; pvalue_two_sided: number };
      const got = pearsonr(pair.x, pair.y);
      expect(Math.abs(got.r - pair.r)).toBeLessThan(1e-13);
      expect(rel(got.pvalue, pair.pvalue_two_sided)).toBeLessThan(1e-9);
    },
  );
});

describe("Benjamini–Hochberg (statsmodels fdr_bh)", () => {
  const ref = load("fdr_bh.json");
  it("adjusted p-values and rejections match for 1,000 p-values with ties and ones", () => {
    const adj = fdrBh(ref.pvals);
    let worst = 0;
    adj.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref.pvals_corrected[i]))));
    expect(worst).toBeLessThan(1e-15);
    expect(Array.from(adj, (v) => v <= 0.05)).toEqual(ref["reject_alpha_0.05"]);
    expect(Array.from(adj, (v) => v <= 0.01)).toEqual(ref["reject_alpha_0.01"]);
  });
});

describe("helpers", () => {
  it("erfc and the normal tail are accurate", () => {
    expect(erfc(0)).toBe(1);
    expect(rel(erfc(1), 0.15729920705028513)).toBeLessThan(1e-14);
    expect(rel(erfc(3), 2.209049699858544e-5)).toBeLessThan(1e-13);
    expect(rel(erfc(6), 2.1519736712498913e-17)).toBeLessThan(1e-12);
    expect(rel(normalSf(1.959963984540054), 0.025)).toBeLessThan(1e-13);
  });
  it("ranks ties by their average position", () => {
    expect(Array.from(rankdata([3, 1, 3, 2]).ranks)).toEqual([3.5, 1, 3.5, 2]);
  });
  it("bootstrap CI brackets the mean and is seeded", () => {
    const ci = bootstrapMeanCi([1, 2, 3, 4, 5, 6], { seed: 1 });
    expect(ci.low).toBeLessThan(ci.mean);
    expect(ci.high).toBeGreaterThan(ci.mean);
    expect(bootstrapMeanCi([1, 2, 3, 4, 5, 6], { seed: 1 })).toEqual(ci);
  });
});

/** Model comparison (run configs with "compareTo"): per-scan gains at each model's best layer, Wilcoxon, FDR. */
import { describe, expect, it } from "vitest";
import { parseRunConfig } from "../src/pipeline/config.js";
import { bestLayerPerRegion } from "../src/pipeline/bestLayer.js";
import { compareBrainScores } from "../src/pipeline/modelComparison.js";
import type { SubjectResult } from "../src/pipeline/scanStore.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

const regions = ["L_a", "L_b", "R_a"];

function results(
  scores: (subject: number, layer: number, region: number) => number,
  layers: number[],
  subjects = 12,
): SubjectResult[] {
  return Array.from({ length: subjects }, (_, s) => {
    const regionScores = new Float64Array(layers.length * regions.length);
    layers.forEach((_, li) => regions.forEach((_, q) => (regionScores[li * regions.length + q] = scores(s, li, q))));
    return {
      key: `sub-${s}`,
      subject: `sub-${s}`,
      task: "pieman",
      story: "pieman",
      regions,
      layers,
      regionScores,
    } as unknown as SubjectResult;
  });
}

describe("model comparison", () => {
  it("finds the region where a model gains, at each model's best layer, and not the others", () => {
    const rand = gaussian(mulberry32(3));
    const noise = Array.from({ length: 12 * 2 * 3 * 2 }, () => 0.01 * rand());
    // Reference: best at layer index 1. Candidate: best at layer index 0, +0.05 in region L_b only.
    const ref = results((s, l, q) => 0.1 + (l === 1 ? 0.02 : 0) + noise[(s * 2 + l) * 3 + q], [0, 4]);
    const cand = results(
      (s, l, q) => 0.1 + (l === 0 ? 0.02 : 0) + (q === 1 ? 0.05 : 0) + noise[(s * 2 + (1 - l)) * 3 + q],
      [0, 4],
    );
    const rows = compareBrainScores(
      [
        { model: "base", results: ref },
        { model: "ft", results: cand },
      ],
      "base",
    );
    expect(rows.map((r) => r.region)).toEqual(regions);
    expect(rows.map((r) => r.layer)).toEqual([0, 0, 0]);
    expect(rows.map((r) => r.reference_layer)).toEqual([4, 4, 4]);
    // Same noise on both sides at the best layers: the gain is exactly the plant.
    expect(rows[1].gain as number).toBeCloseTo(0.05, 12);
    expect(Math.abs(rows[0].gain as number)).toBeLessThan(1e-12);
    expect(rows[1].significant).toBe(true);
    expect(rows[0].significant).toBe(false);
    expect(rows[1].scans).toBe(12);
    expect(() => compareBrainScores([{ model: "ft", results: cand }], "base")).toThrow(/reference "base" is not among/);
  });

  it("one best-layer rule for comparison and scaling: NaN scans skipped, ties to the shallower layer, unscored regions left empty", () => {
    // Region 0: layer 1 best once scan 0's NaN is skipped; region 1: tie → layer 0; region 2: never finite.
    const scores = (s: number, l: number, q: number) =>
      q === 2 ? NaN : q === 1 ? 0.3 : s === 0 && l === 1 ? NaN : l === 1 ? 0.5 : 0.4;
    const res = results(scores, [0, 6], 4);
    expect(bestLayerPerRegion(res)).toEqual([
      { layer: 1, mean: 0.5 },
      { layer: 0, mean: 0.3 },
      { layer: -1, mean: NaN },
    ]);
    const rows = compareBrainScores(
      [
        { model: "a", results: res },
        { model: "b", results: results((s, l, q) => scores(s, l, q) + 0.01, [0, 6], 4) },
      ],
      "a",
    );
    expect(rows.map((r) => r.layer)).toEqual([6, 0, null]);
    expect(rows[2].scans).toBe(0);
    expect(rows[0].scans).toBe(3);
  });

  it("refuses a compareTo outside the models", () => {
    expect(() =>
      parseRunConfig({ dataset: "x", models: [{ model: "gpt2" }], compareTo: "gpt2-medium" }, "r.json"),
    ).toThrow(/r\.json\.compareTo: "gpt2-medium" is not one of the "models"/);
    expect(
      parseRunConfig({ dataset: "x", models: [{ model: "gpt2" }, { model: "ft" }], compareTo: "ft" }, "r.json")
        .compareTo,
    ).toBe("ft");
  });
});

describe("model labels in the comparison figure", () => {
  it("names hub ids as they are and fine-tuned folders by their run", async () => {
    const { modelLabel } = await import("../src/pipeline/modelComparison.js");
    expect(modelLabel("gpt2")).toBe("gpt2");
    expect(modelLabel("EleutherAI/pythia-160m")).toBe("EleutherAI/pythia-160m");
    expect(modelLabel("/tmp/x/ft-lm/model")).toBe("ft-lm");
    expect(modelLabel("./checkpoints/mine/")).toBe("mine");
  });
});

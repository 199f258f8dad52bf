/**
 * BandedRidgeCV against himalaya 0.4.11's solve_multiple_kernel_ridge_random_search on explicit candidates
 * (../shared/reference/banded_ridge: two feature spaces, n = 200, V = 120, KFold(5), l2_neg_loss and R²).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { BandedRidgeCV } from "../src/ridge/bandedRidge.js";
import type { Matrix } from "../src/linalg/dense.js";
import { dirichletCandidates } from "../src/linalg/random.js";
import { referenceTensors } from "./helpers/shared.js";

const ref = referenceTensors("reference/banded_ridge/reference.safetensors");
const f64 = (name: string) => ref(name).data as Float64Array;
const i64 = (name: string) => Array.from(ref(name).data as BigInt64Array, Number);
const mat = (name: string): Matrix => ({ rows: ref(name).shape[0], cols: ref(name).shape[1], data: f64(name) });
const V = 120;
const gammasFlat = f64("gammas");
const gammas = Array.from({ length: 11 }, (_, k) => [gammasFlat[2 * k], gammasFlat[2 * k + 1]]);
const alphas = f64("alphas");
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
};

describe.each([
  ["l2", ""],
  ["r2", "r2cv."],
] as const)("banded ridge parity with himalaya (%s selection)", (selectionScore, prefix) => {
  let model: BandedRidgeCV;
  beforeAll(async () => {
    model = await new BandedRidgeCV({
      gammas,
      alphas,
      cv: 5,
      selectionScore,
      fitIntercept: false,
      dtype: "float64",
      keepFoldScores: true,
    }).fit([mat("X1"), mat("X2")], mat("Y"));
  });

  it("chooses himalaya's candidate weights and alpha for every target", () => {
    expect(Array.from(model.gammaIndex!)).toEqual(i64(`${prefix}gamma_index`));
    expect(Array.from(model.alphaIndex!)).toEqual(i64(`${prefix}alpha_index`));
  });

  it("cv_scores equal himalaya's to 1e-12; inner-fold scores to 1e-13/α", () => {
    expect(maxAbsDiff(model.cvScores!, f64(`${prefix}cv_scores`))).toBeLessThan(1e-12);
    // himalaya solves each fold in kernel form: the 160 × 160 kernel has rank 50, and its ~1e-13 null-space
    // eigenvalues enter through 1/(λ + α), so its rounding grows as 1/α (7e-12 at α = 0.01, 7e-13 at 0.1).
    const got = model.cvFoldScores!;
    const expected = f64(`${prefix}cv_fold_scores`);
    for (let q = 0; q < expected.length; q++) {
      const a = Math.floor(q / V) % alphas.length;
      expect(Math.abs(got[q] - expected[q])).toBeLessThan(1e-13 / alphas[a] + 1e-13);
    }
  });

  it("refit weights, held-out predictions and the per-space R² split equal himalaya's to 1e-12", async () => {
    expect(maxAbsDiff(model.coef!.data, f64(`${prefix}primal_coef`))).toBeLessThan(1e-12);
    expect(Array.from(model.intercept!)).toEqual(new Array(V).fill(0));
    const split = await model.scoreSplit([mat("X1_test"), mat("X2_test")], mat("Y_test"));
    const refSplit = f64(`${prefix}test_r2_split`);
    expect(maxAbsDiff(split[0], refSplit.subarray(0, V))).toBeLessThan(1e-12);
    expect(maxAbsDiff(split[1], refSplit.subarray(V))).toBeLessThan(1e-12);
    expect(
      maxAbsDiff(await model.score([mat("X1_test"), mat("X2_test")], mat("Y_test"), "r2"), f64(`${prefix}test_r2`)),
    ).toBeLessThan(1e-12);
    if (prefix === "") {
      const parts = await model.predictSplit([mat("X1_test"), mat("X2_test")]);
      const refParts = f64("test_pred_split");
      expect(maxAbsDiff(parts[0].data, refParts.subarray(0, 80 * V))).toBeLessThan(1e-12);
      expect(maxAbsDiff(parts[1].data, refParts.subarray(80 * V))).toBeLessThan(1e-12);
      const joint = await model.predict([mat("X1_test"), mat("X2_test")]);
      expect(maxAbsDiff(joint.data, f64("test_pred"))).toBeLessThan(1e-12);
    }
  });

  it("deltas and best alphas are himalaya's (−Infinity for a zero weight)", () => {
    if (prefix !== "") return;
    const refDeltas = f64("deltas");
    for (let k = 0; k < refDeltas.length; k++) {
      if (refDeltas[k] === -Infinity) expect(model.deltas![k]).toBe(-Infinity);
      else expect(Math.abs(model.deltas![k] - refDeltas[k])).toBeLessThan(1e-12);
    }
    expect(Array.from(model.bestAlphas!)).toEqual(Array.from(f64("best_alphas")));
  });
});

describe("banded ridge behaviour", () => {
  it("one matrix with declared bands equals per-space matrices; the onnxruntime float32 path agrees where margins are clear", async () => {
    const X1 = mat("X1");
    const X2 = mat("X2");
    const joint = { rows: 200, cols: 50, data: new Float64Array(200 * 50) };
    for (let i = 0; i < 200; i++) {
      joint.data.set(X1.data.subarray(i * 20, i * 20 + 20), i * 50);
      joint.data.set(X2.data.subarray(i * 30, i * 30 + 30), i * 50 + 20);
    }
    const a = await new BandedRidgeCV({ gammas, alphas, fitIntercept: false, dtype: "float64", backend: "js" }).fit(
      [X1, X2],
      mat("Y"),
    );
    const b = await new BandedRidgeCV({
      bands: [20, 30],
      gammas,
      alphas,
      fitIntercept: false,
      dtype: "float64",
      backend: "js",
    }).fit(joint, mat("Y"));
    expect(Array.from(b.gammaIndex!)).toEqual(Array.from(a.gammaIndex!));
    expect(maxAbsDiff(b.coef!.data, a.coef!.data)).toBe(0);
    const f32 = await new BandedRidgeCV({ bands: [20, 30], gammas, alphas, fitIntercept: false }).fit(joint, mat("Y"));
    const margin = f64("choice_margin");
    const refIndex = i64("gamma_index");
    let checked = 0;
    for (let t = 0; t < V; t++) {
      if (margin[t] <= 1e-4) continue;
      checked++;
      expect(f32.gammaIndex![t]).toBe(refIndex[t]);
    }
    // 102 of the 120 targets have a clear margin in the reference: the float32 check covers most of them.
    expect(checked).toBeGreaterThan(0.8 * V);
  });

  it("with an intercept, shifting X and Y changes only the intercept", async () => {
    const X1 = mat("X1");
    const X2 = mat("X2");
    const Y = mat("Y");
    const shift = (m: Matrix, by: number) => ({
      ...m,
      data: Float64Array.from(m.data, (v, i) => v + by * ((i % m.cols) + 1)),
    });
    const base = await new BandedRidgeCV({ gammas, alphas, dtype: "float64", backend: "js" }).fit([X1, X2], Y);
    const moved = await new BandedRidgeCV({ gammas, alphas, dtype: "float64", backend: "js" }).fit(
      [shift(X1, 3), shift(X2, -2)],
      shift(Y, 5),
    );
    expect(Array.from(moved.gammaIndex!)).toEqual(Array.from(base.gammaIndex!));
    expect(maxAbsDiff(moved.coef!.data, base.coef!.data)).toBeLessThan(1e-9);
    const p0 = await base.predict([mat("X1_test"), mat("X2_test")]);
    const p1 = await moved.predict([shift(mat("X1_test"), 3), shift(mat("X2_test"), -2)]);
    const expected = shift(p0, 5).data;
    expect(maxAbsDiff(p1.data, expected)).toBeLessThan(1e-8);
  });

  it("recovers the planted feature spaces: X1-only targets weigh X1, X2-only weigh X2", async () => {
    const model = await new BandedRidgeCV({ gammas: { samples: 30, seed: 4 }, alphas, dtype: "float64" }).fit(
      [mat("X1"), mat("X2")],
      mat("Y"),
    );
    const group = i64("target_group");
    const meanWeight = (g: number) => {
      const ts = group.flatMap((v, t) => (v === g ? [t] : []));
      return ts.reduce((s, t) => s + model.bestGammas![t], 0) / ts.length;
    };
    expect(meanWeight(0)).toBeGreaterThan(0.8);
    expect(meanWeight(1)).toBeLessThan(0.2);
  });

  it("Dirichlet candidates: seeded, on the simplex, the first one uniform", () => {
    const a = dirichletCandidates(12, 3, 7);
    expect(a).toEqual(dirichletCandidates(12, 3, 7));
    expect(a[0]).toEqual([1 / 3, 1 / 3, 1 / 3]);
    for (const g of a) {
      expect(Math.abs(g.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
      for (const v of g) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(dirichletCandidates(12, 3, 8)).not.toEqual(a);
  });

  it("refuses bad candidates and bands, naming them", async () => {
    await expect(new BandedRidgeCV({ gammas: [[0.5, 0.6]] }).fit([mat("X1"), mat("X2")], mat("Y"))).rejects.toThrow(
      /candidate 0 \[0.5, 0.6\] must hold 2 non-negative weights summing to 1/,
    );
    await expect(new BandedRidgeCV({ bands: [20, 20] }).fit(mat("X1"), mat("Y"))).rejects.toThrow(
      /bands \[20, 20\] must be positive column counts summing to X's 20 columns/,
    );
    expect(() => new BandedRidgeCV({ selectionScore: "mse" as "l2" })).toThrow(/selectionScore must be "l2" or "r2"/);
  });
});

/**
 * RidgeCV (fit / predict / score) against scikit-learn's RidgeCV and himalaya's RidgeCV fitted coefficients
 * in ../shared/reference/ridge, and against brainScore, whose outer loop it is.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { brainScore } from "../src/ridge/crossValidate.js";
import { RidgeCV } from "../src/ridge/estimator.js";
import { contiguousFolds } from "../src/ridge/folds.js";
import { pearsonScore, r2Score } from "../src/ridge/scoring.js";
import { takeRows, type Matrix } from "../src/linalg/dense.js";
import { referenceTensors } from "./helpers/shared.js";

const ref = referenceTensors("reference/ridge/reference.safetensors");
const f64 = (name: string) => ref(name).data as Float64Array;
const i64 = (name: string) => Array.from(ref(name).data as BigInt64Array, Number);
const n = 240;
const p = 30;
const V = 400;
const X: Matrix = { rows: n, cols: p, data: f64("X") };
const Y: Matrix = { rows: n, cols: V, data: f64("Y") };
const alphas = f64("alphas");
const folds = contiguousFolds(n, 5);

/** Rows of m standardised with the reference's stored training statistics of fold k. */
function standardized(m: Matrix, rows: Int32Array, mean: Float64Array, sd: Float64Array, k: number): Matrix {
  const out = takeRows(m, rows, "float64");
  const c = m.cols;
  for (let i = 0; i < out.rows; i++)
    for (let j = 0; j < c; j++) out.data[i * c + j] = (out.data[i * c + j] - mean[k * c + j]) / sd[k * c + j];
  return out;
}

describe.each([
  ["sklearn", "loo"],
  ["himalaya", "kfold"],
] as const)("RidgeCV parity with %s (%s selection, float64)", (peer, mode) => {
  const models: RidgeCV[] = [];
  beforeAll(async () => {
    for (const [k, fold] of folds.entries()) {
      const xtr = standardized(X, fold.train, f64("train_mean_X"), f64("train_std_X"), k);
      const ytr = standardized(Y, fold.train, f64("train_mean_Y"), f64("train_std_Y"), k);
      models.push(await new RidgeCV({ alphas, alphaSelection: mode, dtype: "float64" }).fit(xtr, ytr));
    }
  });

  it("chooses the peer's alpha wherever its choice has a clear margin, and fits its coefficients and intercepts", () => {
    const refIndex = i64(`${peer}_alpha_index`);
    const margin = f64(`${peer}_alpha_margin`);
    const refCoef = f64(`${peer}_coef`);
    const refIntercept = f64(`${peer}_intercept`);
    let agree = 0;
    let worstCoef = 0;
    let worstIntercept = 0;
    for (const [k, model] of models.entries()) {
      for (let t = 0; t < V; t++) {
        const chosen = alphas.indexOf(model.bestAlphas![t]);
        if (margin[k * V + t] > 1e-6) expect(chosen).toBe(refIndex[k * V + t]);
        if (chosen !== refIndex[k * V + t]) continue;
        agree++;
        for (let j = 0; j < p; j++)
          worstCoef = Math.max(worstCoef, Math.abs(model.coef!.data[j * V + t] - refCoef[(k * p + j) * V + t]));
        worstIntercept = Math.max(worstIntercept, Math.abs(model.intercept![t] - refIntercept[k * V + t]));
      }
    }
    expect(agree / (5 * V)).toBeGreaterThan(0.95);
    expect(worstCoef).toBeLessThan(1e-10);
    expect(worstIntercept).toBeLessThan(1e-10);
  });

  it("keeps the selection scores of every alpha (A × V) and, per target, the chosen alpha's (himalaya's cv_scores_)", () => {
    // The peer's criterion per [fold, alpha, target]: −(mean squared LOO residual) or mean −MSE of the inner folds.
    const refCurve = peer === "sklearn" ? f64("sklearn_loo_mse").map((x) => -x) : f64("himalaya_cv_neg_mse");
    const A = alphas.length;
    let worst = 0;
    for (const [k, model] of models.entries()) {
      for (let t = 0; t < V; t++) {
        for (let a = 0; a < A; a++) {
          const ref = refCurve[(k * A + a) * V + t];
          worst = Math.max(worst, Math.abs(model.cvScores![a * V + t] - ref) / Math.abs(ref));
        }
        const best = alphas.indexOf(model.bestAlphas![t]);
        expect(model.bestCvScores![t]).toBe(model.cvScores![best * V + t]);
        expect(model.bestCvScores![t]).toBe(
          Math.max(...Array.from({ length: A }, (_, a) => model.cvScores![a * V + t])),
        );
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("predicts the peer's held-out values and scores its Pearson r", async () => {
    const refIndex = i64(`${peer}_alpha_index`);
    const refPred = f64(`${peer}_pred`);
    const refR = f64(`${peer}_r`);
    let worst = 0;
    let worstR = 0;
    for (const [k, fold] of folds.entries()) {
      const xte = standardized(X, fold.test, f64("train_mean_X"), f64("train_std_X"), k);
      const yte = standardized(Y, fold.test, f64("train_mean_Y"), f64("train_std_Y"), k);
      const pred = await models[k].predict(xte);
      const r = await models[k].score(xte, yte);
      for (let t = 0; t < V; t++) {
        if (alphas.indexOf(models[k].bestAlphas![t]) !== refIndex[k * V + t]) continue;
        worstR = Math.max(worstR, Math.abs(r[t] - refR[k * V + t]));
        fold.test.forEach((row, i) => (worst = Math.max(worst, Math.abs(pred.data[i * V + t] - refPred[row * V + t]))));
      }
    }
    expect(worst).toBeLessThan(1e-10);
    expect(worstR).toBeLessThan(1e-10);
  });
});

describe("RidgeCV in original units", () => {
  it("standardises internally: raw X and Y give scikit-learn's predictions in Y's units and coefficients rescaled by sy/sx", async () => {
    const k = 2;
    const fold = folds[k];
    const model = await new RidgeCV({ alphas, dtype: "float64" }).fit(takeRows(X, fold.train), takeRows(Y, fold.train));
    const [mx, sx, my, sy] = ["train_mean_X", "train_std_X", "train_mean_Y", "train_std_Y"].map(f64);
    const refIndex = i64("sklearn_alpha_index");
    const refCoef = f64("sklearn_coef");
    const refPred = f64("sklearn_pred");
    const pred = await model.predict(takeRows(X, fold.test));
    let worstCoef = 0;
    let worstPred = 0;
    let checked = 0;
    for (let t = 0; t < V; t++) {
      if (alphas.indexOf(model.bestAlphas![t]) !== refIndex[k * V + t]) continue;
      checked++;
      for (let j = 0; j < p; j++) {
        const expected = (refCoef[(k * p + j) * V + t] * sy[k * V + t]) / sx[k * p + j];
        worstCoef = Math.max(worstCoef, Math.abs(model.coef!.data[j * V + t] - expected) / sy[k * V + t]);
      }
      fold.test.forEach((row, i) => {
        const expected = refPred[row * V + t] * sy[k * V + t] + my[k * V + t];
        worstPred = Math.max(worstPred, Math.abs(pred.data[i * V + t] - expected) / sy[k * V + t]);
      });
    }
    expect(checked).toBeGreaterThan(0.95 * V);
    expect(worstCoef).toBeLessThan(1e-9);
    expect(worstPred).toBeLessThan(1e-9);
    expect(mx.length).toBe(5 * p);
  });

  it.each(["loo", "gcv", "kfold"] as const)(
    "brainScore (%s) is the outer loop over RidgeCV: same alphas, predictions and r per fold",
    async (mode) => {
      const res = await brainScore(X, Y, { alphas, alphaSelection: mode, dtype: "float64", savePredictions: true });
      for (const [k, fold] of folds.entries()) {
        const model = await new RidgeCV({ alphas, alphaSelection: mode, dtype: "float64" }).fit(
          takeRows(X, fold.train),
          takeRows(Y, fold.train),
        );
        const yte = takeRows(Y, fold.test);
        const pred = await model.predict(takeRows(X, fold.test));
        const r = pearsonScore(yte, pred);
        for (let t = 0; t < V; t++) {
          expect(model.bestAlphas![t]).toBe(res.alphas[k * V + t]);
          expect(Math.abs(r[t] - res.rFolds[k * V + t])).toBeLessThan(1e-9);
        }
        fold.test.forEach((row, i) => {
          for (let t = 0; t < V; t += 7)
            expect(Math.abs(pred.data[i * V + t] - res.predictions!.data[row * V + t])).toBeLessThan(
              1e-8 * (1 + Math.abs(pred.data[i * V + t])),
            );
        });
      }
    },
  );

  it("explicit inner folds equal the same folds given as K; R² scoring equals r2Score", async () => {
    const xtr = takeRows(X, folds[0].train);
    const ytr = takeRows(Y, folds[0].train);
    const byK = await new RidgeCV({ alphas, cv: 4, dtype: "float64", backend: "js" }).fit(xtr, ytr);
    const explicit = await new RidgeCV({
      alphas,
      cv: contiguousFolds(xtr.rows, 4),
      dtype: "float64",
      backend: "js",
    }).fit(xtr, ytr);
    expect(byK.alphaSelection).toBe("kfold");
    expect(Array.from(explicit.bestAlphas!)).toEqual(Array.from(byK.bestAlphas!));
    expect(Array.from(explicit.coef!.data)).toEqual(Array.from(byK.coef!.data));
    const xte = takeRows(X, folds[0].test);
    const yte = takeRows(Y, folds[0].test);
    const r2 = await byK.score(xte, yte, "r2");
    expect(Array.from(r2)).toEqual(Array.from(r2Score(yte, await byK.predict(xte))));
  });

  it("saves and loads: the loaded model predicts identically; bad use is refused clearly", async () => {
    const model = await new RidgeCV({ alphas, dtype: "float64" }).fit(
      takeRows(X, folds[1].train),
      takeRows(Y, folds[1].train),
    );
    const file = join(mkdtempSync(join(tmpdir(), "ridge-model-")), "model.safetensors");
    model.save(file);
    const loaded = RidgeCV.load(file);
    const xte = takeRows(X, folds[1].test);
    expect(Array.from((await loaded.predict(xte)).data)).toEqual(Array.from((await model.predict(xte)).data));
    expect(Array.from(loaded.bestAlphas!)).toEqual(Array.from(model.bestAlphas!));
    await expect(new RidgeCV().predict(xte)).rejects.toThrow(/call fit/);
    await expect(model.predict({ rows: 2, cols: 3, data: new Float64Array(6) })).rejects.toThrow(
      /3 columns but the model was fitted on 30/,
    );
    expect(() => new RidgeCV({ alphaSelection: "gcv", cv: 3 })).toThrow(/inner folds of alphaSelection "kfold"/);
    await expect(new RidgeCV({ cv: [{ train: [0, 1, 2], test: [2, 3] }] }).fit(X, Y)).rejects.toThrow(
      /fold 0 uses sample 2 for both/,
    );
  });

  it("a constant target gets its mean as intercept and no alpha; a NaN target is refused unless masked", async () => {
    const y = takeRows(Y, folds[0].train);
    for (let i = 0; i < y.rows; i++) {
      y.data[i * V + 3] = 7;
    }
    const model = await new RidgeCV({ alphas, dtype: "float64" }).fit(takeRows(X, folds[0].train), y);
    expect(model.invalidTargets.constant).toEqual([3]);
    expect(model.intercept![3]).toBeCloseTo(7, 12);
    expect(model.bestAlphas![3]).toBeNaN();
    y.data[5 * V + 9] = NaN;
    await expect(new RidgeCV({ alphas }).fit(takeRows(X, folds[0].train), y)).rejects.toThrow(
      /1 target column\(s\) contain NaN/,
    );
    const masked = await new RidgeCV({ alphas, invalidTargets: "mask" }).fit(takeRows(X, folds[0].train), y);
    expect(masked.invalidTargets.nonFinite).toEqual([9]);
    expect((await masked.predict(takeRows(X, folds[0].test))).data[9]).toBeNaN();
  });
});

describe("brainScore folds option", () => {
  it("explicit folds equal the same split given as groups; samples no fold tests get NaN predictions", async () => {
    const groups = Float64Array.from({ length: n }, (_, i) => Math.floor(i / 60));
    const byGroups = await brainScore(X, Y, { alphas, groups, dtype: "float64", backend: "js" });
    const explicit = contiguousFolds(n, 4).map((f) => ({ train: Array.from(f.train), test: Array.from(f.test) }));
    const byCv = await brainScore(X, Y, { alphas, folds: explicit, dtype: "float64", backend: "js" });
    expect(Array.from(byCv.rFolds)).toEqual(Array.from(byGroups.rFolds));
    const partial = await brainScore(X, Y, {
      alphas,
      folds: [{ train: explicit[0].train, test: explicit[0].test }],
      dtype: "float64",
      backend: "js",
      savePredictions: true,
    });
    expect(partial.nFolds).toBe(1);
    expect(partial.foldId[n - 1]).toBe(-1);
    expect(partial.predictions!.data[(n - 1) * V]).toBeNaN();
    expect(Number.isFinite(partial.predictions!.data[0])).toBe(true);
  });
});

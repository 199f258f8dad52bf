/**
 * RidgeCV: the fitted ridge model as an estimator (scikit-learn's fit / predict / score), one penalty per
 * target chosen on the fitting rows by efficient leave-one-out, GCV or an inner K-fold — the same solvers
 * and selection rules as `brainScore`, which is the outer cross-validation loop around this fit.
 *
 * Coefficients are returned in the units of X and Y (p × V, himalaya's layout, so ŷ = X·coef + intercept),
 * whatever the internal standardisation, so a model fitted on some stories predicts another directly.
 */
import { withBackends, type BackendSpec } from "../backend/index.js";
import { castArray, castMatrix, zeros, type DType, type Matrix } from "../linalg/dense.js";
import { readSafetensors, writeSafetensors, type TensorInput } from "../io/safetensors.js";
import { DEFAULT_ALPHAS, validateAlphas } from "./alphas.js";
import { checkDesign, findNonFiniteTargets, validateDesign } from "./checks.js";
import { ALPHA_SELECTIONS, selectionPlan, type AlphaSelection } from "./alphaSelection.js";
import { applyStandardizer, decompose, fitStandardizer, rightVectors, type Standardizer } from "./designSvd.js";
import { resolveFolds, type CrossValidation } from "./folds.js";
import { resolveScorer, type Scoring } from "./scoring.js";
import { centeredBlock, fitTargetChunk } from "./targets.js";

export interface RidgeCVOptions {
  /** Penalty grid (default: 10 values log-spaced from 1e-1 to 1e8). */
  alphas?: ArrayLike<number>;
  /** How each target's alpha is chosen on the fitting rows (default "loo", or "kfold" when `cv` is given). */
  alphaSelection?: AlphaSelection;
  /**
   * Inner folds of the "kfold" selection over the fitting rows: K contiguous, `{ groups }`, or explicit folds (default
   * 5).
   */
  cv?: CrossValidation;
  /** Standardise X columns on the fitting rows before the penalty applies (default true, as brainScore does). */
  standardize?: boolean;
  /** What `score` returns per target (default Pearson r, the brain score). */
  scoring?: Scoring;
  /** Precision of the heavy products (default float32); decompositions are always float64. */
  dtype?: DType;
  backend?: BackendSpec;
  targetChunkSize?: number;
  /** Targets with NaN/Inf: "error" (default) throws; "mask" gives them NaN predictions and reports them. */
  invalidTargets?: "error" | "mask";
  source?: { x?: string; y?: string };
}

/**
 * Ridge regression with one penalty per target chosen on the fitting rows (loo, gcv or inner K-fold); fit / predict /
 * score.
 */
export class RidgeCV {
  readonly options: RidgeCVOptions;
  /** p × V coefficients in X's and Y's units. */
  coef?: Matrix;
  intercept?: Float64Array;
  /** Chosen alpha per target (NaN for invalid or constant targets). */
  bestAlphas?: Float64Array;
  /**
   * A × V selection scores, higher is better: minus the criterion in standardised units of Y (mean squared
   * LOO residual, GCV value, or mean inner-fold MSE).
   */
  cvScores?: Float64Array;
  /** Per target: the selection score at the chosen alpha (himalaya's `cv_scores_`; NaN where no alpha was chosen). */
  bestCvScores?: Float64Array;
  alphaGrid: Float64Array;
  invalidTargets: { nonFinite: number[]; constant: number[] } = { nonFinite: [], constant: [] };
  /** The column statistics X was standardised with (scale 1 when `standardize` is false). */
  standardizer?: Standardizer;

  constructor(options: RidgeCVOptions = {}) {
    this.options = options;
    this.alphaGrid = Float64Array.from(options.alphas ?? DEFAULT_ALPHAS);
    validateAlphas(this.alphaGrid);
    if (options.alphaSelection !== undefined && !ALPHA_SELECTIONS.includes(options.alphaSelection)) {
      throw new Error(`alphaSelection must be one of ${ALPHA_SELECTIONS.join(", ")}, got "${options.alphaSelection}"`);
    }
    if (options.cv !== undefined && options.alphaSelection !== undefined && options.alphaSelection !== "kfold") {
      throw new Error(`cv sets the inner folds of alphaSelection "kfold"; "${options.alphaSelection}" has none`);
    }
  }

  get alphaSelection(): AlphaSelection {
    return this.options.alphaSelection ?? (this.options.cv !== undefined ? "kfold" : "loo");
  }

  async fit(x: Matrix, y: Matrix): Promise<this> {
    const src = { x: this.options.source?.x ?? "X", y: this.options.source?.y ?? "Y" };
    validateDesign(x, y, src);
    const nonFinite = findNonFiniteTargets(y);
    if (nonFinite.length > 0 && (this.options.invalidTargets ?? "error") === "error") {
      throw new Error(
        `${src.y}: ${nonFinite.length} target column(s) contain NaN or Inf (first: column ${nonFinite[0]}); remove them or use invalidTargets: "mask"`,
      );
    }
    const { rows: n, cols: p } = x;
    const V = y.cols;
    const alphas = this.alphaGrid;
    const dtype = this.options.dtype ?? "float32";
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const st = fitStandardizer(x, all);
    if (this.options.standardize === false) st.scale.fill(1);
    const xs = applyStandardizer(x, all, st);
    const inner = this.alphaSelection === "kfold" ? resolveFolds(this.options.cv ?? 5, n, `${src.x} (cv)`) : 5;
    const invalid = new Uint8Array(V);
    for (const t of nonFinite) invalid[t] = 1;
    const coef = zeros("float64", p, V);
    const intercept = new Float64Array(V);
    const bestAlphas = new Float64Array(V).fill(NaN);
    const cvScores = new Float64Array(alphas.length * V).fill(NaN);
    const bestCvScores = new Float64Array(V).fill(NaN);
    await withBackends(this.options.backend, dtype, async (backend, f64) => {
      const dec = await decompose(xs, f64);
      const plan = await selectionPlan(this.alphaSelection, xs, dec, alphas, inner, dtype, f64);
      const U = castMatrix(dec.U, dtype);
      const chunk =
        this.options.targetChunkSize ?? Math.max(64, Math.floor(2 ** 22 / (n * Math.max(alphas.length, 4))));
      for (let c0 = 0; c0 < V; c0 += chunk) {
        const c1 = Math.min(V, c0 + chunk);
        const c = c1 - c0;
        const { block, mean: baseline } = centeredBlock(y, c0, c1, dtype, invalid);
        const fitted = await fitTargetChunk(block, baseline, U, dec.s, plan, alphas, backend, "float64");
        const { mean, variance, best, criterion, inBasis } = fitted;
        const w = castArray((await f64.matmul(rightVectors(dec), inBasis)).data, "float64");
        for (let t = 0; t < c; t++) {
          const target = c0 + t;
          if (invalid[target] === 0 && !(variance[t] > 0)) invalid[target] = 2;
          let offset = baseline[t] + mean[t];
          for (let j = 0; j < p; j++) {
            const v = w[j * c + t] / st.scale[j];
            coef.data[j * V + target] = v;
            offset -= st.mean[j] * v;
          }
          intercept[target] = invalid[target] === 1 ? NaN : offset;
          if (invalid[target] === 0) {
            bestAlphas[target] = alphas[best[t]];
            bestCvScores[target] = -criterion[best[t] * c + t];
          }
          for (let a = 0; a < alphas.length; a++)
            cvScores[a * V + target] = invalid[target] === 0 ? -criterion[a * c + t] : NaN;
        }
      }
    });
    Object.assign(this, { coef, intercept, bestAlphas, cvScores, bestCvScores, standardizer: st });
    this.invalidTargets = { nonFinite, constant: [...invalid.keys()].filter((t) => invalid[t] === 2) };
    return this;
  }

  /** ŷ = X·coef + intercept (n × V, float64). */
  async predict(x: Matrix): Promise<Matrix> {
    const { coef, intercept } = this.fitted();
    if (x.cols !== coef.rows)
      throw new Error(`predict: X has ${x.cols} columns but the model was fitted on ${coef.rows}`);
    checkDesign(x, this.options.source?.x ?? "X");
    const pred = await withBackends(this.options.backend, this.options.dtype ?? "float32", (_, f64) =>
      f64.matmul(castMatrix(x, "float64"), coef),
    );
    const out = castArray(pred.data, "float64");
    const V = coef.cols;
    for (let i = 0; i < x.rows; i++) for (let t = 0; t < V; t++) out[i * V + t] += intercept[t];
    return { rows: x.rows, cols: V, data: out };
  }

  /** One score per target of the predictions of X against Y (Pearson r unless `scoring` says otherwise). */
  async score(x: Matrix, y: Matrix, scoring?: Scoring): Promise<Float64Array> {
    const pred = await this.predict(x);
    if (y.rows !== pred.rows || y.cols !== pred.cols)
      throw new Error(`score: Y is ${y.rows} × ${y.cols}, predictions are ${pred.rows} × ${pred.cols}`);
    return resolveScorer(scoring ?? this.options.scoring)(y, pred);
  }

  /** The fitted model as named tensors (coef [p, V], intercept, best_alphas, alpha_grid, x_mean, x_scale). */
  toTensors(): Record<string, TensorInput> {
    const { coef, intercept } = this.fitted();
    const st = this.standardizer!;
    return {
      coef: { shape: [coef.rows, coef.cols], data: castArray(coef.data, "float64") },
      intercept: { shape: [intercept.length], data: intercept },
      best_alphas: { shape: [intercept.length], data: this.bestAlphas! },
      alpha_grid: { shape: [this.alphaGrid.length], data: this.alphaGrid },
      x_mean: { shape: [st.mean.length], data: st.mean },
      x_scale: { shape: [st.scale.length], data: st.scale },
    };
  }

  /** Writes the fitted model as one safetensors file (atomically). */
  save(path: string, metadata: Record<string, string> = {}): void {
    writeSafetensors(path, this.toTensors(), {
      format: MODEL_FORMAT,
      alphaSelection: this.alphaSelection,
      ...metadata,
    });
  }

  /** A fitted RidgeCV read back from `save`'s file; it predicts and scores, it is not refitted. */
  static load(path: string, options: RidgeCVOptions = {}): RidgeCV {
    const file = readSafetensors(path);
    if (file.metadata.format !== MODEL_FORMAT) {
      throw new Error(
        `${path}: not a brainscore ridge model (metadata format "${file.metadata.format ?? "missing"}", expected "${MODEL_FORMAT}")`,
      );
    }
    const get = (name: string, dims: number): Float64Array => {
      const t = file.tensors.get(name);
      if (!t || !(t.data instanceof Float64Array) || t.shape.length !== dims)
        throw new Error(`${path}: tensor "${name}" is missing or not a ${dims}-D F64 array`);
      return t.data;
    };
    const coef = get("coef", 2);
    const [p, V] = file.tensors.get("coef")!.shape;
    const alphaSelection = file.metadata.alphaSelection as AlphaSelection;
    const model = new RidgeCV({
      ...options,
      alphas: get("alpha_grid", 1),
      alphaSelection: ALPHA_SELECTIONS.includes(alphaSelection) ? alphaSelection : undefined,
    });
    const intercept = get("intercept", 1);
    const xMean = get("x_mean", 1);
    if (intercept.length !== V || xMean.length !== p)
      throw new Error(
        `${path}: intercept has ${intercept.length} values and x_mean ${xMean.length} for coef [${p}, ${V}]`,
      );
    Object.assign(model, {
      coef: { rows: p, cols: V, data: coef },
      intercept,
      bestAlphas: get("best_alphas", 1),
      standardizer: { mean: xMean, scale: get("x_scale", 1) },
    });
    return model;
  }

  private fitted(): { coef: Matrix; intercept: Float64Array } {
    if (!this.coef || !this.intercept) throw new Error("RidgeCV: call fit (or RidgeCV.load) before predict or score");
    return { coef: this.coef, intercept: this.intercept };
  }
}

const MODEL_FORMAT = "brainscore.ridge-model/1";

export interface RidgeOptions extends Omit<RidgeCVOptions, "alphas" | "alphaSelection" | "cv"> {
  /** The penalty of every target (default 1, as scikit-learn's and himalaya's Ridge). */
  alpha?: number;
}

/**
 * Ridge regression with one fixed penalty for every target (scikit-learn's and himalaya's `Ridge`): the same
 * fit, coefficients in X's and Y's units, predict, score, save and load as RidgeCV, with a grid of one alpha.
 * X is standardised on the fitting rows first unless `standardize: false` (scikit-learn's Ridge does not
 * scale X; with `standardize: false` the coefficients equal its `coef_.T` and `intercept_`).
 */
export class Ridge extends RidgeCV {
  readonly alpha: number;

  constructor(options: RidgeOptions = {}) {
    const alpha = options.alpha ?? 1;
    if (!(Number.isFinite(alpha) && alpha > 0))
      throw new Error(`Ridge: alpha must be a finite number > 0, got ${alpha}`);
    // GCV with a single alpha: no selection work beyond one diagonal filter.
    super({ ...options, alphas: [alpha], alphaSelection: "gcv" });
    this.alpha = alpha;
  }
}

/**
 * BandedRidgeCV: one penalty per feature space and per target (banded ridge; multiple-kernel ridge with
 * linear kernels), hyperparameters chosen by himalaya's random search — candidate weights γ on the simplex
 * (explicit, or seeded Dirichlet draws) × an alpha grid, each scored by inner cross-validation.
 *
 * For a candidate γ, band j of X is scaled by √γ_j, so that ordinary ridge with penalty α on the scaled
 * design solves  min ||y − Σ_j X_j W_j||² + α Σ_j ||W_j||² / γ_j  (a band with γ_j = 0 gets W_j = 0).
 * Scores follow himalaya's solve_multiple_kernel_ridge_random_search: per inner fold, l2_neg_loss (−MSE)
 * or R²; their unweighted mean over folds + 1e-10·ln α; the best alpha per candidate (first maximum) gives
 * cvScores[γ, t]; a target moves to a later candidate only when it beats the best so far by more than
 * float64 epsilon. The refit uses all rows with the chosen (γ, α).
 */
import { withBackends, type BackendSpec } from "../backend/index.js";
import type { ComputeBackend } from "../backend/types.js";
import { castArray, castMatrix, takeRows, zeros, type DType, type Matrix, type MatrixStack } from "../linalg/dense.js";
import { dirichletCandidates } from "../linalg/random.js";
import { DEFAULT_ALPHAS, validateAlphas } from "./alphas.js";
import { findNonFiniteTargets, validateDesign } from "./checks.js";
import { scaledStack } from "./alphaSelection.js";
import { decompose, fitStandardizer, rightVectors, type Decomposition } from "./designSvd.js";
import { ridgeFilter } from "./ridgeFilters.js";
import { resolveFolds, type CrossValidation, type Fold } from "./folds.js";
import { r2ScoreSplit, resolveScorer, type Scoring } from "./scoring.js";
import { filteredProjections } from "./targets.js";

export interface BandedRidgeCVOptions {
  /**
   * Column count of each feature space, in column order (they must sum to X's columns); or pass X as one matrix per
   * space.
   */
  bands?: number[];
  /**
   * Candidate weights, one row per candidate with one weight per space (each row on the simplex), or seeded Dirichlet
   * draws.
   */
  gammas?: number[][] | { samples: number; seed?: number; concentrations?: number[] };
  alphas?: ArrayLike<number>;
  /** Inner folds scoring each candidate (default 5 contiguous folds). */
  cv?: CrossValidation;
  /** Inner-fold score: "l2" (−MSE, himalaya's default) or "r2". */
  selectionScore?: "l2" | "r2";
  /** Centre X and Y on the fitting rows and fit an intercept (default true). */
  fitIntercept?: boolean;
  /** Keep cvFoldScores (G × K × A × V float64: large for whole-brain targets). */
  keepFoldScores?: boolean;
  /** Also scale each X column to unit variance on the fitting rows (default false, as himalaya). */
  standardize?: boolean;
  dtype?: DType;
  backend?: BackendSpec;
  targetChunkSize?: number;
  source?: { x?: string; y?: string };
}

interface InnerPlan {
  U: Matrix; // n_train × r, backend precision
  predictors: MatrixStack; // A × n_val × r: X_val·V·diag(s/(s²+α))
  fold: Fold;
}

/**
 * Banded ridge: one weight per feature space and one alpha per target, chosen by inner CV over candidate weights ×
 * alphas.
 */
export class BandedRidgeCV {
  readonly options: BandedRidgeCVOptions;
  gammas: number[][] = [];
  alphaGrid: Float64Array;
  bands: number[] = [];
  /** p × V coefficients in X's and Y's units (bands stacked in column order). */
  coef?: Matrix;
  intercept?: Float64Array;
  /** Chosen candidate and alpha per target (−1 / NaN for constant targets). */
  gammaIndex?: Int32Array;
  alphaIndex?: Int32Array;
  bestAlphas?: Float64Array;
  /** bands × V: chosen weight of each space per target. */
  bestGammas?: Float64Array;
  /** bands × V: himalaya's deltas, ln(γ_j / α) (−Infinity where γ_j = 0). */
  deltas?: Float64Array;
  /** G × V: per candidate, max over alphas of (mean inner-fold score + 1e-10·ln α). */
  cvScores?: Float64Array;
  /**
   * G × K × A × V inner-fold scores without the tie-break term (himalaya's per-fold l2_neg_loss or R²), with
   * keepFoldScores.
   */
  cvFoldScores?: Float64Array;
  constantTargets: number[] = [];

  constructor(options: BandedRidgeCVOptions = {}) {
    this.options = options;
    this.alphaGrid = Float64Array.from(options.alphas ?? DEFAULT_ALPHAS);
    validateAlphas(this.alphaGrid);
    if (options.selectionScore !== undefined && options.selectionScore !== "l2" && options.selectionScore !== "r2") {
      throw new Error(`selectionScore must be "l2" or "r2", got ${JSON.stringify(options.selectionScore)}`);
    }
  }

  async fit(x: Matrix | Matrix[], y: Matrix): Promise<this> {
    const src = { x: this.options.source?.x ?? "X", y: this.options.source?.y ?? "Y" };
    const { joint, bands } = joinBands(x, this.options.bands, src.x);
    validateDesign(joint, y, src);
    const bad = findNonFiniteTargets(y);
    if (bad.length > 0)
      throw new Error(`${src.y}: ${bad.length} target column(s) contain NaN or Inf (first: column ${bad[0]})`);
    this.bands = bands;
    this.gammas = resolveGammas(this.options.gammas, bands.length);
    const { rows: n, cols: p } = joint;
    const V = y.cols;
    const alphas = this.alphaGrid;
    const A = alphas.length;
    const G = this.gammas.length;
    const dtype = this.options.dtype ?? "float32";
    const folds = resolveFolds(this.options.cv ?? 5, n, `${src.x} (cv)`);
    const K = folds.length;
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const fitIntercept = this.options.fitIntercept ?? true;
    const st = fitStandardizer(joint, all);
    if (!fitIntercept) st.mean.fill(0);
    if (!this.options.standardize) st.scale.fill(1);
    const xs = zeros("float64", n, p);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < p; j++) xs.data[i * p + j] = (joint.data[i * p + j] - st.mean[j]) / st.scale[j];
    const yMean = new Float64Array(V);
    if (fitIntercept) for (let i = 0; i < n; i++) for (let t = 0; t < V; t++) yMean[t] += y.data[i * V + t] / n;

    const coef = zeros("float64", p, V);
    const gammaIndex = new Int32Array(V).fill(-1);
    const alphaIndex = new Int32Array(V).fill(-1);
    const cvScores = new Float64Array(G * V);
    const cvFoldScores = this.options.keepFoldScores ? new Float64Array(G * K * A * V) : undefined;
    const bandOf = Int32Array.from(bands.flatMap((size, j) => new Array<number>(size).fill(j)));
    const r2 = this.options.selectionScore === "r2";
    const slope = Float64Array.from(alphas, (a) => 1e-10 * Math.log(a));
    // Without an intercept a constant non-zero target is still a target.
    const constant = fitIntercept ? constantColumns(y) : [];

    await withBackends(this.options.backend, dtype, async (backend, f64) => {
      const inner: InnerPlan[][] = [];
      for (const g of this.gammas) {
        const zg = scaleBands(xs, bandOf, g);
        inner.push(await Promise.all(folds.map((fold) => innerPlan(zg, fold, alphas, dtype, f64))));
      }
      const refits = new Map<number, Decomposition>();
      const chunk = this.options.targetChunkSize ?? Math.max(64, Math.floor(2 ** 22 / (n * A)));
      for (let c0 = 0; c0 < V; c0 += chunk) {
        const c1 = Math.min(V, c0 + chunk);
        const c = c1 - c0;
        const block = castMatrix(columns(y, c0, c1, yMean), dtype);
        const best = new Float64Array(c).fill(-Infinity);
        for (let gi = 0; gi < G; gi++) {
          const mean = new Float64Array(A * c);
          for (const [k, plan] of inner[gi].entries()) {
            const fs = await foldScores(plan, block, r2, backend);
            for (let a = 0; a < A; a++) {
              cvFoldScores?.set(fs.subarray(a * c, (a + 1) * c), ((gi * K + k) * A + a) * V + c0);
              for (let t = 0; t < c; t++) mean[a * c + t] += fs[a * c + t] / K;
            }
          }
          for (let t = 0; t < c; t++) {
            let bi = 0;
            let bv = mean[t] + slope[0];
            for (let a = 1; a < A; a++) {
              const v = mean[a * c + t] + slope[a];
              if (v > bv) [bi, bv] = [a, v];
            }
            cvScores[gi * V + c0 + t] = bv;
            if (bv > best[t] + Number.EPSILON) {
              best[t] = bv;
              gammaIndex[c0 + t] = gi;
              alphaIndex[c0 + t] = bi;
            }
          }
        }
        await refit(this.gammas, xs, bandOf, block, c0, alphas, gammaIndex, alphaIndex, constant, refits, f64, coef);
      }
    });
    for (const t of constant) [gammaIndex[t], alphaIndex[t]] = [-1, -1];
    for (let j = 0; j < p; j++) for (let t = 0; t < V; t++) coef.data[j * V + t] /= st.scale[j];
    const intercept = Float64Array.from(yMean, (m, t) => {
      let v = m;
      for (let j = 0; j < p; j++) v -= st.mean[j] * coef.data[j * V + t];
      return v;
    });
    const B = bands.length;
    const bestGammas = new Float64Array(B * V).fill(NaN);
    const deltas = new Float64Array(B * V).fill(NaN);
    const bestAlphas = new Float64Array(V).fill(NaN);
    for (let t = 0; t < V; t++) {
      if (gammaIndex[t] < 0) continue;
      const a = alphas[alphaIndex[t]];
      bestAlphas[t] = a;
      this.gammas[gammaIndex[t]].forEach((g, j) => {
        bestGammas[j * V + t] = g;
        deltas[j * V + t] = Math.log(g / a);
      });
    }
    Object.assign(this, {
      coef,
      intercept,
      gammaIndex,
      alphaIndex,
      bestAlphas,
      bestGammas,
      deltas,
      cvScores,
      cvFoldScores,
      constantTargets: constant,
    });
    return this;
  }

  /** Joint prediction X·coef + intercept (n × V, float64), as RidgeCV.predict and himalaya's predict(X). */
  async predict(x: Matrix | Matrix[]): Promise<Matrix> {
    const { joint, coef } = this.fitted(x);
    const V = coef.cols;
    const n = joint.rows;
    return withBackends(this.options.backend, this.options.dtype ?? "float32", async (_, b) => {
      const out = castArray((await b.matmul(castMatrix(joint, "float64"), coef)).data, "float64");
      for (let i = 0; i < n; i++) for (let t = 0; t < V; t++) out[i * V + t] += this.intercept![t];
      return { rows: n, cols: V, data: out };
    });
  }

  /** One prediction per space, X_j·W_j without the intercept (himalaya's predict(X, split=True)). */
  async predictSplit(x: Matrix | Matrix[]): Promise<Matrix[]> {
    const { joint, coef } = this.fitted(x);
    const V = coef.cols;
    return withBackends(this.options.backend, this.options.dtype ?? "float32", async (_, b) => {
      const parts: Matrix[] = [];
      let start = 0;
      for (const size of this.bands) {
        const xj = columns(castMatrix(joint, "float64"), start, start + size);
        const wj = { rows: size, cols: V, data: coef.data.subarray(start * V, (start + size) * V) };
        parts.push(castMatrix(await b.matmul(xj, wj), "float64"));
        start += size;
      }
      return parts;
    });
  }

  /** The fitted coefficients and X joined into one matrix, checked against the fit. */
  private fitted(x: Matrix | Matrix[]): { joint: Matrix; coef: Matrix } {
    const coef = this.coef;
    if (!coef || !this.intercept) throw new Error("BandedRidgeCV: call fit before predict or score");
    const { joint } = joinBands(x, this.bands, this.options.source?.x ?? "X");
    if (joint.cols !== coef.rows)
      throw new Error(`predict: X has ${joint.cols} columns but the model was fitted on ${coef.rows}`);
    return { joint, coef };
  }

  /** Score per target of the joint prediction (Pearson r unless `scoring` says otherwise). */
  async score(x: Matrix | Matrix[], y: Matrix, scoring?: Scoring): Promise<Float64Array> {
    return resolveScorer(scoring)(y, await this.predict(x));
  }

  /** himalaya's r2_score_split: the joint R² shared between the spaces (one array of V values per space). */
  async scoreSplit(x: Matrix | Matrix[], y: Matrix): Promise<Float64Array[]> {
    return r2ScoreSplit(y, await this.predictSplit(x));
  }
}

/** One matrix from per-space matrices, or the declared band sizes checked against X. */
function joinBands(
  x: Matrix | Matrix[],
  declared: number[] | undefined,
  name: string,
): { joint: Matrix; bands: number[] } {
  if (!Array.isArray(x)) {
    const bands = declared ?? [x.cols];
    if (bands.some((b) => !Number.isInteger(b) || b < 1) || bands.reduce((a, b) => a + b, 0) !== x.cols) {
      throw new Error(
        `${name}: bands [${bands.join(", ")}] must be positive column counts summing to X's ${x.cols} columns`,
      );
    }
    return { joint: x, bands };
  }
  if (x.length === 0) throw new Error(`${name}: no feature spaces`);
  const n = x[0].rows;
  x.forEach((m, j) => {
    if (m.rows !== n) throw new Error(`${name}: feature space ${j} has ${m.rows} rows but space 0 has ${n}`);
  });
  const bands = x.map((m) => m.cols);
  if (declared && declared.join() !== bands.join())
    throw new Error(`${name}: bands [${declared.join(", ")}] differ from the spaces' widths [${bands.join(", ")}]`);
  const p = bands.reduce((a, b) => a + b, 0);
  const joint = zeros("float64", n, p);
  let start = 0;
  for (const m of x) {
    for (let i = 0; i < n; i++) for (let j = 0; j < m.cols; j++) joint.data[i * p + start + j] = m.data[i * m.cols + j];
    start += m.cols;
  }
  return { joint, bands };
}

function resolveGammas(spec: BandedRidgeCVOptions["gammas"], B: number): number[][] {
  if (spec === undefined) return dirichletCandidates(B === 1 ? 1 : 20, B, 0);
  if (!Array.isArray(spec)) return dirichletCandidates(spec.samples, B, spec.seed ?? 0, spec.concentrations);
  if (spec.length === 0) throw new Error("gammas: no candidates");
  spec.forEach((g, k) => {
    const sum = g.reduce((a, b) => a + b, 0);
    if (g.length !== B || g.some((v) => !(v >= 0)) || Math.abs(sum - 1) > 1e-9) {
      throw new Error(`gammas: candidate ${k} [${g.join(", ")}] must hold ${B} non-negative weights summing to 1`);
    }
  });
  return spec.map((g) => [...g]);
}

function scaleBands(x: Matrix, bandOf: Int32Array, g: number[]): Matrix {
  const p = x.cols;
  const root = Array.from(bandOf, (j) => Math.sqrt(g[j]));
  const out = zeros("float64", x.rows, p);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < p; j++) out.data[i * p + j] = x.data[i * p + j] * root[j];
  return out;
}

async function innerPlan(
  z: Matrix,
  fold: Fold,
  alphas: Float64Array,
  dtype: DType,
  f64: ComputeBackend,
): Promise<InnerPlan> {
  const dec = await decompose(takeRows(z, fold.train, "float64"), f64);
  const xv = await f64.matmul(takeRows(z, fold.test, "float64"), rightVectors(dec));
  const filt = ridgeFilter(dec.s, alphas);
  return {
    U: castMatrix(dec.U, dtype),
    predictors: scaledStack(castMatrix(xv, "float64"), filt, alphas.length, dtype),
    fold,
  };
}

/** A × c scores of one inner fold: −MSE, or R² against the fold's own mean (0 where the fold is constant). */
async function foldScores(plan: InnerPlan, block: Matrix, r2: boolean, backend: ComputeBackend): Promise<Float64Array> {
  const c = block.cols;
  const A = plan.predictors.count;
  const yv = takeRows(block, plan.fold.test);
  const nv = yv.rows;
  let rss: Float64Array;
  if (plan.U.cols === 0) {
    // A zero design (every weighted band empty) predicts 0.
    rss = new Float64Array(A * c);
    for (let a = 0; a < A; a++)
      for (let i = 0; i < nv; i++) for (let t = 0; t < c; t++) rss[a * c + t] += yv.data[i * c + t] ** 2;
  } else {
    const z = await backend.matmul(plan.U, takeRows(block, plan.fold.train), true);
    rss = castArray((await backend.residualSumSquares(plan.predictors, z, yv, null)).data, "float64") as Float64Array;
  }
  const out = new Float64Array(A * c);
  if (!r2) {
    for (let k = 0; k < A * c; k++) out[k] = -rss[k] / nv;
    return out;
  }
  const sst = new Float64Array(c);
  const mean = new Float64Array(c);
  for (let i = 0; i < nv; i++) for (let t = 0; t < c; t++) mean[t] += yv.data[i * c + t] / nv;
  for (let i = 0; i < nv; i++) for (let t = 0; t < c; t++) sst[t] += (yv.data[i * c + t] - mean[t]) ** 2;
  for (let a = 0; a < A; a++) for (let t = 0; t < c; t++) out[a * c + t] = sst[t] > 0 ? 1 - rss[a * c + t] / sst[t] : 0;
  return out;
}

/**
 * Coefficients of targets [c0, c0 + c) with their chosen (γ, α): W = diag(√γ)·(ridge solution on the scaled design).
 */
async function refit(
  gammas: number[][],
  xs: Matrix,
  bandOf: Int32Array,
  block: Matrix,
  c0: number,
  alphas: Float64Array,
  gammaIndex: Int32Array,
  alphaIndex: Int32Array,
  constant: number[],
  cache: Map<number, Decomposition>,
  f64: ComputeBackend,
  coef: Matrix,
): Promise<void> {
  const c = block.cols;
  const V = coef.cols;
  const p = xs.cols;
  const isConstant = new Set(constant);
  const y64 = castMatrix(block, "float64");
  for (const gi of new Set(Array.from(gammaIndex.subarray(c0, c0 + c)))) {
    const targets = [...Array(c).keys()].filter((t) => gammaIndex[c0 + t] === gi && !isConstant.has(c0 + t));
    if (targets.length === 0) continue;
    let dec = cache.get(gi);
    if (!dec) {
      dec = await decompose(scaleBands(xs, bandOf, gammas[gi]), f64);
      cache.set(gi, dec);
    }
    if (dec.s.length === 0) continue;
    const sub = zeros("float64", block.rows, targets.length);
    for (let i = 0; i < block.rows; i++)
      targets.forEach((t, q) => (sub.data[i * targets.length + q] = y64.data[i * c + t]));
    const projections = castMatrix(await f64.matmul(dec.U, sub, true), "float64");
    const best = Int32Array.from(targets, (t) => alphaIndex[c0 + t]);
    const inBasis = filteredProjections(
      dec.s,
      alphas,
      best,
      projections,
      new Float64Array(targets.length).fill(1),
      "float64",
    );
    const w = castArray((await f64.matmul(rightVectors(dec), inBasis)).data, "float64");
    for (let j = 0; j < p; j++) {
      const root = Math.sqrt(gammas[gi][bandOf[j]]);
      targets.forEach((t, q) => (coef.data[j * V + c0 + t] = root * w[j * targets.length + q]));
    }
  }
}

/** Columns [c0, c1) of m as float64, minus `offset` (indexed by m's column) when given. */
function columns(m: Matrix, c0: number, c1: number, offset?: Float64Array): Matrix {
  const c = c1 - c0;
  const out = zeros("float64", m.rows, c);
  for (let i = 0; i < m.rows; i++)
    for (let t = 0; t < c; t++) out.data[i * c + t] = m.data[i * m.cols + c0 + t] - (offset ? offset[c0 + t] : 0);
  return out;
}

function constantColumns(y: Matrix): number[] {
  const out: number[] = [];
  for (let t = 0; t < y.cols; t++) {
    let i = 1;
    while (i < y.rows && y.data[i * y.cols + t] === y.data[t]) i++;
    if (i === y.rows) out.push(t);
  }
  return out;
}

/**
 * brainScore: cross-validated ridge encoding model, one penalty per target (vertex, voxel, region).
 *
 * For each outer fold: standardise X and Y with the training rows (ddof 0), fit an intercept, pick each
 * target's alpha on the training rows only (loo | gcv | kfold), refit with it, predict the held-out rows and
 * score them with Pearson r. The brain score is r averaged over folds. Targets are processed in chunks so
 * memory stays bounded whatever their number; everything that depends only on X is computed once per fold.
 */
import { withBackends, type BackendSpec } from "../backend/index.js";
import type { ComputeBackend } from "../backend/types.js";
import { castMatrix, takeRows, zeros, type DType, type Matrix } from "../linalg/dense.js";
import { DEFAULT_ALPHAS, validateAlphas } from "./alphas.js";
import { selectionPlan, ALPHA_SELECTIONS, type AlphaSelection, type SelectionPlan } from "./alphaSelection.js";
import { applyStandardizer, decompose, fitStandardizer, projectRows, type Decomposition } from "./designSvd.js";
import { contiguousFolds, foldIds, groupFolds, resolveFolds, type CrossValidation, type Fold } from "./folds.js";
import { scoreFusedFolds } from "./foldLanes.js";
import type { FusedFoldOutput } from "./fusedFold.js";
import { centeredBlock, fitTargetChunk, heldOutScores } from "./targets.js";
import { findNonFiniteTargets, validateDesign } from "./checks.js";
import { PAPER } from "../config/paper.js";

export interface BrainScoreOptions {
  /** Penalty grid (default: 10 values log-spaced from 1e-1 to 1e8). */
  alphas?: ArrayLike<number>;
  /**
   * The outer folds, as scikit-learn's `cv`: K contiguous folds (default 5, the paper's), `{ groups }`, or
   * explicit `{ train, test }` index lists (e.g. folds built once and shared by several calls). Samples in no
   * test set get NaN predictions. (`innerFolds` are the folds of the `kfold` selection inside each fold.)
   */
  folds?: CrossValidation;
  /** One outer fold per distinct label (run, story), when `folds` is a number or absent. */
  groups?: ArrayLike<number>;
  alphaSelection?: AlphaSelection;
  /** Inner folds of the `kfold` selection (default 5). */
  innerFolds?: number;
  /** Precision of the heavy products (default float32). Decompositions are always float64. */
  dtype?: DType;
  /** A backend name (created and disposed here) or a handle the caller owns and reuses across calls. */
  backend?: BackendSpec;
  /**
   * Targets per chunk; default keeps the largest intermediate near 10 MiB (fused folds) or 32 MiB (see
   * defaultChunkSize).
   */
  targetChunkSize?: number;
  /** Keep the held-out predictions (n × V, original units of Y). */
  savePredictions?: boolean;
  /**
   * How exact LOO (the default selection) scores the alphas on the graph path; the same criteria to rounding
   * either way. "triangular": per fold, one triangular factor per alpha (a Cholesky each), then about
   * A·r²/2 multiply-adds per target; "residual": the LOO residuals U·(h ⊙ z) themselves, A·n·r per target
   * and no factors. "auto" (default): triangular from 8 targets per training row on (where the factors
   * repay their preparation: 78 regions take the residual form, a surface the triangular one).
   */
  looForm?: LooForm;
  /** Keep each fold's alpha-selection criterion for every alpha and target (K × A × V). */
  keepCriteria?: boolean;
  /** Targets with NaN/Inf values: "error" (default) throws; "mask" scores them NaN and reports them. */
  invalidTargets?: "error" | "mask";
  /** Names the data in error messages (a file path, typically). */
  source?: { x?: string; y?: string; groups?: string };
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
}

/** How exact LOO scores the alphas (BrainScoreOptions.looForm). */
export type LooForm = "auto" | "triangular" | "residual";

const LOO_FORMS: LooForm[] = ["auto", "triangular", "residual"];

/** Targets per training row from which "auto" LOO uses the triangular factors (see BrainScoreOptions.looForm). */
export const TRIANGULAR_LOO_TARGETS_PER_ROW = 8;

export interface BrainScoreResult {
  /** Brain score per target: Pearson r averaged over outer folds (NaN for invalid targets). */
  r: Float64Array;
  /** K × V, Pearson r per outer fold. */
  rFolds: Float64Array;
  r2: Float64Array;
  r2Folds: Float64Array;
  /** K × V, the alpha chosen on each fold's training rows. */
  alphas: Float64Array;
  alphaGrid: Float64Array;
  /** Outer fold of each sample. */
  foldId: Int32Array;
  nFolds: number;
  nTargets: number;
  /** n × V held-out predictions in Y's units (when savePredictions). */
  predictions?: Matrix;
  /**
   * K × A × V validation error per alpha, in standardised units (when keepCriteria): mean squared LOO
   * residual (loo), GCV value (gcv), or mean inner-fold MSE (kfold, without himalaya's tie-break term).
   */
  criteria?: Float64Array;
  /** Targets scored NaN and why. */
  invalidTargets: { nonFinite: number[]; constant: number[] };
  /** Design columns constant over every sample (of any per-fold design): they carry no information. */
  constantFeatures: number[];
  settings: {
    alphaSelection: AlphaSelection;
    dtype: DType;
    backend: string;
    innerFolds: number;
    forms: string[];
    /**
     * loo on the graph path, per outer fold: how the alphas were scored (BrainScoreOptions.looForm; a fold
     * asked for the triangular form takes the residual one where that form does not apply or costs more).
     */
    looForms?: ("triangular" | "residual")[];
    /** Graph path only: folds prepared and target chunks scored on this thread and on the worker (foldLanes.ts). */
    lanes?: { main: { folds: number; chunks: number }; worker: { folds: number; chunks: number } };
  };
}

/** A fold of the step-by-step path (backends without graphs, and kfold selection). */
interface FoldPlan {
  fold: Fold;
  dec: Decomposition;
  U: Matrix; // backend precision
  testDesign: Matrix; // Xte_std · V, backend precision
  /** Built on first use. */
  selection: () => Promise<SelectionPlan>;
}

/**
 * `x` is one design for every fold, or one design per outer fold (same rows and columns) when features are
 * fitted inside the cross-validation — e.g. a PCA fitted on each fold's training words, so that nothing
 * about the test rows reaches the features. Fold k's design is only used by fold k.
 */
export async function brainScore(
  x: Matrix | Matrix[],
  y: Matrix,
  options: BrainScoreOptions = {},
): Promise<BrainScoreResult> {
  const src = { x: options.source?.x ?? "X", y: options.source?.y ?? "Y" };
  const alphaSelection = options.alphaSelection ?? "loo";
  if (!ALPHA_SELECTIONS.includes(alphaSelection)) {
    throw new Error(`alphaSelection must be one of ${ALPHA_SELECTIONS.join(", ")}, got "${alphaSelection}"`);
  }
  const dtype = options.dtype ?? "float32";
  const alphas = Float64Array.from(options.alphas ?? DEFAULT_ALPHAS);
  validateAlphas(alphas);
  const looForm = options.looForm ?? "auto";
  if (!LOO_FORMS.includes(looForm))
    throw new Error(`looForm must be "auto", "triangular" or "residual", got "${looForm}"`);
  const innerFolds = options.innerFolds ?? 5;
  const designs = Array.isArray(x) ? x : [x];
  if (designs.length === 0) throw new Error(`${src.x}: no design matrix`);
  for (const d of designs) validateDesign(d, y, src);
  if (designs.some((d) => d.cols !== designs[0].cols))
    throw new Error(`${src.x}: per-fold designs must have the same number of columns`);
  const n = designs[0].rows;
  const V = y.cols;
  const nonFinite = findNonFiniteTargets(y);
  if (nonFinite.length > 0 && (options.invalidTargets ?? "error") === "error") {
    throw new Error(
      `${src.y}: ${nonFinite.length} target column(s) contain NaN or Inf (first: column ${nonFinite[0]}); ` +
        `remove them, or use invalidTargets: "mask" (CLI: --mask-invalid-targets) to score them NaN`,
    );
  }
  const folds =
    options.folds !== undefined && typeof options.folds !== "number"
      ? resolveFolds(options.folds, n, `${src.x} (folds)`)
      : options.groups
        ? groupFolds(checkGroups(options.groups, n, src.x, options.source?.groups ?? "groups"))
        : contiguousFolds(n, options.folds ?? PAPER.folds);
  for (const f of folds) {
    if (f.train.length < 2)
      throw new Error(`${src.x}: a training fold has ${f.train.length} sample(s); need at least 2`);
  }
  if (designs.length !== 1 && designs.length !== folds.length) {
    throw new Error(`${src.x}: ${designs.length} per-fold designs for ${folds.length} folds`);
  }

  return withBackends(options.backend, dtype, async (backend, f64) => {
    const K = folds.length;
    const result: BrainScoreResult = {
      r: new Float64Array(V),
      rFolds: new Float64Array(K * V),
      r2: new Float64Array(V),
      r2Folds: new Float64Array(K * V),
      alphas: new Float64Array(K * V),
      alphaGrid: alphas,
      foldId: foldIds(folds, n),
      nFolds: K,
      nTargets: V,
      predictions: options.savePredictions ? untestedAsNaN(zeros(dtype, n, V), folds) : undefined,
      criteria: options.keepCriteria ? new Float64Array(K * alphas.length * V) : undefined,
      invalidTargets: { nonFinite, constant: [] },
      constantFeatures: constantColumns(designs),
      settings: { alphaSelection, dtype, backend: backend.name, innerFolds, forms: [] },
    };
    const invalid = new Uint8Array(V);
    for (const t of nonFinite) invalid[t] = 1;
    const fusedPath = backend.graphs !== undefined && alphaSelection !== "kfold";
    const chunk = options.targetChunkSize ?? defaultChunkSize(n, alphas.length, dtype, fusedPath);
    const withPredictions = options.savePredictions ?? false;
    if (fusedPath) {
      // Graph path: folds prepared and their target chunks scored on two lanes, this thread and a worker
      // (foldLanes.ts); a fold whose design has no signal direction has no graph and is scored step by step.
      const forms: string[] = new Array(K);
      let scored = 0;
      const triangularLoo = resolveLooForm(looForm, V, folds) === "triangular";
      const looForms: ("triangular" | "residual")[] = new Array(K);
      const lanes = await scoreFusedFolds(
        designs,
        folds,
        { alphas, mode: alphaSelection, dtype, withPredictions, triangularLoo },
        y,
        chunk,
        { compute: backend, f64 },
        {
          prepared: (k, prep) => {
            forms[k] = prep.dec.form;
            looForms[k] = prep.looBlocks ? "triangular" : "residual";
            options.onProgress?.({ stage: "decompose", done: forms.filter(Boolean).length, total: K });
          },
          chunk: (k, c0, out) => {
            record(result, k, c0, out, folds[k], alphas, invalid);
            scored += out.best.length;
            options.onProgress?.({ stage: "targets", done: scored, total: K * V });
          },
        },
      );
      result.settings.lanes = { main: lanes.main, worker: lanes.worker };
      if (alphaSelection === "loo") result.settings.looForms = looForms;
      for (const k of lanes.stepwise) {
        const plan = await planFold(
          designs.length === 1 ? designs[0] : designs[k],
          folds[k],
          alphas,
          alphaSelection,
          innerFolds,
          dtype,
          f64,
        );
        for (let c0 = 0; c0 < V; c0 += chunk) {
          const c1 = Math.min(V, c0 + chunk);
          await scoreChunk(y, c0, c1, [plan], [k], alphas, backend, invalid, result);
          scored += c1 - c0;
          options.onProgress?.({ stage: "targets", done: scored, total: K * V });
        }
      }
      result.settings.forms.push(...forms);
    } else {
      const plans: FoldPlan[] = [];
      for (const [k, fold] of folds.entries()) {
        options.onProgress?.({ stage: "decompose", done: k, total: folds.length });
        plans.push(
          await planFold(
            designs.length === 1 ? designs[0] : designs[k],
            fold,
            alphas,
            alphaSelection,
            innerFolds,
            dtype,
            f64,
          ),
        );
      }
      result.settings.forms.push(...plans.map((p) => p.dec.form));
      for (let c0 = 0; c0 < V; c0 += chunk) {
        const c1 = Math.min(V, c0 + chunk);
        await scoreChunk(
          y,
          c0,
          c1,
          plans,
          plans.map((_, k) => k),
          alphas,
          backend,
          invalid,
          result,
        );
        options.onProgress?.({ stage: "targets", done: c1, total: V });
      }
    }
    for (let t = 0; t < V; t++) {
      let sr = 0;
      let s2 = 0;
      for (let k = 0; k < K; k++) {
        sr += result.rFolds[k * V + t];
        s2 += result.r2Folds[k * V + t];
      }
      result.r[t] = sr / K;
      result.r2[t] = s2 / K;
      if (invalid[t] === 2) result.invalidTargets.constant.push(t);
    }
    return result;
  });
}

async function planFold(
  x: Matrix,
  fold: Fold,
  alphas: Float64Array,
  mode: AlphaSelection,
  innerFolds: number,
  dtype: DType,
  f64: ComputeBackend,
): Promise<FoldPlan> {
  const st = fitStandardizer(x, fold.train);
  const xTrain = applyStandardizer(x, fold.train, st);
  const xTest = applyStandardizer(x, fold.test, st);
  const dec = await decompose(xTrain, f64, { rightVectors: false });
  const testDesign = await projectRows(dec, xTrain, xTest, f64);
  let selection: Promise<SelectionPlan> | undefined;
  const selectionOnce = () => (selection ??= selectionPlan(mode, xTrain, dec, alphas, innerFolds, dtype, f64));
  return {
    fold,
    dec,
    U: castMatrix(dec.U, dtype),
    testDesign: castMatrix(testDesign, dtype),
    selection: selectionOnce,
  };
}

/** Targets [c0, c1) of the folds `ks` (plans[i] is fold ks[i]), step by step on the backend. */
async function scoreChunk(
  y: Matrix,
  c0: number,
  c1: number,
  plans: FoldPlan[],
  ks: number[],
  alphas: Float64Array,
  backend: ComputeBackend,
  invalid: Uint8Array,
  result: BrainScoreResult,
): Promise<void> {
  const { block, mean: globalMean } = centeredBlock(y, c0, c1, backend.dtype, invalid);
  for (const [i, plan] of plans.entries()) {
    const k = ks[i];
    const { fold, dec } = plan;
    const train = takeRows(block, fold.train);
    const selection = await plan.selection();
    const fitted = await fitTargetChunk(train, globalMean, plan.U, dec.s, selection, alphas, backend, backend.dtype);
    const { mean: trainMean, variance, best, criterion, inBasis: coef } = fitted;
    const pred = await backend.matmul(plan.testDesign, coef);
    const { r: rf, r2 } = heldOutScores(block, fold.test, pred, trainMean);
    record(
      result,
      k,
      c0,
      { best, criterion, r: rf, r2, variance, pred: pred.data, trainMean, globalMean },
      fold,
      alphas,
      invalid,
    );
  }
}

/** Stores one fold's results for targets [c0, c0 + c); invalid targets get NaN. */
function record(
  result: BrainScoreResult,
  k: number,
  c0: number,
  out: FusedFoldOutput,
  fold: Fold,
  alphas: Float64Array,
  invalid: Uint8Array,
): void {
  const V = result.nTargets;
  const A = alphas.length;
  const c = out.best.length;
  for (let t = 0; t < c; t++) if (out.variance[t] === 0 && invalid[c0 + t] === 0) invalid[c0 + t] = 2;
  for (let t = 0; t < c; t++) {
    const bad = invalid[c0 + t] !== 0;
    result.rFolds[k * V + c0 + t] = bad ? NaN : out.r[t];
    result.r2Folds[k * V + c0 + t] = bad ? NaN : out.r2[t];
    result.alphas[k * V + c0 + t] = bad ? NaN : alphas[out.best[t]];
  }
  if (result.criteria) {
    for (let a = 0; a < A; a++) result.criteria.set(out.criterion.subarray(a * c, a * c + c), (k * A + a) * V + c0);
  }
  if (result.predictions && out.pred && out.trainMean) {
    const dst = result.predictions.data;
    const { pred, trainMean, globalMean } = out;
    fold.test.forEach((row, j) => {
      for (let t = 0; t < c; t++) {
        dst[row * V + c0 + t] = invalid[c0 + t] === 1 ? NaN : pred[j * c + t] + trainMean[t] + globalMean[t];
      }
    });
  }
}

/**
 * Fused folds: chunks whose A × n intermediates stay near 10 MiB — with both lanes computing, larger ones
 * stream through memory and slow both (paper shape, loo: 838 targets per chunk 11.9 s, 256 targets 10.0 s).
 * The step-by-step path pays a fixed cost per chunk and step, so it keeps 32 MiB chunks.
 */
function defaultChunkSize(n: number, nAlphas: number, dtype: DType, fused: boolean): number {
  const bytes = dtype === "float64" ? 8 : 4;
  const budget = (fused ? 10 : 32) * 2 ** 20;
  return Math.max(64, Math.min(8192, Math.floor(budget / (bytes * n * Math.max(nAlphas, 4)))));
}

function checkGroups(groups: ArrayLike<number>, n: number, src: string, groupSource: string): ArrayLike<number> {
  if (groups.length !== n) throw new Error(`${groupSource}: ${groups.length} group labels but ${src} has ${n} rows`);
  // A NaN label matches no fold: its samples would never be tested and every score would be NaN.
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(groups[i]))
      throw new Error(`${groupSource}: group label ${i} is ${groups[i]}; labels must be finite numbers`);
  const labels = new Set(Array.from(groups));
  if (labels.size < 2)
    throw new Error(
      `${groupSource}: every sample has group label ${groups[0]}; leave-one-group-out needs at least 2 distinct labels`,
    );
  return groups;
}

/** Columns constant over all samples in any of the designs (reported, not fatal: centring removes them). */
function constantColumns(designs: Matrix[]): number[] {
  const out = new Set<number>();
  for (const x of designs) {
    for (let j = 0; j < x.cols; j++) {
      const first = x.data[j];
      let i = 1;
      while (i < x.rows && x.data[i * x.cols + j] === first) i++;
      if (i === x.rows) out.add(j);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Rows that no fold tests (possible with explicit folds) keep NaN predictions rather than zeros. */
function untestedAsNaN(m: Matrix, folds: Fold[]): Matrix {
  const ids = foldIds(folds, m.rows);
  ids.forEach((k, i) => k < 0 && m.data.fill(NaN, i * m.cols, (i + 1) * m.cols));
  return m;
}

/** The LOO form a call uses: "auto" picks the triangular factors for many targets per training row. */
function resolveLooForm(form: LooForm, V: number, folds: Fold[]): "triangular" | "residual" {
  if (form !== "auto") return form;
  const rows = Math.max(...folds.map((fold) => fold.train.length));
  return V >= TRIANGULAR_LOO_TARGETS_PER_ROW * rows ? "triangular" : "residual";
}

/**
 * One outer fold of the ridge cross-validation (loo or gcv selection) compiled into a single ONNX graph.
 *
 * The graph reads a column range of the whole target matrix (passed to onnxruntime without a copy), then
 * centres, splits train/test, projects, scores every alpha, picks the best per target, predicts the test
 * rows and scores them — so no per-sample loop runs in JavaScript and every pass is multi-threaded. The
 * arithmetic is the same as the step-by-step path in crossValidate.ts/alphaSelection.ts (which backends without
 * graph support use); tests hold the two to each other and to scikit-learn.
 */
import type { ComputeBackend, GraphRunner, GraphSession, GraphTensor } from "../backend/types.js";
import { GraphBuilder, attr } from "../backend/onnx/graph.js";
import { allocate, transpose, zeros, type DType, type Matrix } from "../linalg/dense.js";
import { eigh } from "../linalg/eigh.js";
import { backendGemm } from "../linalg/eighBlocked.js";
import type { Decomposition } from "./designSvd.js";
import { flooredVariance, gcvTerms, looTriangularFactors, looWeights, ridgeFilter, shrinkage } from "./ridgeFilters.js";
import type { Fold } from "./folds.js";

export type FusedMode = "loo" | "gcv";

export interface FusedFoldSpec {
  mode: FusedMode;
  dtype: DType;
  fold: Fold;
  dec: Decomposition;
  /** Standardised test design times V (n_test × r, float64). */
  testDesign: Matrix;
  alphas: Float64Array;
  withPredictions: boolean;
  /**
   * loo only: the row blocks of the upper-triangular factors R_a of the quadratic-form LOO error
   * (`looBlocksFor`), when U spans the centred training rows; absent → the residual form.
   */
  looBlocks?: LooBlocks;
  /** With looBlocks: the basis they were computed in (`triangularLooBasis`; dec's own when absent). */
  looBasis?: LooBasis;
}

/** Row blocks of the triangular LOO products: more blocks skip more zeros but make smaller products. */
const LOO_ROW_BLOCKS = 8;

export interface FusedFoldOutput {
  best: Int32Array;
  /** [A × c] criterion in standardised units. */
  criterion: Float64Array;
  r: Float64Array;
  r2: Float64Array;
  /** Training variance (ddof 0) of each target, after the constant-target floor. */
  variance: Float64Array;
  /** Present when withPredictions: [n_test × c] predictions centred like `trainMean`. */
  pred?: Float32Array | Float64Array;
  trainMean?: Float64Array;
  globalMean: Float64Array;
}

export class FusedFold {
  private constructor(
    private readonly session: GraphSession,
    /** Only what run() needs: the fold's arrays are graph inputs, fed to every run. */
    private readonly spec: { nTrain: number; withPredictions: boolean },
    private readonly foldFeeds: Record<string, GraphTensor>,
  ) {}

  /**
   * A loo fold with `looBlocks` (prepared by foldPrep.ts) scores alphas by the triangular quadratic form, one
   * without them by the residual form. The model depends only on the mode, precision, alpha count and
   * (triangular form) rank, so folds of one shape share one session of the runner.
   */
  static async compile(spec: FusedFoldSpec, runner: GraphRunner): Promise<FusedFold> {
    const shape = graphShape(spec);
    const key = `ridge_fold:${shape.mode}:${shape.dtype}:${shape.A}:${shape.withPredictions}:${shape.triangularRank ?? "-"}`;
    const session = await runner.loadShared(key, () => buildGraph(shape));
    const kept = { nTrain: spec.fold.train.length, withPredictions: spec.withPredictions };
    return new FusedFold(session, kept, foldFeeds(spec));
  }

  /** Scores targets [c0, c1) of `y` (the whole n × V matrix as a graph tensor). */
  async run(y: GraphTensor, c0: number, c1: number): Promise<FusedFoldOutput> {
    const out = await this.session.run({
      ...this.foldFeeds,
      Y: y,
      starts: { type: "int64", data: BigInt64Array.of(BigInt(c0)), dims: [1] },
      ends: { type: "int64", data: BigInt64Array.of(BigInt(c1)), dims: [1] },
    });
    const f64 = (name: string) => Float64Array.from(out[name].data as Float32Array | Float64Array);
    const nTrain = this.spec.nTrain;
    const globalMean = f64("global_mean");
    const variance = f64("train_ss").map((ss, t) => flooredVariance(ss / nTrain, globalMean[t]));
    return {
      best: Int32Array.from(out.best.data as BigInt64Array, Number),
      criterion: f64("criterion"),
      r: f64("r"),
      r2: f64("r2"),
      variance,
      pred: this.spec.withPredictions ? (out.pred.data as Float32Array | Float64Array) : undefined,
      trainMean: this.spec.withPredictions ? f64("train_mean") : undefined,
      globalMean,
    };
  }

  /** The session is the runner's (shared by folds of one shape, released with the backend): nothing to free. */
  async release(): Promise<void> {}
}

/** What the model of a fold depends on; everything else about the fold is fed as inputs. */
export interface FoldGraphShape {
  mode: FusedMode;
  dtype: DType;
  /** Number of alphas. */
  A: number;
  withPredictions: boolean;
  /** loo scored by the triangular factors: their rank r (the row blocks are cut at fixed rows). */
  triangularRank?: number;
}

function graphShape(spec: FusedFoldSpec): FoldGraphShape {
  return {
    mode: spec.mode,
    dtype: spec.dtype,
    A: spec.alphas.length,
    withPredictions: spec.withPredictions,
    triangularRank: spec.looBlocks ? basisOf(spec).s.length : undefined,
  };
}

/** The inputs of one fold: its row indices, Uᵀ, the alpha filters, the test design, the LOO terms. */
function foldFeeds(spec: FusedFoldSpec): Record<string, GraphTensor> {
  const { dtype, fold, dec, alphas, mode } = spec;
  const A = alphas.length;
  const r = dec.s.length;
  const nTr = fold.train.length;
  const nTe = fold.test.length;
  const t = (data: ArrayLike<number>, dims: number[]): GraphTensor => ({
    type: dtype,
    data: castTo(data, dtype),
    dims,
  });
  // The triangular form scores in its own basis (dec's, or dec's completed by null directions).
  const basis = spec.looBlocks ? basisOf(spec) : { U: dec.U, s: dec.s, testDesign: spec.testDesign };
  const rb = basis.s.length;
  const feeds: Record<string, GraphTensor> = {
    train_idx: { type: "int64", data: BigInt64Array.from(fold.train, BigInt), dims: [nTr] },
    test_idx: { type: "int64", data: BigInt64Array.from(fold.test, BigInt), dims: [nTe] },
    Ut: t(transpose(basis.U).data, [rb, nTr]),
    filt: t(ridgeFilter(basis.s, alphas), [A, rb]),
    test_design: t(basis.testDesign.data, [nTe, rb]),
  };
  if (mode === "gcv") {
    const { gain, denom } = gcvTerms(dec.s, alphas, nTr);
    feeds.gain = t(gain, [A, r]);
    feeds.denom = t(denom, [A, 1]);
  } else if (spec.looBlocks) {
    const widths = blockWidths(rb);
    spec.looBlocks.forEach(
      (data, b) => (feeds[`loo_block_${b}`] = { type: dtype, data, dims: [data.length / widths[b], widths[b]] }),
    );
  } else {
    // U and the shrinkage go in as they are, the fitted values built in the graph as U·(h_a ⊙ z): a stack
    // U·diag(h_a) [A × n × r] built here cost ~0.15 s a fold in a fresh process (JavaScript and a float32 copy).
    feeds.U = t(dec.U.data, [nTr, r]);
    feeds.loo_shrinkage = t(shrinkage(dec.s, alphas), [A, r, 1]);
    feeds.loo_weights = t(looWeights(dec.U, dec.s, alphas), [A, nTr, 1]);
  }
  return feeds;
}

/** The ONNX model of fused folds of one shape (exported so it can be inspected, e.g. opened in Netron). */
export function buildGraph(shape: FoldGraphShape): Uint8Array {
  const { dtype, A, mode } = shape;
  const g = new GraphBuilder(`ridge_fold_${mode}`);
  const ints = (v: number[]) => g.constant("int64", [v.length], v);
  const axis0 = attr.ints([0]);
  const keep = attr.int(1);
  const r = shape.triangularRank ?? "r";

  g.input("Y", dtype, ["n", "V"]);
  g.input("starts", "int64", [1]);
  g.input("ends", "int64", [1]);
  g.input("train_idx", "int64", ["ntr"]);
  g.input("test_idx", "int64", ["nte"]);
  g.input("Ut", dtype, [r, "ntr"]);
  g.input("filt", dtype, [A, r]);
  g.input("test_design", dtype, ["nte", r]);
  const raw = g.op("Slice", ["Y", "starts", "ends", ints([1])]);
  const globalMean = g.op("ReduceMean", [raw], { axes: axis0, keepdims: keep }, "global_mean_2d");
  const block = g.op("Sub", [raw, globalMean]);
  const yTrain = g.op("Gather", [block, "train_idx"], { axis: attr.int(0) });
  const yTest = g.op("Gather", [block, "test_idx"], { axis: attr.int(0) });
  const trainMean = g.op("ReduceMean", [yTrain], { axes: axis0, keepdims: keep });
  const dTrain = g.op("Sub", [yTrain, trainMean]);
  const trainSS = g.op("ReduceSumSquare", [dTrain], { axes: axis0, keepdims: keep });
  // Uᵀ·y on the raw training rows: U ⊥ 1, so the training mean drops out.
  const z = g.op("MatMul", ["Ut", yTrain]);

  let criterion: string;
  if (mode === "gcv") {
    g.input("gain", dtype, [A, r]);
    g.input("denom", dtype, [A, 1]);
    const explained = g.op("MatMul", ["gain", g.op("Mul", [z, z])]);
    const rssRatio = g.op("Div", [g.op("Sub", [trainSS, explained]), trainSS]);
    criterion = g.op("Div", [rssRatio, "denom"], {}, "criterion");
  } else if (shape.triangularRank !== undefined) {
    criterion = g.op("Div", [triangularLooError(g, z, A, shape.triangularRank, dtype), trainSS], {}, "criterion");
  } else {
    g.input("U", dtype, ["ntr", r]);
    g.input("loo_shrinkage", dtype, [A, r, 1]);
    g.input("loo_weights", dtype, [A, "ntr", 1]);
    const fitted = g.op("MatMul", ["U", g.op("Mul", ["loo_shrinkage", z])]);
    const loo = g.op("Mul", [g.op("Sub", [dTrain, fitted]), "loo_weights"]);
    const rss = g.op("ReduceSumSquare", [loo], { axes: attr.ints([1]), keepdims: attr.int(0) });
    criterion = g.op("Div", [rss, trainSS], {}, "criterion");
  }
  // First minimum, as scikit-learn's strict comparison.
  g.op("ArgMin", [criterion], { axis: attr.int(0), keepdims: attr.int(0), select_last_index: attr.int(0) }, "best");
  const gains = g.op("Transpose", [g.op("Gather", ["filt", "best"], { axis: attr.int(0) })], {
    perm: attr.ints([1, 0]),
  });
  const coef = g.op("Mul", [gains, z]);
  const pred = g.op("MatMul", ["test_design", coef], {}, "pred");

  const dy = g.op("Sub", [yTest, g.op("ReduceMean", [yTest], { axes: axis0, keepdims: keep })]);
  const dp = g.op("Sub", [pred, g.op("ReduceMean", [pred], { axes: axis0, keepdims: keep })]);
  const syp = g.op("ReduceSum", [g.op("Mul", [dy, dp]), ints([0])], { keepdims: attr.int(0) });
  const syy = g.op("ReduceSumSquare", [dy], { axes: axis0, keepdims: attr.int(0) });
  const spp = g.op("ReduceSumSquare", [dp], { axes: axis0, keepdims: attr.int(0) });
  g.op("Div", [syp, g.op("Sqrt", [g.op("Mul", [syy, spp])])], {}, "r");
  const err = g.op("Sub", [g.op("Sub", [yTest, trainMean]), pred]);
  const sse = g.op("ReduceSumSquare", [err], { axes: axis0, keepdims: attr.int(0) });
  g.op("Sub", [g.constant(dtype, [], castTo([1], dtype)), g.op("Div", [sse, syy])], {}, "r2");
  g.op("Squeeze", [trainSS, ints([0])], {}, "train_ss");
  g.op("Squeeze", [globalMean, ints([0])], {}, "global_mean");

  g.output("best", "int64", ["c"]);
  g.output("criterion", dtype, [A, "c"]);
  g.output("r", dtype, ["c"]);
  g.output("r2", dtype, ["c"]);
  g.output("train_ss", dtype, ["c"]);
  g.output("global_mean", dtype, ["c"]);
  if (shape.withPredictions) {
    g.op("Squeeze", [trainMean, ints([0])], {}, "train_mean");
    g.output("pred", dtype, ["nte", "c"]);
    g.output("train_mean", dtype, ["c"]);
  }
  return g.toModel();
}

/** Row block b of the triangular LOO products: rows [j0, j1) of every R_a need z's rows from j0 on. */
function rowBlocks(r: number): { j0: number; j1: number }[] {
  const out: { j0: number; j1: number }[] = [];
  for (let b = 0; b < LOO_ROW_BLOCKS; b++) {
    const j0 = Math.round((b * r) / LOO_ROW_BLOCKS);
    const j1 = Math.round(((b + 1) * r) / LOO_ROW_BLOCKS);
    if (j1 > j0) out.push({ j0, j1 });
  }
  return out;
}

/**
 * Σ over rows of (R_a·z)² for every alpha, R_a upper triangular (r × r): row block [j0, j1) of every R_a
 * needs only z's rows from j0 on, so each block is one product of the alphas' stacked rows with a slice of z.
 */
function triangularLooError(g: GraphBuilder, z: string, A: number, r: number, dtype: DType): string {
  const ints = (v: number[]) => g.constant("int64", [v.length], v);
  let total = "";
  rowBlocks(r).forEach(({ j0, j1 }, b) => {
    const block = g.input(`loo_block_${b}`, dtype, [A * (j1 - j0), r - j0]);
    const zTail = j0 === 0 ? z : g.op("Slice", [z, ints([j0]), ints([r]), ints([0])]);
    const product = g.op("MatMul", [block, zTail]);
    const blocks = g.op("Reshape", [product, ints([A, j1 - j0, -1])]);
    const part = g.op("ReduceSumSquare", [blocks], { axes: attr.ints([1]), keepdims: attr.int(0) });
    total = total ? g.op("Add", [total, part]) : part;
  });
  return total;
}

/** Row block b of every R_a, the alphas' rows stacked: [A·(j1 − j0) × (r − j0)] in the fold's precision. */
export type LooBlocks = (Float32Array | Float64Array)[];

function blockWidths(r: number): number[] {
  return rowBlocks(r).map(({ j0 }) => r - j0);
}

/**
 * The basis of the triangular LOO form: U, s and the test design, with columns that together span every
 * centred direction of the training rows (r = n − 1), so that the training residual is U·diag(α/(s² + α))·Uᵀy.
 * A kernel-form fold whose kernel dropped directions besides 1 — duplicated training rows, such as the TRs
 * before a story's first word, whose design rows are all zero — gets them back as columns with s = 0 (no
 * shrinkage, no coefficient, zero test design: the same fit, the same criteria), taken from the kernel's null
 * eigenvectors with 1 and U projected out. Null where the form does not apply (primal form with r < n − 1,
 * or the null directions cannot be recovered) or costs more than the residual form (r below ~60% of n).
 */
export function triangularLooBasis(dec: Decomposition, testDesign: Matrix, A: number): LooBasis | null {
  const { rows: n, cols: r } = dec.U;
  if (r === n - 1) return { U: dec.U, s: dec.s, testDesign };
  if (dec.form !== "dual" || !dec.nullVectors || r > n - 1) return null;
  // Per target: triangular ~(1.125·A + 2)·(n − 1)² multiply-add pairs against the residual form's (2·A + 2)·n·r.
  if ((1.125 * A + 2) * (n - 1) ** 2 > (2 * A + 2) * n * r) return null;
  const extra = centredComplement(dec.U, dec.nullVectors);
  if (!extra) return null;
  const q = extra.cols;
  const rb = r + q;
  const U = zeros("float64", n, rb);
  for (let i = 0; i < n; i++) {
    U.data.set(dec.U.data.subarray(i * r, (i + 1) * r), i * rb);
    U.data.set(extra.data.subarray(i * q, (i + 1) * q), i * rb + r);
  }
  const s = new Float64Array(rb);
  s.set(dec.s);
  const nTe = testDesign.rows;
  const test = zeros("float64", nTe, rb);
  for (let i = 0; i < nTe; i++) test.data.set(testDesign.data.subarray(i * r, (i + 1) * r), i * rb);
  return { U, s, testDesign: test };
}

/** U (n × r), s and the test design of the triangular LOO form (`triangularLooBasis`). */
export interface LooBasis {
  U: Matrix;
  s: Float64Array;
  testDesign: Matrix;
}

function basisOf(spec: FusedFoldSpec): LooBasis {
  return spec.looBasis ?? { U: spec.dec.U, s: spec.dec.s, testDesign: spec.testDesign };
}

/**
 * An orthonormal basis (n × (n − 1 − r)) of the centred directions U (n × r, orthonormal, ⊥ 1) misses, from
 * null vectors that together with U span every direction: project out 1 and U (twice), then keep the
 * directions of the projected vectors' Gram matrix with eigenvalue near 1 (the one near 0 is 1 itself).
 */
function centredComplement(U: Matrix, nullVectors: Matrix): Matrix | null {
  const { rows: n, cols: r } = U;
  const k = nullVectors.cols;
  const q = n - 1 - r;
  const N = Float64Array.from(nullVectors.data);
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < k; c++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += N[i * k + c];
      mean /= n;
      for (let i = 0; i < n; i++) N[i * k + c] -= mean;
    }
    const utn = new Float64Array(r * k); // Uᵀ·N
    for (let i = 0; i < n; i++)
      for (let j = 0; j < r; j++) {
        const u = U.data[i * r + j];
        for (let c = 0; c < k; c++) utn[j * k + c] += u * N[i * k + c];
      }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < r; j++) {
        const u = U.data[i * r + j];
        for (let c = 0; c < k; c++) N[i * k + c] -= u * utn[j * k + c];
      }
  }
  const G = new Float64Array(k * k);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) G[a * k + b] += N[i * k + a] * N[i * k + b];
  const e = eigh(G, k);
  const kept: number[] = [];
  for (let j = 0; j < k; j++) if (e.values[j] > 0.5) kept.push(j);
  if (kept.length !== q) return null;
  const out = zeros("float64", n, q);
  kept.forEach((j, c) => {
    const inv = 1 / Math.sqrt(e.values[j]);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let a = 0; a < k; a++) v += N[i * k + a] * e.vectors[j * k + a];
      out.data[i * q + c] = v * inv;
    }
  });
  return out;
}

/**
 * The row blocks of the triangular LOO factors of a fold (ridgeFilters.ts `looTriangularFactors`) in a basis
 * from `triangularLooBasis`, or null where a factorisation fails: then the residual form. Each factor is written
 * straight into the blocks, transposed by 32 × 32 tiles (R_a = L_aᵀ·g).
 */
export async function looBlocksFor(
  dec: Pick<LooBasis, "U" | "s">,
  fold: Fold,
  alphas: Float64Array,
  dtype: DType,
  runner: GraphRunner,
  f64: ComputeBackend,
): Promise<LooBlocks | null> {
  const r = dec.s.length;
  if (r !== fold.train.length - 1) return null;
  const A = alphas.length;
  const blocks = rowBlocks(r);
  const out = blocks.map(({ j0, j1 }) => allocate(dtype, A * (j1 - j0) * (r - j0)));
  const visit = (a: number, lower: Float64Array, g: Float64Array) => {
    blocks.forEach(({ j0, j1 }, b) => {
      const rows = j1 - j0;
      const width = r - j0;
      const dst = out[b];
      const base = a * rows * width;
      for (let jt = j0; jt < j1; jt += TILE) {
        const jEnd = Math.min(j1, jt + TILE);
        for (let kt = jt; kt < r; kt += TILE) {
          const kEnd = Math.min(r, kt + TILE);
          for (let k = kt; k < kEnd; k++) {
            const gk = g[k];
            const src = k * r;
            const jLast = Math.min(jEnd, k + 1);
            for (let j = jt; j < jLast; j++) dst[base + (j - j0) * width + k - j0] = lower[src + j] * gk;
          }
        }
      }
    });
  };
  const ok = await looTriangularFactors(
    dec.U,
    dec.s,
    alphas,
    (w) => weightedGrams(dec.U, w, dtype, runner),
    visit,
    backendGemm(f64),
  );
  return ok ? out : null;
}

/** Tile edge of the factor transposition: a tile of source rows and destination rows stays in cache. */
const TILE = 32;

/** UᵀW_a²U for every alpha's LOO weights w_a (A × n) in one graph run, in the fold's precision. */
async function weightedGrams(
  U: Matrix,
  weights: Float64Array,
  dtype: DType,
  runner: GraphRunner,
): Promise<ArrayLike<number>[]> {
  const { rows: n, cols: r } = U;
  const A = weights.length / n;
  const session = runner.loadShared(`loo_weighted_grams:${dtype}`, () => {
    const g = new GraphBuilder("loo_weighted_grams");
    g.input("U", dtype, ["n", "r"]);
    g.input("W", dtype, ["a", "n", 1]);
    const wu = g.op("Mul", ["U", g.op("Mul", ["W", "W"])]);
    g.op("MatMul", [g.op("Transpose", ["U"], { perm: attr.ints([1, 0]) }), wu], {}, "G");
    g.output("G", dtype, ["a", "r", "r"]);
    return g.toModel();
  });
  const out = await (
    await session
  ).run({
    U: { type: dtype, data: castTo(U.data, dtype), dims: [n, r] },
    W: { type: dtype, data: castTo(weights, dtype), dims: [A, n, 1] },
  });
  const data = out.G.data as Float32Array | Float64Array;
  // Views, not copies: the factorisation reads each once (float32 → float64 is exact either way).
  return Array.from({ length: A }, (_, a) => data.subarray(a * r * r, (a + 1) * r * r));
}

function castTo(values: ArrayLike<number>, dtype: DType): Float32Array | Float64Array {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

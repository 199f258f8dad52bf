/**
 * Brain scores of a target matrix too large for the memory available, fitted block of target columns by
 * block: each target's fit depends only on its own column (and the design), so the blocks' results put side
 * by side are the whole fit's. `brainScoreMemory` estimates what a call holds, to size the blocks.
 */
import type { DType, Matrix } from "../linalg/dense.js";
import { brainScore, type BrainScoreOptions, type BrainScoreResult } from "./crossValidate.js";

export interface BrainScoreShape {
  /** Samples (TRs), features, targets, outer folds, alphas. */
  n: number;
  p: number;
  V: number;
  folds: number;
  alphas: number;
  /** Bytes per value of X and of Y as held in memory (their files' precision). */
  xWidth: number;
  yWidth: number;
  dtype: DType;
  savePredictions: boolean;
}

/** Node, onnxruntime and the fold lanes' queued chunks, measured near 0.3–0.5 GB on this project's fits. */
const RUNTIME_BYTES = 512 * 2 ** 20;

/**
 * Bytes a brainScore call holds: `fixed` before any target (runtime, X, every fold's decomposition and LOO
 * terms) and `perTarget` for each column of Y (Y itself, its copy in the fit's precision where that differs,
 * the result arrays, the predictions when kept). An estimate from the arrays' sizes, on the high side.
 */
export function brainScoreMemory(s: BrainScoreShape): { fixed: number; perTarget: number } {
  const r = Math.min(s.n, s.p);
  const perFold = 8 * (s.n * r * (s.alphas + 1) + s.n * s.n + 2 * s.n * s.p);
  const fixed = RUNTIME_BYTES + s.n * s.p * s.xWidth + s.folds * perFold;
  const dtypeWidth = s.dtype === "float64" ? 8 : 4;
  const cast = s.yWidth === dtypeWidth ? 0 : s.n * dtypeWidth;
  const results = 8 * (3 * s.folds + 4);
  const predictions = s.savePredictions ? s.n * dtypeWidth : 0;
  return { fixed, perTarget: s.n * s.yWidth + cast + results + predictions };
}

/**
 * brainScore over targets [0, V) read `block` columns at a time by `readBlock(c0, c1)`: the same result as
 * one call on the whole matrix (targets are independent), with Y never whole in memory.
 */
export async function brainScoreInBlocks(
  x: Matrix | Matrix[],
  V: number,
  block: number,
  readBlock: (c0: number, c1: number) => Matrix,
  options: BrainScoreOptions = {},
): Promise<BrainScoreResult> {
  if (!(Number.isInteger(block) && block >= 1))
    throw new Error(`brainScoreInBlocks: block must be a positive integer, got ${block}`);
  let out: BrainScoreResult | undefined;
  for (let c0 = 0; c0 < V; c0 += block) {
    const c1 = Math.min(V, c0 + block);
    const part = await brainScore(x, readBlock(c0, c1), {
      ...options,
      onProgress:
        options.onProgress &&
        ((p) =>
          options.onProgress!({
            stage: p.stage,
            done: p.done + (p.total / (c1 - c0)) * c0,
            total: (p.total / (c1 - c0)) * V,
          })),
    });
    out ??= emptyLike(part, V);
    place(out, part, c0);
  }
  if (!out) throw new Error("brainScoreInBlocks: no targets (V is 0)");
  return out;
}

function emptyLike(part: BrainScoreResult, V: number): BrainScoreResult {
  const K = part.nFolds;
  const A = part.alphaGrid.length;
  const n = part.foldId.length;
  const pred = part.predictions;
  return {
    ...part,
    r: new Float64Array(V),
    rFolds: new Float64Array(K * V),
    r2: new Float64Array(V),
    r2Folds: new Float64Array(K * V),
    alphas: new Float64Array(K * V),
    nTargets: V,
    predictions: pred
      ? { rows: n, cols: V, data: new (pred.data.constructor as Float32ArrayConstructor)(n * V) }
      : undefined,
    criteria: part.criteria ? new Float64Array(K * A * V) : undefined,
    invalidTargets: { nonFinite: [], constant: [] },
    settings: { ...part.settings },
  };
}

/** Copies a block's per-target results into the whole result at column offset c0. */
function place(out: BrainScoreResult, part: BrainScoreResult, c0: number): void {
  const V = out.nTargets;
  const c = part.nTargets;
  const K = part.nFolds;
  out.r.set(part.r, c0);
  out.r2.set(part.r2, c0);
  for (let k = 0; k < K; k++) {
    out.rFolds.set(part.rFolds.subarray(k * c, (k + 1) * c), k * V + c0);
    out.r2Folds.set(part.r2Folds.subarray(k * c, (k + 1) * c), k * V + c0);
    out.alphas.set(part.alphas.subarray(k * c, (k + 1) * c), k * V + c0);
  }
  if (out.criteria && part.criteria) {
    const rows = part.criteria.length / c;
    for (let i = 0; i < rows; i++) out.criteria.set(part.criteria.subarray(i * c, (i + 1) * c), i * V + c0);
  }
  if (out.predictions && part.predictions) {
    for (let i = 0; i < part.predictions.rows; i++)
      out.predictions.data.set(part.predictions.data.subarray(i * c, (i + 1) * c), i * V + c0);
  }
  out.invalidTargets.nonFinite.push(...part.invalidTargets.nonFinite.map((t) => t + c0));
  out.invalidTargets.constant.push(...part.invalidTargets.constant.map((t) => t + c0));
}

/**
 * Per-chunk target bookkeeping: copying a block of target columns, their moments on a fold's training
 * rows, and held-out scores. These loops touch every sample of every target, so each is a single pass over
 * contiguous memory with float64 accumulators.
 */
import type { ComputeBackend } from "../backend/types.js";
import { allocate, type DType, type Matrix } from "../linalg/dense.js";
import type { SelectionPlan } from "./alphaSelection.js";
import { flooredVariance, ridgeFilter } from "./ridgeFilters.js";

/**
 * Columns [c0, c1) of y in the given precision, each centred on its whole-series mean (returned). Centring
 * first keeps float32 sums accurate when BOLD sits on a large baseline. Columns flagged in `skip` are zeroed.
 */
export function centeredBlock(
  y: Matrix,
  c0: number,
  c1: number,
  dtype: DType,
  skip: Uint8Array,
): { block: Matrix; mean: Float64Array } {
  const n = y.rows;
  const V = y.cols;
  const c = c1 - c0;
  const mean = new Float64Array(c);
  const src = y.data;
  for (let i = 0; i < n; i++) {
    const o = i * V + c0;
    for (let t = 0; t < c; t++) mean[t] += src[o + t];
  }
  for (let t = 0; t < c; t++) mean[t] = skip[c0 + t] === 1 ? 0 : mean[t] / n;
  const out = allocate(dtype, n * c);
  for (let i = 0; i < n; i++) {
    const o = i * V + c0;
    const d = i * c;
    for (let t = 0; t < c; t++) out[d + t] = src[o + t] - mean[t];
  }
  for (let t = 0; t < c; t++) {
    if (skip[c0 + t] === 1) for (let i = 0; i < n; i++) out[i * c + t] = 0;
  }
  return { block: { rows: n, cols: c, data: out }, mean };
}

/**
 * Mean and variance (ddof 0) of each column over the rows of `m`. One pass is accurate here because the
 * block is already centred on the whole series. A variance at rounding level of the column's baseline is
 * reported as exactly 0 (a constant target).
 */
export function columnMoments(m: Matrix, baseline: Float64Array): { mean: Float64Array; variance: Float64Array } {
  const { rows, cols: c, data } = m;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let j = 0; j < rows; j++) {
    const o = j * c;
    for (let t = 0; t < c; t++) {
      const v = data[o + t];
      s1[t] += v;
      s2[t] += v * v;
    }
  }
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let t = 0; t < c; t++) {
    mean[t] = s1[t] / rows;
    variance[t] = flooredVariance(s2[t] / rows - mean[t] * mean[t], baseline[t]);
  }
  return { mean, variance };
}

/**
 * Ridge coefficients in the singular basis, C[i, t] = s_i / (s_i² + α_t) · Z[i, t], with α_t the alpha
 * chosen for target t; zero for targets without variance.
 */
export function filteredProjections(
  s: Float64Array,
  alphas: Float64Array,
  best: Int32Array,
  projections: Matrix,
  variance: Float64Array,
  dtype: DType,
): Matrix {
  const r = s.length;
  const c = projections.cols;
  const filt = ridgeFilter(s, alphas);
  const gain = new Float64Array(c);
  const coef = allocate(dtype, r * c);
  const z = projections.data;
  for (let i = 0; i < r; i++) {
    for (let t = 0; t < c; t++) gain[t] = variance[t] > 0 ? filt[best[t] * r + i] : 0;
    const o = i * c;
    for (let t = 0; t < c; t++) coef[o + t] = gain[t] * z[o + t];
  }
  return { rows: r, cols: c, data: coef };
}

/**
 * The ridge step of one chunk of targets on one decomposed design, shared by RidgeCV.fit and brainScore's
 * step-by-step folds: the targets' moments on the fitting rows, their projections Uᵀ·y (no centring needed:
 * U's columns are orthogonal to the constant vector, X being centred), each target's alpha from the
 * selection plan, and the coefficients in the singular basis (in `dtype`).
 */
export async function fitTargetChunk(
  rows: Matrix,
  baseline: Float64Array,
  U: Matrix,
  s: Float64Array,
  plan: SelectionPlan,
  alphas: Float64Array,
  backend: ComputeBackend,
  dtype: DType,
) {
  const { mean, variance } = columnMoments(rows, baseline);
  const projections = await backend.matmul(U, rows, true);
  const { best, criterion } = await plan.select({ rows, mean, projections, variance }, backend);
  const inBasis = filteredProjections(s, alphas, best, projections, variance, dtype);
  return { mean, variance, best, criterion, inBasis };
}

/**
 * Pearson r and R² of predictions (+ offset, the training mean) against rows `testRows` of `block`.
 * Single-pass float64 sums are safe: both sides are centred near zero already.
 */
export function heldOutScores(
  block: Matrix,
  testRows: Int32Array,
  pred: Matrix,
  offset: Float64Array,
): { r: Float64Array; r2: Float64Array } {
  const c = block.cols;
  const n = testRows.length;
  const sy = new Float64Array(c);
  const syy = new Float64Array(c);
  const sp = new Float64Array(c);
  const spp = new Float64Array(c);
  const syp = new Float64Array(c);
  const yd = block.data;
  const pd = pred.data;
  for (let j = 0; j < n; j++) {
    const oy = testRows[j] * c;
    const op = j * c;
    for (let t = 0; t < c; t++) {
      const y = yd[oy + t];
      const p = pd[op + t];
      sy[t] += y;
      syy[t] += y * y;
      sp[t] += p;
      spp[t] += p * p;
      syp[t] += y * p;
    }
  }
  const r = new Float64Array(c);
  const r2 = new Float64Array(c);
  for (let t = 0; t < c; t++) {
    const my = sy[t] / n;
    const mp = sp[t] / n;
    const vyy = syy[t] - n * my * my;
    const vpp = spp[t] - n * mp * mp;
    const vyp = syp[t] - n * my * mp;
    // Σ(y − p − o)² expanded with the same sums.
    const o = offset[t];
    const sse = syy[t] + spp[t] + n * o * o - 2 * syp[t] - 2 * o * sy[t] + 2 * o * sp[t];
    const tol = 1e-24 * (syy[t] + 1e-300);
    r[t] = vyy > tol && vpp > 1e-24 * (spp[t] + 1e-300) ? vyp / Math.sqrt(vyy * vpp) : NaN;
    r2[t] = vyy > tol ? 1 - sse / vyy : NaN;
  }
  return { r, r2 };
}

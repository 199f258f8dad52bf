/**
 * Per-fold preparation of the design matrix: standardisation with the training rows' statistics, and the
 * thin SVD X = U·diag(s)·Vᵀ of the standardised training design, obtained from the eigendecomposition of
 * the smaller Gram matrix (XᵀX in primal form when p ≤ n, XXᵀ in kernel/dual form when p > n). Every ridge
 * solution and criterion below is a diagonal filter of this one decomposition.
 */
import type { ComputeBackend } from "../backend/types.js";
import { castArray, zeros, type Matrix } from "../linalg/dense.js";
import { backendGemm, eighBlocked } from "../linalg/eighBlocked.js";

export interface Standardizer {
  mean: Float64Array;
  /** ddof 0; a constant column gets scale 1 (as scikit-learn's StandardScaler) so it becomes all zeros. */
  scale: Float64Array;
}

export function fitStandardizer(x: Matrix, rows: ArrayLike<number>): Standardizer {
  const p = x.cols;
  const data = x.data;
  const n = rows.length;
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  // Locals and one row view per pass keep these loops monomorphic (4× faster than indexing x.data).
  for (let r = 0; r < n; r++) addRow(mean, data, rows[r] * p, p);
  for (let j = 0; j < p; j++) mean[j] /= n;
  for (let r = 0; r < n; r++) addSquaredDeviations(scale, data, rows[r] * p, mean, p);
  for (let j = 0; j < p; j++) {
    const sd = Math.sqrt(scale[j] / n);
    // Relative threshold: a column constant up to rounding must not be blown up into noise.
    scale[j] = sd > 1e-12 * Math.max(1, Math.abs(mean[j])) ? sd : 1;
  }
  return { mean, scale };
}

function addRow(acc: Float64Array, data: ArrayLike<number>, off: number, p: number): void {
  for (let j = 0; j < p; j++) acc[j] += data[off + j];
}

function addSquaredDeviations(
  acc: Float64Array,
  data: ArrayLike<number>,
  off: number,
  mean: Float64Array,
  p: number,
): void {
  for (let j = 0; j < p; j++) {
    const d = data[off + j] - mean[j];
    acc[j] += d * d;
  }
}

/** (x[rows] − mean) / scale as a float64 matrix, written into `into` (its leading values) when given. */
export function applyStandardizer(x: Matrix, rows: ArrayLike<number>, st: Standardizer, into?: Float64Array): Matrix {
  const p = x.cols;
  const size = rows.length * p;
  if (into && into.length < size) throw new Error(`applyStandardizer: buffer of ${into.length} for ${size} values`);
  // A reused buffer: a fresh one of this size is mostly page faults (80 of 90 ms at 800 × 4,608).
  const od = into ? into.subarray(0, size) : new Float64Array(size);
  const out = { rows: rows.length, cols: p, data: od };
  for (let r = 0; r < rows.length; r++) standardizeRow(od, r * p, x.data, rows[r] * p, st.mean, st.scale, p);
  return out;
}

function standardizeRow(
  out: Float64Array,
  dst: number,
  data: ArrayLike<number>,
  src: number,
  mean: Float64Array,
  scale: Float64Array,
  p: number,
): void {
  for (let j = 0; j < p; j++) out[dst + j] = (data[src + j] - mean[j]) / scale[j];
}

/** Subtracts the column means of `x` in place and returns them. */
export function centerColumns(x: Matrix): Float64Array {
  const { rows, cols, data } = x;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] -= mean[j];
  return mean;
}

export interface Decomposition {
  /** Singular values, descending, all > 0 (numerically null directions are dropped). */
  s: Float64Array;
  /** n × r left singular vectors (float64). */
  U: Matrix;
  /** p × r right singular vectors (float64); absent when `decompose` was told not to form them. */
  V?: Matrix;
  form: "primal" | "dual";
  /**
   * Kernel form: the eigenvectors of XXᵀ dropped as numerically null (n × (n − r), float64), which with U
   * span every row direction — for a centred design 1 among them, and one more per duplicated training row
   * (e.g. TRs before the first word). Absent when none was dropped, and in primal form.
   */
  nullVectors?: Matrix;
}

/** Relative eigenvalue floor: directions with s² below this fraction of the largest carry no signal. */
const RANK_TOLERANCE = 1e-13;

/**
 * Thin SVD of a (centred or standardised) design. `f64` computes op(A)·B in float64; onnxruntime's
 * float64 GEMM makes the n×n kernel of wide designs cheap. `rightVectors: false` skips V in kernel form
 * (p × n × r products) for callers that only project other rows (`projectRows`).
 */
export async function decompose(
  x: Matrix,
  f64: ComputeBackend,
  options: { rightVectors?: boolean } = {},
): Promise<Decomposition> {
  if (f64.dtype !== "float64") throw new Error("decompose: the backend of the decomposition must be float64");
  const { rows: n, cols: p } = x;
  const form = p <= n ? "primal" : "dual";
  const g = form === "primal" ? await f64.matmul(x, x, true) : await f64.matmul(x, x, false, true);
  const m = g.rows;
  const { values, vectors } = await eighBlocked(castArray(g.data, "float64"), m, backendGemm(f64));
  const maxEig = Math.max(values[m - 1], 0);
  const keep: number[] = [];
  for (let k = m - 1; k >= 0; k--) if (values[k] > RANK_TOLERANCE * maxEig && values[k] > 0) keep.push(k);
  const r = keep.length;
  const s = Float64Array.from(keep, (k) => Math.sqrt(values[k]));
  // basis: m × r eigenvectors (columns), from the row-stored eigenvectors.
  const columnsOf = (indices: number[]) => {
    const out = zeros("float64", m, indices.length);
    const c0 = indices.length;
    indices.forEach((k, c) => {
      for (let i = 0; i < m; i++) out.data[i * c0 + c] = vectors[k * m + i];
    });
    return out;
  };
  const basis = columnsOf(keep);
  const nullVectors = form === "dual" && r < m ? { nullVectors: columnsOf(droppedOf(keep, m)) } : {};
  if (form === "dual" && options.rightVectors === false) return { s, U: basis, form, ...nullVectors };
  // The other factor follows from X·V = U·S (primal) or Xᵀ·U = V·S (dual).
  const other = form === "primal" ? await f64.matmul(x, basis) : await f64.matmul(x, basis, true);
  const od = castArray(other.data, "float64");
  for (let i = 0; i < other.rows; i++) for (let c = 0; c < r; c++) od[i * r + c] /= s[c];
  const otherMat = { rows: other.rows, cols: r, data: od };
  return form === "primal" ? { s, U: otherMat, V: basis, form } : { s, U: basis, V: otherMat, form, ...nullVectors };
}

/** The indices 0 … m − 1 not in `keep`. */
function droppedOf(keep: number[], m: number): number[] {
  const kept = new Uint8Array(m);
  for (const k of keep) kept[k] = 1;
  return Array.from({ length: m }, (_, k) => k).filter((k) => kept[k] === 0);
}

/** V of a decomposition, or an error naming what is missing. */
export function rightVectors(dec: Decomposition): Matrix {
  if (!dec.V) throw new Error("decompose was called with rightVectors: false; this solver needs V");
  return dec.V;
}

/**
 * rows · V for other rows standardised like the decomposed design `x`: in kernel form through
 * (rows·xᵀ)·U·S⁻¹, which needs no V (n_rows × p × n instead of p × n × r products).
 */
export async function projectRows(dec: Decomposition, x: Matrix, rows: Matrix, f64: ComputeBackend): Promise<Matrix> {
  if (dec.V) return f64.matmul(rows, dec.V);
  const k = await f64.matmul(x, rows, false, true); // n × n_rows = x·rowsᵀ
  const out = await f64.matmul(k, dec.U, true); // n_rows × r = (rows·xᵀ)·U
  const od = castArray(out.data, "float64");
  const r = dec.s.length;
  for (let i = 0; i < out.rows; i++) for (let c = 0; c < r; c++) od[i * r + c] /= dec.s[c];
  return { rows: out.rows, cols: r, data: od };
}

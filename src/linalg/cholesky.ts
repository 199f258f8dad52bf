/** Cholesky factorisation of a symmetric positive definite matrix, in float64. */
import { gemmJs, type Gemm } from "./tridiagonalEigen.js";

/**
 * Lower-triangular L (row-major n × n, zeros above the diagonal) with A = L·Lᵀ, or null when a pivot is
 * not positive (A is not numerically positive definite). Row-by-row (Cholesky–Banachiewicz): every inner
 * product runs over two contiguous row prefixes, which keeps a JavaScript loop at memory speed.
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s0 = 0;
      let s1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        s0 += l[ri + k] * l[rj + k];
        s1 += l[ri + k + 1] * l[rj + k + 1];
      }
      if (k < j) s0 += l[ri + k] * l[rj + k];
      const v = a[ri + j] - (s0 + s1);
      if (i === j) {
        if (!(v > 0)) return null;
        l[ri + i] = Math.sqrt(v);
      } else {
        l[ri + j] = v / l[rj + j];
      }
    }
  }
  return l;
}

/** Below this size the row-by-row factorisation is faster than blocking. */
const BLOCK = 64;

/**
 * The same factor by blocks of 64 columns, left-looking (LAPACK's dpotrf with the update ordered by block
 * columns): block column k first takes A[k0.., k] −= L[k0.., 0:k0]·L[k, 0:k0]ᵀ, then its diagonal block is
 * factored in JavaScript and the rows below become L21 = A21·L11⁻ᵀ. The O(n³) work is in the `gemm`
 * products (onnxruntime's BLAS in the ridge solvers); each step writes only its own block column.
 * `into` (n × n) receives the factor instead of a new array.
 */
export async function choleskyBlocked(
  a: ArrayLike<number>,
  n: number,
  gemm: Gemm = gemmJs,
  into?: Float64Array,
): Promise<Float64Array | null> {
  if (into && into.length !== n * n) throw new Error(`choleskyBlocked: output of ${into.length} for ${n * n} values`);
  if (n <= 2 * BLOCK) {
    const small = cholesky(a, n);
    if (small && into) into.set(small);
    return small && (into ?? small);
  }
  const l = into ?? new Float64Array(n * n);
  // The blocks below write every entry on and under the diagonal; a reused buffer needs zeros above it.
  if (into) for (let i = 0; i < n; i++) l.fill(0, i * n + i + 1, (i + 1) * n);
  // Work buffers sized once for the largest panel: fresh arrays per panel were mostly page faults.
  const panelBuf = new Float64Array(n * BLOCK);
  const leftBuf = new Float64Array(Math.ceil((n * n) / 4)); // m·k0 with m + k0 = n
  const topBuf = new Float64Array(n * BLOCK);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const b = Math.min(BLOCK, n - k0);
    const m = n - k0;
    // Block column k0: rows k0.., columns k0..k0+b, updated by the finished columns 0..k0.
    const panel = panelBuf.subarray(0, m * b);
    for (let i = 0; i < m; i++) {
      const src = (k0 + i) * n + k0;
      for (let j = 0; j < b; j++) panel[i * b + j] = a[src + j];
    }
    if (k0 > 0) {
      const left = leftBuf.subarray(0, m * k0);
      for (let i = 0; i < m; i++) left.set(l.subarray((k0 + i) * n, (k0 + i) * n + k0), i * k0);
      const top = topBuf.subarray(0, k0 * b);
      for (let j = 0; j < b; j++) for (let q = 0; q < k0; q++) top[q * b + j] = l[(k0 + j) * n + q];
      const upd = await gemm(left, top, m, k0, b);
      for (let i = 0; i < m * b; i++) panel[i] -= upd[i];
    }
    const l11 = cholesky(panel.subarray(0, b * b), b);
    if (!l11) return null;
    for (let i = 0; i < b; i++) l.set(l11.subarray(i * b, i * b + i + 1), (k0 + i) * n + k0);
    const rest = m - b;
    if (rest === 0) break;
    // L21 = A21 · (L11⁻¹)ᵀ
    const inv = lowerInverse(l11, b);
    const invT = new Float64Array(b * b);
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) invT[j * b + i] = inv[i * b + j];
    const l21 = await gemm(panel.subarray(b * b), invT, rest, b, b);
    for (let i = 0; i < rest; i++) l.set(l21.subarray(i * b, i * b + b), (k0 + b + i) * n + k0);
  }
  return l;
}

/** Inverse of a lower-triangular b × b matrix (forward substitution on the identity). */
function lowerInverse(l: Float64Array, b: number): Float64Array {
  const inv = new Float64Array(b * b);
  for (let j = 0; j < b; j++) {
    inv[j * b + j] = 1 / l[j * b + j];
    for (let i = j + 1; i < b; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * b + k] * inv[k * b + j];
      inv[i * b + j] = -s / l[i * b + i];
    }
  }
  return inv;
}

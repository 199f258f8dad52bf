/** Cholesky factorisation of a symmetric positive definite matrix, in float64. */

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

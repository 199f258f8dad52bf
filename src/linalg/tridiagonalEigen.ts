/**
 * Eigendecomposition of a symmetric tridiagonal matrix by divide and conquer (Cuppen's method with the
 * deflation of LAPACK's dlaed2 and Gu & Eisenstat's recomputed z, as in dstedc), in float64.
 *
 * Why: the QL iteration with vectors (tql2) applies O(n²) plane rotations to n-long rows — ~3 n³ flops of
 * scalar JavaScript, the dominant cost of an 800 × 800 eigh. Here each merge costs O(k²) scalar work for the
 * secular equation and one dense product, which `gemm` can run on onnxruntime's BLAS-3 kernels.
 */
import { tql2 } from "./eigh.js";

/** op(A)·B in float64 for row-major matrices (A: m × k, B: k × c). */
export type Gemm = (a: Float64Array, b: Float64Array, m: number, k: number, c: number) => Promise<Float64Array>;

export interface TridiagonalEigen {
  /** Ascending. */
  values: Float64Array;
  /** n × n row-major, eigenvector j in COLUMN j. */
  vectors: Float64Array;
}

/** Blocks at most this size are solved by QL directly. */
const LEAF = 32;
const EPS = 2 ** -52;

/** d: diagonal (n), e: off-diagonal (n − 1; e[i] couples i and i + 1). Inputs are not modified. */
export async function tridiagonalEigen(
  d: ArrayLike<number>,
  e: ArrayLike<number>,
  gemm: Gemm = gemmJs,
): Promise<TridiagonalEigen> {
  const n = d.length;
  if (e.length < n - 1) throw new Error(`tridiagonalEigen: need ${n - 1} off-diagonal entries, got ${e.length}`);
  return solve(Float64Array.from(d), Float64Array.from(e).subarray(0, Math.max(0, n - 1)), gemm);
}

async function solve(d: Float64Array, e: Float64Array, gemm: Gemm): Promise<TridiagonalEigen> {
  const n = d.length;
  if (n <= LEAF) return leaf(d, e);
  const m1 = n >> 1;
  const beta = e[m1 - 1];
  const rho = 2 * Math.abs(beta);
  // T = diag(T1, T2) + |β|·u·uᵀ with u = e_{m1−1} + sign(β)·e_{m1}: subtract |β| from the two diagonals.
  const d1 = d.slice(0, m1);
  const d2 = d.slice(m1);
  d1[m1 - 1] -= Math.abs(beta);
  d2[0] -= Math.abs(beta);
  const left = await solve(d1, e.slice(0, m1 - 1), gemm);
  const right = await solve(d2, e.slice(m1), gemm);
  return merge(left, right, m1, n - m1, rho, beta < 0 ? -1 : 1, gemm);
}

function leaf(d: Float64Array, e: Float64Array): TridiagonalEigen {
  const n = d.length;
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  const dd = Float64Array.from(d);
  // tql2 takes EISPACK's convention: e[i] couples i − 1 and i.
  const ee = new Float64Array(n);
  for (let i = 1; i < n; i++) ee[i] = e[i - 1];
  tql2(vt, dd, ee, n);
  const order = sortedOrder(dd);
  const values = Float64Array.from(order, (k) => dd[k]);
  const vectors = new Float64Array(n * n);
  order.forEach((k, j) => {
    for (let i = 0; i < n; i++) vectors[i * n + j] = vt[k * n + i];
  });
  return { values, vectors };
}

/** Eigenpairs of diag(Q1, Q2)·(diag(D1, D2) + ρ·z·zᵀ)·diag(Q1, Q2)ᵀ, z = (last row of Q1, σ·first row of Q2)/√2. */
async function merge(
  left: TridiagonalEigen,
  right: TridiagonalEigen,
  n1: number,
  n2: number,
  rho: number,
  sigma: number,
  gemm: Gemm,
): Promise<TridiagonalEigen> {
  const n = n1 + n2;
  const dAll = new Float64Array(n);
  const zAll = new Float64Array(n);
  dAll.set(left.values, 0);
  dAll.set(right.values, n1);
  for (let j = 0; j < n1; j++) zAll[j] = left.vectors[(n1 - 1) * n1 + j] / Math.SQRT2;
  for (let j = 0; j < n2; j++) zAll[n1 + j] = (sigma * right.vectors[j]) / Math.SQRT2;
  // Q = diag(Q1, Q2) with its columns in ascending order of D: column c of q is qCols[c].
  const order = sortedOrder(dAll);
  const dSorted = Float64Array.from(order, (k) => dAll[k]);
  const z = Float64Array.from(order, (k) => zAll[k]);
  const q = new Float64Array(n * n);
  order.forEach((k, c) => {
    if (k < n1) for (let i = 0; i < n1; i++) q[i * n + c] = left.vectors[i * n1 + k];
    else for (let i = 0; i < n2; i++) q[(n1 + i) * n + c] = right.vectors[i * n2 + k - n1];
  });

  // Deflation (dlaed2): a negligible z component leaves (D_j, q_j) an eigenpair; two nearly equal D
  // are rotated so that one of them gets a zero z component.
  let dmax = 0;
  for (let j = 0; j < n; j++) dmax = Math.max(dmax, Math.abs(dSorted[j]));
  const tol = 8 * EPS * Math.max(dmax, rho);
  const kept: number[] = [];
  const deflated: number[] = [];
  let pj = -1;
  for (let j = 0; j < n; j++) {
    if (rho * Math.abs(z[j]) <= tol) {
      deflated.push(j);
      continue;
    }
    if (pj >= 0) {
      const r = Math.hypot(z[pj], z[j]);
      const c = z[j] / r;
      const s = z[pj] / r;
      if (Math.abs((dSorted[j] - dSorted[pj]) * c * s) <= tol) {
        for (let i = 0; i < n; i++) {
          const a = q[i * n + pj];
          const b = q[i * n + j];
          q[i * n + pj] = c * a - s * b;
          q[i * n + j] = s * a + c * b;
        }
        const dp = dSorted[pj];
        const dj = dSorted[j];
        dSorted[pj] = c * c * dp + s * s * dj;
        dSorted[j] = s * s * dp + c * c * dj;
        z[j] = r;
        z[pj] = 0;
        deflated.push(pj);
        pj = j;
        continue;
      }
      kept.push(pj);
    }
    pj = j;
  }
  if (pj >= 0) kept.push(pj);

  const k = kept.length;
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  const outCols: number[] = [];
  if (k > 0) {
    // kept is in ascending D order (deflation rotations move values by at most ~tol).
    const dk = Float64Array.from(kept, (j) => dSorted[j]);
    const zk = Float64Array.from(kept, (j) => z[j]);
    const roots = secularRoots(dk, zk, rho);
    const u = secularVectors(dk, zk, roots);
    // Q_kept (n × k) · U (k × k).
    const qk = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) qk[i * k + c] = q[i * n + kept[c]];
    const prod = await gemm(qk, u, n, k, k);
    for (let c = 0; c < k; c++) {
      values[c] = dk[roots.origin[c]] + roots.tau[c];
      outCols.push(c);
    }
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) vectors[i * n + c] = prod[i * k + c];
  }
  deflated.forEach((j, t) => {
    values[k + t] = dSorted[j];
    for (let i = 0; i < n; i++) vectors[i * n + k + t] = q[i * n + j];
  });
  // Ascending order for the next merge.
  const final = sortedOrder(values);
  const v = Float64Array.from(final, (c) => values[c]);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let c = 0; c < n; c++) out[row + c] = vectors[row + final[c]];
  }
  return { values: v, vectors: out };
}

interface Roots {
  /** Root j = d[origin[j]] + tau[j], with d_i − λ_j computed as (d_i − d_origin) − τ (no cancellation). */
  origin: Int32Array;
  tau: Float64Array;
}

/**
 * The k roots of 1 + ρ Σ z_i²/(d_i − λ) = 0 (d strictly increasing, z ≠ 0, ρ > 0): root j in (d_j, d_{j+1}),
 * the last in (d_{k−1}, d_{k−1} + ρ‖z‖²). Each is found relative to its nearer pole by a two-pole rational
 * model (the "fixed weight" step of dlaed4), safeguarded by bisection on the bracket.
 */
function secularRoots(d: Float64Array, z: Float64Array, rho: number): Roots {
  const k = d.length;
  const origin = new Int32Array(k);
  const tau = new Float64Array(k);
  let zz = 0;
  for (let i = 0; i < k; i++) zz += z[i] * z[i];
  const delta = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const last = j === k - 1;
    let o = j;
    let lo: number;
    let hi: number;
    if (last) {
      lo = 0;
      hi = rho * zz;
    } else {
      const gap = d[j + 1] - d[j];
      const mid = d[j] + gap / 2;
      let f = 1;
      for (let i = 0; i < k; i++) f += (rho * z[i] * z[i]) / (d[i] - mid);
      if (f >= 0) {
        lo = 0;
        hi = gap / 2;
      } else {
        o = j + 1;
        lo = -gap / 2;
        hi = 0;
      }
    }
    for (let i = 0; i < k; i++) delta[i] = d[i] - d[o];
    // Poles bounding the root (j and j + 1; the last root has only j): the model keeps their terms exact.
    const pLo = j;
    const pHi = last ? -1 : j + 1;
    let t = lo + (hi - lo) / 2;
    for (let iter = 0; iter < 100; iter++) {
      let psi = 0;
      let dpsi = 0;
      let phi = 0;
      let dphi = 0;
      let abssum = 0;
      for (let i = 0; i <= pLo; i++) {
        const q = z[i] / (delta[i] - t);
        psi += z[i] * q;
        dpsi += q * q;
        abssum += Math.abs(z[i] * q);
      }
      for (let i = pLo + 1; i < k; i++) {
        const q = z[i] / (delta[i] - t);
        phi += z[i] * q;
        dphi += q * q;
        abssum += Math.abs(z[i] * q);
      }
      const g = 1 + rho * (psi + phi);
      if (g > 0) hi = t;
      else lo = t;
      // Converged when g is at the level of its own rounding error.
      if (Math.abs(g) <= 8 * EPS * k * (1 + rho * abssum) || hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi)))
        break;
      const a1 = delta[pLo] - t;
      const s1 = a1 * a1 * rho * dpsi;
      let next: number;
      if (pHi < 0) {
        // One pole: g ≈ c + s1/(a1 − η).
        const c = 1 + rho * psi - a1 * rho * dpsi + rho * phi;
        next = c !== 0 ? t + a1 + s1 / c : NaN;
      } else {
        const a2 = delta[pHi] - t;
        const s2 = a2 * a2 * rho * dphi;
        const c = 1 + rho * (psi + phi) - a1 * rho * dpsi - a2 * rho * dphi;
        next = t + modelRoot(c, s1, s2, a1, a2, lo - t, hi - t);
      }
      t = next > lo && next < hi ? next : lo + (hi - lo) / 2;
    }
    origin[j] = o;
    tau[j] = t;
  }
  return { origin, tau };
}

/** Root η in (lo, hi) of c + s1/(a1 − η) + s2/(a2 − η) = 0 (NaN if none is found). */
function modelRoot(c: number, s1: number, s2: number, a1: number, a2: number, lo: number, hi: number): number {
  // c(a1 − η)(a2 − η) + s1(a2 − η) + s2(a1 − η) = 0  →  c η² − bη + w = 0
  const b = c * (a1 + a2) + s1 + s2;
  const w = c * a1 * a2 + s1 * a2 + s2 * a1;
  if (c === 0) return w / b;
  const disc = b * b - 4 * c * w;
  if (disc < 0) return NaN;
  const sq = Math.sqrt(disc);
  // Stable pair of roots.
  const q = b >= 0 ? (b + sq) / 2 : (b - sq) / 2;
  const r1 = q / c;
  const r2 = q !== 0 ? w / q : NaN;
  if (r1 > lo && r1 < hi) return r1;
  return r2;
}

/**
 * Eigenvectors of diag(d) + ρ·z·zᵀ (k × k, column j for root j) from Gu & Eisenstat's recomputed ẑ, for
 * which the computed roots are exact eigenvalues: the vectors come out orthogonal to working precision
 * however close the roots are.
 */
function secularVectors(d: Float64Array, z: Float64Array, roots: Roots): Float64Array {
  const k = d.length;
  const { origin, tau } = roots;
  // diff(i, j) = d_i − λ_j
  const diff = (i: number, j: number) => d[i] - d[origin[j]] - tau[j];
  const zHat = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let w = diff(i, i);
    for (let j = 0; j < k; j++) if (j !== i) w *= diff(i, j) / (d[i] - d[j]);
    zHat[i] = Math.sign(z[i]) * Math.sqrt(Math.max(-w, 0));
  }
  const u = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = 0; i < k; i++) {
      const v = zHat[i] / diff(i, j);
      u[i * k + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < k; i++) u[i * k + j] /= norm;
  }
  return u;
}

function sortedOrder(values: Float64Array): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
}

/** Plain row-major product, for small merges and backends without BLAS. */
export async function gemmJs(a: Float64Array, b: Float64Array, m: number, k: number, c: number): Promise<Float64Array> {
  const out = new Float64Array(m * c);
  if (c === 1) {
    // Matrix–vector: contiguous dot products.
    for (let i = 0; i < m; i++) {
      const row = i * k;
      let s0 = 0;
      let s1 = 0;
      let l = 0;
      for (; l + 1 < k; l += 2) {
        s0 += a[row + l] * b[l];
        s1 += a[row + l + 1] * b[l + 1];
      }
      if (l < k) s0 += a[row + l] * b[l];
      out[i] = s0 + s1;
    }
    return out;
  }
  for (let i = 0; i < m; i++) {
    const row = i * c;
    for (let l = 0; l < k; l++) {
      const av = a[i * k + l];
      if (av === 0) continue;
      const bl = l * c;
      for (let j = 0; j < c; j++) out[row + j] += av * b[bl + j];
    }
  }
  return out;
}

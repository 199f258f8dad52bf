/**
 * Blocked Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ (LAPACK's dsytrd with
 * dlatrd, lower triangle), and the back-transformation Z ↦ Q·Z with compact-WY block reflectors (dormtr).
 *
 * Why blocked: the unblocked reduction (tred2) updates the whole trailing matrix after every column, 4n³/3
 * flops of scalar JavaScript. Here a panel of NB columns is reduced with matrix–vector products against the
 * panel-start matrix (the BLAS-2 half), then the trailing matrix takes one rank-2·NB update and the
 * back-transformation runs NB reflectors at a time, both as products `gemm` can hand to onnxruntime.
 */
import { gemmJs, type Gemm } from "./tridiagonalEigen.js";

const NB = 32;

export interface Tridiagonal {
  n: number;
  /** Diagonal (n) and off-diagonal (n − 1, e[i] couples i and i + 1) of T. */
  d: Float64Array;
  e: Float64Array;
  /** The reflectors, NB at a time: v[c*n + i] is row i of the block's c-th Householder vector. */
  blocks: { k0: number; cols: number; v: Float64Array; tau: Float64Array }[];
}

/** `a` is a row-major symmetric n × n matrix (only read). */
export async function tridiagonalize(a: ArrayLike<number>, n: number, gemm: Gemm = gemmJs): Promise<Tridiagonal> {
  if (a.length !== n * n) throw new Error(`tridiagonalize: expected ${n * n} entries, got ${a.length}`);
  const A = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const blocks: Tridiagonal["blocks"] = [];
  // Work arrays sized for the first (largest) panel and reused: one fresh trailing copy per panel was
  // mostly page faults (25 copies, 43 MB, for n = 800).
  const trailingBuf = new Float64Array(Math.max(0, n - 1) ** 2);
  const leftBuf = new Float64Array(n * 2 * NB);
  const rightBuf = new Float64Array(2 * NB * n);
  const y = new Float64Array(n);
  const hBuf = new Float64Array(n);
  for (let k0 = 0; k0 < n - 2; k0 += NB) {
    const cols = Math.min(NB, n - 2 - k0);
    // Panel columns stored column by column (v[p*n + i]) so every inner loop is contiguous; rows above
    // k0 + 1 are zero. A − v·wᵀ − w·vᵀ is the matrix the panel has reduced so far.
    const v = new Float64Array(cols * n);
    const w = new Float64Array(cols * n);
    const tau = new Float64Array(cols);
    // The panel-start trailing matrix A[k0+1.., k0+1..], contiguous.
    const mb = n - k0 - 1;
    const trailing = trailingBuf.subarray(0, mb * mb);
    for (let i = 0; i < mb; i++) trailing.set(A.subarray((k0 + 1 + i) * n + k0 + 1, (k0 + 2 + i) * n), i * mb);
    const hPad = hBuf.subarray(0, mb);
    for (let c = 0; c < cols; c++) {
      const j = k0 + c;
      const t = reflector(A, v, w, d, e, tau, n, cols, j, c);
      if (t === 0) continue;
      // y = τ·(A − v·wᵀ − w·vᵀ)·h over rows/cols j+1.., then w = y − (τ/2)(yᵀh)·h. The product with the
      // panel-start matrix is the reduction's BLAS-2 half: one matrix–vector product through `gemm` over
      // the contiguous trailing block (h zero-padded to its width).
      const r = j - k0;
      hPad.fill(0, 0, r);
      hPad.set(v.subarray(c * n + j + 1, c * n + n), r);
      y.set(await gemm(trailing.subarray(r * mb, mb * mb), hPad, mb - r, mb, 1), j + 1);
      panelColumn(y, v, w, n, j, c, t);
    }
    // Trailing update A[k1.., k1..] −= v·wᵀ + w·vᵀ, as one product.
    const k1 = k0 + cols;
    const m = n - k1;
    if (m > 0) {
      // [v w]·[w v]ᵀ = v·wᵀ + w·vᵀ in one product, so the subtraction below reads contiguously.
      const left = leftBuf.subarray(0, m * 2 * cols);
      const right = rightBuf.subarray(0, 2 * cols * m);
      for (let p = 0; p < cols; p++) {
        right.set(w.subarray(p * n + k1, p * n + n), p * m);
        right.set(v.subarray(p * n + k1, p * n + n), (cols + p) * m);
        for (let i = 0; i < m; i++) {
          left[i * 2 * cols + p] = v[p * n + k1 + i];
          left[i * 2 * cols + cols + p] = w[p * n + k1 + i];
        }
      }
      const upd = await gemm(left, right, m, 2 * cols, m);
      for (let i = 0; i < m; i++) {
        const row = (k1 + i) * n + k1;
        const ur = i * m;
        for (let l = 0; l < m; l++) A[row + l] -= upd[ur + l];
      }
    }
    blocks.push({ k0, cols, v, tau });
  }
  // The last 2 × 2 (or smaller) corner is already tridiagonal.
  const last = Math.max(0, n - 2);
  for (let j = last; j < n; j++) d[j] = A[j * n + j];
  if (n >= 2) e[n - 2] = A[(n - 1) * n + n - 2];
  return { n, d, e, blocks };
}

/**
 * Column j (panel column c) of the matrix the panel has reduced so far, its diagonal into d, its Householder
 * reflector (dlarfg) into v's column c, β into e[j]; returns τ. Sync and separate from the async driver so
 * that its loops run as optimised code.
 */
function reflector(
  A: Float64Array,
  v: Float64Array,
  w: Float64Array,
  d: Float64Array,
  e: Float64Array,
  tau: Float64Array,
  n: number,
  cols: number,
  j: number,
  c: number,
): number {
  // Column j of the updated matrix, read from row j (A is kept symmetric).
  const col = A.slice(j * n + j, j * n + n);
  const len = col.length;
  for (let p = 0; p < c; p++) {
    const off = p * n + j;
    const vj = v[off];
    const wj = w[off];
    for (let i = 0; i < len; i++) col[i] -= v[off + i] * wj + w[off + i] * vj;
  }
  d[j] = col[0];
  const alpha = col[1];
  const xnorm = norm2(col, 2);
  const h0 = c * n + j + 1;
  v[h0] = 1;
  let t = 0;
  let beta = alpha;
  if (xnorm !== 0) {
    beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
    t = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = 2; i < len; i++) v[h0 + i - 1] = col[i] * scale;
  }
  e[j] = beta;
  tau[c] = t;
  return t;
}

/** w's column c from y = A_start·h (rows j+1..): y −= v·(wᵀh) + w·(vᵀh), y *= τ, w = y − (τ/2)(yᵀh)·h. */
function panelColumn(
  y: Float64Array,
  v: Float64Array,
  w: Float64Array,
  n: number,
  j: number,
  c: number,
  t: number,
): void {
  const m0 = j + 1;
  const len = n - m0;
  const h0 = c * n + m0;
  for (let p = 0; p < c; p++) {
    const off = p * n + m0;
    let wh = 0;
    let vh = 0;
    for (let i = 0; i < len; i++) {
      const hi = v[h0 + i];
      wh += w[off + i] * hi;
      vh += v[off + i] * hi;
    }
    for (let i = 0; i < len; i++) y[m0 + i] -= v[off + i] * wh + w[off + i] * vh;
  }
  let yh = 0;
  for (let i = 0; i < len; i++) {
    y[m0 + i] *= t;
    yh += y[m0 + i] * v[h0 + i];
  }
  const half = (t / 2) * yh;
  for (let i = 0; i < len; i++) w[h0 + i] = y[m0 + i] - half * v[h0 + i];
}

/** Q·Z for Z (n × c, row-major): the block reflectors applied last block first (dormtr, left, no transpose). */
export async function applyQ(t: Tridiagonal, z: Float64Array, c: number, gemm: Gemm = gemmJs): Promise<Float64Array> {
  const { n } = t;
  const out = Float64Array.from(z);
  for (let b = t.blocks.length - 1; b >= 0; b--) {
    const { k0, cols, v, tau } = t.blocks[b];
    const r0 = k0 + 1;
    const m = n - r0;
    // H_0···H_{cols−1} = I − V·T·Vᵀ with T upper triangular (dlarft, forward, columnwise).
    const T = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) {
      T[i * cols + i] = tau[i];
      if (tau[i] === 0) continue;
      const vi = v.subarray(i * n + r0, i * n + n);
      for (let p = 0; p < i; p++) {
        const vp = v.subarray(p * n + r0, p * n + n);
        let s = 0;
        for (let r = 0; r < m; r++) s += vp[r] * vi[r];
        // T[0:i, i] = −τ_i · T[0:i, 0:i] · (Vᵀ v_i)
        for (let q = 0; q <= p; q++) T[q * cols + i] -= tau[i] * T[q * cols + p] * s;
      }
    }
    const vT = new Float64Array(cols * m);
    const vb = new Float64Array(m * cols);
    for (let p = 0; p < cols; p++) {
      vT.set(v.subarray(p * n + r0, p * n + n), p * m);
      for (let r = 0; r < m; r++) vb[r * cols + p] = v[p * n + r0 + r];
    }
    const zb = out.subarray(r0 * c, n * c);
    const vtz = await gemm(vT, zb, cols, m, c);
    const tvtz = await gemm(T, vtz, cols, cols, c);
    const upd = await gemm(vb, tvtz, m, cols, c);
    for (let i = 0; i < m * c; i++) zb[i] -= upd[i];
  }
  return out;
}

/** ‖x[from..]‖₂, scaled by the largest entry so that neither huge nor tiny entries lose the result. */
function norm2(x: Float64Array, from: number): number {
  let big = 0;
  for (let i = from; i < x.length; i++) big = Math.max(big, Math.abs(x[i]));
  if (big === 0 || !Number.isFinite(big)) return big;
  let ss = 0;
  for (let i = from; i < x.length; i++) {
    const t = x[i] / big;
    ss += t * t;
  }
  return big * Math.sqrt(ss);
}

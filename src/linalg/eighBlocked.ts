/**
 * Symmetric eigendecomposition in float64 at BLAS-3 speed: blocked Householder tridiagonalisation,
 * divide and conquer on the tridiagonal, blocked back-transformation (LAPACK's dsyevd). The products go
 * through `gemm` — onnxruntime's float64 GEMM in the ridge solvers (`backendGemm`) — and the O(n²) scalar
 * work stays in JavaScript. Same contract as `eigh` (eigh.ts, the EISPACK reference it is tested against).
 */
import type { ComputeBackend } from "../backend/types.js";
import type { Eigh } from "./eigh.js";
import { applyQ, tridiagonalize } from "./tridiagonalize.js";
import { gemmJs, tridiagonalEigen, type Gemm } from "./tridiagonalEigen.js";

/** `a` is a row-major symmetric n × n matrix (only read). Eigenvalues ascending, vectors as rows. */
export async function eighBlocked(a: ArrayLike<number>, n: number, gemm: Gemm = gemmJs): Promise<Eigh> {
  if (a.length !== n * n) throw new Error(`eigh: expected ${n * n} entries, got ${a.length}`);
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0), n };
  const t = await tridiagonalize(a, n, gemm);
  const { values, vectors: z } = await tridiagonalEigen(t.d, t.e, gemm);
  const u = await applyQ(t, z, n, gemm);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vectors[j * n + i] = u[i * n + j];
  return { values, vectors, n };
}

/** Products below this many multiply-adds stay in JavaScript: a session call costs more than they do. */
const SMALL = 1 << 16;

/** A float64 Gemm over a backend's matmul (onnxruntime's BLAS), small products in JavaScript. */
export function backendGemm(backend: ComputeBackend): Gemm {
  if (backend.dtype !== "float64") throw new Error("backendGemm: the backend must be float64");
  return async (a, b, m, k, c) => {
    if (m * k * c < SMALL) return gemmJs(a, b, m, k, c);
    const out = await backend.matmul({ rows: m, cols: k, data: a }, { rows: k, cols: c, data: b });
    return out.data instanceof Float64Array ? out.data : Float64Array.from(out.data);
  };
}

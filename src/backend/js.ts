import {
  castArray,
  castMatrix,
  matmulJs,
  transpose,
  zeros,
  type DType,
  type Matrix,
  type MatrixStack,
} from "../linalg/dense.js";
import type { ComputeBackend } from "./types.js";

/** Reference backend in plain JavaScript (float64 accumulation). Slow; for small problems and checks. */
export class JsBackend implements ComputeBackend {
  readonly name = "js";
  constructor(readonly dtype: DType = "float64") {}

  async matmul(a: Matrix, b: Matrix, transA = false, transB = false): Promise<Matrix> {
    const bb = castMatrix(b, this.dtype);
    return matmulJs(castMatrix(a, this.dtype), transB ? transpose(bb) : bb, transA, this.dtype);
  }

  async residualSumSquares(
    m: MatrixStack,
    z: Matrix,
    t: Matrix,
    w: Float64Array | null,
    offset: Float64Array | null = null,
  ): Promise<Matrix> {
    const { count, rows, cols: r } = m;
    if (z.rows !== r || t.rows !== rows || t.cols !== z.cols) throw new Error("residualSumSquares: shape mismatch");
    const c = z.cols;
    const out = zeros(this.dtype, count, c);
    const md = castArray(m.data, "float64");
    const row = new Float64Array(c);
    const acc = new Float64Array(c);
    for (let a = 0; a < count; a++) {
      acc.fill(0);
      for (let j = 0; j < rows; j++) {
        for (let q = 0; q < c; q++) row[q] = t.data[j * c + q] - (offset ? offset[q] : 0);
        const base = (a * rows + j) * r;
        for (let i = 0; i < r; i++) {
          const mv = md[base + i];
          if (mv === 0) continue;
          for (let q = 0; q < c; q++) row[q] -= mv * z.data[i * c + q];
        }
        const wj = w ? w[a * rows + j] : 1;
        for (let q = 0; q < c; q++) {
          const e = wj * row[q];
          acc[q] += e * e;
        }
      }
      out.data.set(acc, a * c);
    }
    return out;
  }

  async dispose(): Promise<void> {}
}

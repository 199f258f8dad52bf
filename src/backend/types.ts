import type { DType, Matrix, MatrixStack } from "../linalg/dense.js";

/**
 * A compute backend runs the few heavy kernels of the ridge solvers. Solvers never touch a backend's
 * internals (as in himalaya), so the same solver runs on plain JavaScript (small problems, checks) or on
 * onnxruntime (CPU, or a CUDA execution provider where one exists).
 */
export interface ComputeBackend {
  readonly name: string;
  readonly dtype: DType;
  /** op(A)·op(B) with op(M) = M or Mᵀ, in the backend's precision. */
  matmul(a: Matrix, b: Matrix, transA?: boolean, transB?: boolean): Promise<Matrix>;
  /**
   * Weighted residual sums of squares of a batch of linear predictions:
   * out[a, c] = Σ_j ( w[a, j] · (t[j, c] − offset[c] − (M_a · Z)[j, c]) )², for a < M.count.
   * `w` (M.count × M.rows, row-major) may be null for unit weights, `offset` null for none. This one
   * kernel serves the leave-one-out (w = 1/(1 − h_jj)) and the inner K-fold (w = 1) criteria.
   */
  residualSumSquares(
    m: MatrixStack,
    z: Matrix,
    t: Matrix,
    w: Float64Array | null,
    offset?: Float64Array | null,
  ): Promise<Matrix>;
  /** Present on backends that execute whole ONNX graphs (onnxruntime): lets solvers fuse their kernels. */
  readonly graphs?: GraphRunner;
  dispose(): Promise<void>;
}

export type GraphTensorType = "float32" | "float64" | "int64";

export interface GraphTensor {
  type: GraphTensorType;
  data: Float32Array | Float64Array | BigInt64Array;
  dims: number[];
}

/** Loads ONNX models (ModelProto bytes) into sessions bound to the backend's execution providers. */
export interface GraphRunner {
  load(model: Uint8Array): Promise<GraphSession>;
  /**
   * The runner's session for `key`, built once (from `build()`) and kept until the backend is disposed:
   * for models whose data are all inputs, shared by every call of one shape. Its release() does nothing.
   */
  loadShared(key: string, build: () => Uint8Array): Promise<GraphSession>;
}

export interface GraphSession {
  run(feeds: Record<string, GraphTensor>): Promise<Record<string, GraphTensor>>;
  release(): Promise<void>;
}

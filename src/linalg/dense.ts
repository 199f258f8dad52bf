/** Dense row-major matrices on typed arrays: the one array type every module exchanges. */

export type DType = "float32" | "float64";
export type FloatArray = Float32Array | Float64Array;

export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major: element (i, j) is data[i * cols + j]. */
  data: FloatArray;
}

/** A batch of equally-shaped matrices stored back to back: element (b, i, j) at data[(b*rows + i)*cols + j]. */
export interface MatrixStack {
  count: number;
  rows: number;
  cols: number;
  data: FloatArray;
}

export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
}

export function zeros(dtype: DType, rows: number, cols: number): Matrix {
  return { rows, cols, data: allocate(dtype, rows * cols) };
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? "float64" : "float32";
}

/** Converts (copying only when needed) to the requested precision. */
export function castArray(a: FloatArray, dtype: DType): FloatArray {
  if (dtypeOf(a) === dtype) return a;
  return dtype === "float64" ? Float64Array.from(a) : Float32Array.from(a);
}

export function castMatrix(m: Matrix, dtype: DType): Matrix {
  return { rows: m.rows, cols: m.cols, data: castArray(m.data, dtype) };
}

/** Copies the given rows (in order) into a new matrix. */
export function takeRows(m: Matrix, rowIndices: ArrayLike<number>, dtype: DType = dtypeOf(m.data)): Matrix {
  const out = zeros(dtype, rowIndices.length, m.cols);
  for (let r = 0; r < rowIndices.length; r++) {
    const src = rowIndices[r] * m.cols;
    out.data.set(m.data.subarray(src, src + m.cols), r * m.cols);
  }
  return out;
}

/** Copies columns [start, end) into a new contiguous matrix. */
export function takeColumns(m: Matrix, start: number, end: number, dtype: DType = dtypeOf(m.data)): Matrix {
  const out = zeros(dtype, m.rows, end - start);
  columnsInto(m, start, end, out.data);
  return out;
}

/** Copies columns [start, end) of m into `out` (rows × (end − start), row-major), e.g. a reused buffer. */
export function columnsInto(m: Matrix, start: number, end: number, out: FloatArray): void {
  const c = end - start;
  if (out.length < m.rows * c) throw new Error(`columnsInto: buffer of ${out.length} for ${m.rows} × ${c}`);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols + start, i * m.cols + end), i * c);
}

export function transpose(m: Matrix): Matrix {
  const out = zeros(dtypeOf(m.data), m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j];
  }
  return out;
}

/** Plain triple-loop product in float64 accumulation, for small matrices and for checking backends. */
export function matmulJs(a: Matrix, b: Matrix, transA = false, dtype: DType = dtypeOf(a.data)): Matrix {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  if (k !== b.rows) throw new Error(`matmul: inner dimensions differ (${k} vs ${b.rows})`);
  const n = b.cols;
  const out = zeros(dtype, m, n);
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let l = 0; l < k; l++) {
      const av = transA ? a.data[l * a.cols + i] : a.data[i * a.cols + l];
      if (av === 0) continue;
      const off = l * n;
      for (let j = 0; j < n; j++) acc[j] += av * b.data[off + j];
    }
    out.data.set(acc, i * n);
  }
  return out;
}

/** Side-by-side column blocks of matrices with the same rows, in float64 (block k = ms[k]). */
export function concatColumns(ms: Matrix[]): Matrix {
  const rows = ms[0].rows;
  if (ms.some((m) => m.rows !== rows))
    throw new Error(`concatColumns: row counts differ (${ms.map((m) => m.rows).join(", ")})`);
  const cols = ms.reduce((a, m) => a + m.cols, 0);
  const data = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    let off = 0;
    for (const m of ms) {
      for (let j = 0; j < m.cols; j++) data[t * cols + off + j] = m.data[t * m.cols + j];
      off += m.cols;
    }
  }
  return { rows, cols, data };
}

/** Matrices with the same columns stacked row-wise (stories concatenated in time), in float64. */
export function concatRows(ms: Matrix[], dtype: DType = "float64"): Matrix {
  if (ms.length === 0) throw new Error("concatRows: no matrices");
  const cols = ms[0].cols;
  if (ms.some((m) => m.cols !== cols))
    throw new Error(`concatRows: column counts differ (${ms.map((m) => m.cols).join(", ")})`);
  const data = allocate(dtype, ms.reduce((a, m) => a + m.rows, 0) * cols);
  let off = 0;
  for (const m of ms) {
    data.set(m.data, off);
    off += m.data.length;
  }
  return { rows: data.length / cols, cols, data };
}

import * as ort from "onnxruntime-node";
import { castArray, type DType, type Matrix, type MatrixStack } from "../linalg/dense.js";
import { GraphBuilder, attr } from "./onnx/graph.js";
import { intraOpThreads } from "./threads.js";
import type { ComputeBackend, GraphRunner, GraphSession, GraphTensor } from "./types.js";

export interface OrtBackendOptions {
  dtype?: DType;
  /** onnxruntime execution providers, in order of preference (default: ["cpu"]). */
  executionProviders?: string[];
  /** Threads for one operator; 0 lets onnxruntime use every physical core. */
  intraOpNumThreads?: number;
}

/**
 * Backend on onnxruntime-node. Each kernel is a small ONNX graph with symbolic dimensions, built once
 * per precision and cached as a session, so any problem size reuses it.
 */
/** A session behind the GraphSession interface: plain typed arrays in and out. */
function wrap(session: ort.InferenceSession): GraphSession {
  return {
    async run(feeds) {
      const inputs: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(t.type, t.data, t.dims);
      const out = await session.run(inputs);
      const result: Record<string, GraphTensor> = {};
      for (const [name, t] of Object.entries(out)) {
        result[name] = { type: t.type as GraphTensor["type"], data: t.data as GraphTensor["data"], dims: [...t.dims] };
      }
      return result;
    },
    release: () => session.release(),
  };
}

export class OrtBackend implements ComputeBackend {
  readonly name = "onnxruntime";
  readonly dtype: DType;
  /** Whether every execution provider is the CPU (then solvers may split work across threads themselves). */
  readonly onCpu: boolean;
  private readonly options: ort.InferenceSession.SessionOptions;
  private sessions = new Map<string, Promise<ort.InferenceSession>>();
  readonly graphs: GraphRunner = {
    load: async (model: Uint8Array): Promise<GraphSession> =>
      wrap(await ort.InferenceSession.create(model, this.options)),
    loadShared: async (key: string, build: () => Uint8Array): Promise<GraphSession> => {
      const session = wrap(await this.session(`shared:${key}`, build));
      return { run: session.run, release: async () => {} };
    },
  };

  constructor(options: OrtBackendOptions = {}) {
    this.dtype = options.dtype ?? "float32";
    this.onCpu = (options.executionProviders ?? ["cpu"]).every((ep) => ep === "cpu");
    this.options = {
      executionProviders: options.executionProviders ?? ["cpu"],
      intraOpNumThreads: intraOpThreads(options.intraOpNumThreads),
      graphOptimizationLevel: "all",
      // Chunked solvers keep several sessions alive; an arena per session would hold each one's peak.
      enableCpuMemArena: true,
      // Each session owns a thread pool; spinning idle threads of one session would steal the cores
      // another session is computing on (a fit holds one session per fold), so idle threads sleep.
      extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
    };
  }

  private session(key: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = ort.InferenceSession.create(build(), this.options);
      this.sessions.set(key, s);
    }
    return s;
  }

  private tensor(data: ArrayLike<number> & { length: number }, dims: number[]): ort.Tensor {
    const arr = castArray(data as Float32Array | Float64Array, this.dtype);
    return new ort.Tensor(this.dtype, arr, dims);
  }

  async matmul(a: Matrix, b: Matrix, transA = false, transB = false): Promise<Matrix> {
    const k = transA ? a.rows : a.cols;
    const kb = transB ? b.cols : b.rows;
    if (k !== kb) throw new Error(`matmul: inner dimensions differ (${k} vs ${kb})`);
    const session = await this.session(`gemm:${transA}:${transB}`, () => {
      const g = new GraphBuilder("gemm");
      g.input("A", this.dtype, transA ? ["k", "m"] : ["m", "k"]);
      g.input("B", this.dtype, transB ? ["n", "k"] : ["k", "n"]);
      g.op("Gemm", ["A", "B"], { transA: attr.int(transA ? 1 : 0), transB: attr.int(transB ? 1 : 0) }, "C");
      g.output("C", this.dtype, ["m", "n"]);
      return g.toModel();
    });
    const out = await session.run({
      A: this.tensor(a.data, [a.rows, a.cols]),
      B: this.tensor(b.data, [b.rows, b.cols]),
    });
    const c = out.C;
    return { rows: c.dims[0], cols: c.dims[1], data: c.data as Float32Array | Float64Array };
  }

  async residualSumSquares(
    m: MatrixStack,
    z: Matrix,
    t: Matrix,
    w: Float64Array | null,
    offset: Float64Array | null = null,
  ): Promise<Matrix> {
    if (z.rows !== m.cols || t.rows !== m.rows || t.cols !== z.cols)
      throw new Error("residualSumSquares: shape mismatch");
    const weighted = w !== null;
    const shifted = offset !== null;
    const session = await this.session(`rss:${weighted}:${shifted}`, () => {
      const g = new GraphBuilder("rss");
      g.input("M", this.dtype, ["a", "m", "r"]);
      g.input("Z", this.dtype, ["r", "c"]);
      g.input("T", this.dtype, ["m", "c"]);
      if (weighted) g.input("W", this.dtype, ["a", "m", 1]);
      if (shifted) g.input("O", this.dtype, [1, "c"]);
      const pred = g.op("MatMul", ["M", "Z"]);
      let resid = g.op("Sub", [shifted ? g.op("Sub", ["T", "O"]) : "T", pred]);
      if (weighted) resid = g.op("Mul", [resid, "W"]);
      g.op("ReduceSumSquare", [resid], { axes: attr.ints([1]), keepdims: attr.int(0) }, "out");
      g.output("out", this.dtype, ["a", "c"]);
      return g.toModel();
    });
    const feeds: Record<string, ort.Tensor> = {
      M: this.tensor(m.data, [m.count, m.rows, m.cols]),
      Z: this.tensor(z.data, [z.rows, z.cols]),
      T: this.tensor(t.data, [t.rows, t.cols]),
    };
    if (w) feeds.W = this.tensor(w, [m.count, m.rows, 1]);
    if (offset) feeds.O = this.tensor(offset, [1, offset.length]);
    const out = (await session.run(feeds)).out;
    return { rows: out.dims[0], cols: out.dims[1], data: out.data as Float32Array | Float64Array };
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}

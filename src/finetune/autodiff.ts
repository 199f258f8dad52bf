/**
 * Reverse-mode differentiation at graph-building time: every operation emits its forward ONNX nodes and
 * records how to emit its backward ones, so one onnxruntime session computes a loss and the gradient of
 * every parameter. Shapes are static (a training graph serves one batch shape), which lets broadcasting
 * be undone exactly (ReduceSum over the broadcast axes) and every backward node be written without
 * run-time shape queries.
 *
 * Only the operations a transformer block needs are here; each has its derivative next to its forward.
 */
import { GraphBuilder, attr } from "../backend/onnx/graph.js";

type Back = (gradOut: string) => void;

interface Record_ {
  output: string;
  back: Back;
}

/** Records differentiable operations while emitting their forward nodes; `gradients` emits the backward. */
export class Tape {
  readonly g: GraphBuilder;
  private readonly shapes = new Map<string, number[]>();
  private readonly needsGrad = new Set<string>();
  private readonly records: Record_[] = [];
  private grads = new Map<string, string[]>();

  constructor(name: string) {
    this.g = new GraphBuilder(name);
  }

  shape(x: string): number[] {
    const s = this.shapes.get(x);
    if (!s) throw new Error(`autodiff: unknown value "${x}"`);
    return s;
  }

  /** A float32 graph input that gets a gradient. */
  param(name: string, shape: number[]): string {
    this.g.input(name, "float32", shape);
    return this.leaf(name, shape);
  }

  /** A value computed in the graph that is treated as a variable (its gradient is output, not propagated). */
  leaf(name: string, shape: number[]): string {
    this.shapes.set(name, shape);
    this.needsGrad.add(name);
    return name;
  }

  /** An input without gradient (ids, masks, targets). */
  input(name: string, type: "float32" | "int64", shape: number[]): string {
    this.g.input(name, type, shape);
    this.shapes.set(name, shape);
    return name;
  }

  scalar(v: number): string {
    return this.g.constant("float32", [], [v]);
  }

  ints(v: number[]): string {
    return this.g.constant("int64", [v.length], v);
  }

  /** A node without gradient whose output shape is given (gathers, constants). */
  raw(opType: string, inputs: string[], shape: number[], attributes: Parameters<GraphBuilder["op"]>[2] = {}): string {
    const y = this.g.op(opType, inputs, attributes);
    this.shapes.set(y, shape);
    return y;
  }

  private record(y: string, shape: number[], inputs: string[], back: Back): string {
    this.shapes.set(y, shape);
    if (inputs.some((i) => this.needsGrad.has(i))) {
      this.needsGrad.add(y);
      this.records.push({ output: y, back });
    }
    return y;
  }

  private wants(x: string): boolean {
    return this.needsGrad.has(x);
  }

  private accumulate(x: string, grad: string): void {
    if (!this.wants(x)) return;
    const list = this.grads.get(x) ?? [];
    list.push(grad);
    this.grads.set(x, list);
  }

  private gradOf(x: string): string | undefined {
    const list = this.grads.get(x);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    const sum = this.g.op("Sum", list);
    this.grads.set(x, [sum]);
    return sum;
  }

  /** Sums a gradient of a broadcast result back to the operand's shape. */
  private unbroadcast(grad: string, from: number[], to: number[]): string {
    if (from.length === to.length && from.every((d, i) => d === to[i])) return grad;
    const lead = from.length - to.length;
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
    const reduced = axes.length ? this.g.op("ReduceSum", [grad, this.ints(axes)], { keepdims: attr.int(1) }) : grad;
    return this.g.op("Reshape", [reduced, this.ints(to.length ? to : [])]);
  }

  // ---- elementwise ----

  add(a: string, b: string): string {
    const shape = broadcastShape(this.shape(a), this.shape(b));
    return this.record(this.g.op("Add", [a, b]), shape, [a, b], (gy) => {
      this.accumulate(a, this.unbroadcast(gy, shape, this.shape(a)));
      this.accumulate(b, this.unbroadcast(gy, shape, this.shape(b)));
    });
  }

  sub(a: string, b: string): string {
    const shape = broadcastShape(this.shape(a), this.shape(b));
    return this.record(this.g.op("Sub", [a, b]), shape, [a, b], (gy) => {
      this.accumulate(a, this.unbroadcast(gy, shape, this.shape(a)));
      if (this.wants(b)) this.accumulate(b, this.unbroadcast(this.g.op("Neg", [gy]), shape, this.shape(b)));
    });
  }

  mul(a: string, b: string): string {
    const shape = broadcastShape(this.shape(a), this.shape(b));
    return this.record(this.g.op("Mul", [a, b]), shape, [a, b], (gy) => {
      if (this.wants(a)) this.accumulate(a, this.unbroadcast(this.g.op("Mul", [gy, b]), shape, this.shape(a)));
      if (this.wants(b)) this.accumulate(b, this.unbroadcast(this.g.op("Mul", [gy, a]), shape, this.shape(b)));
    });
  }

  /** x · c for a constant c. */
  scale(x: string, c: number): string {
    const k = this.scalar(c);
    return this.record(this.g.op("Mul", [x, k]), this.shape(x), [x], (gy) =>
      this.accumulate(x, this.g.op("Mul", [gy, k])),
    );
  }

  // ---- shape ----

  reshape(x: string, shape: number[]): string {
    const from = this.shape(x);
    return this.record(this.g.op("Reshape", [x, this.ints(shape)]), shape, [x], (gy) =>
      this.accumulate(x, this.g.op("Reshape", [gy, this.ints(from)])),
    );
  }

  transpose(x: string, perm: number[]): string {
    const from = this.shape(x);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return this.record(
      this.g.op("Transpose", [x], { perm: attr.ints(perm) }),
      perm.map((p) => from[p]),
      [x],
      (gy) => this.accumulate(x, this.g.op("Transpose", [gy], { perm: attr.ints(inverse) })),
    );
  }

  /** x[..., start:end] along the last axis; the gradient is zero-padded back. */
  sliceLast(x: string, start: number, end: number): string {
    const from = this.shape(x);
    const r = from.length;
    const shape = [...from.slice(0, -1), end - start];
    return this.record(
      this.g.op("Slice", [x, this.ints([start]), this.ints([end]), this.ints([-1])]),
      shape,
      [x],
      (gy) => {
        const pads = new Array(2 * r).fill(0);
        pads[r - 1] = start;
        pads[2 * r - 1] = from[r - 1] - end;
        this.accumulate(x, this.g.op("Pad", [gy, this.ints(pads)]));
      },
    );
  }

  // ---- linear algebra ----

  /** a @ b: batched (equal ranks, equal batch dims) or a [..., K] times a matrix b [K, N]. */
  matmul(a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const K = sa[sa.length - 1];
    if (sb[sb.length - 2] !== K) throw new Error(`autodiff matmul: [${sa}] @ [${sb}]`);
    const shape = [...sa.slice(0, -1), sb[sb.length - 1]];
    const swapLast = (x: string, rank: number) => {
      const perm = Array.from({ length: rank }, (_, i) => i);
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      return this.g.op("Transpose", [x], { perm: attr.ints(perm) });
    };
    return this.record(this.g.op("MatMul", [a, b]), shape, [a, b], (gy) => {
      if (this.wants(a)) this.accumulate(a, this.g.op("MatMul", [gy, swapLast(b, sb.length)]));
      if (!this.wants(b)) return;
      if (sb.length === 2 && sa.length > 2) {
        // A weight shared by every row: dB = A_flatᵀ · dY_flat.
        const a2 = this.g.op("Reshape", [a, this.ints([-1, K])]);
        const g2 = this.g.op("Reshape", [gy, this.ints([-1, sb[1]])]);
        this.accumulate(b, this.g.op("Gemm", [a2, g2], { transA: attr.int(1) }));
      } else this.accumulate(b, this.g.op("MatMul", [swapLast(a, sa.length), gy]));
    });
  }

  /** a [N, K] @ bᵀ with b [M, K] (a tied output embedding). */
  matmulTransB(a: string, b: string): string {
    const [N, K] = this.shape(a);
    const [M, K2] = this.shape(b);
    if (K !== K2) throw new Error(`autodiff matmulTransB: [${N},${K}] @ [${M},${K2}]ᵀ`);
    return this.record(this.g.op("Gemm", [a, b], { transB: attr.int(1) }), [N, M], [a, b], (gy) => {
      if (this.wants(a)) this.accumulate(a, this.g.op("MatMul", [gy, b]));
      if (this.wants(b)) this.accumulate(b, this.g.op("Gemm", [gy, a], { transA: attr.int(1) }));
    });
  }

  // ---- fused layers (forward and derivative written together) ----

  /** LayerNorm over the last axis with biased variance: y = (x − μ)/√(σ² + eps)·γ + β. */
  layerNorm(x: string, gamma: string, beta: string, eps: number): string {
    const g = this.g;
    const shape = this.shape(x);
    const mean = (t: string) => g.op("ReduceMean", [t], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const centred = g.op("Sub", [x, mean(x)]);
    const rstd = g.op("Reciprocal", [
      g.op("Sqrt", [g.op("Add", [mean(g.op("Mul", [centred, centred])), this.scalar(eps)])]),
    ]);
    const xhat = g.op("Mul", [centred, rstd]);
    const y = g.op("Add", [g.op("Mul", [xhat, gamma]), beta]);
    return this.record(y, shape, [x, gamma, beta], (gy) => {
      const E = shape[shape.length - 1];
      if (this.wants(gamma)) this.accumulate(gamma, this.unbroadcast(g.op("Mul", [gy, xhat]), shape, [E]));
      if (this.wants(beta)) this.accumulate(beta, this.unbroadcast(gy, shape, [E]));
      if (!this.wants(x)) return;
      // dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy · γ
      const dxhat = g.op("Mul", [gy, gamma]);
      const inner = g.op("Sub", [
        g.op("Sub", [dxhat, mean(dxhat)]),
        g.op("Mul", [xhat, mean(g.op("Mul", [dxhat, xhat]))]),
      ]);
      this.accumulate(x, g.op("Mul", [inner, rstd]));
    });
  }

  /** GELU: "tanh" = gelu_new (GPT-2), "erf" = exact. */
  gelu(x: string, kind: "tanh" | "erf"): string {
    const g = this.g;
    const c = (v: number) => this.scalar(v);
    const half = g.op("Mul", [x, c(0.5)]);
    if (kind === "tanh") {
      const k = Math.sqrt(2 / Math.PI);
      const x2 = g.op("Mul", [x, x]);
      const th = g.op("Tanh", [
        g.op("Mul", [g.op("Mul", [x, g.op("Add", [g.op("Mul", [x2, c(0.044715)]), c(1)])]), c(k)]),
      ]);
      const onePlus = g.op("Add", [th, c(1)]);
      return this.record(g.op("Mul", [half, onePlus]), this.shape(x), [x], (gy) => {
        // d/dx = ½(1 + th) + ½x(1 − th²)·k(1 + 3·0.044715·x²)
        const sech2 = g.op("Sub", [c(1), g.op("Mul", [th, th])]);
        const du = g.op("Mul", [g.op("Add", [g.op("Mul", [x2, c(3 * 0.044715)]), c(1)]), c(k)]);
        const d = g.op("Add", [g.op("Mul", [onePlus, c(0.5)]), g.op("Mul", [g.op("Mul", [half, sech2]), du])]);
        this.accumulate(x, g.op("Mul", [gy, d]));
      });
    }
    const onePlus = g.op("Add", [g.op("Erf", [g.op("Mul", [x, c(Math.SQRT1_2)])]), c(1)]);
    return this.record(g.op("Mul", [half, onePlus]), this.shape(x), [x], (gy) => {
      // d/dx = ½(1 + erf(x/√2)) + x·φ(x)
      const pdf = g.op("Mul", [
        g.op("Exp", [g.op("Mul", [g.op("Mul", [x, x]), c(-0.5)])]),
        c(1 / Math.sqrt(2 * Math.PI)),
      ]);
      const d = g.op("Add", [g.op("Mul", [onePlus, c(0.5)]), g.op("Mul", [x, pdf])]);
      this.accumulate(x, g.op("Mul", [gy, d]));
    });
  }

  /** Softmax over the last axis: dx = p ⊙ (dp − Σ dp ⊙ p). */
  softmax(x: string): string {
    const g = this.g;
    const p = g.op("Softmax", [x], { axis: attr.int(-1) });
    return this.record(p, this.shape(x), [x], (gy) => {
      const dot = g.op("ReduceSum", [g.op("Mul", [gy, p]), this.ints([-1])], { keepdims: attr.int(1) });
      this.accumulate(x, g.op("Mul", [p, g.op("Sub", [gy, dot])]));
    });
  }

  // ---- losses (scalars) ----

  /**
   * Σ_n w_n · (logsumexp(logits_n) − logits_n[label_n]) over logits [N, V]; with w = 1/count on the
   * predicted positions and 0 elsewhere this is the mean next-token cross-entropy.
   */
  crossEntropy(logits: string, labels: string, weights: string): string {
    const g = this.g;
    const [, V] = this.shape(logits);
    const logp = g.op("LogSoftmax", [logits], { axis: attr.int(-1) });
    const picked = g.op("Squeeze", [
      g.op("GatherElements", [logp, g.op("Unsqueeze", [labels, this.ints([1])])], { axis: attr.int(1) }),
      this.ints([1]),
    ]);
    const loss = g.op("Neg", [g.op("ReduceSum", [g.op("Mul", [picked, weights])], { keepdims: attr.int(0) })]);
    return this.record(loss, [], [logits], (gy) => {
      const oneHot = g.op(
        "OneHot",
        [labels, this.g.constant("int64", [], [V]), this.g.constant("float32", [2], [0, 1])],
        { axis: attr.int(-1) },
      );
      const w = g.op("Unsqueeze", [g.op("Mul", [weights, gy]), this.ints([1])]);
      this.accumulate(logits, g.op("Mul", [g.op("Sub", [g.op("Exp", [logp]), oneHot]), w]));
    });
  }

  /** Σ_n w_n Σ_e (a − t)² over a, t [N, E] (t a constant target; w folds mask and mean). */
  weightedSquaredError(a: string, target: string, weights: string): string {
    const g = this.g;
    const diff = g.op("Sub", [a, target]);
    const w = g.op("Unsqueeze", [weights, this.ints([1])]);
    const loss = g.op("ReduceSum", [g.op("Mul", [g.op("Mul", [diff, diff]), w])], { keepdims: attr.int(0) });
    return this.record(loss, [], [a], (gy) =>
      this.accumulate(a, g.op("Mul", [g.op("Mul", [diff, g.op("Mul", [w, gy])]), this.scalar(2)])),
    );
  }

  /** Σ_n w_n (1 − cos(a_n, t_n)) over rows of a, t [N, E]. */
  weightedCosineDistance(a: string, target: string, weights: string): string {
    const g = this.g;
    const tiny = this.scalar(1e-12);
    const rowSum = (t: string) => g.op("ReduceSum", [t, this.ints([-1])], { keepdims: attr.int(1) });
    const na = g.op("Sqrt", [g.op("Add", [rowSum(g.op("Mul", [a, a])), tiny])]);
    const nt = g.op("Sqrt", [g.op("Add", [rowSum(g.op("Mul", [target, target])), tiny])]);
    const cos = g.op("Div", [rowSum(g.op("Mul", [a, target])), g.op("Mul", [na, nt])]);
    const w = g.op("Unsqueeze", [weights, this.ints([1])]);
    const loss = g.op("ReduceSum", [g.op("Mul", [g.op("Sub", [this.scalar(1), cos]), w])], { keepdims: attr.int(0) });
    return this.record(loss, [], [a], (gy) => {
      // d cos / da = t/(|a||t|) − cos · a/|a|²
      const dcos = g.op("Sub", [
        g.op("Div", [target, g.op("Mul", [na, nt])]),
        g.op("Div", [g.op("Mul", [a, cos]), g.op("Mul", [na, na])]),
      ]);
      this.accumulate(a, g.op("Neg", [g.op("Mul", [dcos, g.op("Mul", [w, gy])])]));
    });
  }

  /**
   * Emits the backward pass of `loss` (a scalar) and returns the gradient value of each of `wrt`
   * (undefined where the loss does not depend on it).
   */
  gradients(loss: string, wrt: string[]): Map<string, string | undefined> {
    this.grads = new Map([[loss, [this.scalar(1)]]]);
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      const gy = this.gradOf(r.output);
      if (gy !== undefined) r.back(gy);
    }
    return new Map(wrt.map((w) => [w, this.gradOf(w)]));
  }
}

function broadcastShape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`autodiff: shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

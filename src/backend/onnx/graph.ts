/**
 * Builds ONNX models in memory (ModelProto bytes) that onnxruntime can load directly. Used for the ridge
 * kernels and, later, the language-model forward pass: the graph is written from code, so there is no
 * exported .onnx file to keep in sync with the weights.
 *
 * Field numbers follow onnx/onnx.proto (IR version 8, default opset 17).
 */
import { ProtoWriter } from "./protobuf.js";

export type ElemType = "float32" | "float64" | "int64" | "int32" | "bool";

const ELEM_TYPE_CODE: Record<ElemType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

/** A dimension is a fixed size or a symbolic name (dim_param) bound at run time. */
export type Dim = number | string;

export type AttributeValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "ints"; value: number[] }
  | { kind: "string"; value: string };

export const attr = {
  int: (value: number): AttributeValue => ({ kind: "int", value }),
  float: (value: number): AttributeValue => ({ kind: "float", value }),
  ints: (value: number[]): AttributeValue => ({ kind: "ints", value }),
  string: (value: string): AttributeValue => ({ kind: "string", value }),
};

interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

interface ValueSpec {
  name: string;
  type: ElemType;
  shape: Dim[];
}

interface InitializerSpec {
  name: string;
  type: ElemType;
  dims: number[];
  raw: Uint8Array;
}

/** Where external initializers go: `write` stores the bytes and returns their offset in `location`. */
export interface ExternalData {
  location: string;
  minBytes: number;
  write(bytes: Uint8Array): number;
}

export class GraphBuilder {
  private nodes: NodeSpec[] = [];
  private inputs: ValueSpec[] = [];
  private outputs: ValueSpec[] = [];
  private initializers: InitializerSpec[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.inputs.push({ name, type, shape });
    return name;
  }

  output(name: string, type: ElemType, shape: Dim[]): void {
    this.outputs.push({ name, type, shape });
  }

  /**
   * A constant tensor stored in the model (weights, shapes, scalars). Copied, unless `share` (model weights
   * the caller never mutates): then the model reads the caller's memory, so large checkpoints are not
   * held twice while the graph is built.
   */
  constant(
    type: ElemType,
    dims: number[],
    values: ArrayLike<number> | ArrayBufferView,
    name?: string,
    share = false,
  ): string {
    const id = name ?? `const_${this.counter++}`;
    this.initializers.push({ name: id, type, dims, raw: toRawBytes(type, values, share) });
    return id;
  }

  /** Bytes of all initializers: above protobuf's 2 GB limit they must go to an external data file. */
  get initializerBytes(): number {
    return this.initializers.reduce((a, i) => a + i.raw.length, 0);
  }

  /** Adds a node and returns its (first) output name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputName?: string): string {
    const out = outputName ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ opType, inputs, outputs: [out], attributes });
    return out;
  }

  /**
   * The ModelProto bytes. With `external`, initializers of at least `minBytes` are handed to its writer
   * (ONNX external data: location, offset, length) instead of being embedded, and released here — so a
   * model builds once in that mode.
   */
  toModel(opset = 17, external?: ExternalData): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, 8); // ir_version
    w.string(2, "brainscore");
    w.message(7, (g) => this.writeGraph(g, external));
    w.message(8, (o) => o.string(1, "").int(2, opset));
    return w.finish();
  }

  private writeGraph(g: ProtoWriter, external?: ExternalData): void {
    for (const n of this.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(4, n.opType);
        for (const [key, a] of Object.entries(n.attributes)) nw.message(5, (aw) => writeAttribute(aw, key, a));
      });
    }
    g.string(2, this.name);
    for (const init of this.initializers) {
      g.message(5, (t) => {
        t.packedInts(1, init.dims);
        t.int(2, ELEM_TYPE_CODE[init.type]);
        t.string(8, init.name);
        if (external && init.raw.length >= external.minBytes) {
          const offset = external.write(init.raw);
          for (const [key, value] of [
            ["location", external.location],
            ["offset", String(offset)],
            ["length", String(init.raw.length)],
          ]) {
            t.message(13, (e) => e.string(1, key).string(2, value));
          }
          t.int(14, 1); // data_location = EXTERNAL
          init.raw = new Uint8Array(0);
        } else t.bytes(9, init.raw);
      });
    }
    for (const v of this.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of this.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  }
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case "float":
      w.float32(2, a.value).int(20, 1);
      break;
    case "int":
      w.int(3, a.value).int(20, 2);
      break;
    case "string":
      w.string(4, a.value).int(20, 3);
      break;
    case "ints":
      w.packedInts(8, a.value).int(20, 7);
      break;
  }
}

function writeValueInfo(w: ProtoWriter, v: ValueSpec): void {
  w.string(1, v.name);
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      tt.int(1, ELEM_TYPE_CODE[v.type]);
      tt.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dw) => (typeof d === "number" ? dw.int(1, d) : dw.string(2, d)));
        }
      });
    }),
  );
}

function toRawBytes(type: ElemType, values: ArrayLike<number> | ArrayBufferView, share = false): Uint8Array {
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    const expected = {
      float32: Float32Array,
      float64: Float64Array,
      int64: BigInt64Array,
      int32: Int32Array,
      bool: Uint8Array,
    }[type];
    if (values instanceof expected && share) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    if (values instanceof expected) {
      // Copy so later mutation of the caller's array cannot change the model; little-endian hosts only.
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    }
  }
  const arr = values as ArrayLike<number>;
  switch (type) {
    case "float32":
      return new Uint8Array(Float32Array.from(arr).buffer);
    case "float64":
      return new Uint8Array(Float64Array.from(arr).buffer);
    case "int32":
      return new Uint8Array(Int32Array.from(arr).buffer);
    case "int64":
      return new Uint8Array(BigInt64Array.from(Array.from(arr, (x) => BigInt(x))).buffer);
    case "bool":
      return Uint8Array.from(arr, (x) => (x ? 1 : 0));
  }
}

/**
 * What every language-model architecture gives the feature extractor: hidden states of a batch of equally
 * long token sequences, run by onnxruntime from a graph its modeling file builds. The causal mask and the
 * token/position tensors are built here once for all architectures.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { GraphBuilder } from "../backend/onnx/graph.js";
import { intraOpThreads } from "../backend/threads.js";

export interface ModelShape {
  nLayer: number;
  nEmbd: number;
  nPositions: number;
  vocabSize: number;
}

export interface ForwardResult {
  /** hidden[layer] = Float32Array [B × (T − from) × E]: positions from … T − 1 of each sequence. */
  hidden: Map<number, Float32Array>;
  batch: number;
  tokens: number;
  /** The first position returned (0 when all are). */
  from: number;
}

export interface LanguageModelRuntime {
  readonly config: ModelShape;
  readonly layers: number[];
  /**
   * Hidden states of a batch of equally long sequences at positions `from` (default 0) … T − 1; the last
   * block computes only those rows (every architecture here: its modeling file slices from first_position).
   */
  forward(batch: ArrayLike<number>[], from?: number): Promise<ForwardResult>;
  release(): Promise<void>;
}

export interface SessionOptions {
  executionProviders?: string[];
  intraOpNumThreads?: number;
  /** Weights in an external data file (default: only above EXTERNAL_DATA_BYTES). */
  externalData?: boolean;
  /** Where that file is written (default: the system's temporary folder). */
  tmpDir?: string;
}

/**
 * Above this many bytes of weights the graph goes to disk with ONNX external data (protobuf's limit is
 * 2 GB, and the in-memory route holds the weights several times over). gpt2-small shape (0.5 GB), measured
 * together: in memory 3.6–5.9 s to load and 2.7–3.1 GB peak RSS, through the file 1.8 s and 1.5–1.6 GB, the
 * same 1.21–1.27 s per pair-batched 1,024-token window either way. gpt2-medium shape (1.4 GB): 6.5–7.1 GB
 * and 45–47 s in memory, 2.0 GB and 21–22 s through the file. Test-sized models stay in memory.
 */
export const EXTERNAL_DATA_BYTES = 64e6;

/**
 * An onnxruntime session for a language-model graph. Models under EXTERNAL_DATA_BYTES are handed over in
 * memory; larger ones (or `externalData: true`) are written as model.onnx + weights.bin in a temporary folder — the
 * weights
 * streamed from the checkpoint's own buffers, 64-byte aligned — loaded from there and the folder removed.
 */
export async function createSession(graph: GraphBuilder, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: options.executionProviders ?? ["cpu"],
    intraOpNumThreads: intraOpThreads(options.intraOpNumThreads),
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
  const external = options.externalData ?? graph.initializerBytes > EXTERNAL_DATA_BYTES;
  if (!external) return ort.InferenceSession.create(graph.toModel(), sessionOptions);
  const dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), "brainscore-onnx-"));
  try {
    const fd = openSync(join(dir, "weights.bin"), "w");
    let end = 0;
    const model = graph.toModel(17, {
      location: "weights.bin",
      minBytes: 1024,
      write(bytes) {
        const at = Math.ceil(end / 64) * 64;
        writeSync(fd, bytes, 0, bytes.length, at);
        end = at + bytes.length;
        return at;
      },
    });
    closeSync(fd);
    writeFileSync(join(dir, "model.onnx"), model);
    releaseCheckpointBuffers();
    return await ort.InferenceSession.create(join(dir, "model.onnx"), sessionOptions);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The checkpoint's buffers are garbage once their bytes are in the external file, but loading into
 * onnxruntime allocates natively, which never prompts V8 to collect: collect now, so the weights are not
 * held twice while onnxruntime reads its copy.
 */
function releaseCheckpointBuffers(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Causal mask of T new tokens after P cached ones: query i sees keys 0 … P + i. */
export function causalBias(T: number, P: number): ort.Tensor {
  const bias = new Float32Array(T * (P + T));
  for (let i = 0; i < T; i++) for (let j = P + i + 1; j < P + T; j++) bias[i * (P + T) + j] = -1e9;
  return new ort.Tensor("float32", bias, [T, P + T]);
}

/** input_ids and position_ids [B, T] (positions start … start + T − 1), every id checked against the vocabulary. */
export function tokenTensors(batch: ArrayLike<number>[], start: number, shape: ModelShape) {
  const B = batch.length;
  const T = batch[0]?.length ?? 0;
  if (B === 0 || T === 0) throw new Error("language model forward: empty batch");
  if (start + T > shape.nPositions)
    throw new Error(`language model forward: ${start + T} tokens exceed the model's ${shape.nPositions} positions`);
  const ids = new BigInt64Array(B * T);
  const pos = new BigInt64Array(B * T);
  batch.forEach((seq, b) => {
    if (seq.length !== T) throw new Error("language model forward: sequences in a batch must have equal length");
    for (let t = 0; t < T; t++) {
      const id = seq[t];
      if (!Number.isInteger(id) || id < 0 || id >= shape.vocabSize)
        throw new Error(`language model forward: token id ${id} outside the vocabulary (0 … ${shape.vocabSize - 1})`);
      ids[b * T + t] = BigInt(id);
      pos[b * T + t] = BigInt(start + t);
    }
  });
  return { ids: new ort.Tensor("int64", ids, [B, T]), pos: new ort.Tensor("int64", pos, [B, T]), B, T };
}

/** One forward pass of any architecture's graph: the states of positions `from` … T − 1 (checked), by layer. */
export async function runForward(
  session: ort.InferenceSession,
  shape: ModelShape,
  layers: number[],
  batch: ArrayLike<number>[],
  from: number,
): Promise<ForwardResult> {
  const { ids, pos, B, T } = tokenTensors(batch, 0, shape);
  if (!Number.isInteger(from) || from < 0 || from >= T)
    throw new Error(`language model forward: first position ${from} outside the ${T} tokens`);
  const out = await session.run({
    input_ids: ids,
    position_ids: pos,
    attention_bias: causalBias(T, 0),
    first_position: new ort.Tensor("int64", BigInt64Array.of(BigInt(from)), [1]),
  });
  return { hidden: readHidden(out, layers), batch: B, tokens: T, from };
}

/** The hidden_<l> outputs of a session run, by layer. */
export function readHidden(out: ort.InferenceSession.ReturnType, layers: number[]): Map<number, Float32Array> {
  return new Map(layers.map((l) => [l, out[`hidden_${l}`].data as Float32Array]));
}

/** A forward-only runtime over a graph with inputs input_ids, position_ids, attention_bias and outputs hidden_<l>. */
export class GraphRuntime implements LanguageModelRuntime {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly config: ModelShape,
    readonly layers: number[],
  ) {}

  static async create(
    graph: GraphBuilder,
    config: ModelShape,
    layers: number[],
    options: SessionOptions = {},
  ): Promise<GraphRuntime> {
    return new GraphRuntime(await createSession(graph, options), config, layers);
  }

  async forward(batch: ArrayLike<number>[], from = 0): Promise<ForwardResult> {
    return runForward(this.session, this.config, this.layers, batch, from);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}
 * (plus an optional "__metadata__" map of strings), then raw little-endian tensor bytes. This is the
 * format Hugging Face checkpoints and the toolkit's outputs use; it reads in numpy/PyTorch with
 * `safetensors.numpy.load_file`.
 */
import { createHash } from "node:crypto";
import { writeFileAtomic } from "./atomic.js";
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * Metadata key of the sha256 of the tensor bytes, written by `writeSafetensors` and checked by
 * `readSafetensors`: a stored result or cache entry changed after writing (overwritten in place, a bad
 * disk) is refused by name instead of being read as numbers. Files without it (other writers) are read as is.
 */
export const CHECKSUM_KEY = "brainscore_data_sha256";

function dataDigest(parts: Iterable<Uint8Array>): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";
export type TensorData =
  Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

export interface Tensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorData;
}

const BYTES: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes, checking the header; `source` names the data in error messages. */
export function parseSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsFile {
  if (bytes.length < 8) throw new Error(`${source}: file is ${bytes.length} bytes, too short for a safetensors header`);
  const hl = headerLength(bytes.subarray(0, 8), bytes.length, source);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + hl), bytes.length - 8 - hl, source);
  const body = bytes.subarray(8 + hl);
  const tensors = new Map<string, Tensor>();
  for (const e of entries)
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedView(e.dtype, body.subarray(e.begin, e.end)) });
  return { tensors, metadata };
}

/**
 * Reads a safetensors file tensor by tensor (header first, then each tensor's bytes into its own aligned
 * buffer): memory is the tensors once, and files past Node's 2 GB single-read limit (gpt2-large and
 * larger single-file checkpoints) load.
 */
export function readSafetensors(path: string): SafetensorsFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new Error(`${path}: file is ${size} bytes, too short for a safetensors header`);
    const read = (length: number, position: number) => {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), position + done);
        if (n === 0) throw new Error(`${path}: unexpected end of file at byte ${position + done}`);
        done += n;
      }
      return out;
    };
    const hl = headerLength(read(8, 0), size, path);
    const { entries, metadata } = parseHeader(read(hl, 8), size - 8 - hl, path);
    const tensors = new Map<string, Tensor>();
    const raw: { begin: number; bytes: Uint8Array }[] = [];
    for (const e of entries) {
      const bytes = read(e.end - e.begin, 8 + hl + e.begin);
      raw.push({ begin: e.begin, bytes });
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedArrayOf(e.dtype, bytes) });
    }
    const expected = metadata[CHECKSUM_KEY];
    if (expected !== undefined && dataDigest(raw.sort((a, b) => a.begin - b.begin).map((r) => r.bytes)) !== expected) {
      throw new Error(
        `${path}: its tensor data does not match the checksum written with it (changed or damaged after writing); delete it, or rerun to recompute it`,
      );
    }
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

/** Names, dtypes and shapes of a safetensors file's tensors, from its header alone (no tensor data read). */
export function readSafetensorsHeader(
  path: string,
): { name: string; dtype: SafetensorsDType; shape: number[]; begin: number }[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new Error(`${path}: file is ${size} bytes, too short for a safetensors header`);
    const first = new Uint8Array(8);
    readSync(fd, first, 0, 8, 0);
    const hl = headerLength(first, size, path);
    const header = new Uint8Array(hl);
    readSync(fd, header, 0, hl, 8);
    return parseHeader(header, size - 8 - hl, path).entries.map(({ name, dtype, shape, begin }) => ({
      name,
      dtype,
      shape,
      begin,
    }));
  } finally {
    closeSync(fd);
  }
}

function headerLength(first8: Uint8Array, total: number, source: string): number {
  const headerLen = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(total - 8)) {
    throw new Error(
      `${source}: header length ${headerLen} exceeds the file size (${total} bytes): truncated or not safetensors`,
    );
  }
  return Number(headerLen);
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** The JSON header checked entry by entry against the data section's length. */
function parseHeader(
  headerBytes: Uint8Array,
  bodyLength: number,
  source: string,
): { entries: Entry[]; metadata: Record<string, string> } {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    throw new Error(`${source}: header is not a JSON object`);
  // JSON.parse keeps the last of repeated names silently; the format forbids them.
  const repeated = repeatedTopLevelKey(new TextDecoder().decode(headerBytes));
  if (repeated !== undefined) throw new Error(`${source}: tensor name "${repeated}" appears twice in the header`);
  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (
        info === null ||
        typeof info !== "object" ||
        Array.isArray(info) ||
        !Object.values(info).every((v) => typeof v === "string")
      ) {
        throw new Error(`${source}: __metadata__ must map names to strings, got ${JSON.stringify(info)?.slice(0, 80)}`);
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (info === null || typeof info !== "object" || Array.isArray(info))
      throw new Error(
        `${source}: tensor "${name}" has no {dtype, shape, data_offsets} entry (got ${JSON.stringify(info)})`,
      );
    const t = info as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    const dtype = t.dtype as SafetensorsDType;
    if (!(dtype in BYTES)) throw new Error(`${source}: tensor "${name}" has unsupported dtype ${String(t.dtype)}`);
    const shape = t.shape;
    const offs = t.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${source}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((d) => Number.isInteger(d) && d >= 0) ||
      offs[1] < offs[0]
    ) {
      throw new Error(`${source}: tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    const nbytes = offs[1] - offs[0];
    if (nbytes !== count * BYTES[dtype]) {
      throw new Error(
        `${source}: tensor "${name}" spans ${nbytes} bytes but shape ${JSON.stringify(shape)} × ${dtype} needs ${count * BYTES[dtype]}`,
      );
    }
    if (offs[1] > bodyLength) {
      throw new Error(
        `${source}: tensor "${name}" ends at byte ${offs[1]} of a ${bodyLength}-byte data section: the file is truncated`,
      );
    }
    entries.push({ name, dtype, shape, begin: offs[0], end: offs[1] });
  }
  return { entries, metadata };
}

/** Copies into an aligned typed array of the right kind (file offsets need not be aligned). */
function typedView(dtype: SafetensorsDType, b: Uint8Array): TensorData {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return typedArrayOf(dtype, copy);
}

/** The typed array of a dtype over a fresh (aligned, unshared) byte buffer. */
function typedArrayOf(dtype: SafetensorsDType, bytes: Uint8Array): TensorData {
  const buf = bytes.buffer;
  switch (dtype) {
    case "F64":
      return new Float64Array(buf);
    case "F32":
      return new Float32Array(buf);
    case "I64":
      return new BigInt64Array(buf);
    case "I32":
      return new Int32Array(buf);
    case "I16":
      return new Int16Array(buf);
    case "F16":
    case "BF16":
      return new Uint16Array(buf);
    case "I8":
      return new Int8Array(buf);
    default:
      return bytes;
  }
}

export function dtypeOfArray(a: TensorData): SafetensorsDType {
  if (a instanceof Float64Array) return "F64";
  if (a instanceof Float32Array) return "F32";
  if (a instanceof BigInt64Array) return "I64";
  if (a instanceof Int32Array) return "I32";
  if (a instanceof Int16Array) return "I16";
  if (a instanceof Int8Array) return "I8";
  return "U8";
}

export interface TensorInput {
  shape: number[];
  data: TensorData;
  dtype?: SafetensorsDType;
}

/** Serialises tensors (in the given order) with string metadata. */
export function encodeSafetensors(
  tensors: Record<string, TensorInput>,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`safetensors: tensor "${name}" has ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    const dtype = t.dtype ?? dtypeOfArray(t.data);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does).
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(Buffer.byteLength(json)), true);
  return [head, new TextEncoder().encode(json), ...parts];
}

/** Writes named tensors (and string metadata, plus the data's checksum) as one safetensors file, atomically. */
export function writeSafetensors(
  path: string,
  tensors: Record<string, TensorInput>,
  metadata: Record<string, string> = {},
): void {
  const bytes = Object.values(tensors).map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileAtomic(path, encodeSafetensors(tensors, { ...metadata, [CHECKSUM_KEY]: dataDigest(bytes) }));
}

/** The first key repeated at the top level of a JSON object text (which JSON.parse has accepted), if any. */
function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === "{" || c === "[") {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 1) expectKey = true;
  }
  return undefined;
}

/** A stored result to reuse, or undefined when the file is missing, truncated or corrupted (then recompute). */
export function readSafetensorsIfValid(path: string): SafetensorsFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readSafetensors(path);
  } catch {
    return undefined;
  }
}

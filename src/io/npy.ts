/**
 * NumPy .npy files (format versions 1.0–3.0), as `numpy.save` writes them. Reads float32/float64 arrays in
 * C order, either byte order; refuses Fortran order and other dtypes with an error naming the file.
 */
import { writeFileAtomic } from "./atomic.js";
import { readBytes } from "./files.js";

export interface NpyArray {
  shape: number[];
  data: Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyHeader {
  shape: number[];
  descr: string;
  width: 4 | 8;
  bigEndian: boolean;
  /** Byte offset of the data. */
  dataStart: number;
}

/** Parses a .npy header from the file's first bytes (the whole header must be in `bytes`). */
export function parseNpyHeader(bytes: Uint8Array, source = "npy data"): NpyHeader {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new Error(`${source}: not a .npy file (missing the \\x93NUMPY magic string)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`${source}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new Error(`${source}: unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (start + headerLen > bytes.length) throw new Error(`${source}: truncated .npy header`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${source}: malformed .npy header: ${header.trim()}`);
  }
  if (fortran === "True") {
    throw new Error(
      `${source}: array is stored in Fortran order; save it in C order (numpy.ascontiguousarray) and retry`,
    );
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${source}: invalid shape (${shapeText})`);
  const kind = descr.slice(1);
  const order = descr[0];
  if ((kind !== "f4" && kind !== "f8") || !"<>|=".includes(order)) {
    throw new Error(`${source}: unsupported dtype '${descr}'; expected float32 ('<f4') or float64 ('<f8')`);
  }
  return { shape, descr, width: kind === "f4" ? 4 : 8, bigEndian: order === ">", dataStart: start + headerLen };
}

/** Parses .npy bytes; `source` names the data in error messages. */
export function parseNpy(bytes: Uint8Array, source = "npy data"): NpyArray {
  const { shape, descr, width, bigEndian, dataStart } = parseNpyHeader(bytes, source);
  const count = shape.reduce((a, b) => a * b, 1);
  const available = bytes.length - dataStart;
  if (available !== count * width) {
    throw new Error(
      `${source}: header says shape (${shape.join(", ")}) of ${descr} = ${count * width} bytes, but the file holds ${available}`,
    );
  }
  // Little-endian data at an aligned offset (numpy pads headers to 64 bytes) is viewed in place, no copy.
  const offset = bytes.byteOffset + dataStart;
  if (!bigEndian && offset % width === 0) {
    return {
      shape,
      data: width === 4 ? new Float32Array(bytes.buffer, offset, count) : new Float64Array(bytes.buffer, offset, count),
    };
  }
  // Otherwise one memcpy into a fresh (aligned) buffer, then an in-place byte swap for big-endian files.
  const raw = new Uint8Array(count * width);
  raw.set(bytes.subarray(dataStart, dataStart + count * width));
  if (bigEndian) {
    for (let i = 0; i < raw.length; i += width) raw.subarray(i, i + width).reverse();
  }
  const out = width === 4 ? new Float32Array(raw.buffer) : new Float64Array(raw.buffer);
  return { shape, data: out };
}

/** Reads a numpy .npy file (float32/float64, C order, either byte order). */
export function readNpy(path: string): NpyArray {
  const bytes = readBytes(path);
  return parseNpy(bytes, path);
}

export function encodeNpy(arr: NpyArray): Uint8Array[] {
  const descr = arr.data instanceof Float64Array ? "<f8" : "<f4";
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces and a final newline so the data starts on a 64-byte boundary, as numpy does.
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const head = new Uint8Array(10);
  head.set(MAGIC);
  head[6] = 1;
  head[7] = 0;
  new DataView(head.buffer).setUint16(8, header.length, true);
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  return [head, new TextEncoder().encode(header), body];
}

/** Writes a .npy file atomically. */
export function writeNpy(path: string, arr: NpyArray): void {
  writeFileAtomic(path, encodeNpy(arr));
}

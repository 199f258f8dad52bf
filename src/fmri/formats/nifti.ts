/**
 * NIfTI-1 and NIfTI-2 images (.nii, .nii.gz): headers through nifti-reader-js, voxel data decoded here
 * with the header's byte order, scl_slope/scl_inter applied as nibabel's get_fdata does, and the affine
 * chosen as nibabel's get_best_affine (sform if sform_code > 0, else qform, else the pixdim base affine).
 * Writing produces NIfTI-1 single files (gzip for .gz), float32 unless told otherwise.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import * as nifti from "nifti-reader-js";
import { writeFileAtomic } from "../../io/atomic.js";
import { readBytes } from "../../io/files.js";

export interface NiftiImage {
  /** Spatial and time dimensions, e.g. [x, y, z, t] (trailing 1s dropped). */
  shape: number[];
  /** Voxel values in on-disk order (x fastest: Fortran order), scaled by scl_slope/scl_inter. */
  data: Float32Array | Float64Array;
  /** Stored values before scaling (same order). */
  raw: ArrayLike<number>;
  affine: number[][];
  /** [x, y, z, t] voxel sizes; zooms[3] is the TR when xyzt_units says seconds. */
  zooms: number[];
  /** Repetition time in seconds, if the header has one. */
  tr?: number;
  header: {
    version: 1 | 2;
    datatype: number;
    voxOffset: number;
    sclSlope: number;
    sclInter: number;
    qformCode: number;
    sformCode: number;
    xyztUnits: number;
    littleEndian: boolean;
    descrip: string;
  };
}

/** NIfTI datatype codes → [bytes, reader]. */
const DATATYPES: Record<
  number,
  { bytes: number; name: string; read: (v: DataView, o: number, le: boolean) => number }
> = {
  2: { bytes: 1, name: "uint8", read: (v, o) => v.getUint8(o) },
  4: { bytes: 2, name: "int16", read: (v, o, le) => v.getInt16(o, le) },
  8: { bytes: 4, name: "int32", read: (v, o, le) => v.getInt32(o, le) },
  16: { bytes: 4, name: "float32", read: (v, o, le) => v.getFloat32(o, le) },
  64: { bytes: 8, name: "float64", read: (v, o, le) => v.getFloat64(o, le) },
  256: { bytes: 1, name: "int8", read: (v, o) => v.getInt8(o) },
  512: { bytes: 2, name: "uint16", read: (v, o, le) => v.getUint16(o, le) },
  768: { bytes: 4, name: "uint32", read: (v, o, le) => v.getUint32(o, le) },
};

/** Reads a NIfTI-1 or NIfTI-2 image (.nii or .nii.gz): header, scaled voxel data and nibabel's best affine. */
export function readNifti(path: string): NiftiImage {
  const bytes = readBytes(path);
  return parseNifti(bytes, path);
}

export function parseNifti(input: Uint8Array, source = "NIfTI data"): NiftiImage {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${source}: gzip stream is corrupt or truncated (${(e as Error).message})`);
    }
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (bytes.length < 348) throw new Error(`${source}: ${bytes.length} bytes, too short for a NIfTI header (348)`);
  const version = nifti.isNIFTI1(buffer) ? 1 : nifti.isNIFTI2(buffer) ? 2 : 0;
  if (version === 0) throw new Error(`${source}: wrong magic: not a NIfTI-1 ("n+1") or NIfTI-2 ("n+2") single file`);
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(buffer) as nifti.NIFTI1 | nifti.NIFTI2;
  } catch (e) {
    throw new Error(`${source}: unreadable header (${(e as Error).message})`);
  }
  const ndim = h.dims[0];
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7)
    throw new Error(`${source}: dim[0] = ${ndim}; must be between 1 and 7`);
  const shape = h.dims.slice(1, ndim + 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 1))
    throw new Error(`${source}: invalid dimensions [${shape.join(", ")}]`);
  while (shape.length > 1 && shape[shape.length - 1] === 1) shape.pop();
  const type = DATATYPES[h.datatypeCode];
  if (!type) throw new Error(`${source}: unsupported datatype code ${h.datatypeCode}`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = Math.floor(h.vox_offset);
  if (!(offset >= (version === 1 ? 348 : 540)) || offset + count * type.bytes > bytes.length) {
    throw new Error(
      `${source}: dimensions [${shape.join(", ")}] of ${type.name} need ${count * type.bytes} bytes from offset ${h.vox_offset}, but the file holds ${bytes.length - offset}: truncated, or a header that disagrees with the data`,
    );
  }
  const view = new DataView(buffer);
  const le = h.littleEndian;
  const raw = type.name === "float64" ? new Float64Array(count) : new Float32Array(count);
  const rawInts = type.name.includes("int") ? new Float64Array(count) : null;
  if (!rawInts && le && ((type.name === "float32" && raw instanceof Float32Array) || type.name === "float64")) {
    // Host byte order: one copy instead of a read per voxel.
    new Uint8Array(raw.buffer).set(bytes.subarray(offset, offset + count * type.bytes));
  } else {
    for (let i = 0; i < count; i++) {
      const v = type.read(view, offset + i * type.bytes, le);
      if (rawInts) rawInts[i] = v;
      else raw[i] = v;
    }
  }
  const slope = h.scl_slope;
  const inter = h.scl_inter;
  const scaled = Number.isFinite(slope) && slope !== 0 && !(slope === 1 && (inter === 0 || !Number.isFinite(inter)));
  let data: Float32Array | Float64Array;
  if (scaled || rawInts) {
    const src = rawInts ?? raw;
    data = new Float64Array(count);
    const s = scaled ? slope : 1;
    const b = scaled && Number.isFinite(inter) ? inter : 0;
    for (let i = 0; i < count; i++) data[i] = src[i] * s + b;
  } else data = raw;
  const zooms = h.pixDims.slice(1, 5).map((z, i) => (i < shape.length ? Math.abs(z) : 1));
  const timeUnit = h.xyzt_units & 0x38;
  const tr =
    shape.length >= 4 ? (timeUnit === 16 ? zooms[3] / 1000 : timeUnit === 32 ? zooms[3] / 1e6 : zooms[3]) : undefined;
  return {
    shape,
    data,
    raw: rawInts ?? raw,
    affine: bestAffine(h, shape, zooms),
    zooms,
    tr,
    header: {
      version,
      datatype: h.datatypeCode,
      voxOffset: h.vox_offset,
      sclSlope: slope,
      sclInter: inter,
      qformCode: h.qform_code,
      sformCode: h.sform_code,
      xyztUnits: h.xyzt_units,
      littleEndian: le,
      descrip: h.description,
    },
  };
}

function bestAffine(h: nifti.NIFTI1 | nifti.NIFTI2, shape: number[], zooms: number[]): number[][] {
  if (h.sform_code > 0) return h.affine.map((r) => [...r]);
  if (h.qform_code > 0) return h.getQformMat().map((r) => [...r]);
  // nibabel's base affine: x flipped, origin at the volume centre.
  const z = [-zooms[0], zooms[1], zooms[2]];
  const a = [0, 1, 2].map((i) => [0, 0, 0, 0].map((_, j) => (i === j ? z[i] : 0)));
  for (let i = 0; i < 3; i++) a[i][3] = (-((shape[i] ?? 1) - 1) / 2) * z[i];
  return [...a, [0, 0, 0, 1]];
}

export interface NiftiWriteOptions {
  shape: number[];
  /** Values in Fortran order (x fastest), like NiftiImage.data. */
  data: ArrayLike<number>;
  affine?: number[][];
  zooms?: number[];
  /** Seconds per volume (4D). */
  tr?: number;
  datatype?: "float32" | "int16" | "int32" | "uint8";
  descrip?: string;
}

/** Writes a NIfTI-1 single file (.nii, or gzip-compressed .nii.gz), sform and qform codes 1. */
export function encodeNifti(o: NiftiWriteOptions, gzip: boolean): Uint8Array {
  const dt = { float32: [16, 32], int16: [4, 16], int32: [8, 32], uint8: [2, 8] }[o.datatype ?? "float32"];
  const count = o.shape.reduce((a, b) => a * b, 1);
  if (count !== o.data.length)
    throw new Error(`NIfTI write: ${o.data.length} values for shape [${o.shape.join(", ")}]`);
  const header = new ArrayBuffer(352);
  const v = new DataView(header);
  v.setInt32(0, 348, true);
  v.setInt16(40, o.shape.length, true);
  o.shape.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  for (let i = o.shape.length; i < 7; i++) v.setInt16(42 + 2 * i, 1, true);
  v.setInt16(70, dt[0], true);
  v.setInt16(72, dt[1], true);
  const zooms = o.zooms ?? [1, 1, 1];
  v.setFloat32(76, 1, true); // qfac
  [...zooms.slice(0, 3), o.tr ?? 0].forEach((z, i) => v.setFloat32(80 + 4 * i, z, true));
  v.setFloat32(108, 352, true); // vox_offset
  v.setFloat32(112, 1, true); // scl_slope
  v.setFloat32(116, 0, true); // scl_inter
  v.setUint8(123, 2 | 8); // xyzt_units: mm + sec
  const descrip = new TextEncoder().encode((o.descrip ?? "brainscore").slice(0, 79));
  new Uint8Array(header, 148, 80).set(descrip);
  const affine = o.affine ?? [
    [zooms[0], 0, 0, 0],
    [0, zooms[1], 0, 0],
    [0, 0, zooms[2], 0],
    [0, 0, 0, 1],
  ];
  v.setInt16(252, 1, true); // qform_code
  v.setInt16(254, 1, true); // sform_code
  const q = affineToQuaternion(affine);
  [q.b, q.c, q.d, affine[0][3], affine[1][3], affine[2][3]].forEach((x, i) => v.setFloat32(256 + 4 * i, x, true));
  v.setFloat32(76, q.qfac, true);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) v.setFloat32(280 + 16 * r + 4 * c, affine[r][c], true);
  new Uint8Array(header, 344, 4).set([0x6e, 0x2b, 0x31, 0]); // "n+1\0"
  const body = new ArrayBuffer(count * (dt[1] / 8));
  const bv = new DataView(body);
  for (let i = 0; i < count; i++) {
    const x = o.data[i];
    if (dt[0] === 16) bv.setFloat32(4 * i, x, true);
    else if (dt[0] === 4) bv.setInt16(2 * i, x, true);
    else if (dt[0] === 8) bv.setInt32(4 * i, x, true);
    else bv.setUint8(i, x);
  }
  const file = Buffer.concat([new Uint8Array(header), new Uint8Array(body)]);
  return gzip ? gzipSync(file) : file;
}

/** Writes a NIfTI-1 image (.nii or .nii.gz) atomically. */
export function writeNifti(path: string, o: NiftiWriteOptions): void {
  writeFileAtomic(path, [encodeNifti(o, path.endsWith(".gz"))]);
}

/** Quaternion parameters (b, c, d, qfac) of the rotation part of an affine, as NIfTI's mat44_to_quatern. */
function affineToQuaternion(a: number[][]): { b: number; c: number; d: number; qfac: number } {
  const col = (j: number) => [a[0][j], a[1][j], a[2][j]];
  const cols = [col(0), col(1), col(2)].map((c) => {
    const n = Math.hypot(...c) || 1;
    return c.map((x) => x / n);
  });
  let [r11, r21, r31] = cols[0];
  let [r12, r22, r32] = cols[1];
  let [r13, r23, r33] = cols[2];
  const det = r11 * (r22 * r33 - r32 * r23) - r12 * (r21 * r33 - r31 * r23) + r13 * (r21 * r32 - r31 * r22);
  const qfac = det < 0 ? -1 : 1;
  if (qfac < 0) [r13, r23, r33] = [-r13, -r23, -r33];
  const trace = r11 + r22 + r33 + 1;
  let qa: number, qb: number, qc: number, qd: number;
  if (trace > 0.5) {
    qa = 0.5 * Math.sqrt(trace);
    qb = (0.25 * (r32 - r23)) / qa;
    qc = (0.25 * (r13 - r31)) / qa;
    qd = (0.25 * (r21 - r12)) / qa;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      qb = 0.5 * Math.sqrt(xd);
      qc = (0.25 * (r12 + r21)) / qb;
      qd = (0.25 * (r13 + r31)) / qb;
      qa = (0.25 * (r32 - r23)) / qb;
    } else if (yd > 1) {
      qc = 0.5 * Math.sqrt(yd);
      qb = (0.25 * (r12 + r21)) / qc;
      qd = (0.25 * (r23 + r32)) / qc;
      qa = (0.25 * (r13 - r31)) / qc;
    } else {
      qd = 0.5 * Math.sqrt(zd);
      qb = (0.25 * (r13 + r31)) / qd;
      qc = (0.25 * (r23 + r32)) / qd;
      qa = (0.25 * (r21 - r12)) / qd;
    }
    if (qa < 0) [qb, qc, qd] = [-qb, -qc, -qd];
  }
  return { b: qb, c: qc, d: qd, qfac };
}

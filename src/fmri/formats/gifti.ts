/**
 * GIfTI surface files (.func.gii time series with one DataArray per time point as fMRIPrep writes them,
 * .surf.gii meshes, .label.gii parcellations): ASCII, Base64Binary and GZipBase64Binary encodings, either
 * byte order, row- or column-major arrays. XML through fast-xml-parser; every DataArray is checked against
 * its declared dimensions before use.
 */
import { inflateSync, deflateSync, gunzipSync } from "node:zlib";
import { XMLParser } from "fast-xml-parser";
import { writeFileAtomic } from "../../io/atomic.js";
import type { Matrix } from "../../linalg/dense.js";
import { readBytes } from "../../io/files.js";

export type GiftiDataType = "NIFTI_TYPE_FLOAT32" | "NIFTI_TYPE_INT32" | "NIFTI_TYPE_UINT8" | "NIFTI_TYPE_FLOAT64";
export type GiftiEncoding = "ASCII" | "Base64Binary" | "GZipBase64Binary";

export interface GiftiDataArray {
  intent: string;
  dataType: GiftiDataType;
  dims: number[];
  /** Row-major values (converted from column-major when the file says so). */
  data: Float32Array | Int32Array | Uint8Array | Float64Array;
  meta: Record<string, string>;
  encoding: GiftiEncoding;
}

export interface GiftiLabel {
  key: number;
  name: string;
  rgba: [number, number, number, number];
}

export interface GiftiImage {
  meta: Record<string, string>;
  labels: GiftiLabel[];
  darrays: GiftiDataArray[];
}

const TYPES: Record<
  GiftiDataType,
  { bytes: number; make: (n: number) => GiftiDataArray["data"]; get: (v: DataView, o: number, le: boolean) => number }
> = {
  NIFTI_TYPE_FLOAT32: { bytes: 4, make: (n) => new Float32Array(n), get: (v, o, le) => v.getFloat32(o, le) },
  NIFTI_TYPE_INT32: { bytes: 4, make: (n) => new Int32Array(n), get: (v, o, le) => v.getInt32(o, le) },
  NIFTI_TYPE_UINT8: { bytes: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
  NIFTI_TYPE_FLOAT64: { bytes: 8, make: (n) => new Float64Array(n), get: (v, o, le) => v.getFloat64(o, le) },
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  cdataPropName: false,
  processEntities: true,
  isArray: (name) => ["DataArray", "MD", "Label"].includes(name),
});

/** Reads .gii files, and .gii.gz files (as nilearn ships fsaverage) transparently. */
export function readGifti(path: string): GiftiImage {
  let bytes = readBytes(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${path}: gzip stream is corrupt or truncated (${(e as Error).message})`);
    }
  }
  return parseGifti(bytes.toString("utf8"), path);
}

export function parseGifti(text: string, source = "GIfTI data"): GiftiImage {
  // Data payloads (hundreds of MB for a long run) are cut out by a linear scan and decoded natively; only the
  // small remaining XML skeleton goes through the XML parser.
  const payloads: string[] = [];
  const skeleton = text.replace(/<Data>([\s\S]*?)<\/Data>/g, (_m, payload: string) => {
    payloads.push(payload);
    return `<Data>${payloads.length - 1}</Data>`;
  });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(skeleton, true);
  } catch (e) {
    throw new Error(`${source}: not well-formed XML (${(e as Error).message.split("\n")[0]})`);
  }
  const root = doc.GIFTI as Record<string, unknown> | undefined;
  if (!root || typeof root !== "object") throw new Error(`${source}: no <GIFTI> root element`);
  const arrays = (root.DataArray as Record<string, unknown>[] | undefined) ?? [];
  const declared = Number(root.NumberOfDataArrays);
  if (Number.isFinite(declared) && declared !== arrays.length) {
    throw new Error(
      `${source}: NumberOfDataArrays says ${declared} but the file has ${arrays.length} DataArray elements (missing or extra arrays)`,
    );
  }
  return {
    meta: readMeta(root.MetaData),
    labels: readLabels(root.LabelTable, source),
    darrays: arrays.map((da, i) => {
      if (typeof da !== "object" || da === null) throw new Error(`${source}: DataArray ${i} is empty`);
      const ref = da.Data === undefined ? undefined : Number(da.Data);
      const payload =
        ref !== undefined && Number.isInteger(ref) && ref >= 0 && ref < payloads.length ? payloads[ref] : "";
      return readDataArray({ ...da, Data: payload }, `${source}: DataArray ${i}`);
    }),
  };
}

function readMeta(node: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const mds = (node as { MD?: { Name?: unknown; Value?: unknown }[] } | undefined)?.MD ?? [];
  for (const md of mds)
    if (md && md.Name !== undefined) out[String(md.Name)] = md.Value === undefined ? "" : String(md.Value);
  return out;
}

function readLabels(node: unknown, source: string): GiftiLabel[] {
  const labels = (node as { Label?: unknown[] } | undefined)?.Label ?? [];
  return labels.map((l, i) => {
    const lab = (typeof l === "object" && l !== null ? l : { "#text": l }) as Record<string, unknown>;
    const key = Number(lab.Key ?? lab.Index);
    if (!Number.isInteger(key)) throw new Error(`${source}: label ${i} has no integer Key`);
    const c = (k: string) => (lab[k] === undefined ? 1 : Number(lab[k]));
    return { key, name: String(lab["#text"] ?? ""), rgba: [c("Red"), c("Green"), c("Blue"), c("Alpha")] };
  });
}

/** Older GIfTI writers (gifticlib) spell encodings and byte orders with these constants. */
const ENCODING_ALIASES: Record<string, string> = {
  GIFTI_ENCODING_ASCII: "ASCII",
  GIFTI_ENCODING_B64BIN: "Base64Binary",
  GIFTI_ENCODING_B64GZ: "GZipBase64Binary",
  GIFTI_ENCODING_EXTBIN: "ExternalFileBinary",
};
const ENDIAN_ALIASES: Record<string, string> = { GIFTI_ENDIAN_LITTLE: "LittleEndian", GIFTI_ENDIAN_BIG: "BigEndian" };

function readDataArray(da: Record<string, unknown>, where: string): GiftiDataArray {
  da = { ...da };
  if (typeof da.Encoding === "string" && da.Encoding in ENCODING_ALIASES) da.Encoding = ENCODING_ALIASES[da.Encoding];
  if (typeof da.Endian === "string" && da.Endian in ENDIAN_ALIASES) da.Endian = ENDIAN_ALIASES[da.Endian];
  const dataType = da.DataType as GiftiDataType;
  const type = TYPES[dataType];
  if (!type) throw new Error(`${where}: unsupported DataType ${String(da.DataType)}`);
  const encoding = da.Encoding as GiftiEncoding | "ExternalFileBinary";
  if (encoding === "ExternalFileBinary") throw new Error(`${where}: ExternalFileBinary encoding is not supported`);
  if (encoding !== "ASCII" && encoding !== "Base64Binary" && encoding !== "GZipBase64Binary") {
    throw new Error(`${where}: unknown Encoding ${String(da.Encoding)}`);
  }
  const dimensionality = Number(da.Dimensionality);
  if (!Number.isInteger(dimensionality) || dimensionality < 1 || dimensionality > 6) {
    throw new Error(`${where}: Dimensionality ${String(da.Dimensionality)} is not an integer between 1 and 6`);
  }
  const dims = Array.from({ length: dimensionality }, (_, k) => Number(da[`Dim${k}`]));
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw new Error(`${where}: invalid dimensions [${dims.join(", ")}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  let text = typeof da.Data === "string" ? da.Data : da.Data === undefined ? "" : String(da.Data);
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(text);
  if (cdata) text = cdata[1];
  let data: GiftiDataArray["data"];
  if (encoding === "ASCII") {
    const values = text.split(/\s+/).filter((s) => s.length > 0);
    if (values.length !== count)
      throw new Error(`${where}: ${values.length} ASCII values, but dimensions [${dims.join(", ")}] need ${count}`);
    data = type.make(count);
    for (let i = 0; i < count; i++) {
      const v = Number(values[i]);
      if (Number.isNaN(v) && values[i].toLowerCase() !== "nan")
        throw new Error(`${where}: "${values[i]}" is not a number`);
      data[i] = v;
    }
  } else {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(text)) throw new Error(`${where}: Data is not valid base64`);
    let bytes: Uint8Array = Buffer.from(text, "base64");
    if (encoding === "GZipBase64Binary") {
      try {
        // The standard says zlib (deflate with a zlib header); some writers use gzip.
        bytes = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : inflateSync(bytes);
      } catch (e) {
        throw new Error(`${where}: compressed data is corrupt or truncated (${(e as Error).message})`);
      }
    }
    if (bytes.length !== count * type.bytes) {
      throw new Error(
        `${where}: decoded ${bytes.length} bytes, but dimensions [${dims.join(", ")}] of ${dataType} need ${count * type.bytes}`,
      );
    }
    const le = da.Endian !== "BigEndian";
    data = type.make(count);
    if (le) {
      // Same byte order as every supported host: one copy of the bytes.
      new Uint8Array(data.buffer).set(bytes.subarray(0, count * type.bytes));
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) data[i] = type.get(view, i * type.bytes, le);
    }
  }
  if (da.ArrayIndexingOrder === "ColumnMajorOrder" && dims.length > 1) data = columnToRowMajor(data, dims);
  return {
    intent: String(da.Intent ?? "NIFTI_INTENT_NONE"),
    dataType,
    dims,
    data,
    meta: readMeta(da.MetaData),
    encoding,
  };
}

function columnToRowMajor<T extends GiftiDataArray["data"]>(data: T, dims: number[]): T {
  const out = data.slice() as T;
  const n = dims.length;
  const strideF = dims.map((_, k) => dims.slice(0, k).reduce((a, b) => a * b, 1));
  const strideC = dims.map((_, k) => dims.slice(k + 1).reduce((a, b) => a * b, 1));
  const idx = new Array(n).fill(0);
  for (let i = 0; i < data.length; i++) {
    let f = 0;
    let c = 0;
    let rem = i;
    for (let k = n - 1; k >= 0; k--) {
      idx[k] = rem % dims[k];
      rem = Math.floor(rem / dims[k]);
    }
    for (let k = 0; k < n; k++) {
      f += idx[k] * strideF[k];
      c += idx[k] * strideC[k];
    }
    out[c] = data[f];
  }
  return out;
}

/**
 * A functional GIfTI as a time × vertex matrix: DataArray t is time point t (fMRIPrep/FreeSurfer
 * convention). The TR comes from the DataArrays' TimeStep metadata (seconds, or ms if > 100) when present.
 */
export function giftiTimeSeries(img: GiftiImage, source: string): { bold: Matrix; tr?: number } {
  if (img.darrays.length === 0) throw new Error(`${source}: no DataArray`);
  const V = img.darrays[0].data.length;
  const bold = { rows: img.darrays.length, cols: V, data: new Float32Array(img.darrays.length * V) };
  img.darrays.forEach((da, t) => {
    if (da.data.length !== V)
      throw new Error(`${source}: DataArray ${t} has ${da.data.length} vertices, DataArray 0 has ${V}`);
    bold.data.set(da.data, t * V);
  });
  const step = Number(img.darrays[0].meta.TimeStep);
  const tr = Number.isFinite(step) && step > 0 ? (step > 100 ? step / 1000 : step) : undefined;
  return { bold, tr };
}

/** A GIfTI functional file as a time × vertex matrix, with its TR and hemisphere when the file records them. */
export function readGiftiTimeSeries(path: string): { bold: Matrix; tr?: number; hemi?: "L" | "R" } {
  const img = readGifti(path);
  return { ...giftiTimeSeries(img, path), hemi: giftiHemisphere(img) };
}

/**
 * Refuses a file used as hemisphere `expected` that declares the other one (every map would land on the wrong side).
 */
export function checkDeclaredHemisphere(file: string, expected: "L" | "R", declared: "L" | "R" | undefined): void {
  if (declared !== undefined && declared !== expected) {
    throw new Error(
      `${file}: used as the ${expected === "L" ? "left" : "right"} hemisphere but its AnatomicalStructurePrimary is ${declared === "L" ? "CortexLeft" : "CortexRight"}`,
    );
  }
}

/** The hemisphere a GIfTI file declares (AnatomicalStructurePrimary, file or first array), if any. */
export function giftiHemisphere(img: GiftiImage): "L" | "R" | undefined {
  const structure = img.meta.AnatomicalStructurePrimary ?? img.darrays[0]?.meta.AnatomicalStructurePrimary;
  if (structure === "CortexLeft") return "L";
  if (structure === "CortexRight") return "R";
  return undefined;
}

/** A surf.gii mesh: vertex coordinates [V × 3] and triangles [F × 3] (0-based). */
export function giftiMesh(
  img: GiftiImage,
  source: string,
): { coords: Float32Array; faces: Int32Array; nVertices: number } {
  const points = img.darrays.find((d) => d.intent === "NIFTI_INTENT_POINTSET");
  const tris = img.darrays.find((d) => d.intent === "NIFTI_INTENT_TRIANGLE");
  if (!points || !tris)
    throw new Error(`${source}: a surface needs a NIFTI_INTENT_POINTSET and a NIFTI_INTENT_TRIANGLE DataArray`);
  if (points.dims[1] !== 3 || tris.dims[1] !== 3) throw new Error(`${source}: pointset and triangles must be N × 3`);
  const nVertices = points.dims[0];
  const faces = Int32Array.from(tris.data);
  for (const f of faces)
    if (f < 0 || f >= nVertices) throw new Error(`${source}: triangle references vertex ${f} of ${nVertices}`);
  return { coords: Float32Array.from(points.data), faces, nVertices };
}

export interface GiftiWriteArray {
  intent: string;
  data: Float32Array | Int32Array | Uint8Array;
  dims: number[];
  meta?: Record<string, string>;
}

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function encodeGifti(
  arrays: GiftiWriteArray[],
  options: { meta?: Record<string, string>; encoding?: GiftiEncoding; labels?: GiftiLabel[] } = {},
): string {
  const encoding = options.encoding ?? "GZipBase64Binary";
  const meta = (m: Record<string, string> = {}) =>
    Object.keys(m).length === 0
      ? "<MetaData/>"
      : `<MetaData>${Object.entries(m)
          .map(([k, v]) => `<MD><Name><![CDATA[${k}]]></Name><Value><![CDATA[${v}]]></Value></MD>`)
          .join("")}</MetaData>`;
  const labels = options.labels?.length
    ? `<LabelTable>${options.labels.map((l) => `<Label Key="${l.key}" Red="${l.rgba[0]}" Green="${l.rgba[1]}" Blue="${l.rgba[2]}" Alpha="${l.rgba[3]}"><![CDATA[${l.name}]]></Label>`).join("")}</LabelTable>`
    : "<LabelTable/>";
  const body = arrays.map((a) => {
    const type =
      a.data instanceof Float32Array
        ? "NIFTI_TYPE_FLOAT32"
        : a.data instanceof Int32Array
          ? "NIFTI_TYPE_INT32"
          : "NIFTI_TYPE_UINT8";
    const dimAttrs = a.dims.map((d, k) => `Dim${k}="${d}"`).join(" ");
    let payload: string;
    if (encoding === "ASCII") payload = Array.from(a.data, (v) => String(v)).join(" ");
    else {
      const raw = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
      payload = Buffer.from(encoding === "GZipBase64Binary" ? deflateSync(raw) : raw).toString("base64");
    }
    return `<DataArray Intent="${escapeXml(a.intent)}" DataType="${type}" ArrayIndexingOrder="RowMajorOrder" Dimensionality="${a.dims.length}" ${dimAttrs} Encoding="${encoding}" Endian="LittleEndian" ExternalFileName="" ExternalFileOffset="">${meta(a.meta)}<Data>${payload}</Data></DataArray>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE GIFTI SYSTEM "http://www.nitrc.org/frs/download.php/115/gifti.dtd">\n<GIFTI Version="1.0" NumberOfDataArrays="${arrays.length}">${meta(options.meta)}${labels}${body.join("")}</GIFTI>\n`;
}

export function writeGifti(
  path: string,
  arrays: GiftiWriteArray[],
  options: Parameters<typeof encodeGifti>[1] = {},
): void {
  writeFileAtomic(path, [new TextEncoder().encode(encodeGifti(arrays, options))]);
}

/** Writes a time × vertex matrix as a func.gii, one DataArray per time point (fMRIPrep's layout). */
export function writeGiftiTimeSeries(
  path: string,
  bold: Matrix,
  options: { tr?: number; hemi?: "L" | "R"; encoding?: GiftiEncoding } = {},
): void {
  const V = bold.cols;
  const arrays: GiftiWriteArray[] = [];
  for (let t = 0; t < bold.rows; t++) {
    arrays.push({
      intent: "NIFTI_INTENT_TIME_SERIES",
      data: Float32Array.from(bold.data.subarray(t * V, (t + 1) * V)),
      dims: [V],
      meta: options.tr !== undefined ? { TimeStep: options.tr.toFixed(6) } : {},
    });
  }
  const meta: Record<string, string> = options.hemi
    ? { AnatomicalStructurePrimary: options.hemi === "L" ? "CortexLeft" : "CortexRight" }
    : {};
  writeGifti(path, arrays, { meta, encoding: options.encoding });
}

/** Writes a surf.gii mesh (float32 coordinates [V × 3], int32 triangles [F × 3]). */
export function writeGiftiMesh(
  path: string,
  coords: Float32Array,
  faces: Int32Array,
  meta: Record<string, string> = {},
): void {
  writeGifti(path, [
    { intent: "NIFTI_INTENT_POINTSET", data: coords, dims: [coords.length / 3, 3], meta },
    { intent: "NIFTI_INTENT_TRIANGLE", data: faces, dims: [faces.length / 3, 3] },
  ]);
}

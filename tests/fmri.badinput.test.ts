/**
 * Bad and corrupted neuroimaging files: each ends in a clear error naming the file, or a consistent read.
 * The fuzz test applies 240 seeded random corruptions (bit flips, truncations, insertions, header
 * overwrites) to the reference files.
 */
import { readFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseAnnot } from "../src/fmri/formats/annot.js";
import { giftiMesh, giftiTimeSeries, parseGifti } from "../src/fmri/formats/gifti.js";
import { parseNifti } from "../src/fmri/formats/nifti.js";
import { mulberry32 } from "../src/linalg/random.js";
import { sharedPath } from "./helpers/shared.js";

const io = (f: string) => sharedPath(`reference/io/${f}`);

describe("bad NIfTI files", () => {
  const nii = gunzipSync(readFileSync(io("bold_4d.nii.gz")));
  it("truncated .nii.gz", () => {
    const gz = readFileSync(io("bold_4d.nii.gz"));
    expect(() => parseNifti(gz.subarray(0, gz.length / 2), "cut.nii.gz")).toThrow(
      /cut\.nii\.gz: gzip stream is corrupt or truncated/,
    );
  });
  it("wrong magic", () => {
    const bad = Buffer.from(nii);
    bad.write("xyz", 344, "latin1");
    expect(() => parseNifti(bad, "magic.nii")).toThrow(/magic\.nii: wrong magic/);
  });
  it("dimensions that disagree with the data size", () => {
    const bad = Buffer.from(nii);
    bad.writeInt16LE(60, 48); // dim[4] 30 → 60 time points
    expect(() => parseNifti(bad, "dims.nii")).toThrow(
      /dims\.nii: dimensions \[10, 12, 8, 60\] of float32 need .* truncated, or a header that disagrees/,
    );
    expect(() => parseNifti(gzipSync(nii.subarray(0, 20000)), "short.nii.gz")).toThrow(
      /short\.nii\.gz: dimensions .* file holds/,
    );
  });
});

describe("bad GIfTI files", () => {
  const text = readFileSync(io("bold.func.gii"), "utf8");
  it("a missing DataArray", () => {
    const i = text.indexOf("<DataArray");
    const j = text.indexOf("</DataArray>") + "</DataArray>".length;
    expect(() => parseGifti(text.slice(0, i) + text.slice(j), "missing.func.gii")).toThrow(
      /missing\.func\.gii: NumberOfDataArrays says 25 but the file has 24/,
    );
  });
  it("a mis-encoded DataArray", () => {
    const bad = text.replace(/<Data>([A-Za-z0-9+/=]{10})/, "<Data>$1!!!");
    expect(() => parseGifti(bad, "b64.func.gii")).toThrow(/b64\.func\.gii: DataArray 0: Data is not valid base64/);
    const truncated = text.replace(
      /<Data>([A-Za-z0-9+/=]+)<\/Data>/,
      (_m, d: string) => `<Data>${d.slice(0, 40)}</Data>`,
    );
    expect(() => parseGifti(truncated, "short.func.gii")).toThrow(
      /short\.func\.gii: DataArray 0: compressed data is corrupt or truncated/,
    );
    const wrongDim = text.replace('Dim0="642"', 'Dim0="640"');
    expect(() => parseGifti(wrongDim, "dim.func.gii")).toThrow(
      /dim\.func\.gii: DataArray 0: decoded 2568 bytes, but dimensions \[640\] of NIFTI_TYPE_FLOAT32 need 2560/,
    );
  });
  it("not XML at all", () => {
    expect(() => parseGifti("hello <<<", "x.gii")).toThrow(/x\.gii: /);
  });
});

type Reader = (bytes: Buffer, source: string) => void;
const readers: [string, Reader][] = [
  ["bold_4d.nii.gz", (b, s) => checkNifti(b, s)],
  ["scaled_int16.nii", (b, s) => checkNifti(b, s)],
  ["bundled/functional.nii", (b, s) => checkNifti(b, s)],
  ["bold.func.gii", (b, s) => void giftiTimeSeries(parseGifti(b.toString("utf8"), s), s)],
  ["bold_b64.func.gii", (b, s) => void giftiTimeSeries(parseGifti(b.toString("utf8"), s), s)],
  ["bold_ascii.func.gii", (b, s) => void giftiTimeSeries(parseGifti(b.toString("utf8"), s), s)],
  ["sphere.surf.gii", (b, s) => void giftiMesh(parseGifti(b.toString("utf8"), s), s)],
  [
    "sphere.annot",
    (b, s) => {
      const a = parseAnnot(b, s);
      for (const l of a.labels) if (l < -1 || l >= a.names.length) throw new Error("inconsistent label");
    },
  ],
];

function checkNifti(b: Buffer, s: string) {
  const img = parseNifti(b, s);
  if (img.data.length !== img.shape.reduce((x, y) => x * y, 1)) throw new Error("inconsistent NIfTI read");
}

describe("fuzzing the readers", () => {
  it("240 seeded corruptions of the reference files end in a clean error or a consistent read", () => {
    const rand = mulberry32(20261122);
    const originals = readers.map(([f]) => readFileSync(io(f)));
    let errors = 0;
    let reads = 0;
    for (let iter = 0; iter < 240; iter++) {
      const k = Math.floor(rand() * readers.length);
      const [name, read] = readers[k];
      let bytes = Buffer.from(originals[k]);
      const kind = Math.floor(rand() * 4);
      if (kind === 0) {
        for (let f = 0, n = 1 + Math.floor(rand() * 8); f < n; f++)
          bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8);
      } else if (kind === 1) {
        bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      } else if (kind === 2) {
        const at = Math.floor(rand() * bytes.length);
        const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
        bytes = Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
      } else {
        const span = Math.min(bytes.length, 400);
        for (let f = 0; f < 16; f++) bytes[Math.floor(rand() * span)] = Math.floor(rand() * 256);
      }
      const source = `fuzz-${iter}-${name}`;
      const t = performance.now();
      try {
        read(bytes, source);
        reads++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        const msg = (e as Error).message;
        if (!msg.startsWith(source) && msg !== "inconsistent label" && msg !== "inconsistent NIfTI read") {
          throw new Error(`unclean error for ${source}: ${msg}`);
        }
        expect(msg).not.toMatch(/inconsistent/);
        errors++;
      }
      expect(performance.now() - t).toBeLessThan(5000);
    }
    expect(errors + reads).toBe(240);
    expect(errors).toBeGreaterThan(50);
  });
});

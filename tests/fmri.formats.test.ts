/**
 * NIfTI, GIfTI and FreeSurfer annot parity with files written by nibabel 5.0 (and nibabel's own test
 * files), from ../shared/reference/io: values exact, header fields as in the sidecars.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAnnot } from "../src/fmri/formats/annot.js";
import {
  giftiMesh,
  readGifti,
  readGiftiTimeSeries,
  writeGifti,
  writeGiftiMesh,
  writeGiftiTimeSeries,
} from "../src/fmri/formats/gifti.js";
import { parcellationFromGiftiLabels } from "../src/fmri/regions.js";
import { readNifti, writeNifti } from "../src/fmri/formats/nifti.js";
import { referenceTensors, sharedPath } from "./helpers/shared.js";

const io = (f: string) => sharedPath(`reference/io/${f}`);
const sidecar = (f: string) => JSON.parse(readFileSync(io(`${f}.json`), "utf8"));
const expected = referenceTensors("reference/io/expected.safetensors");
const bundled = JSON.parse(readFileSync(io("bundled/bundled.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "fmri-io-"));

/** Reorders [x, y, z, ...] C-order (last index fastest) into Fortran order (x fastest). */
function cToF(c: ArrayLike<number>, shape: number[]): Float64Array {
  const out = new Float64Array(c.length);
  const n = shape.length;
  const idx = new Array(n).fill(0);
  for (let i = 0; i < c.length; i++) {
    let rem = i;
    for (let k = n - 1; k >= 0; k--) {
      idx[k] = rem % shape[k];
      rem = Math.floor(rem / shape[k]);
    }
    let f = 0;
    let stride = 1;
    for (let k = 0; k < n; k++) {
      f += idx[k] * stride;
      stride *= shape[k];
    }
    out[f] = c[i];
  }
  return out;
}

describe("NIfTI", () => {
  it("reads nibabel's 4D float32 .nii.gz exactly, with sform affine, zooms and TR", () => {
    const img = readNifti(io("bold_4d.nii.gz"));
    const side = sidecar("bold_4d.nii.gz");
    expect(img.shape).toEqual(side.shape);
    expect(Array.from(img.data)).toEqual(Array.from(cToF(expected("bold_4d").data as Float32Array, side.shape)));
    expect(img.tr).toBe(1.5);
    expect(img.zooms).toEqual(side.header_on_disk.zooms);
    expect(img.header.sformCode).toBe(2);
    expect(img.header.voxOffset).toBe(352);
    side.affine_best_as_read_by_nibabel.forEach((row: number[], i: number) =>
      row.forEach((v, j) => expect(img.affine[i][j]).toBeCloseTo(v, 6)),
    );
  });

  it("applies scl_slope and scl_inter like get_fdata, keeping the raw values", () => {
    const img = readNifti(io("scaled_int16.nii"));
    expect(img.header.sclSlope).toBe(2);
    expect(img.header.sclInter).toBe(1);
    const shape = [7, 6, 5];
    expect(Array.from(img.raw)).toEqual(Array.from(cToF(expected("scaled_int16_raw").data as Int32Array, shape)));
    expect(Array.from(img.data)).toEqual(Array.from(cToF(expected("scaled_int16_scaled").data as Float64Array, shape)));
  });

  it.each(["example4d.nii.gz", "functional.nii"])("reads nibabel's bundled %s as nibabel does", (name) => {
    const img = readNifti(io(`bundled/${name}`));
    const ref = bundled[name];
    expect(img.shape).toEqual(ref.shape);
    const h = ref.header_on_disk;
    expect(img.header.sclSlope).toBeCloseTo(h.scl_slope, 6);
    expect(img.header.sclInter).toBeCloseTo(h.scl_inter, 4);
    ref.affine_as_read_by_nibabel.forEach((row: number[], i: number) =>
      row.forEach((v, j) => expect(img.affine[i][j]).toBeCloseTo(v, 5)),
    );
    let sum = 0;
    for (const v of img.data) sum += v;
    expect(sum).toBeCloseTo(ref.sum_get_fdata_float64, 0);
    for (const probe of ref.values_get_fdata) {
      const idx = probe.index as number[];
      let f = 0;
      let stride = 1;
      idx.forEach((k, d) => {
        f += k * stride;
        stride *= ref.shape[d];
      });
      expect(img.data[f]).toBeCloseTo(probe.value, 4);
    }
  });

  it("round-trips what it writes (.nii and .nii.gz)", () => {
    const src = readNifti(io("bold_4d.nii.gz"));
    for (const name of ["out.nii", "out.nii.gz"]) {
      writeNifti(join(tmp, name), { shape: src.shape, data: src.data, affine: src.affine, zooms: src.zooms, tr: 1.5 });
      const back = readNifti(join(tmp, name));
      expect(back.shape).toEqual(src.shape);
      expect(Array.from(back.data)).toEqual(Array.from(src.data));
      expect(back.tr).toBe(1.5);
      src.affine.forEach((row, i) => row.forEach((v, j) => expect(back.affine[i][j]).toBeCloseTo(v, 5)));
    }
  });
});

describe("GIfTI", () => {
  it.each(["bold.func.gii", "bold_b64.func.gii", "bold_ascii.func.gii"])(
    "decodes %s to nibabel's vertices × time values",
    (name) => {
      const { bold, tr } = readGiftiTimeSeries(io(name));
      const ref = expected("func_vertices_x_time").data as Float32Array; // [642, 25]
      expect(bold.rows).toBe(25);
      expect(bold.cols).toBe(642);
      for (let v = 0; v < 642; v++) for (let t = 0; t < 25; t++) expect(bold.data[t * 642 + v]).toBe(ref[v * 25 + t]);
      expect(tr).toBe(1.5);
      expect(readGifti(io(name)).meta.AnatomicalStructurePrimary).toBe("CortexLeft");
    },
  );

  it("reads the sphere mesh exactly", () => {
    const mesh = giftiMesh(readGifti(io("sphere.surf.gii")), "sphere");
    expect(Array.from(mesh.coords)).toEqual(Array.from(expected("surf_coords").data as Float32Array));
    expect(Array.from(mesh.faces)).toEqual(Array.from(expected("surf_faces").data as Int32Array));
  });

  it.each(["ascii.gii", "base64bin.gii", "gzipbase64.gii", "task.func.gii"])(
    "reads nibabel's bundled %s as nibabel does",
    (name) => {
      const img = readGifti(io(`bundled/${name}`));
      const ref = bundled[name];
      expect(img.darrays.length).toBe(ref.n_darrays);
      expect(img.meta).toEqual(ref.image_meta);
      ref.darrays.forEach(
        (
          d: {
            shape: number[];
            first_values: number[];
            last_value: number;
            sum_float64: number;
            intent: string;
            meta: object;
          },
          i: number,
        ) => {
          const got = img.darrays[i];
          // nibabel reads a single-row ASCII array (Dim0=1) through numpy.loadtxt, which drops the 1: compare squeezed.
          const squeeze = (dims: number[]) => dims.filter((x) => x !== 1);
          expect(squeeze(got.dims)).toEqual(squeeze(d.shape));
          expect(got.intent).toBe(d.intent);
          expect(got.meta).toEqual(d.meta);
          d.first_values.forEach((v, k) => expect(got.data[k]).toBe(v));
          expect(got.data[got.data.length - 1]).toBe(d.last_value);
          let s = 0;
          for (const v of got.data) s += v;
          expect(s).toBeCloseTo(d.sum_float64, 6);
        },
      );
    },
  );

  it("round-trips time series in every encoding", () => {
    const { bold } = readGiftiTimeSeries(io("bold.func.gii"));
    for (const encoding of ["ASCII", "Base64Binary", "GZipBase64Binary"] as const) {
      const path = join(tmp, `rt_${encoding}.func.gii`);
      writeGiftiTimeSeries(path, bold, { tr: 1.5, hemi: "L", encoding });
      const back = readGiftiTimeSeries(path);
      expect(back.tr).toBe(1.5);
      if (encoding === "ASCII") back.bold.data.forEach((v, i) => expect(v).toBeCloseTo(bold.data[i], 3));
      else expect(Array.from(back.bold.data)).toEqual(Array.from(bold.data));
    }
  });

  it("writes label tables and reads them back", () => {
    const path = join(tmp, "labels.label.gii");
    writeGifti(path, [{ intent: "NIFTI_INTENT_LABEL", data: Int32Array.from([0, 1, 1, 2]), dims: [4] }], {
      labels: [
        { key: 0, name: "unknown", rgba: [0, 0, 0, 0] },
        { key: 1, name: "G_temp_sup", rgba: [1, 0, 0, 1] },
        { key: 2, name: "S_front", rgba: [0, 1, 0, 1] },
      ],
    });
    const back = readGifti(path);
    expect(back.labels.map((l) => l.name)).toEqual(["unknown", "G_temp_sup", "S_front"]);
    expect(Array.from(back.darrays[0].data)).toEqual([0, 1, 1, 2]);
    const p = parcellationFromGiftiLabels(back);
    expect(p.names).toEqual(["G_temp_sup", "S_front"]);
    expect(Array.from(p.labels)).toEqual([-1, 0, 0, 1]);
  });

  it("writes meshes that read back identically", () => {
    const mesh = giftiMesh(readGifti(io("sphere.surf.gii")), "sphere");
    writeGiftiMesh(join(tmp, "m.surf.gii"), mesh.coords, mesh.faces);
    const back = giftiMesh(readGifti(join(tmp, "m.surf.gii")), "m");
    expect(Array.from(back.coords)).toEqual(Array.from(mesh.coords));
    expect(Array.from(back.faces)).toEqual(Array.from(mesh.faces));
  });
});

describe("FreeSurfer annot", () => {
  it("reads labels, names and colour table as nibabel's read_annot", () => {
    const a = readAnnot(io("sphere.annot"));
    const side = sidecar("sphere.annot");
    expect(a.names).toEqual(side.names);
    expect(Array.from(a.labels)).toEqual(Array.from(expected("annot_labels").data as Int32Array));
    side.ctab_rgbt_plus_annotation_value.forEach((row: number[], i: number) =>
      expect(Array.from(a.ctab.subarray(i * 5, i * 5 + 5))).toEqual(row),
    );
  });

  it("reads the real Desikan labelling on fsaverage5", () => {
    const a = readAnnot(sharedPath("data/fsaverage5/desikan_test.annot"));
    expect(a.labels.length).toBe(10242);
    expect(a.names.length).toBeGreaterThan(30);
    expect(a.names).toContain("superiortemporal");
  });
});

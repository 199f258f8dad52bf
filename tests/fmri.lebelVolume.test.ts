/**
 * LeBel subject-space maps (src/fmri/datasets/lebelVolume.ts): the response columns placed on the mask that
 * pycortex would use (the one whose voxel count matches), in pycortex's order — checked against
 * `cortex.Volume`'s rule written in numpy (mask = nibabel's array transposed, volume[mask] = data) where
 * Debian's python3-nibabel is installed — and the reasons given when there is no mask to use.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  findLebelVolume,
  lebelTransformDir,
  volumeFromColumns,
  writeVolumeMap,
} from "../src/fmri/datasets/lebelVolume.js";
import { readNifti, writeNifti } from "../src/fmri/formats/nifti.js";
import { mulberry32 } from "../src/linalg/random.js";

const root = mkdtempSync(join(tmpdir(), "lebel-volume-"));
const shape: [number, number, number] = [5, 4, 3];
const rand = mulberry32(3);
const thick = Uint8Array.from({ length: 60 }, () => (rand() < 0.5 ? 1 : 0));
const thin = thick.map((v, i) => (v && i % 4 !== 0 ? 1 : 0));
const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

function layout(subject: string, masks: Record<string, Uint8Array>): string {
  const derivative = join(root, subject, "derivative");
  const dir = lebelTransformDir(derivative, subject);
  mkdirSync(dir, { recursive: true });
  for (const [name, m] of Object.entries(masks))
    writeNifti(join(dir, `mask_${name}.nii.gz`), {
      shape,
      data: m,
      datatype: "uint8",
      affine: [
        [3, 0, 0, -7],
        [0, 2, 0, 5],
        [0, 0, 4, 1],
        [0, 0, 0, 1],
      ],
    });
  return derivative;
}

describe("LeBel subject-space volumes", () => {
  it("uses the mask whose voxel count equals the responses' columns (thick or thin), in file order", () => {
    const derivative = layout("UTS01", { thick, thin });
    const a = findLebelVolume(derivative, "UTS01", count(thick));
    expect(a.volume!.path).toMatch(/UTS01_auto\/mask_thick\.nii\.gz$/);
    const b = findLebelVolume(derivative, "UTS01", count(thin));
    expect(b.volume!.path).toMatch(/mask_thin\.nii\.gz$/);
    expect(Array.from(a.volume!.indices)).toEqual(Array.from(thick.keys()).filter((i) => thick[i]));
    expect(a.volume!.affine[0][0]).toBe(3);
    const values = Float64Array.from({ length: count(thick) }, (_, k) => k + 1);
    const vol = volumeFromColumns(a.volume!, values);
    thick.forEach((m, i) => (m ? expect(vol[i]).toBeGreaterThan(0) : expect(vol[i]).toBeNaN()));
    expect(() => volumeFromColumns(a.volume!, [1, 2])).toThrow(
      /mask_thick\.nii\.gz: 2 values for a mask of \d+ voxels/,
    );
  });

  it("says why there is no map: no pycortex database, or no mask of the right size (each named with its count)", () => {
    expect(findLebelVolume(join(root, "none"), "UTS02", 10).note).toMatch(
      /pycortex-db\/UTS02\/transforms not found: no volume maps for UTS02/,
    );
    const derivative = layout("UTS03", { thick, thin });
    const res = findLebelVolume(derivative, "UTS03", 7);
    expect(res.volume).toBeUndefined();
    expect(res.note).toContain(
      `no mask holds the responses' 7 voxels (UTS03_auto/mask_thick.nii.gz (${count(thick)}), UTS03_auto/mask_thin.nii.gz (${count(thin)}))`,
    );
  });

  const hasNibabel = spawnSync("/usr/bin/python3", ["-c", "import nibabel"]).status === 0;
  it.skipIf(!hasNibabel)(
    "places each column where cortex.Volume does (numpy, nibabel): same map voxel for voxel",
    () => {
      const derivative = layout("UTS04", { thick });
      const found = findLebelVolume(derivative, "UTS04", count(thick));
      const values = Float64Array.from({ length: count(thick) }, (_, k) => Math.sin(k) + k / 10);
      const ours = join(root, "ours.nii.gz");
      writeVolumeMap(ours, found.volume!, values);
      const theirs = join(root, "theirs.nii.gz");
      const script = [
        "import nibabel as nib, numpy as np, json, sys",
        `mask = nib.load(${JSON.stringify(found.volume!.path)}).get_fdata().T != 0  # pycortex's db.get_mask`,
        `data = np.array(json.loads(sys.argv[1]))`,
        "vol = np.full(mask.shape, np.nan, dtype=np.float32)",
        "vol[mask] = data  # cortex.Volume with a vector of the mask's voxels",
        `img = nib.load(${JSON.stringify(found.volume!.path)})`,
        `nib.save(nib.Nifti1Image(vol.T, img.affine), ${JSON.stringify(theirs)})`,
        `print(json.dumps(np.allclose(nib.load(${JSON.stringify(ours)}).affine, img.affine)))`,
      ].join("\n");
      const res = spawnSync("/usr/bin/python3", ["-c", script, JSON.stringify(Array.from(values))], {
        encoding: "utf8",
      });
      expect(res.status, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout.trim())).toBe(true);
      const a = readNifti(ours).data;
      const b = readNifti(theirs).data;
      expect(a.length).toBe(60);
      for (let i = 0; i < 60; i++) {
        if (Number.isNaN(b[i])) expect(a[i]).toBeNaN();
        else expect(a[i]).toBe(b[i]);
      }
    },
  );
});

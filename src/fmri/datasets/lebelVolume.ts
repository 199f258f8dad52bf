/**
 * Where a LeBel subject's voxel columns sit in its functional volume. ds003020 ships the pycortex database
 * (derivative/pycortex-db), and the Huth lab's code maps a voxel vector with
 * `cortex.Volume(data, subject, "<subject>_auto")`: pycortex reads the cortical mask
 * `<subject>/transforms/<xfm>/mask_<type>.nii.gz` as nibabel's array transposed to (z, y, x) and fills
 * `volume[mask] = data`. numpy's C order over (z, y, x) walks x fastest — the NIfTI file's own order — so
 * column k of the responses is the k-th non-zero voxel of the mask file, and a map is the mask's grid (its
 * affine) with each column's value at its voxel, NaN elsewhere. Which mask: pycortex takes the one whose
 * voxel count equals the data's, so do we ("thick", then "thin", then any other, "<subject>_auto" first).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readNifti, writeNifti } from "../formats/nifti.js";

export interface SubjectVolume {
  /** The mask file the columns were matched to. */
  path: string;
  shape: [number, number, number];
  affine: number[][];
  zooms: number[];
  /** Column k → its voxel's index in the file's order (x fastest). */
  indices: Int32Array;
}

/** The pycortex transform folder of a subject's functional space, as the Huth lab's code names it. */
export function lebelTransformDir(derivative: string, subject: string, xfm = `${subject}_auto`): string {
  return join(derivative, "pycortex-db", subject, "transforms", xfm);
}

/** Reads a mask's non-zero voxels (file order). Errors name the file. */
export function readVolumeMask(path: string): SubjectVolume {
  const img = readNifti(path);
  if (img.shape.length < 3 || img.shape.slice(3).some((n) => n !== 1))
    throw new Error(`${path}: a mask must be one 3-D volume, not ${img.shape.join(" × ")}`);
  const [x, y, z] = img.shape;
  const indices: number[] = [];
  for (let i = 0; i < x * y * z; i++) if (img.data[i] !== 0 && !Number.isNaN(img.data[i])) indices.push(i);
  return {
    path,
    shape: [x, y, z],
    affine: img.affine,
    zooms: img.zooms.slice(0, 3),
    indices: Int32Array.from(indices),
  };
}

/**
 * The subject's volume whose mask holds exactly `nVoxels` voxels, or why there is none (a sentence for the run's
 * summary: no pycortex database, or masks whose counts differ, each named with its count).
 */
export function findLebelVolume(
  derivative: string,
  subject: string,
  nVoxels: number,
): { volume?: SubjectVolume; note: string } {
  const transforms = join(derivative, "pycortex-db", subject, "transforms");
  if (!existsSync(transforms))
    return { note: `${transforms} not found: no volume maps for ${subject}, the flat arrays only` };
  const xfms = readdirSync(transforms, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  xfms.sort((a, b) => Number(b === `${subject}_auto`) - Number(a === `${subject}_auto`) || a.localeCompare(b));
  const rank = (f: string) => (f === "mask_thick.nii.gz" ? 0 : f === "mask_thin.nii.gz" ? 1 : 2);
  const seen: string[] = [];
  for (const xfm of xfms) {
    const dir = join(transforms, xfm);
    const masks = readdirSync(dir)
      .filter((f) => /^mask_.*\.nii(\.gz)?$/.test(f))
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    for (const f of masks) {
      const volume = readVolumeMask(join(dir, f));
      if (volume.indices.length === nVoxels)
        return { volume, note: `${subject}: volume maps on ${volume.path} (${nVoxels} voxels)` };
      seen.push(`${join(xfm, f)} (${volume.indices.length})`);
    }
  }
  if (seen.length === 0)
    return { note: `${transforms}: no mask_*.nii.gz: no volume maps for ${subject}, the flat arrays only` };
  return {
    note: `${transforms}: no mask holds the responses' ${nVoxels} voxels (${seen.join(", ")}): no volume maps for ${subject}`,
  };
}

/** The columns' values on the subject's grid, NaN outside the mask. */
export function volumeFromColumns(volume: SubjectVolume, values: ArrayLike<number>): Float32Array {
  if (values.length !== volume.indices.length)
    throw new Error(`${volume.path}: ${values.length} values for a mask of ${volume.indices.length} voxels`);
  const [x, y, z] = volume.shape;
  const out = new Float32Array(x * y * z).fill(NaN);
  for (let k = 0; k < values.length; k++) out[volume.indices[k]] = values[k];
  return out;
}

/** Writes one map (NIfTI, the mask's affine and voxel sizes). */
export function writeVolumeMap(path: string, volume: SubjectVolume, values: ArrayLike<number>, descrip?: string): void {
  writeNifti(path, {
    shape: volume.shape,
    data: volumeFromColumns(volume, values),
    affine: volume.affine,
    zooms: volume.zooms,
    descrip,
  });
}

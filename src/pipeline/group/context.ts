/**
 * What every job of the group stage shares: the scans kept for statistics, their regions and common space,
 * and the writers of tables, maps (GIfTI per hemisphere, or NIfTI on the volume grid) and figures, which
 * record every file written and the run summary lines.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeGifti } from "../../fmri/formats/gifti.js";
import { writeNifti } from "../../fmri/formats/nifti.js";
import type { Row } from "../../report/csv.js";
import { writeSvgAsPng } from "../../report/figures/png.js";
import { writeTable } from "../../report/table.js";
import type { RunConfig } from "../config.js";
import { groupSpace } from "../groupSpace.js";
import type { SubjectResult } from "../scanStore.js";

export const hemiOf = (region: string) => (/^[LR]_/.test(region) ? region[0] : null);

export type GroupContext = ReturnType<typeof groupContext>;

export function groupContext(c: RunConfig, results: SubjectResult[]) {
  const root = join(c.outDir, c.name);
  for (const d of ["tables", "maps", "figures"]) mkdirSync(join(root, d), { recursive: true });
  const files: string[] = [];
  const summary: string[] = [];
  const regions = results[0].regions;
  const R = regions.length;
  // Averages by vertex, or by voxel position on the common grid (each volume scan has its own mask).
  const space = groupSpace(results);
  const layout = space.layout;
  const surface = layout.kind === "surface";
  const nL = layout.kind === "surface" ? layout.L : 0;
  const nR = layout.kind === "surface" ? layout.R : 0;
  const V = space.V;
  const writeHemiMaps = (stem: string, values: Float32Array | Float64Array, intent = "NIFTI_INTENT_NONE") => {
    if (layout.kind === "volume") {
      const [x, y, z] = layout.shape;
      const vol = new Float32Array(x * y * z).fill(NaN);
      layout.maskIndices.forEach((voxel, k) => (vol[voxel] = values[k]));
      const path = join(root, "maps", `${stem}.nii.gz`);
      writeNifti(path, {
        shape: [x, y, z],
        data: vol,
        affine: layout.affine,
        zooms: [0, 1, 2].map((i) => Math.hypot(layout.affine[0][i], layout.affine[1][i], layout.affine[2][i])),
      });
      files.push(path);
      return;
    }
    for (const [h, off, n] of [
      ["L", 0, nL],
      ["R", nL, nR],
    ] as const) {
      const path = join(root, "maps", `${stem}_hemi-${h}.func.gii`);
      writeGifti(path, [{ intent, data: Float32Array.from(values.subarray(off, off + n)), dims: [n] }], {
        meta: { AnatomicalStructurePrimary: h === "L" ? "CortexLeft" : "CortexRight" },
      });
      files.push(path);
    }
  };

  const figure = (name: string, svg: string) => {
    const path = join(root, "figures", name);
    writeSvgAsPng(path, svg);
    files.push(path);
  };

  const table = (name: string, rows: Row[]) => files.push(...writeTable(join(root, "tables", name), rows));
  return {
    c,
    root,
    results,
    regions,
    R,
    space,
    layout,
    surface,
    nL,
    nR,
    V,
    files,
    summary,
    writeHemiMaps,
    figure,
    table,
  };
}

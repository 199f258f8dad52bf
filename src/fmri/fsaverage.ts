/**
 * The fsaverage template: vertex counts per resolution and the embedded fsaverage5 meshes. The meshes are
 * nested icosahedra (the first 10,242 vertices of fsaverage6 and fsaverage are fsaverage5's), and the two
 * hemispheres share one sphere: vertex i has the same sphere coordinates on both sides, so it is not the
 * mirror of left vertex i — labels cross hemispheres only through the sphere, mirrored (x → −x).
 */
import { join } from "node:path";
import { embeddedData } from "../io/paths.js";
import { giftiMesh, readGifti } from "./formats/gifti.js";

/** Vertices per hemisphere. */
export const FSAVERAGE_VERTICES = { fsaverage5: 10242, fsaverage6: 40962, fsaverage: 163842 } as const;
export const FSAVERAGE5_VERTICES = FSAVERAGE_VERTICES.fsaverage5;
export const EMBEDDED_FSAVERAGE5 = embeddedData("fsaverage5");

export type Hemi = "L" | "R";
export type FsaverageSurface = "pial" | "infl" | "sphere";

export interface SurfaceMesh {
  coords: Float32Array;
  faces: Int32Array;
}

const cache = new Map<string, SurfaceMesh>();

/** An embedded fsaverage5 mesh (10,242 vertices), read once per process. */
export function fsaverage5Mesh(surface: FsaverageSurface, hemi: Hemi, dir = EMBEDDED_FSAVERAGE5): SurfaceMesh {
  const file = join(dir, `${surface}_${hemi === "L" ? "left" : "right"}.gii.gz`);
  let mesh = cache.get(file);
  if (!mesh) {
    const m = giftiMesh(readGifti(file), file);
    mesh = { coords: m.coords, faces: m.faces };
    cache.set(file, mesh);
  }
  return mesh;
}

/**
 * For each right-hemisphere vertex, the left vertex nearest to its mirror image across the midline on the
 * sphere (x → −x): how a left-hemisphere labelling is carried to the right when no `rh.` file is given.
 */
export function mirrorRightToLeft(dir = EMBEDDED_FSAVERAGE5): Int32Array {
  const left = fsaverage5Mesh("sphere", "L", dir).coords;
  const right = fsaverage5Mesh("sphere", "R", dir).coords;
  const nL = left.length / 3;
  const nR = right.length / 3;
  // Bucket the left sphere by a coarse grid so each query scans a few cells, not every vertex.
  const cell = 8; // mm on a 100-mm sphere: ~12 vertices per occupied cell at ico5
  const key = (x: number, y: number, z: number) =>
    `${Math.floor(x / cell)},${Math.floor(y / cell)},${Math.floor(z / cell)}`;
  const grid = new Map<string, number[]>();
  for (let v = 0; v < nL; v++) {
    const k = key(left[3 * v], left[3 * v + 1], left[3 * v + 2]);
    const list = grid.get(k);
    if (list) list.push(v);
    else grid.set(k, [v]);
  }
  const out = new Int32Array(nR);
  for (let v = 0; v < nR; v++) {
    const x = -right[3 * v];
    const y = right[3 * v + 1];
    const z = right[3 * v + 2];
    let best = -1;
    let bestD = Infinity;
    for (let radius = 1; best < 0 || radius <= 2; radius++) {
      const [cx, cy, cz] = [x, y, z].map((c) => Math.floor(c / cell));
      for (let i = cx - radius; i <= cx + radius; i++) {
        for (let j = cy - radius; j <= cy + radius; j++) {
          for (let k = cz - radius; k <= cz + radius; k++) {
            for (const u of grid.get(`${i},${j},${k}`) ?? []) {
              const d = (left[3 * u] - x) ** 2 + (left[3 * u + 1] - y) ** 2 + (left[3 * u + 2] - z) ** 2;
              if (d < bestD || (d === bestD && u < best)) {
                bestD = d;
                best = u;
              }
            }
          }
        }
      }
      if (radius > 20) break;
    }
    out[v] = best;
  }
  return out;
}

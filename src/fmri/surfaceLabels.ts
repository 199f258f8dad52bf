/**
 * Surface parcellations per hemisphere: one labelling file per hemisphere (FreeSurfer .annot or GIfTI
 * .label.gii, e.g. `lh.aparc.a2009s.annot` / `rh.aparc.a2009s.annot`, Destrieux, the paper's atlas) on
 * fsaverage vertices, split into parts and combined into one parcellation of a run's columns (left
 * vertices, then right; region names prefixed L_ / R_). Without files, the embedded Desikan labelling
 * serves the left hemisphere and its sphere mirror the right (fsaverage.ts).
 */
import { readAnnot } from "./formats/annot.js";
import { readGifti } from "./formats/gifti.js";
import {
  FSAVERAGE_VERTICES,
  FSAVERAGE5_VERTICES,
  EMBEDDED_FSAVERAGE5,
  fsaverage5Mesh,
  mirrorRightToLeft,
  type Hemi,
} from "./fsaverage.js";
import {
  parcellationFromAnnot,
  parcellationFromGiftiLabels,
  splitAlongAxis,
  splitLargeRegions,
  type Parcellation,
} from "./regions.js";
import { embeddedData } from "../io/paths.js";

export const DEFAULT_LEFT_ANNOT = embeddedData("fsaverage5", "desikan_test.annot");

/** A labelling of one hemisphere's fsaverage vertices and the file it came from. */
export interface HemisphereLabels extends Parcellation {
  source: string;
}

/** How large regions are cut: at most `maxVertices` per part along the principal axis, or ⌊n / maxVertices⌋ y-slabs. */
export interface RegionSplit {
  maxVertices: number;
  axis: "principal" | "y";
}

const SIZES = Object.values(FSAVERAGE_VERTICES) as number[];

/** Reads an .annot or .label.gii; its vertex count must be an fsaverage resolution's. */
export function readSurfaceLabels(path: string): HemisphereLabels {
  const p = /\.label\.gii$/i.test(path)
    ? parcellationFromGiftiLabels(readGifti(path), path)
    : parcellationFromAnnot(readAnnot(path));
  if (!SIZES.includes(p.labels.length)) {
    throw new Error(
      `${path}: labels ${p.labels.length} vertices, expected an fsaverage hemisphere (${SIZES.join(", ")} vertices)`,
    );
  }
  if (!p.labels.some((l) => l >= 0)) throw new Error(`${path}: labels no vertex with a region`);
  return { ...p, source: path };
}

let defaults: { L: HemisphereLabels; R: HemisphereLabels } | undefined;

/** The embedded Desikan labelling (left) and its sphere mirror (right, an approximation of `rh.` files). */
export function defaultHemisphereLabels(): { L: HemisphereLabels; R: HemisphereLabels } {
  if (!defaults) {
    const L = readSurfaceLabels(DEFAULT_LEFT_ANNOT);
    const mirror = mirrorRightToLeft(EMBEDDED_FSAVERAGE5);
    const R = {
      labels: Int32Array.from(mirror, (u) => L.labels[u]),
      names: L.names,
      source: `${DEFAULT_LEFT_ANNOT} mirrored to the right hemisphere through the sphere`,
    };
    defaults = { L, R };
  }
  return defaults;
}

/**
 * One parcellation of a surface run's columns. Regions cover each hemisphere's first 10,242 vertices (the
 * fsaverage5 subset, whose meshes the split uses), whatever the resolution of the labelling and of the run
 * (fsaverage5, fsaverage6, fsaverage); a hemisphere without labels gets none.
 */
export function surfaceParcellation(
  labels: Partial<Record<Hemi, HemisphereLabels>>,
  hemiVertices: Record<Hemi, number>,
  split: RegionSplit,
): Parcellation {
  const out = new Int32Array(hemiVertices.L + hemiVertices.R).fill(-1);
  const names: string[] = [];
  for (const h of ["L", "R"] as const) {
    const lab = labels[h];
    if (!lab) continue;
    // Nested meshes: every fsaverage resolution's first 10,242 vertices are fsaverage5's, so a labelling of
    // any resolution serves a run of any resolution there (and only there: the split uses fsaverage5's mesh).
    const n = Math.min(FSAVERAGE5_VERTICES, hemiVertices[h]);
    if (hemiVertices[h] < FSAVERAGE5_VERTICES) {
      throw new Error(
        `${lab.source}: the run's ${h === "L" ? "left" : "right"} hemisphere has ${hemiVertices[h]} vertices, fewer than fsaverage5's ${FSAVERAGE5_VERTICES}: not an fsaverage surface`,
      );
    }
    const first: Parcellation = { labels: lab.labels.slice(0, FSAVERAGE5_VERTICES), names: lab.names };
    const coords = fsaverage5Mesh("pial", h).coords;
    const parts =
      split.axis === "y"
        ? splitAlongAxis(first, coords, split.maxVertices, 1)
        : splitLargeRegions(first, coords, split.maxVertices);
    const offset = h === "L" ? 0 : hemiVertices.L;
    const base = names.length;
    names.push(...parts.names.map((x) => `${h}_${x}`));
    for (let v = 0; v < n; v++) if (parts.labels[v] >= 0) out[offset + v] = base + parts.labels[v];
  }
  // Regions that kept no vertex (a label absent from the covered vertices) are dropped, not left empty.
  const used = new Set(out);
  const keep = names.map((_, i) => used.has(i));
  const remap = new Int32Array(names.length).fill(-1);
  const kept: string[] = [];
  names.forEach((x, i) => keep[i] && (remap[i] = kept.push(x) - 1));
  return { labels: Int32Array.from(out, (l) => (l >= 0 ? remap[l] : -1)), names: kept };
}

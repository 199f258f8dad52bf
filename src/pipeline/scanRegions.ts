/**
 * The regions of a scan's columns, computed once per scan by the per-scan stage and stored with its results
 * (scanStore.ts), so the group stage reads them instead of parcellating again: the configured annotation on
 * both hemispheres (names prefixed L_/R_), or a label volume inside the scan's brain mask.
 */
import { parcellationFromLabelVolume, type Parcellation } from "../fmri/regions.js";
import { defaultHemisphereLabels, readSurfaceLabels, surfaceParcellation } from "../fmri/surfaceLabels.js";
import { readNifti } from "../fmri/formats/nifti.js";
import type { RunConfig } from "./config.js";
import type { Layout } from "./scanStore.js";

/** Regions of a scan's columns: the annotation on both hemispheres, or the label volume inside the mask. */
export function runParcellation(c: RunConfig, layout: Layout): Parcellation {
  if (layout.kind === "surface") return hemisphereParcellation(c, layout);
  const img = readNifti(c.regions.labels!);
  const nVox = layout.shape.slice(0, 3).reduce((a, b) => a * b, 1);
  if (img.data.length !== nVox)
    throw new Error(`${c.regions.labels}: label volume has ${img.data.length} voxels, the BOLD grid ${nVox}`);
  const all = parcellationFromLabelVolume(img);
  if (all.names.length === 0)
    throw new Error(`${c.regions.labels}: the label volume labels no voxel (every value is 0)`);
  const labels = Int32Array.from(layout.maskIndices, (i) => all.labels[i]);
  // A region outside one scan's mask scores NaN for that scan (counted in the tables' n); none inside is an error.
  if (!labels.some((l) => l >= 0))
    throw new Error(
      `${c.regions.labels}: no labelled voxel inside the scan's brain mask (${layout.maskIndices.length} voxels)`,
    );
  return { labels, names: all.names };
}

/** Parcellation of both hemispheres (names prefixed L_/R_) from the configured per-hemisphere labels. */
export function hemisphereParcellation(c: RunConfig, hemiVertices: { L: number; R: number }): Parcellation {
  const a = c.regions.annot;
  const labels =
    a === "default"
      ? defaultHemisphereLabels()
      : { L: a.L ? readSurfaceLabels(a.L) : undefined, R: a.R ? readSurfaceLabels(a.R) : undefined };
  const parc = surfaceParcellation(labels, hemiVertices, { maxVertices: c.regions.maxVertices, axis: c.regions.axis });
  if (parc.names.length === 0) {
    const files = [labels.L?.source, labels.R?.source].filter(Boolean).join(" and ");
    throw new Error(
      `${files}: no region has a vertex among each hemisphere's first 10,242 vertices (where regions are scored)`,
    );
  }
  return parc;
}

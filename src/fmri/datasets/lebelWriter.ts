/**
 * Writes a ds003020-layout derivative folder (LeBel et al. 2023; read back by `LebelDataset`): respdict.json,
 * one TextGrid per story (a "phone" tier of the same intervals and a "word" tier), one .hf5 per subject and
 * story, the session → stories split, and optionally each subject's cortical mask where pycortex keeps it
 * (pycortex-db/<subject>/transforms/<subject>_auto/mask_thick.nii.gz, read by lebelVolume.ts). For
 * simulations and tests; every file written atomically.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeTextAtomic } from "../../io/atomic.js";
import type { Matrix } from "../../linalg/dense.js";
import { encodeTextGrid, type TextGridInterval } from "../../stimuli/textGrid.js";
import { writeHdf5Matrix } from "../formats/hdf5.js";
import { writeNifti } from "../formats/nifti.js";
import { lebelTransformDir } from "./lebelVolume.js";

export interface LebelLayout {
  /** Story → TR count of its recording (responses then hold count − 20 rows). */
  respdict: Record<string, number>;
  /** Story → word intervals (seconds from the sound's start; labels may include "sp" pauses). */
  words: Record<string, TextGridInterval[]>;
  /** Subject → story → responses (TRs × voxels). */
  responses: Record<string, Record<string, Matrix>>;
  /** Session → [training stories, test story]. */
  sessions: Record<string, [string[], string]>;
  /** Subject → its functional grid and the voxel (file order, x fastest) of each response column, ascending. */
  masks?: Record<string, { shape: [number, number, number]; affine?: number[][]; indices: ArrayLike<number> }>;
}

/** Writes `layout` under `root`/derivative; returns the derivative folder. */
export async function writeLebelDataset(root: string, layout: LebelLayout): Promise<string> {
  const derivative = join(root, "derivative");
  mkdirSync(join(derivative, "TextGrids"), { recursive: true });
  writeTextAtomic(join(derivative, "respdict.json"), JSON.stringify(layout.respdict, null, 2));
  writeTextAtomic(join(derivative, "sess_to_story.json"), JSON.stringify(layout.sessions));
  for (const [story, intervals] of Object.entries(layout.words)) {
    const xmax = Math.max(0, ...intervals.map((iv) => iv.end));
    const phones = intervals.map((iv) => ({ ...iv, text: iv.text === "sp" ? "sp" : iv.text.toUpperCase() }));
    writeTextAtomic(
      join(derivative, "TextGrids", `${story}.TextGrid`),
      encodeTextGrid(
        [
          { name: "phone", kind: "interval", intervals: phones },
          { name: "word", kind: "interval", intervals },
        ],
        xmax,
      ),
    );
  }
  for (const [subject, m] of Object.entries(layout.masks ?? {})) {
    const [x, y, z] = m.shape;
    const mask = new Uint8Array(x * y * z);
    for (let k = 0; k < m.indices.length; k++) {
      if (k > 0 && m.indices[k] <= m.indices[k - 1])
        throw new Error(`writeLebelDataset: ${subject}'s mask indices must ascend (file order)`);
      mask[m.indices[k]] = 1;
    }
    const dir = lebelTransformDir(derivative, subject);
    mkdirSync(dir, { recursive: true });
    writeNifti(join(dir, "mask_thick.nii.gz"), { shape: m.shape, data: mask, affine: m.affine, datatype: "uint8" });
  }
  await writeLebelResponses(root, layout.responses);
  return derivative;
}

/** The responses alone, one .hf5 per subject and story (subject folders created even when empty). */
export async function writeLebelResponses(root: string, responses: LebelLayout["responses"]): Promise<void> {
  for (const [subject, stories] of Object.entries(responses)) {
    const dir = join(root, "derivative", "preprocessed_data", subject);
    mkdirSync(dir, { recursive: true });
    for (const [story, m] of Object.entries(stories)) await writeHdf5Matrix(join(dir, `${story}.hf5`), "data", m);
  }
}

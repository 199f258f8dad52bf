/**
 * Writes a ds003020-layout derivative folder (LeBel et al. 2023; read back by `LebelDataset`): respdict.json,
 * one TextGrid per story (a "phone" tier of the same intervals and a "word" tier), one .hf5 per subject and
 * story, and the session → stories split. For simulations and tests; every file written atomically.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeTextAtomic } from "../../io/atomic.js";
import type { Matrix } from "../../linalg/dense.js";
import { encodeTextGrid, type TextGridInterval } from "../../stimuli/textGrid.js";
import { writeHdf5Matrix } from "../formats/hdf5.js";

export interface LebelLayout {
  /** Story → TR count of its recording (responses then hold count − 20 rows). */
  respdict: Record<string, number>;
  /** Story → word intervals (seconds from the sound's start; labels may include "sp" pauses). */
  words: Record<string, TextGridInterval[]>;
  /** Subject → story → responses (TRs × voxels). */
  responses: Record<string, Record<string, Matrix>>;
  /** Session → [training stories, test story]. */
  sessions: Record<string, [string[], string]>;
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
    writeTextAtomic(join(derivative, "TextGrids", `${story}.TextGrid`), encodeTextGrid([{ name: "phone", kind: "interval", intervals: phones }, { name: "word", kind: "interval", intervals }], xmax));
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

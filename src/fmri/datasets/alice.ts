/**
 * The Brennan et al. (2016) "Alice in Wonderland" ROI release: per subject, 6 ROI time courses (362 TRs,
 * TR 2 s, first 10 volumes already discarded), word-rate and sound-power regressors at TR resolution, and
 * SPM motion parameters (which still include the 10 discarded volumes, so they are trimmed here).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../../linalg/dense.js";
import { readNumericTable } from "../formats/numericTable.js";

/** The six Alice regions of interest. */
export const ALICE_ROIS = ["LATL", "RATL", "LPTL", "LIPL", "LPreM", "LIFG"] as const;
export const ALICE_TR = 2;
export const ALICE_DISCARDED_VOLUMES = 10;

export interface AliceSubject {
  id: string;
  /** TRs × 6 ROIs, columns in ALICE_ROIS order. */
  bold: Matrix;
  /** Per-TR regressors provided with the data (already at TR resolution). */
  wordRate: Float64Array;
  soundPower: Float64Array;
  /** TRs × 6 SPM realignment parameters, trimmed to the kept volumes; undefined if absent. */
  motion?: Matrix;
}

/** Subject ids of the Alice ROI data. */
export function listAliceSubjects(root: string, radius: "6mm" | "10mm" = "6mm"): string[] {
  const dir = join(root, radius);
  if (!existsSync(dir))
    throw new Error(`${dir}: no such folder (expected the Alice ROI release with ${radius}/s##-timecourses.txt)`);
  return readdirSync(dir)
    .map((f) => /^(s\d+)-timecourses\.txt$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** One subject of the embedded Alice in Wonderland ROI data (Brennan et al. 2016). */
export function loadAliceSubject(root: string, id: string, radius: "6mm" | "10mm" = "6mm"): AliceSubject {
  const bold = readNumericTable(join(root, radius, `${id}-timecourses.txt`), ALICE_ROIS.length);
  const column = (file: string) => {
    const m = readNumericTable(join(root, file), 1);
    if (m.rows !== bold.rows)
      throw new Error(`${join(root, file)}: ${m.rows} rows, but the ROI time courses have ${bold.rows} TRs`);
    return Float64Array.from(m.data);
  };
  const motionFile = readdirSync(root).find((f) => f.startsWith(`${id}-rp_`) && f.endsWith(".txt"));
  let motion: Matrix | undefined;
  if (motionFile) {
    const rp = readNumericTable(join(root, motionFile), 6);
    const skip = rp.rows - bold.rows;
    if (skip !== 0 && skip !== ALICE_DISCARDED_VOLUMES) {
      throw new Error(
        `${join(root, motionFile)}: ${rp.rows} rows; expected ${bold.rows} or ${bold.rows + ALICE_DISCARDED_VOLUMES}`,
      );
    }
    motion = { rows: bold.rows, cols: 6, data: rp.data.slice(skip * 6) };
  }
  return { id, bold, wordRate: column(`${id}-rate.txt`), soundPower: column(`${id}-sndpwr.txt`), motion };
}

/**
 * The paper's design: each word's features are summed into the fMRI volume it falls in. A word with onset
 * t (seconds from the start of the trimmed run) goes to TR floor(t / TR) + 1, as in the authors' code: the
 * extra TR is a one-volume lag, so a word never shares a volume with the start of its own acquisition, and
 * further lags come from the FIR delays. Words past the last volume are dropped and counted.
 */
import type { Matrix } from "../../linalg/dense.js";

export function trIndexOfOnset(onset: number, tr: number): number {
  return Math.floor(onset / tr) + 1;
}

/** The volume a word's features go to, or where it falls when the design drops it (before / after the scan). */
export function wordTR(onset: number, nTRs: number, tr: number): number | "before" | "after" {
  const t = trIndexOfOnset(onset, tr);
  return t < 0 ? "before" : t >= nTRs ? "after" : t;
}

/** Words whose TR falls before the first or after the last of nTRs volumes: the design drops them. */
export function wordsOutsideTRs(onsets: ArrayLike<number>, nTRs: number, tr: number): { before: number; after: number } {
  const n = { before: 0, after: 0 };
  for (let w = 0; w < onsets.length; w++) {
    const t = wordTR(onsets[w], nTRs, tr);
    if (typeof t !== "number") n[t]++;
  }
  return n;
}

export interface WordsPerTR {
  design: Matrix;
  /** Words whose TR fell outside [0, nTRs). */
  dropped: number;
  /** Words per TR. */
  counts: Int32Array;
}

/** features: words × F; returns nTRs × F. */
export function sumWordsIntoTRs(features: Matrix, onsets: ArrayLike<number>, nTRs: number, tr: number): WordsPerTR {
  if (features.rows !== onsets.length) throw new Error(`${features.rows} feature rows for ${onsets.length} word onsets`);
  if (!(tr > 0)) throw new Error(`TR must be > 0, got ${tr}`);
  const F = features.cols;
  const design = { rows: nTRs, cols: F, data: new Float64Array(nTRs * F) };
  const counts = new Int32Array(nTRs);
  let dropped = 0;
  for (let w = 0; w < onsets.length; w++) {
    if (!Number.isFinite(onsets[w])) throw new Error(`word ${w} has no onset (interpolate missing onsets first)`);
    const t = wordTR(onsets[w], nTRs, tr);
    if (typeof t !== "number") {
      dropped++;
      continue;
    }
    counts[t]++;
    const src = w * F;
    const dst = t * F;
    for (let f = 0; f < F; f++) design.data[dst + f] += features.data[src + f];
  }
  return { design, dropped, counts };
}

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
export function wordsOutsideTRs(
  onsets: ArrayLike<number>,
  nTRs: number,
  tr: number,
): { before: number; after: number } {
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
  if (features.rows !== onsets.length)
    throw new Error(`${features.rows} feature rows for ${onsets.length} word onsets`);
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

/**
 * Why a story's words cannot be modelled on nTRs volumes, or null when they can: more than
 * `maxOutsideFraction` of the words fall outside the scan (BOLD shorter than the story, or not trimmed to
 * it), or the words crowd into a few volumes of a long scan (a TR given in milliseconds, say).
 */
export function storyScanMismatch(
  onsets: ArrayLike<number>,
  nTRs: number,
  tr: number,
  maxOutsideFraction = 0.1,
): string | null {
  const W = onsets.length;
  if (W === 0) return "the story has no words";
  const out = wordsOutsideTRs(onsets, nTRs, tr);
  let first = Infinity;
  let last = -Infinity;
  for (let w = 0; w < W; w++) {
    first = Math.min(first, onsets[w]);
    last = Math.max(last, onsets[w]);
  }
  const seconds = (s: number) => `${Math.round(s * 10) / 10} s`;
  if (out.after + out.before > maxOutsideFraction * W) {
    return `${out.after + out.before} of ${W} words fall outside the ${nTRs} volumes (${seconds(nTRs * tr)} at TR ${tr} s; words from ${seconds(first)} to ${seconds(last)}): ${out.after > 0 ? "the BOLD is shorter than the story" : "the words start before the scan"}`;
  }
  const span = trIndexOfOnset(last, tr) - trIndexOfOnset(first, tr) + 1;
  if (nTRs >= 20 && span < 0.1 * nTRs) {
    return `the ${W} words fall in ${span} of the ${nTRs} volumes (words from ${seconds(first)} to ${seconds(last)} at TR ${tr} s): is the TR in seconds, and the BOLD trimmed to the story?`;
  }
  return null;
}

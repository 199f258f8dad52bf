/**
 * A generic BIDS run: BOLD (a func.gii pair or one NIfTI) plus an events.tsv with word onsets — for
 * datasets other than Narratives.
 */
import type { Matrix } from "../../linalg/dense.js";
import { readWords } from "../../stimuli/readers.js";
import type { WordEvents } from "../../stimuli/words.js";
import { checkDeclaredHemisphere, readGiftiTimeSeries } from "../formats/gifti.js";
import { readNifti } from "../formats/nifti.js";

export interface BidsRun {
  bold: Matrix;
  tr: number;
  words: WordEvents;
}

/** One BIDS run: BOLD (GIfTI hemispheres or NIfTI) and its word events. */
export function loadBidsRun(options: {
  bold: string | [string, string];
  events: string;
  wordColumn?: string;
  tr?: number;
}): BidsRun {
  let bold: Matrix;
  let tr = options.tr;
  if (Array.isArray(options.bold)) {
    const [l, r] = options.bold.map((f) => ({ f, ...readGiftiTimeSeries(f) }));
    checkDeclaredHemisphere(l.f, "L", l.hemi);
    checkDeclaredHemisphere(r.f, "R", r.hemi);
    if (l.bold.rows !== r.bold.rows)
      throw new Error(
        `${l.f} has ${l.bold.rows} TRs but ${r.f} has ${r.bold.rows}: hemispheres must have the same TR count`,
      );
    const V = l.bold.cols + r.bold.cols;
    const data = new Float32Array(l.bold.rows * V);
    for (let t = 0; t < l.bold.rows; t++) {
      data.set(l.bold.data.subarray(t * l.bold.cols, (t + 1) * l.bold.cols), t * V);
      data.set(r.bold.data.subarray(t * r.bold.cols, (t + 1) * r.bold.cols), t * V + l.bold.cols);
    }
    bold = { rows: l.bold.rows, cols: V, data };
    tr ??= l.tr;
  } else if (options.bold.endsWith(".gii")) {
    const g = readGiftiTimeSeries(options.bold);
    bold = g.bold;
    tr ??= g.tr;
  } else {
    const img = readNifti(options.bold);
    const T = img.shape[3] ?? 1;
    const nVox = img.data.length / T;
    bold = { rows: T, cols: nVox, data: img.data instanceof Float32Array ? img.data : Float32Array.from(img.data) };
    tr ??= img.tr;
  }
  const source = Array.isArray(options.bold) ? options.bold[0] : options.bold;
  if (!(tr !== undefined && tr > 0)) throw new Error(`${source}: no repetition time in the file; pass tr`);
  const words = readWords(options.events, { wordColumn: options.wordColumn });
  checkWordsWithinBold(words, bold.rows, tr, source);
  return { bold, tr, words };
}

/** Refuses word timings that run past the (trimmed) BOLD: the design would silently lose the story's end. */
export function checkWordsWithinBold(words: WordEvents, nTRs: number, tr: number, source: string): void {
  let last = -Infinity;
  for (const t of words.onsets) if (Number.isFinite(t)) last = Math.max(last, t);
  if (last >= nTRs * tr) {
    throw new Error(
      `${source}: the BOLD covers ${(nTRs * tr).toFixed(1)} s (${nTRs} TRs of ${tr} s) but the last word (${words.source}) starts at ${last.toFixed(2)} s: BOLD shorter than the story`,
    );
  }
}

/**
 * A story's design in the Huth lab's convention (LeBel et al. 2023; `apply_zscore_and_hrf` in
 * HuthLab/deep-fMRI-dataset): word vectors Lanczos-interpolated to the TR times, rows trimmed at both ends
 * of the story (the original keeps rows [5 + trim, T − trim) with trim 5), each column z-scored over the
 * kept rows (population SD), then FIR delays of 1–4 TRs, zero-padded, delay blocks side by side. Stories
 * are designed one by one and concatenated for training.
 */
import type { Matrix } from "../../linalg/dense.js";
import { cleanRun } from "../preprocess.js";
import { firDelays } from "./fir.js";
import { lanczosDownsample, type LanczosOptions } from "./lanczos.js";

export interface StoryTrim {
  /** Rows dropped at the start and at the end (the original: 10 and 5). */
  start: number;
  end: number;
}

/** The original's trim of a story's downsampled rows: [5 + 5, T − 5). */
export const HUTH_TRIM: StoryTrim = { start: 10, end: 5 };
/** The original's FIR delays, in TRs (ndelays 4). */
export const HUTH_DELAYS: readonly number[] = [1, 2, 3, 4];

/** Rows [start, rows − end) of m. */
export function trimRows(m: Matrix, trim: StoryTrim, source = "story"): Matrix {
  const { start, end } = trim;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end >= 0))
    throw new Error(`${source}: trim must be whole numbers of rows ≥ 0, got start ${start}, end ${end}`);
  if (start + end >= m.rows) throw new Error(`${source}: trimming ${start} + ${end} rows leaves none of its ${m.rows}`);
  return { rows: m.rows - start - end, cols: m.cols, data: m.data.slice(start * m.cols, (m.rows - end) * m.cols) };
}

/** Each column minus its mean, over its population SD; constant columns become 0 (and are not an error). */
export function zscoreColumns(m: Matrix): Matrix {
  const copy = { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
  return cleanRun(copy, { detrendOrder: 0 }).bold;
}

export interface LanczosStoryOptions extends LanczosOptions {
  trim?: StoryTrim;
  delays?: readonly number[];
}

/** One story's training or test design: Lanczos → trim → z-score → FIR delays (the original's defaults). */
export function lanczosStoryDesign(
  wordVectors: Matrix,
  wordTimes: ArrayLike<number>,
  trTimes: ArrayLike<number>,
  options: LanczosStoryOptions = {},
): Matrix {
  const downsampled = lanczosDownsample(wordVectors, wordTimes, trTimes, options);
  const kept = zscoreColumns(trimRows(downsampled, options.trim ?? HUTH_TRIM));
  return firDelays(kept, options.delays ?? HUTH_DELAYS);
}

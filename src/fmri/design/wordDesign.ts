/**
 * TR designs from word-level features: either the paper's (sum within TR, then FIR delays) or an HRF
 * convolution (glover/spm, as nilearn's compute_regressor, one regressor per feature).
 */
import type { Matrix } from "../../linalg/dense.js";
import { concatColumns, matmulJs } from "../../linalg/dense.js";
import { firDelays } from "./fir.js";
import { gammaDifferenceHrf, GLOVER, SPM } from "./hrf.js";
import { lanczosDownsample } from "./lanczos.js";
import { eventResponses, type HrfModel } from "./regressors.js";
import { sumWordsIntoTRs } from "./wordsPerTR.js";
import { PAPER } from "../../config/paper.js";

/**
 * How word features become TR regressors: "fir", the paper's TR sums with FIR delays; "summedHrf", the same
 * TR sums convolved with an HRF sampled at the TR (a fixed response instead of free delays); "hrf", one
 * regressor per feature from the words' own onsets (nilearn's compute_regressor); "lanczos", the Huth lab's
 * convention: word features Lanczos-interpolated to the middle of each TR (window 3, cutoff 1/TR), then FIR
 * delays.
 */
export type TrDesign =
  | { kind: "fir"; delays?: number[] }
  | { kind: "lanczos"; window?: number; delays?: number[] }
  | { kind: "summedHrf"; model?: Exclude<HrfModel, "fir">; derivative?: boolean }
  | { kind: "hrf"; model?: Exclude<HrfModel, "fir">; oversampling?: number };

export type WordDesignOptions = TrDesign & { tr: number; nTRs: number };

/**
 * The designs a run configuration or the CLI names: "fir" (with its delays), "glover" or "spm" (summed-TR
 * HRF), and "+derivative" (the HRF and its time derivative, as nilearn's "glover + derivative": a response
 * that may come up to about a second earlier or later).
 */
export const TR_DESIGN_NAMES = ["fir", "glover", "spm", "glover+derivative", "spm+derivative", "lanczos"] as const;
export type TrDesignName = (typeof TR_DESIGN_NAMES)[number];

/** The design a name stands for; `firDelays` serve "fir" and "lanczos". */
export function namedTrDesign(name: TrDesignName, firDelays: number[] = PAPER_FIR_DELAYS): TrDesign {
  if (name === "fir") return { kind: "fir", delays: firDelays };
  if (name === "lanczos") return { kind: "lanczos", delays: firDelays };
  return {
    kind: "summedHrf",
    model: name.startsWith("spm") ? "spm" : "glover",
    derivative: name.endsWith("+derivative"),
  };
}

export interface WordDesign {
  design: Matrix;
  droppedWords: number;
  description: string;
}

/** Default FIR: 6 delays (0 … 7.5 s at TR 1.5 s), as the paper. */
export const PAPER_FIR_DELAYS: number[] = [...PAPER.firDelays];

/** Word features summed into TRs and expanded with FIR delays or convolved with an HRF: the ridge design. */
export function wordDesign(features: Matrix, onsets: ArrayLike<number>, options: WordDesignOptions): WordDesign {
  return wordDesigner(onsets, options)(features);
}

/**
 * The same rule for many feature sets on one word timing (a forecast sweep builds one design per distance
 * and fold): the HRF responses of the words are computed once.
 */
export function wordDesigner(onsets: ArrayLike<number>, options: WordDesignOptions): (features: Matrix) => WordDesign {
  if (options.kind === "fir") {
    const delays = options.delays ?? PAPER_FIR_DELAYS;
    return (features) => {
      const { design, dropped } = sumWordsIntoTRs(features, onsets, options.nTRs, options.tr);
      return {
        design: firDelays(design, delays),
        droppedWords: dropped,
        description: `words summed per TR (floor(t/TR)+1), FIR delays ${delays.join(",")} TRs`,
      };
    };
  }
  if (options.kind === "lanczos") {
    const delays = options.delays ?? PAPER_FIR_DELAYS;
    const window = options.window ?? 3;
    const trTimes = Float64Array.from({ length: options.nTRs }, (_, i) => (i + 0.5) * options.tr);
    // A word further than `window` TRs from every TR time weighs nothing.
    const reach = window * options.tr;
    const dropped = Array.from(onsets).filter(
      (t) => t < trTimes[0] - reach || t > trTimes[trTimes.length - 1] + reach,
    ).length;
    return (features) => ({
      design: firDelays(lanczosDownsample(features, onsets, trTimes, { window }), delays),
      droppedWords: dropped,
      description: `words Lanczos-interpolated to mid-TR times (window ${window}, cutoff 1/TR), FIR delays ${delays.join(",")} TRs`,
    });
  }
  if (options.kind === "summedHrf") {
    const model = options.model ?? "glover";
    const params = model === "spm" ? SPM : GLOVER;
    const hrf = gammaDifferenceHrf(options.tr, params, 1, 32);
    // nilearn's time derivative: (h(t) − h(t − δ)) / δ with δ = 0.1 s.
    const later = gammaDifferenceHrf(options.tr, params, 1, 32, 0.1);
    const kernels = options.derivative ? [hrf, hrf.map((v, k) => (v - later[k]) / 0.1)] : [hrf];
    return (features) => {
      const { design, dropped } = sumWordsIntoTRs(features, onsets, options.nTRs, options.tr);
      const blocks = kernels.map((k) => convolveColumns(design, k));
      return {
        design: blocks.length === 1 ? blocks[0] : concatColumns(blocks),
        droppedWords: dropped,
        description: `words summed per TR (floor(t/TR)+1), convolved with the ${model} HRF${options.derivative ? " and its time derivative" : ""} sampled at the TR`,
      };
    };
  }
  const frameTimes = Float64Array.from({ length: options.nTRs }, (_, i) => i * options.tr);
  const model = options.model ?? "glover";
  const [R] = eventResponses(onsets, new Float64Array(onsets.length), frameTimes, {
    model,
    oversampling: options.oversampling,
  });
  const late = Array.from(onsets).filter((t) => t > frameTimes[frameTimes.length - 1]).length;
  return (features) => ({
    design: matmulJs(R, features, false, "float64"),
    droppedWords: late,
    description: `${model} HRF convolution (nilearn compute_regressor)`,
  });
}

/** Causal convolution of every column with `kernel` (kernel[k] weighs the value k rows earlier). */
export function convolveColumns(m: Matrix, kernel: Float64Array): Matrix {
  const { rows, cols, data } = m;
  const out = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    for (let k = 0; k < kernel.length && k <= t; k++) {
      const w = kernel[k];
      const src = (t - k) * cols;
      for (let j = 0; j < cols; j++) out[t * cols + j] += w * data[src + j];
    }
  }
  return { rows, cols, data: out };
}

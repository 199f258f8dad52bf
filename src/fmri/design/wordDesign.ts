/**
 * TR designs from word-level features: either the paper's (sum within TR, then FIR delays) or an HRF
 * convolution (glover/spm, as nilearn's compute_regressor, one regressor per feature).
 */
import type { Matrix } from "../../linalg/dense.js";
import { matmulJs } from "../../linalg/dense.js";
import { firDelays } from "./fir.js";
import { eventResponses, type HrfModel } from "./regressors.js";
import { sumWordsIntoTRs } from "./wordsPerTR.js";

export type WordDesignOptions =
  | { kind: "fir"; tr: number; nTRs: number; delays?: number[] }
  | { kind: "hrf"; tr: number; nTRs: number; model?: Exclude<HrfModel, "fir">; oversampling?: number };

export interface WordDesign {
  design: Matrix;
  droppedWords: number;
  description: string;
}

/** Default FIR: 6 delays (0 … 7.5 s at TR 1.5 s), as the paper. */
export const PAPER_FIR_DELAYS = [0, 1, 2, 3, 4, 5];

/** Word features summed into TRs and expanded with FIR delays or convolved with an HRF: the ridge design. */
export function wordDesign(features: Matrix, onsets: ArrayLike<number>, options: WordDesignOptions): WordDesign {
  if (options.kind === "fir") {
    const delays = options.delays ?? PAPER_FIR_DELAYS;
    const { design, dropped } = sumWordsIntoTRs(features, onsets, options.nTRs, options.tr);
    return { design: firDelays(design, delays), droppedWords: dropped, description: `words summed per TR (floor(t/TR)+1), FIR delays ${delays.join(",")} TRs` };
  }
  const frameTimes = Float64Array.from({ length: options.nTRs }, (_, i) => i * options.tr);
  const model = options.model ?? "glover";
  const [R] = eventResponses(onsets, new Float64Array(onsets.length), frameTimes, { model, oversampling: options.oversampling });
  const late = Array.from(onsets).filter((t) => t > frameTimes[frameTimes.length - 1]).length;
  return { design: matmulJs(R, features, false, "float64"), droppedWords: late, description: `${model} HRF convolution (nilearn compute_regressor)` };
}

/**
 * Forecast scores (Caucheteux, Gramfort & King 2023): F(d) = R(X ⊕ X̃(d)) − R(X), the gain in brain score
 * from adding, to each word's activations X, the activations of the `windowLength` words ending d words
 * ahead (X̃(d)). X and X̃(d) are each reduced by PCA (fitted on the training fold's words only), summed
 * into TRs and FIR-delayed like X; the ridge then scores every target (vertex or region).
 *
 * Computed once and reused for every d: the word Gram matrix (one per feature set), the window Gram matrix
 * (one for all distances: windowPca.ts ShiftedWindowGram), the folds, the training words of each fold and the
 * PCA of X.
 */
import type { ComputeBackend } from "../backend/types.js";
import { withBackends, type BackendPair, type BackendSpec } from "../backend/index.js";
import { brainScore, type BrainScoreOptions } from "../ridge/crossValidate.js";
import { bandedBrainScore, type BandedBrainScoreOptions } from "../ridge/bandedBrainScore.js";
import { contiguousFolds } from "../ridge/folds.js";
import { wordDesigner, type TrDesign } from "../fmri/design/wordDesign.js";
import { trIndexOfOnset } from "../fmri/design/wordsPerTR.js";
import { concatColumns, type Matrix } from "../linalg/dense.js";
import { gaussian, mulberry32 } from "../linalg/random.js";
import { GeneratedWindowGram, type GeneratedStates } from "./generatedWindows.js";
import {
  forecastOffsets,
  shiftedWindowGram,
  windowPcaScores,
  windowPcaScoresAt,
  windowPcaScoresFromGram,
  wordGram,
  type WordGram,
} from "./windowPca.js";
import { argmaxFinite } from "../stats/acrossSubjects.js";
import { PAPER, paperDistances } from "../config/paper.js";

/**
 * Up to this many window positions (story words + the distances' span) the sweep computes one window Gram
 * matrix for every distance and fold (its square in float64: 128 MiB at 4,096).
 */
const SHARED_WINDOW_GRAM_WORDS = 4096;

/** Futures replaced by random vectors, by shuffled words, or by the words the model generates itself. */
export type ForecastControl = "none" | "random" | "shuffled" | "generated";

export interface ForecastSweepOptions {
  tr: number;
  /** Distances d in words (default −10 … 30, as the paper). */
  distances?: number[];
  windowLength?: number;
  nComponents?: number;
  firDelays?: number[];
  /** TR design of X and the windows (default: FIR with `firDelays`); an HRF convolution fixes the response's timing. */
  design?: TrDesign;
  folds?: number;
  /** Replace the future windows by random vectors or by shuffled words (controls). */
  control?: ForecastControl;
  /** For the "generated" control: activations of the words the model generated after each word (generateFutures). */
  generated?: GeneratedStates;
  /** Features the windows are built from (default: the same as X): e.g. syntactic or semantic activations. */
  windowFeatures?: Matrix;
  seed?: number;
  /** R(X) from an earlier sweep on the same features and BOLD, to skip recomputing it. */
  baseline?: Float64Array;
  ridge?: Omit<BrainScoreOptions, "folds" | "groups" | "savePredictions" | "backend">;
  /**
   * Backends for the ridge and the window PCA: a name, or a pair opened once by the caller (openBackends) and reused.
   */
  backend?: BackendSpec;
  /**
   * "single" (default): one penalty for the current words and the window together, as the paper.
   * "banded": one weight per feature space (current words, window) and one alpha per target, chosen by
   * inner CV (BandedRidgeCV), so an uninformative window can be switched off instead of dragging the
   * current words' penalty; the baseline R(X) is then the same solver on the current words alone.
   */
  ridgeKind?: "single" | "banded";
  /** Options of the banded solver (default: window weight 0, 0.1, …, 1; the ridge alpha grid; 5 inner folds). */
  banded?: Pick<BandedBrainScoreOptions, "gammas" | "alphas" | "cv" | "selectionScore" | "dtype">;
  onProgress?: (done: number, total: number, d: number) => void;
}

export interface ForecastSweepResult {
  distances: number[];
  /** R(X) per target. */
  baseline: Float64Array;
  /** [D × V]: R(X ⊕ X̃(d)). */
  scores: Float64Array;
  /** [D × V]: F(d) = scores − baseline. */
  forecast: Float64Array;
  nTargets: number;
  control: ForecastControl;
  /** Words outside the BOLD (dropped from the design). */
  droppedWords: number;
}

/** Forecast scores F(d) for every distance and target (see the module comment). */
export async function forecastSweep(
  features: Matrix,
  onsets: ArrayLike<number>,
  bold: Matrix,
  options: ForecastSweepOptions,
): Promise<ForecastSweepResult> {
  const W = features.rows;
  if (onsets.length !== W) throw new Error(`forecast: ${W} feature rows for ${onsets.length} word onsets`);
  const distances = options.distances ?? paperDistances();
  const L = options.windowLength ?? PAPER.windowLength;
  const nComp = options.nComponents ?? PAPER.components;
  const trDesign: TrDesign = options.design ?? { kind: "fir", delays: options.firDelays ?? [...PAPER.firDelays] };
  const control = options.control ?? "none";
  if (L > W) throw new Error(`forecast: the window (${L} words) is longer than the story (${W} words)`);
  for (const d of distances) {
    if (!Number.isInteger(d)) throw new Error(`forecast: distances are whole words, got ${d}`);
    if (Math.abs(d) >= W)
      throw new Error(`forecast: distance ${d} is wider than the story (${W} words): no word has a window there`);
  }
  if (control === "generated" && !options.generated)
    throw new Error(
      "forecast: the generated control needs the generated futures (options.generated, from generateFutures)",
    );
  const T = bold.rows;
  const folds = contiguousFolds(T, options.folds ?? PAPER.folds);
  const wordTR = Int32Array.from(onsets as ArrayLike<number>, (t) => trIndexOfOnset(t, options.tr));
  const trainWords = folds.map((f) => {
    const inTrain = new Uint8Array(T);
    f.train.forEach((t) => (inTrain[t] = 1));
    return Int32Array.from(
      Array.from(wordTR.keys()).filter((w) => wordTR[w] >= 0 && wordTR[w] < T && inTrain[wordTR[w]] === 1),
    );
  });
  return withBackends(options.backend, options.ridge?.dtype ?? "float32", async (compute, backend) => {
    const pair = { compute, float64: backend, dispose: async () => {} };
    const gram = await wordGram(features, backend);
    const windowWords = await controlGram(
      options.windowFeatures ?? features,
      control,
      options.seed ?? 0,
      gram,
      options.windowFeatures !== undefined,
      backend,
    );
    const permutation = control === "shuffled" ? shuffledOrder(W, options.seed ?? 0) : undefined;
    const generatedWindows =
      control === "generated" ? new GeneratedWindowGram(windowWords, options.generated!, L, backend) : undefined;
    // The current words' window is the word itself: its window Gram is K (0 + K[a, b], the same bits).
    const baseScores = await Promise.all(
      trainWords.map((tw) => windowPcaScoresFromGram(gram.K, W, { trainWords: tw, nComponents: nComp }, backend)),
    );
    // One window Gram for every distance and fold (a window ending d words ahead of word a is the window ending
    // at word a + d): one pass over K for the sweep instead of one per distance, up to 4,096 window positions;
    // longer stories gather each fold's columns (windowPcaScores): the same sums, equal to rounding.
    const dMin = Math.min(...distances);
    const dMax = Math.max(...distances);
    const shifted =
      !generatedWindows && distances.length > 0 && W + dMax - dMin <= SHARED_WINDOW_GRAM_WORDS
        ? shiftedWindowGram(windowWords, L, dMin, dMax, permutation)
        : undefined;
    const trDesigner = wordDesigner(onsets, { ...trDesign, tr: options.tr, nTRs: T });
    const toDesign = (parts: Matrix[]) => {
      const { design, droppedWords } = trDesigner(concatColumns(parts));
      return { design, dropped: droppedWords };
    };
    const ridge = {
      ...options.ridge,
      folds,
      invalidTargets: options.ridge?.invalidTargets ?? "mask",
      backend: pair,
    };
    const banded = options.ridgeKind === "banded";
    const bandedOptions = {
      alphas: options.ridge?.alphas,
      dtype: "float64" as const,
      ...options.banded,
      folds,
      backend: (options.banded?.dtype ?? "float64") === "float64" ? openFloat64(pair) : ("onnxruntime" as const),
    };
    const windowWeights = Array.from({ length: 11 }, (_, i) => [1 - i / 10, i / 10]);
    const baseDesigns = baseScores.map((s) => toDesign([s]));
    const baseline =
      options.baseline ??
      (banded
        ? (
            await bandedBrainScore(
              baseDesigns.map((b) => [b.design]),
              bold,
              { ...bandedOptions, gammas: [[1]] },
            )
          ).r
        : (
            await brainScore(
              baseDesigns.map((b) => b.design),
              bold,
              ridge,
            )
          ).r);
    const V = bold.cols;
    const scores = new Float64Array(distances.length * V);
    // Each fold's design at distance d: the window PCA (fitted on the fold's training words) beside X's.
    const designsAt = async (d: number) => {
      const designs: Matrix[] = [];
      const spaces: Matrix[][] = [];
      const generatedGram = generatedWindows && (await generatedWindows.at(d));
      for (const [k, tw] of trainWords.entries()) {
        const pca = { trainWords: tw, nComponents: nComp, seed: options.seed };
        const future = generatedGram
          ? await windowPcaScoresFromGram(generatedGram, W, pca, backend)
          : shifted
            ? await windowPcaScoresAt(shifted, d, pca, backend)
            : await windowPcaScores(windowWords, { ...pca, offsets: forecastOffsets(d, L), permutation }, backend);
        if (banded) spaces.push([baseDesigns[k].design, toDesign([future]).design]);
        else designs.push(toDesign([baseScores[k], future]).design);
      }
      return { designs, spaces };
    };
    // The next distance's window PCAs run on this thread while the fold worker scores this distance's target
    // chunks (onnxruntime runs block this thread, so the overlap is with the worker's lane, not with them);
    // neither depends on the other's timing.
    let next = distances.length > 0 ? designsAt(distances[0]) : undefined;
    for (const [i, d] of distances.entries()) {
      const { designs, spaces } = await next!;
      if (i + 1 < distances.length) {
        next = designsAt(distances[i + 1]);
        next.catch(() => {}); // awaited (and rethrown) at the next distance
      }
      const r = banded
        ? (await bandedBrainScore(spaces, bold, { gammas: windowWeights, ...bandedOptions })).r
        : (await brainScore(designs, bold, ridge)).r;
      scores.set(r, i * V);
      options.onProgress?.(i + 1, distances.length, d);
    }
    const forecast = scores.map((s, q) => s - baseline[q % V]);
    return { distances, baseline, scores, forecast, nTargets: V, control, droppedWords: baseDesigns[0].dropped };
  });
}

async function controlGram(
  features: Matrix,
  control: ForecastControl,
  seed: number,
  own: WordGram,
  separate: boolean,
  backend: ComputeBackend,
): Promise<WordGram> {
  if (control === "random") {
    // Random vectors with the same dimension: windows that carry no information about the story.
    const rand = gaussian(mulberry32(seed + 1));
    const random = {
      rows: features.rows,
      cols: features.cols,
      data: Float64Array.from({ length: features.rows * features.cols }, rand),
    };
    return wordGram(random, backend);
  }
  return separate ? wordGram(features, backend) : own;
}

function shuffledOrder(n: number, seed: number): Int32Array {
  const rand = mulberry32(seed + 2);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** d* per target: the distance with the largest finite forecast score (NaN where none is finite). */
export function peakDistances(res: ForecastSweepResult): Float64Array {
  const V = res.nTargets;
  return Float64Array.from({ length: V }, (_, t) => {
    const b = argmaxFinite((i) => res.forecast[i * V + t], res.distances.length);
    return b < 0 ? NaN : res.distances[b];
  });
}

/** The pair's float64 side as a pair of its own (banded ridge runs in float64 unless told otherwise). */
function openFloat64(pair: BackendPair): BackendPair {
  return { compute: pair.float64, float64: pair.float64, dispose: async () => {} };
}

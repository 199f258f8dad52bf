/**
 * Forecast scores F(d) on datasets split by story (LeBel et al. 2023: training stories concatenated, one or
 * more held-out test stories), with the Huth lab's design per story: F(d) = R(X ⊕ X̃(d)) − R(X) as in
 * sweep.ts, X the PCA of the current words' states and X̃(d) the PCA of the window of `windowLength` words
 * ending d words ahead, both fitted on the training stories' words only (windows stop at each story's ends);
 * then each story's [X, X̃(d)] is Lanczos-downsampled to its TR times, trimmed, z-scored and delayed
 * (lanczosStoryDesign), and a ridge fitted on the training stories scores every voxel on the test stories.
 *
 * The window PCA runs in feature space (storyWindowPca.ts): the word-Gram path of a single scan would need
 * W × T float64 for LeBel's ~50,000 training words. The penalty is chosen per voxel on the training stories
 * by exact LOO or GCV (this toolkit's fast path), or by the Huth lab's bootstrap ridge (`"bootstrap"`,
 * faithful to their analyses and about nboots times the cost).
 */
import { withBackends, type BackendSpec } from "../backend/index.js";
import { bootstrapRidge, type BootstrapRidgeOptions } from "../ridge/bootstrapRidge.js";
import { brainScore } from "../ridge/crossValidate.js";
import { lanczosStoryDesign, type LanczosStoryOptions } from "../fmri/design/storyDesign.js";
import { concatColumns, concatRows, type Matrix } from "../linalg/dense.js";
import { storyWindowPcaScores } from "./storyWindowPca.js";
import { forecastOffsets } from "./windowPca.js";
import { PAPER, paperDistances } from "../config/paper.js";

export interface ForecastStory {
  /** Words × features: the language model's states of the story's words. */
  states: Matrix;
  /** Seconds: each word's time on the story's clock (LeBel: the middle of its TextGrid interval). */
  wordTimes: ArrayLike<number>;
  /** Seconds: the story's TR times (every TR of the stimulus, before trimming). */
  trTimes: ArrayLike<number>;
  /** TRs × voxels after the design's trimming, z-scored per voxel (as the dataset's responses); float32 suffices. */
  responses: Matrix;
}

export interface StoryForecastOptions {
  /** Indices of the training and test stories. */
  train: number[];
  test: number[];
  /** Distances d in words (default −10 … 30, as the paper). */
  distances?: number[];
  windowLength?: number;
  nComponents?: number;
  /** The per-story design (default: the Huth lab's Lanczos window 3, trim [10, −5), delays 1–4). */
  design?: LanczosStoryOptions;
  /** "loo" (default) or "gcv": RidgeCV's per-voxel selection on the training stories; "bootstrap": bootstrap ridge. */
  alphaSelection?: "loo" | "gcv" | "bootstrap";
  /** Penalty grid of loo/gcv (default: brainScore's, logspace(−1, 8, 10)). */
  alphas?: number[];
  bootstrap?: BootstrapRidgeOptions;
  seed?: number;
  backend?: BackendSpec;
  onProgress?: (done: number, total: number, d: number) => void;
}

export interface StoryForecastResult {
  distances: number[];
  /** R(X) per voxel, on the test stories. */
  baseline: Float64Array;
  /** [D × V]: R(X ⊕ X̃(d)). */
  scores: Float64Array;
  /** [D × V]: F(d) = scores − baseline. */
  forecast: Float64Array;
  nTargets: number;
  trainRows: number;
  testRows: number;
  /** Where the time went, in seconds, and the window PCA's subspace iterations per distance. */
  cost: { pcaSeconds: number; ridgeSeconds: number; pcaIterations: number[] };
}

/** F(d) for every distance and voxel (see the module comment). */
export async function storyForecastSweep(
  stories: ForecastStory[],
  options: StoryForecastOptions,
): Promise<StoryForecastResult> {
  const { train, test } = options;
  if (train.length === 0 || test.length === 0)
    throw new Error("forecast: needs at least one training and one test story");
  const overlap = train.filter((s) => test.includes(s));
  if (overlap.length > 0) throw new Error(`forecast: stories ${overlap.join(", ")} are both training and test stories`);
  for (const s of [...train, ...test])
    if (!stories[s]) throw new Error(`forecast: no story ${s} (${stories.length} stories)`);
  const V = stories[train[0]].responses.cols;
  for (const s of [...train, ...test]) {
    const st = stories[s];
    if (st.responses.cols !== V)
      throw new Error(`forecast: story ${s} has ${st.responses.cols} voxels, story ${train[0]} has ${V}`);
    if (st.wordTimes.length !== st.states.rows)
      throw new Error(`forecast: story ${s} has ${st.states.rows} word states for ${st.wordTimes.length} word times`);
  }
  const distances = options.distances ?? paperDistances();
  const L = options.windowLength ?? PAPER.windowLength;
  const nComp = options.nComponents ?? PAPER.components;
  const minWords = Math.min(...stories.map((s) => s.states.rows));
  for (const d of distances) {
    if (!Number.isInteger(d)) throw new Error(`forecast: distances are whole words, got ${d}`);
    if (Math.abs(d) >= minWords)
      throw new Error(`forecast: distance ${d} is wider than the shortest story (${minWords} words)`);
  }
  const used = [...train, ...test];
  const states = used.map((s) => stories[s].states);
  const trainAt = train.map((_, i) => i);
  const selection = options.alphaSelection ?? "loo";
  // One float32 copy of every response, training stories first; the two splits are views of it (at LeBel's
  // scale, ~9,000 TRs × ~80,000 voxels, each float64 copy would be 5.8 GB).
  const yAll = concatRows(
    used.map((s) => stories[s].responses),
    "float32",
  );
  const nTrain = train.reduce((n, s) => n + stories[s].responses.rows, 0);
  const yTrain = { rows: nTrain, cols: V, data: yAll.data.subarray(0, nTrain * V) };
  const yTest = { rows: yAll.rows - nTrain, cols: V, data: yAll.data.subarray(nTrain * V) };
  const cost = { pcaSeconds: 0, ridgeSeconds: 0, pcaIterations: [] as number[] };

  return withBackends(options.backend, "float32", async (compute, f64) => {
    const pair = { compute, float64: f64, dispose: async () => {} };
    const pca = async (offsets: number[]) => {
      const t0 = performance.now();
      const res = await storyWindowPcaScores(
        states,
        { offsets, trainStories: trainAt, nComponents: nComp, seed: options.seed },
        f64,
      );
      cost.pcaSeconds += (performance.now() - t0) / 1000;
      return res;
    };
    // Every used story's design from its parts' scores, checked against its responses' rows.
    const designOf = (parts: Matrix[][]) =>
      used.map((s, i) => {
        const st = stories[s];
        const design = lanczosStoryDesign(
          concatColumns(parts.map((p) => p[i])),
          st.wordTimes,
          st.trTimes,
          options.design,
        );
        if (design.rows !== st.responses.rows)
          throw new Error(
            `forecast: story ${s}'s design has ${design.rows} TRs after trimming, its responses ${st.responses.rows}`,
          );
        return design;
      });
    // One fold whatever the distance: train on the training stories' rows, score the test stories' rows.
    const cv = [
      {
        train: Int32Array.from({ length: nTrain }, (_, i) => i),
        test: Int32Array.from({ length: yTest.rows }, (_, i) => nTrain + i),
      },
    ];
    const score = async (designs: Matrix[]): Promise<Float64Array> => {
      const t0 = performance.now();
      let r: Float64Array;
      if (selection === "bootstrap") {
        const xTrain = concatRows(designs.slice(0, train.length));
        r = (await bootstrapRidge(xTrain, yTrain, concatRows(designs.slice(train.length)), yTest, options.bootstrap))
          .corrs;
      } else {
        r = (
          await brainScore(concatRows(designs), yAll, {
            folds: cv,
            alphas: options.alphas,
            alphaSelection: selection,
            invalidTargets: "mask",
            backend: pair,
          })
        ).r;
      }
      cost.ridgeSeconds += (performance.now() - t0) / 1000;
      return r;
    };
    const current = await pca([0]);
    const baseline = await score(designOf([current.scores]));
    const scores = new Float64Array(distances.length * V);
    for (const [i, d] of distances.entries()) {
      const window = await pca(forecastOffsets(d, L));
      cost.pcaIterations.push(window.iterations);
      scores.set(await score(designOf([current.scores, window.scores])), i * V);
      options.onProgress?.(i + 1, distances.length, d);
    }
    const forecast = scores.map((v, q) => v - baseline[q % V]);
    return { distances, baseline, scores, forecast, nTargets: V, trainRows: yTrain.rows, testRows: yTest.rows, cost };
  });
}

/**
 * Brain scores on the Huth lab's dataset with its conventions (LeBel et al. 2023; the accompanying
 * encoding.py): for each story, a language model's states at one layer for every word, Lanczos-downsampled
 * to the story's TR times, trimmed, z-scored and delayed 1–4 TRs (`lanczosStoryDesign`); each story's
 * responses z-scored per voxel; the training stories concatenated; bootstrap ridge, Pearson r on the test
 * story (or stories) per voxel, and optionally block-permutation p-values. Orders the steps only: each
 * lives in its own module.
 */
import { bootstrapRidge, type BootstrapRidgeOptions, type BootstrapRidgeResult } from "../ridge/bootstrapRidge.js";
import { WordFeatureExtractor } from "../lm/extract.js";
import type { ContextMode } from "../lm/wordStates.js";
import type { LebelDataset } from "../fmri/datasets/lebel.js";
import { lanczosStoryDesign, zscoreColumns } from "../fmri/design/storyDesign.js";
import { storyForecastSweep, type StoryForecastOptions, type StoryForecastResult } from "../forecast/storySweep.js";
import { concatRows, type Matrix } from "../linalg/dense.js";
import { blockPermutationTest, type BlockPermutationOptions } from "../stats/blockPermutation.js";

export interface LebelEncodingOptions {
  subject: string;
  /** Sessions whose split to use (default: every session of the dataset's split). */
  sessions?: (string | number)[];
  /** Explicit training and test stories (override `sessions`). */
  train?: string[];
  test?: string[];
  /** A checkpoint folder, a hub id or "tiny"; the layer whose states are the features. */
  model: string;
  layer: number;
  /**
   * The layers whose states are extracted together (default [layer]): a caller scoring several layers
   * passes them all, so each story runs through the model once and later layers come from the feature cache.
   */
  featureLayers?: number[];
  context?: number;
  contextMode?: ContextMode;
  cacheDir?: string;
  bootstrap?: BootstrapRidgeOptions;
  /** Block-permutation p-values of the test correlations (the original's permutation_test). */
  permutation?: BlockPermutationOptions;
}

export interface LebelEncodingResult extends BootstrapRidgeResult {
  /** Per voxel, when `permutation` was asked. */
  pValues?: Float64Array;
  train: string[];
  test: string[];
  /** Rows of the concatenated training and test designs. */
  trainRows: number;
  testRows: number;
}

type FeatureOptions = Pick<
  LebelEncodingOptions,
  "model" | "layer" | "featureLayers" | "context" | "contextMode" | "cacheDir"
>;

/**
 * One story's words' states at the layer (words × features), cached through `cacheDir`. `extractor`: the
 * model opened once for several stories (`openLebelExtractor`); without it the model is opened for this story.
 */
export async function lebelStoryStates(
  ds: LebelDataset,
  story: string,
  o: FeatureOptions,
  extractor?: WordFeatureExtractor,
): Promise<Matrix> {
  const words = ds.words(story);
  const own = extractor ? null : await openLebelExtractor(o);
  try {
    const f = await (extractor ?? own!).extract(words);
    const at = f.layers.indexOf(o.layer);
    if (at < 0)
      throw new Error(`lebelStoryDesign: layer ${o.layer} is not among the extracted layers ${f.layers.join(", ")}`);
    const size = words.words.length * f.nEmbd;
    return { rows: words.words.length, cols: f.nEmbd, data: f.hiddenStates.subarray(at * size, (at + 1) * size) };
  } finally {
    await own?.release();
  }
}

/** The model of these feature options, opened once for every story of a subject (release it after). */
export async function openLebelExtractor(o: FeatureOptions): Promise<WordFeatureExtractor> {
  const layers = o.featureLayers ?? [o.layer];
  if (!layers.includes(o.layer))
    throw new Error(`lebelStoryDesign: layer ${o.layer} is not among the extracted layers ${layers.join(", ")}`);
  return WordFeatureExtractor.open(o.model, { layers, context: o.context, mode: o.contextMode, cacheDir: o.cacheDir });
}

/** One story's design (`lanczosStoryDesign` of the layer's states), cached features through `cacheDir`. */
export async function lebelStoryDesign(
  ds: LebelDataset,
  story: string,
  o: FeatureOptions,
  extractor?: WordFeatureExtractor,
): Promise<Matrix> {
  const states = await lebelStoryStates(ds, story, o, extractor);
  return lanczosStoryDesign(states, ds.words(story).times, ds.trTimes(story));
}

/**
 * A subject's responses to the stories, each z-scored per voxel, stacked in order as one float32 matrix:
 * at LeBel's scale (~10,000 training TRs × ~80,000 voxels) a float64 list plus its float64 concatenation
 * would be ~13 GB, this is one 3.2 GB array (a story at a time is z-scored in float64, then stored).
 */
export async function lebelResponses(ds: LebelDataset, subject: string, stories: string[]): Promise<Matrix> {
  let out: Float32Array | undefined;
  let V = 0;
  let off = 0;
  const rows = stories.reduce((n, story) => n + ds.responseRows(story), 0);
  for (const story of stories) {
    const z = zscoreColumns(await ds.responses(subject, story));
    if (!out) {
      V = z.cols;
      out = new Float32Array(rows * V);
    } else if (z.cols !== V) throw new Error(`${subject}: ${story} has ${z.cols} voxels, ${stories[0]} has ${V}`);
    out.set(z.data, off);
    off += z.data.length;
  }
  return { rows, cols: V, data: out ?? new Float32Array(0) };
}

/** The split of a subject: explicit stories, or the sessions' (every session by default); missing responses named. */
function subjectSplit(
  ds: LebelDataset,
  o: Pick<LebelEncodingOptions, "subject" | "sessions" | "train" | "test">,
): { train: string[]; test: string[] } {
  const split = o.train && o.test ? { train: o.train, test: o.test } : ds.split(o.sessions ?? Object.keys(ds.sessions));
  const have = new Set(ds.stories(o.subject));
  const missing = [...split.train, ...split.test].filter((s) => !have.has(s));
  if (missing.length > 0)
    throw new Error(
      `${o.subject}: no responses for ${missing.join(", ")} (under ${ds.derivative}/preprocessed_data/${o.subject})`,
    );
  return split;
}

/** Bootstrap-ridge brain scores of one subject: test-story Pearson r per voxel, chosen alphas, weights. */
export async function lebelBrainScores(ds: LebelDataset, o: LebelEncodingOptions): Promise<LebelEncodingResult> {
  const split = subjectSplit(ds, o);
  const extractor = await openLebelExtractor(o);
  const stack = async (stories: string[]) => {
    const designs: Matrix[] = [];
    for (const story of stories) designs.push(await lebelStoryDesign(ds, story, o, extractor));
    return { x: concatRows(designs), y: await lebelResponses(ds, o.subject, stories) };
  };
  let train: Awaited<ReturnType<typeof stack>>;
  let test: Awaited<ReturnType<typeof stack>>;
  try {
    train = await stack(split.train);
    test = await stack(split.test);
  } finally {
    await extractor.release();
  }
  const res = await bootstrapRidge(train.x, train.y, test.x, test.y, o.bootstrap);
  const pValues = o.permutation ? blockPermutationTest(test.y, res.predictions, o.permutation).p : undefined;
  return { ...res, pValues, train: split.train, test: split.test, trainRows: train.x.rows, testRows: test.x.rows };
}

export type LebelForecastOptions = Omit<LebelEncodingOptions, "bootstrap" | "permutation"> &
  Omit<StoryForecastOptions, "train" | "test">;

export interface LebelForecastResult extends StoryForecastResult {
  train: string[];
  test: string[];
}

/**
 * Forecast scores F(d) of one subject (`storyForecastSweep`): the layer's states of every story, windows
 * and their PCA fitted on the training stories, the Huth lab's design per story, test-story r per voxel.
 */
export async function lebelForecast(ds: LebelDataset, o: LebelForecastOptions): Promise<LebelForecastResult> {
  const split = subjectSplit(ds, o);
  const names = [...split.train, ...split.test];
  const stories = [];
  const extractor = await openLebelExtractor(o);
  try {
    for (const story of names) {
      const z = zscoreColumns(await ds.responses(o.subject, story));
      // float32, as stored: the sweep stacks every story's responses once.
      const responses = { rows: z.rows, cols: z.cols, data: Float32Array.from(z.data) };
      stories.push({
        states: await lebelStoryStates(ds, story, o, extractor),
        wordTimes: ds.words(story).times,
        trTimes: ds.trTimes(story),
        responses,
      });
    }
  } finally {
    await extractor.release();
  }
  const train = split.train.map((_, i) => i);
  const test = split.test.map((_, i) => split.train.length + i);
  const res = await storyForecastSweep(stories, { ...o, train, test });
  return { ...res, train: split.train, test: split.test };
}

/**
 * X_syn and X_sem for one layer: the language model is run on the story and on K syntactically matched
 * alternative stories (see syntax.ts); X_syn is the mean activation over the alternatives, X_sem = X − X_syn.
 */
import { WordFeatureExtractor, type ExtractOptions } from "./extract.js";
import type { Matrix } from "../linalg/dense.js";
import type { WordEvents } from "../stimuli/words.js";
import {
  syntacticAlternatives,
  tagsFromParses,
  tagWords,
  type AlternativeOptions,
  type ConlluToken,
} from "./syntax.js";
import { PAPER } from "../config/paper.js";

export interface DecompositionOptions extends Omit<ExtractOptions, "layers">, AlternativeOptions {
  /** The layer decomposed (the paper: 8). */
  layer?: number;
  /** Dependency parses (CoNLL-U tokens) of the story, if available. */
  parses?: ConlluToken[];
  /**
   * The story's own states at `layer` (W × E), when the caller extracted them already (a run extracts
   * every layer first): not computed a second time.
   */
  states?: Matrix;
}

export interface Decomposition {
  full: Matrix;
  syntax: Matrix;
  semantics: Matrix;
  layer: number;
  /** Words per story left unchanged for lack of a syntactic match (mean over alternatives). */
  unchangedWords: number;
  /** Words whose class came from wink because no parse covered them. */
  fallbackWords: number;
  k: number;
}

/**
 * Syntactic (mean over syntax-matched alternative stories) and semantic (the rest) components of a layer's activations.
 */
export async function syntaxSemantics(
  model: string,
  events: WordEvents,
  options: DecompositionOptions = {},
): Promise<Decomposition> {
  const layer = options.layer ?? PAPER.gpt2.forecastLayer;
  const k = options.k ?? PAPER.alternatives;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`the number of alternative futures must be a positive integer, got ${k}`);
  const tags = options.parses ? tagsFromParses(events.words, options.parses) : tagWords(events.words);
  const { stories, unchanged } = syntacticAlternatives(events.words, tags, {
    k,
    seed: options.seed,
    vocabulary: options.vocabulary,
  });
  const W = events.words.length;
  if (options.states && options.states.rows !== W)
    throw new Error(`${events.source}: ${options.states.rows} rows of states for ${W} words`);
  // One session for the story and its K alternatives (each is still cached on disk as its own word list).
  const extractor = await WordFeatureExtractor.open(model, { ...options, layers: [layer] });
  let fullData: Float64Array;
  let syntax: Float64Array;
  try {
    fullData = options.states
      ? Float64Array.from(options.states.data)
      : Float64Array.from((await extractor.extract(events)).hiddenStates);
    syntax = new Float64Array(fullData.length);
    for (const [i, story] of stories.entries()) {
      const source = `${events.source} (syntactic alternative ${i + 1})`;
      const alt = await extractor.extract({ ...events, words: story, source });
      for (let q = 0; q < syntax.length; q++) syntax[q] += alt.hiddenStates[q] / k;
      options.onProgress?.("alternatives", i + 1, k);
    }
  } finally {
    await extractor.release();
  }
  const E = fullData.length / W;
  return {
    full: { rows: W, cols: E, data: fullData },
    syntax: { rows: W, cols: E, data: syntax },
    semantics: { rows: W, cols: E, data: fullData.map((v, q) => v - syntax[q]) },
    layer,
    unchangedWords: unchanged,
    fallbackWords: tags.fallbackWords,
    k,
  };
}

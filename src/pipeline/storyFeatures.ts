/**
 * A story's word features for the per-scan stage, computed once per story and run (every scan of the story
 * reuses them): the requested layers' states of every word, the syntax/semantics decomposition of the
 * forecast layer, and the model's own continuations for the "generated" control; each extraction is also
 * cached on disk by the language-model code.
 */
import { extractWordFeatures } from "../lm/extract.js";
import { generatedFutureFeatures, type GeneratedFutures } from "../lm/generate.js";
import { syntaxSemantics, type Decomposition } from "../lm/decomposition.js";
import type { Matrix } from "../linalg/dense.js";
import type { WordEvents } from "../stimuli/words.js";
import type { RunConfig } from "./config.js";

export interface StoryFeatures {
  events: WordEvents;
  /** layer → W × E */
  layers: Map<number, Matrix>;
  decomposition?: Decomposition;
  /** The model's own continuation after each word (the "generated" forecast control). */
  generated?: GeneratedFutures;
}

export async function storyFeatures(c: RunConfig, scanWords: WordEvents, model: string): Promise<StoryFeatures> {
  const wanted = [...new Set([...c.layers, ...(c.forecast ? [c.forecast.layer, ...c.forecast.depthLayers] : [])])].sort(
    (a, b) => a - b,
  );
  const feats = await extractWordFeatures(model, scanWords, {
    layers: wanted,
    context: c.context,
    mode: c.contextMode,
    embedding: c.embedding,
    cacheDir: c.cacheDir,
  });
  const W = scanWords.words.length;
  const E = feats.nEmbd;
  const layers = new Map<number, Matrix>();
  wanted.forEach((l, i) =>
    layers.set(l, {
      rows: W,
      cols: E,
      data: Float64Array.from(feats.hiddenStates.subarray(i * W * E, (i + 1) * W * E)),
    }),
  );
  const decomposition = c.forecast?.decompose
    ? await syntaxSemantics(model, scanWords, {
        layer: c.forecast.layer,
        k: c.forecast.k,
        context: c.context,
        mode: c.contextMode,
        cacheDir: c.cacheDir,
        states: layers.get(c.forecast.layer),
      })
    : undefined;
  const f = c.forecast;
  const generated = f?.controls.includes("generated")
    ? await generatedFutureFeatures(model, scanWords, {
        ...f.generation,
        words: Math.max(1, ...f.distances),
        layer: f.layer,
        cacheDir: c.cacheDir,
      })
    : undefined;
  return { events: scanWords, layers, decomposition, generated };
}

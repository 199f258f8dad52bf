/**
 * extractWordFeatures: words of a story → a language model's hidden states (any architecture of the
 * registry: GPT-2, Llama/Mistral, Qwen2) at each word's last token, for the chosen layers. Results are cached on disk,
 * keyed by the weights' hash, the word list and the settings, and
 * written atomically; an identical second call is a cache hit.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import type { WordEvents } from "../stimuli/words.js";
import { createLanguageModel, readModelInfo } from "./architectures.js";
import { weightsSha256 as checkpointSha256 } from "./checkpoint.js";
import { defaultCacheDir, resolveCheckpoint, type HubOptions } from "./hub.js";
import type { EmbeddingVariant } from "./modelingGpt2.js";
import { loadGpt2Tokenizer } from "./tokenizer.js";
import type { LanguageModelRuntime } from "./runtime.js";
import { wordStates, type ContextMode } from "./wordStates.js";

export interface ExtractOptions {
  /** Layers to keep (default all: 0 … n_layer). */
  layers?: number[];
  context?: number;
  mode?: ContextMode;
  stride?: number;
  embedding?: EmbeddingVariant;
  batchSize?: number;
  cacheDir?: string;
  /** Read and write the feature cache (default true). */
  cache?: boolean;
  hub?: HubOptions;
  executionProviders?: string[];
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface WordFeatures {
  /** [layers × W × E] float32. */
  hiddenStates: Float32Array;
  layers: number[];
  nEmbd: number;
  events: WordEvents;
  tokenStart: Int32Array;
  tokenEnd: Int32Array;
  contextTokens: Int32Array;
  model: string;
  weightsSha256: string;
  /** bos: the token put before every window (models trained with one), null when none. */
  settings: {
    context: number;
    mode: ContextMode;
    stride: number | null;
    embedding: EmbeddingVariant;
    bos: number | null;
  };
  cacheHit: boolean;
  cachePath?: string;
}

/** Hidden states of every layer for every word (its last token), with up to `context` tokens of left context. */
export async function extractWordFeatures(
  model: string,
  events: WordEvents,
  options: ExtractOptions = {},
): Promise<WordFeatures> {
  if (events.words.length === 0) throw new Error(`${events.source}: the word list is empty`);
  const extractor = await WordFeatureExtractor.open(model, options);
  try {
    return await extractor.extract(events);
  } finally {
    await extractor.release();
  }
}

/**
 * One model opened for many word lists — a story and its syntactic alternatives: the checkpoint resolved and
 * hashed, the tokenizer read and (at the first word list not in the cache) the session created once. A
 * session per list cost ~3.7 s of a 24 s alternative at GPT-2-small size (weights, graph, session and
 * onnxruntime's first runs), measured 2026-12-07. Results are the same as `extractWordFeatures` per list.
 */
export class WordFeatureExtractor {
  private runtime: Promise<LanguageModelRuntime> | null = null;

  private constructor(
    private readonly model: string,
    private readonly dir: string,
    private readonly config: ReturnType<typeof readModelInfo>,
    private readonly layers: number[],
    private readonly settings: WordFeatures["settings"],
    private readonly tokenizer: ReturnType<typeof loadGpt2Tokenizer>,
    private readonly weightsSha256: string,
    private readonly options: ExtractOptions,
  ) {}

  /** Resolves and hashes the checkpoint and reads its tokenizer; the session waits for the first cache miss. */
  static async open(model: string, options: ExtractOptions = {}): Promise<WordFeatureExtractor> {
    const dir = await resolveCheckpoint(model, { cacheDir: options.cacheDir, ...options.hub });
    const config = readModelInfo(dir);
    const layers = options.layers ?? Array.from({ length: config.nLayer + 1 }, (_, i) => i);
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > config.nLayer)
        throw new Error(`layer ${l} does not exist in ${model} (0 … ${config.nLayer})`);
    }
    const context = Math.min(options.context ?? config.nPositions, config.nPositions);
    const mode = options.mode ?? "exact";
    const tokenizer = loadGpt2Tokenizer(dir);
    const settings = {
      context,
      mode,
      stride: mode === "strided" ? (options.stride ?? Math.max(1, Math.floor(context / 2))) : null,
      embedding: options.embedding ?? "token+position",
      bos: tokenizer.bosId ?? null,
    };
    const sha = await checkpointSha256(dir, options.cacheDir);
    return new WordFeatureExtractor(model, dir, config, layers, settings, tokenizer, sha, options);
  }

  /** The states of one word list: from the feature cache when it holds them, else computed (and cached). */
  async extract(events: WordEvents): Promise<WordFeatures> {
    if (events.words.length === 0) throw new Error(`${events.source}: the word list is empty`);
    const { config, dir, layers, settings, tokenizer, options } = this;
    const tokens = tokenizer.encodeWords(events.words);
    // A tokenizer from another model gives ids the embedding table does not have: say which files disagree.
    let maxId = -1;
    for (const id of tokens.ids) maxId = Math.max(maxId, id);
    if (maxId >= config.vocabSize) {
      const w = tokens.ids.indexOf(maxId);
      throw new Error(
        `${tokenizer.source}: gives token id ${maxId} (in "${events.words[tokens.wordEnd.findIndex((e) => e >= w)]}"), but ${join(dir, "config.json")} has vocab_size ${config.vocabSize}: the tokenizer and the weights belong to different models`,
      );
    }
    const cacheRoot = join(options.cacheDir ?? defaultCacheDir(), "features");
    const key = createHash("sha256")
      .update(
        JSON.stringify({
          v: 1,
          weightsSha256: this.weightsSha256,
          config: readFileSync(join(dir, "config.json"), "utf8"),
          ids: Array.from(tokens.ids),
          words: events.words,
          layers,
          settings,
        }),
      )
      .digest("hex");
    const cachePath = join(cacheRoot, `${key}.safetensors`);
    const base = {
      layers,
      nEmbd: config.nEmbd,
      events,
      tokenStart: tokens.wordStart,
      tokenEnd: tokens.wordEnd,
      model: this.model,
      weightsSha256: this.weightsSha256,
      settings,
      cachePath,
    };
    if (options.cache !== false && existsSync(cachePath)) {
      try {
        const hit = readSafetensors(cachePath);
        if (hit.metadata.key === key) {
          return {
            ...base,
            hiddenStates: hit.tensors.get("hidden_states")!.data as Float32Array,
            contextTokens: hit.tensors.get("context_tokens")!.data as Int32Array,
            cacheHit: true,
          };
        }
      } catch {
        // An unreadable cache entry is recomputed and replaced.
      }
    }
    this.runtime ??= createLanguageModel(dir, {
      layers,
      embedding: settings.embedding,
      executionProviders: options.executionProviders,
    });
    const out = await wordStates(await this.runtime, tokens, {
      context: settings.context,
      mode: settings.mode,
      stride: settings.stride ?? undefined,
      bos: settings.bos ?? undefined,
      batchSize: options.batchSize,
      onProgress: (d, t) => options.onProgress?.("windows", d, t),
    });
    if (options.cache !== false) {
      mkdirSync(cacheRoot, { recursive: true });
      writeSafetensors(
        cachePath,
        {
          hidden_states: { shape: [layers.length, events.words.length, config.nEmbd], data: out.states },
          context_tokens: { shape: [events.words.length], data: out.contextTokens },
        },
        { key },
      );
    }
    return { ...base, hiddenStates: out.states, contextTokens: out.contextTokens, cacheHit: false };
  }

  /** Frees the session, if one was created. */
  async release(): Promise<void> {
    const runtime = this.runtime;
    this.runtime = null;
    // A session that failed to open has nothing to free (its error went to the extract() that asked for it).
    const opened = runtime ? await runtime.catch(() => null) : null;
    if (opened) await opened.release();
  }
}

export { fileSha256 } from "./checkpoint.js";

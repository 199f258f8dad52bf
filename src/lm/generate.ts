/**
 * Generated futures, the paper's third forecast control: after each word n, the model continues its own
 * context (greedy decoding, or seeded sampling), and the forecast window is built from the activations of
 * the generated words instead of the true next words — does the brain forecast more than the model would?
 *
 * Decoding uses a key/value cache (Hugging Face's past_key_values), so each context costs one prompt pass
 * plus one single-token step per generated token. A generated word is a run of tokens that starts with
 * whitespace (byte-level BPE's leading space); its activation is that of its last token, taken from the
 * step that fed the token in. Tokens before the first whitespace continue word n and are not a new word;
 * special tokens (<|endoftext|>) are never generated, so every continuation is text.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import { mulberry32 } from "../linalg/random.js";
import type { WordEvents } from "../stimuli/words.js";
import { readModelInfo } from "./architectures.js";
import { readGpt2Config } from "./config.js";
import { weightsSha256 as checkpointSha256 } from "./checkpoint.js";
import { defaultCacheDir, resolveCheckpoint, type HubOptions } from "./hub.js";
import { Gpt2Runtime, type KvCache } from "./modelingGpt2.js";
import { loadGpt2Tokenizer, type Gpt2Tokenizer, type WordTokens } from "./tokenizer.js";
import { loadGpt2Weights } from "./weights.js";

export interface GenerationOptions {
  /** Greedy (argmax, ties to the lowest id) or sampling from softmax(logits / temperature). */
  strategy?: "greedy" | "sample";
  seed?: number;
  temperature?: number;
  /** Sample among the k most likely tokens only (0: all). */
  topK?: number;
  /** Words to generate after each word (the largest forecast distance). */
  words: number;
  /** Tokens of context before each continuation (the prompt ends with word n's last token). */
  context: number;
  /** Give up on a continuation after this many tokens (default 4 × words + 8); missing words stay zero. */
  maxTokens?: number;
  /** The layer whose activations are kept (must be one of the runtime's layers). */
  layer: number;
  /** Contexts decoded together (equal prompt lengths only). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GeneratedFutures {
  /** [W × words × E] float32: activation of the j-th generated word after word n at (n, j − 1); zero where missing. */
  states: Float32Array;
  W: number;
  words: number;
  nEmbd: number;
  /** Generated words after each word (text, for inspection). */
  text: string[][];
  /** Generated words missing because a continuation hit maxTokens. */
  missing: number;
}

/** Where a token sits in a word: starts a new word, continues the current one, or only separates. */
type TokenRole = "start" | "continue" | "space";

/**
 * Continues the context after every word with the model itself (greedy or seeded sampling) and returns the generated
 * words.
 */
export async function generateFutures(
  runtime: Gpt2Runtime,
  tokenizer: Gpt2Tokenizer,
  tokens: WordTokens,
  options: GenerationOptions,
): Promise<GeneratedFutures> {
  const { config } = runtime;
  const E = config.nEmbd;
  const W = tokens.wordEnd.length;
  const G = options.words;
  if (!Number.isInteger(G) || G < 1) throw new Error(`generation: words must be a positive integer, got ${G}`);
  if (!runtime.layers.includes(options.layer))
    throw new Error(
      `generation: layer ${options.layer} is not computed by this runtime (${runtime.layers.join(", ")})`,
    );
  const maxTokens = options.maxTokens ?? 4 * G + 8;
  const context = Math.min(options.context, config.nPositions - maxTokens);
  if (context < 1)
    throw new Error(
      `generation: ${maxTokens} generated tokens leave no room for context in ${config.nPositions} positions`,
    );
  const strategy = options.strategy ?? "greedy";
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`generation: temperature must be > 0, got ${temperature}`);
  const topK = options.topK ?? 0;
  const batchSize = options.batchSize ?? 8;

  const roles = new Map<number, TokenRole>();
  const roleOf = (id: number): TokenRole => {
    let r = roles.get(id);
    if (!r) {
      const s = tokenizer.decode([id]);
      r = /^\s/.test(s) ? (s.trim().length > 0 ? "start" : "space") : "continue";
      roles.set(id, r);
    }
    return r;
  };
  const banned = tokenizer.specialIds;
  const pick = (logits: Float32Array, offset: number, rand: () => number): number => {
    const V = config.vocabSize;
    if (strategy === "greedy") {
      let best = -1;
      for (let i = 0; i < V; i++)
        if (!banned.has(i) && (best < 0 || logits[offset + i] > logits[offset + best])) best = i;
      return best;
    }
    const row = logits.subarray(offset, offset + V);
    // top-k: keep logits ≥ the k-th largest (ties at the threshold are kept too).
    let floor = -Infinity;
    if (topK > 0 && topK < V - banned.size) {
      const sorted = Float32Array.from(row);
      for (const i of banned) sorted[i] = -Infinity;
      sorted.sort();
      floor = sorted[V - topK];
    }
    const allowed = (i: number) => !banned.has(i) && row[i] >= floor;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (allowed(i) && row[i] > max) max = row[i];
    const p = new Float64Array(V);
    let total = 0;
    for (let i = 0; i < V; i++) if (allowed(i)) total += p[i] = Math.exp((row[i] - max) / temperature);
    let u = rand() * total;
    let last = -1;
    for (let i = 0; i < V; i++) {
      if (p[i] === 0) continue;
      last = i;
      if ((u -= p[i]) <= 0) return i;
    }
    return last;
  };

  const states = new Float32Array(W * G * E);
  const text: string[][] = Array.from({ length: W }, () => []);
  let missing = 0;
  // Contexts with a full window share one prompt length and are batched; the first few words are alone.
  const promptStart = (n: number) => Math.max(0, tokens.wordEnd[n] + 1 - context);
  const groups = new Map<number, number[]>();
  for (let n = 0; n < W; n++) {
    const len = tokens.wordEnd[n] + 1 - promptStart(n);
    groups.set(len, [...(groups.get(len) ?? []), n]);
  }
  let done = 0;
  for (const members of groups.values()) {
    for (let b0 = 0; b0 < members.length; b0 += batchSize) {
      const batch = members.slice(b0, b0 + batchSize);
      const B = batch.length;
      const prompts = batch.map((n) => tokens.ids.subarray(promptStart(n), tokens.wordEnd[n] + 1));
      const rands = batch.map((n) => mulberry32((options.seed ?? 0) * 1_000_003 + n));
      const found = new Int32Array(B); // complete generated words so far
      const inWord = new Uint8Array(B); // a generated word is open (its last token was the previous one)
      const afterSpace = new Uint8Array(B); // the previous token was whitespace only
      const lastState = new Float32Array(B * E); // activation of the previous token
      const words: number[][] = batch.map(() => []);
      let out = await runtime.step(prompts, null);
      let cache: KvCache = out.cache;
      for (let step = 0; step < maxTokens && found.some((f) => f < G); step++) {
        const next = batch.map((_, b) => pick(out.logits, b * config.vocabSize, rands[b]));
        next.forEach((id, b) => {
          if (found[b] >= G) return;
          const role = roleOf(id);
          if (role !== "continue" && inWord[b]) {
            // The open word ended with the previous token: keep its activation.
            const n = batch[b];
            states.set(lastState.subarray(b * E, (b + 1) * E), (n * G + found[b]) * E);
            text[n].push(tokenizer.decode(words[b]).trim());
            found[b]++;
            inWord[b] = 0;
            words[b] = [];
          }
          // A word starts at a leading-space token, or at text after a whitespace-only token (a newline).
          if (role === "start" || (role === "continue" && !inWord[b] && afterSpace[b])) inWord[b] = 1;
          afterSpace[b] = role === "space" ? 1 : 0;
          if (inWord[b]) words[b].push(id);
        });
        if (!found.some((f) => f < G)) break;
        out = await runtime.step(
          next.map((id) => [id]),
          cache,
        );
        cache = out.cache;
        const h = out.hidden.get(options.layer)!;
        lastState.set(h);
      }
      found.forEach((f) => (missing += G - f));
      done += B;
      options.onProgress?.(done, W);
    }
  }
  return { states, W, words: G, nEmbd: E, text, missing };
}

export interface GeneratedFeatureOptions extends Omit<GenerationOptions, "onProgress"> {
  cacheDir?: string;
  /** Read and write the disk cache (default true). */
  cache?: boolean;
  hub?: HubOptions;
  executionProviders?: string[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * generateFutures for a story's words from a checkpoint (hub id or folder), cached on disk like word
 * features: keyed by the weights' sha256, the words and every generation setting, written atomically.
 */
export async function generatedFutureFeatures(
  model: string,
  events: WordEvents,
  options: GeneratedFeatureOptions,
): Promise<GeneratedFutures & { cacheHit: boolean }> {
  if (events.words.length === 0) throw new Error(`${events.source}: the word list is empty`);
  const dir = await resolveCheckpoint(model, { cacheDir: options.cacheDir, ...options.hub });
  const info = readModelInfo(dir);
  if (info.modelType !== "gpt2")
    throw new Error(
      `generated futures: decoding with a key/value cache is implemented for GPT-2 checkpoints; ${model} is model_type "${info.modelType}"`,
    );
  const config = readGpt2Config(dir);
  if (!Number.isInteger(options.layer) || options.layer < 0 || options.layer > config.nLayer)
    throw new Error(`layer ${options.layer} does not exist in ${model} (0 … ${config.nLayer})`);
  const tokenizer = loadGpt2Tokenizer(dir);
  const tokens = tokenizer.encodeWords(events.words);
  const settings = {
    strategy: options.strategy ?? "greedy",
    seed: options.seed ?? 0,
    temperature: options.temperature ?? 1,
    topK: options.topK ?? 0,
    words: options.words,
    context: options.context,
    maxTokens: options.maxTokens ?? null,
    layer: options.layer,
  };
  const weightsSha256 = await checkpointSha256(dir, options.cacheDir);
  const key = createHash("sha256")
    .update(
      JSON.stringify({
        v: 1,
        weightsSha256,
        config: readFileSync(join(dir, "config.json"), "utf8"),
        ids: Array.from(tokens.ids),
        words: events.words,
        settings,
      }),
    )
    .digest("hex");
  const cachePath = join(options.cacheDir ?? defaultCacheDir(), "generated", `${key}.safetensors`);
  const W = events.words.length;
  if (options.cache !== false && existsSync(cachePath)) {
    try {
      const hit = readSafetensors(cachePath);
      if (hit.metadata.key === key) {
        return {
          states: hit.tensors.get("states")!.data as Float32Array,
          W,
          words: options.words,
          nEmbd: config.nEmbd,
          text: JSON.parse(hit.metadata.text),
          missing: Number(hit.metadata.missing),
          cacheHit: true,
        };
      }
    } catch {
      // An unreadable cache entry is recomputed and replaced.
    }
  }
  const runtime = await Gpt2Runtime.create(config, loadGpt2Weights(dir, config), {
    layers: [options.layer],
    cache: true,
    executionProviders: options.executionProviders,
  });
  try {
    const out = await generateFutures(runtime, tokenizer, tokens, options);
    if (options.cache !== false) {
      mkdirSync(join(cachePath, ".."), { recursive: true });
      writeSafetensors(
        cachePath,
        { states: { shape: [W, options.words, config.nEmbd], data: out.states } },
        { key, text: JSON.stringify(out.text), missing: String(out.missing), settings: JSON.stringify(settings) },
      );
    }
    return { ...out, cacheHit: false };
  } finally {
    await runtime.release();
  }
}

/**
 * Word-level activations: for each word, the hidden states at its LAST token, computed with up to
 * `context` tokens (the word's own included) ending at that token. Causal attention makes the state at a
 * token depend only on the tokens before it in its window, and windows never run past the story's start or
 * wrap its end around.
 *
 * - exact: every word gets exactly min(context, tokens so far) tokens of context. One forward pass over the
 *   first `context` tokens serves every word that ends inside it; each later word needs its own window.
 * - strided: windows of `context` tokens every `stride` tokens (the last one aligned to the story's end);
 *   each word is read from the window that gives it the most context, so every word has at least
 *   context − stride + 1 tokens. Far cheaper: about T/stride passes instead of one per word.
 */
import type { LanguageModelRuntime } from "./runtime.js";
import type { WordTokens } from "./tokenizer.js";

export type ContextMode = "exact" | "strided";

export interface WordStateOptions {
  /** Maximum tokens per window, the word's own included (default: the model's positions, 1,024 for GPT-2). */
  context?: number;
  mode?: ContextMode;
  /** Strided mode: tokens between window starts (default context / 2). */
  stride?: number;
  /**
   * Windows of equal length per forward pass (default 2): the states of one at a time to float32 rounding
   * (the last block's products on 1 or 2 rows), and larger products — GPT-2-small shape, 1,024-token
   * windows on 2 cores: 1.61 s a window alone, 1.31 s in pairs.
   */
  batchSize?: number;
  /** A beginning-of-sequence token put before every window, as models trained with one expect (Llama-2, Mistral). */
  bos?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface WordStates {
  /** [layers.length × W × E], row-major: states[(l*W + w)*E + e]. */
  states: Float32Array;
  layers: number[];
  nWords: number;
  nEmbd: number;
  /** Tokens of context each word was computed with (its own tokens included). */
  contextTokens: Int32Array;
  /** Forward passes run and tokens processed. */
  passes: number;
  tokensProcessed: number;
}

interface Window {
  start: number;
  end: number; // inclusive
  /** Words read from this window. */
  words: number[];
}

export function planWindows(tokens: WordTokens, context: number, mode: ContextMode, stride: number): Window[] {
  const T = tokens.ids.length;
  const W = tokens.wordEnd.length;
  if (!Number.isInteger(context) || context < 1)
    throw new Error(`context must be a positive number of tokens, got ${context}`);
  const windows: Window[] = [];
  if (mode === "exact") {
    const first: Window = { start: 0, end: Math.min(T, context) - 1, words: [] };
    windows.push(first);
    for (let w = 0; w < W; w++) {
      const e = tokens.wordEnd[w];
      if (e < context) first.words.push(w);
      else windows.push({ start: e - context + 1, end: e, words: [w] });
    }
    return windows;
  }
  if (!Number.isInteger(stride) || stride < 1 || stride > context)
    throw new Error(`stride must be between 1 and context (${context}), got ${stride}`);
  const starts: number[] = [];
  for (let s = 0; s + context < T; s += stride) starts.push(s);
  const last = Math.max(0, T - context);
  if (starts.length === 0 || starts[starts.length - 1] !== last) starts.push(last);
  for (const s of starts) windows.push({ start: s, end: Math.min(T, s + context) - 1, words: [] });
  // The window giving most context to a token is the earliest one that still contains it.
  let k = 0;
  for (let w = 0; w < W; w++) {
    const e = tokens.wordEnd[w];
    while (windows[k].end < e) k++;
    windows[k].words.push(w);
  }
  return windows.filter((win) => win.words.length > 0);
}

export async function wordStates(
  runtime: LanguageModelRuntime,
  tokens: WordTokens,
  options: WordStateOptions = {},
): Promise<WordStates> {
  const W = tokens.wordEnd.length;
  if (W === 0) throw new Error("word states: the word list is empty");
  const E = runtime.config.nEmbd;
  const bos = options.bos;
  const lead = bos === undefined ? 0 : 1;
  // With a BOS token each window holds one text token less (the model's positions are the limit).
  const context = Math.min(options.context ?? runtime.config.nPositions, runtime.config.nPositions) - lead;
  const mode = options.mode ?? "exact";
  const windows = planWindows(tokens, context, mode, options.stride ?? Math.max(1, Math.floor(context / 2)));
  const layers = runtime.layers;
  const states = new Float32Array(layers.length * W * E);
  const contextTokens = new Int32Array(W);
  const batchSize = Math.max(1, options.batchSize ?? 2);
  let passes = 0;
  let tokensProcessed = 0;
  // Batch windows of equal length together.
  const byLength = new Map<number, Window[]>();
  for (const win of windows) {
    const len = win.end - win.start + 1;
    byLength.set(len, [...(byLength.get(len) ?? []), win]);
  }
  let done = 0;
  for (const [len, group] of byLength) {
    for (let b0 = 0; b0 < group.length; b0 += batchSize) {
      const batch = group.slice(b0, b0 + batchSize);
      const seqs = batch.map((win) => tokens.ids.subarray(win.start, win.end + 1));
      const T = len + lead;
      // Only positions from the earliest word read on are asked for (an exact-mode window: its last token).
      let first = T - 1;
      for (const win of batch) for (const w of win.words) first = Math.min(first, tokens.wordEnd[w] - win.start + lead);
      const out = await runtime.forward(bos === undefined ? seqs : seqs.map((ids) => [bos, ...ids]), first);
      const kept = T - out.from;
      passes++;
      tokensProcessed += batch.length * T;
      batch.forEach((win, b) => {
        for (const w of win.words) {
          const t = tokens.wordEnd[w] - win.start + lead;
          contextTokens[w] = t + 1 - lead;
          const row = b * kept + t - out.from;
          layers.forEach((layer, li) => {
            const h = out.hidden.get(layer)!;
            states.set(h.subarray(row * E, (row + 1) * E), (li * W + w) * E);
          });
        }
      });
      done += batch.length;
      options.onProgress?.(done, windows.length);
    }
  }
  return { states, layers, nWords: W, nEmbd: E, contextTokens, passes, tokensProcessed };
}

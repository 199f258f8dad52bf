/**
 * GPT-2 byte-level BPE through @huggingface/tokenizers (the tokenizer library of transformers.js), from a
 * checkpoint's `tokenizer.json`, or built from `vocab.json` + `merges.txt` when only those are present
 * (older hub repositories). Words are encoded one by one — the first as is, every other with a leading
 * space — which reproduces the encoding of the words joined by single spaces and gives each word's span.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { readJsonFile } from "../io/files.js";

export interface WordTokens {
  /** Token ids of the whole word sequence. */
  ids: Int32Array;
  /** First and last token index (inclusive) of each word. */
  wordStart: Int32Array;
  wordEnd: Int32Array;
}

/**
 * What the toolkit uses of a Hugging Face tokenizer. Typed here rather than by the library's own class so
 * the published declarations do not depend on @huggingface/tokenizers' type files (which do not compile
 * under a consumer's strict NodeNext settings).
 */
export interface TokenizerBackend {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  token_to_id(token: string): number | undefined;
}

export class Gpt2Tokenizer {
  private cache = new Map<string, number[]>();

  constructor(
    private readonly tokenizer: TokenizerBackend,
    readonly source: string,
    /** Ids of special tokens (tokenizer.json's added_tokens marked special, e.g. <|endoftext|>). */
    readonly specialIds: ReadonlySet<number> = new Set(),
    /**
     * How a later word is encoded so the pieces concatenate to the text's encoding: with a leading space
     * (byte-level BPE: GPT-2, Pythia, Llama-3, Qwen2), or as is when the tokenizer marks word starts itself
     * (SentencePiece-style "▁" from a Prepend normalizer or a Metaspace pre-tokenizer: Llama-2, Mistral).
     */
    readonly wordPrefix: " " | "" = " ",
    /** The beginning-of-sequence token the model expects before its input, if any (Llama-2/3, Mistral). */
    readonly bosId?: number,
  ) {}

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids);
  }

  encodeWords(words: readonly string[]): WordTokens {
    const ids: number[] = [];
    const wordStart = new Int32Array(words.length);
    const wordEnd = new Int32Array(words.length);
    words.forEach((word, w) => {
      if (word.length === 0 || /\s/.test(word))
        throw new Error(`word ${w} ("${word}") is empty or contains whitespace`);
      const piece = w === 0 ? word : `${this.wordPrefix}${word}`;
      let tokens = this.cache.get(piece);
      if (!tokens) {
        tokens = this.encode(piece);
        this.cache.set(piece, tokens);
      }
      if (tokens.length === 0) throw new Error(`word ${w} ("${word}") produced no tokens`);
      wordStart[w] = ids.length;
      ids.push(...tokens);
      wordEnd[w] = ids.length - 1;
    });
    return { ids: Int32Array.from(ids), wordStart, wordEnd };
  }
}

export function loadGpt2Tokenizer(dir: string): Gpt2Tokenizer {
  const configPath = join(dir, "tokenizer_config.json");
  const config = existsSync(configPath) ? readJsonFile<Record<string, unknown>>(configPath) : {};
  const tokenizerPath = join(dir, "tokenizer.json");
  const specials = (json: Record<string, unknown>) =>
    new Set(
      ((json.added_tokens ?? []) as { id: number; special?: boolean }[]).filter((t) => t.special).map((t) => t.id),
    );
  if (existsSync(tokenizerPath)) {
    const json = readJsonFile<Record<string, unknown>>(tokenizerPath);
    checkTokenizerJson(json, tokenizerPath);
    const tokenizer = new Tokenizer(json, config);
    return new Gpt2Tokenizer(
      tokenizer,
      tokenizerPath,
      specials(json),
      marksWordStarts(json) ? "" : " ",
      bosTokenId(json, config, tokenizer, tokenizerPath),
    );
  }
  const vocabPath = join(dir, "vocab.json");
  const mergesPath = join(dir, "merges.txt");
  if (!existsSync(vocabPath) || !existsSync(mergesPath)) {
    throw new Error(`${dir}: no tokenizer files (need tokenizer.json, or vocab.json and merges.txt)`);
  }
  const json = byteLevelBpeJson(checkVocab(readJsonFile(vocabPath), vocabPath), readMerges(mergesPath)) as Record<
    string,
    unknown
  >;
  return new Gpt2Tokenizer(new Tokenizer(json, config), `${vocabPath} + ${mergesPath}`, specials(json));
}

/** A tokenizer.json must hold a model with a vocabulary: an empty or foreign file is refused by name. */
function checkTokenizerJson(json: unknown, path: string): void {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new Error(`${path}: not a tokenizer (expected a JSON object with a "model")`);
  const model = (json as { model?: unknown }).model as { type?: unknown; vocab?: unknown } | undefined;
  if (!model || typeof model !== "object")
    throw new Error(`${path}: no "model" entry: not a Hugging Face tokenizer.json`);
  const vocab = model.vocab;
  const size = Array.isArray(vocab) ? vocab.length : vocab && typeof vocab === "object" ? Object.keys(vocab).length : 0;
  if (size === 0) throw new Error(`${path}: the model's vocabulary is empty or missing (model.vocab)`);
}

/** vocab.json maps token strings to ids: anything else (a list, an empty object) is refused by name. */
function checkVocab(vocab: unknown, path: string): Record<string, number> {
  if (vocab === null || typeof vocab !== "object" || Array.isArray(vocab))
    throw new Error(
      `${path}: expected an object mapping tokens to ids, got ${Array.isArray(vocab) ? "a list" : typeof vocab}`,
    );
  const entries = Object.entries(vocab as Record<string, unknown>);
  if (entries.length === 0) throw new Error(`${path}: the vocabulary is empty`);
  const bad = entries.find(([, id]) => !Number.isInteger(id) || (id as number) < 0);
  if (bad)
    throw new Error(`${path}: token ${JSON.stringify(bad[0])} has id ${JSON.stringify(bad[1])}; ids are integers ≥ 0`);
  return vocab as Record<string, number>;
}

/** The tokenizer.json that Hugging Face's GPT2TokenizerFast builds from vocab.json + merges.txt. */
export function byteLevelBpeJson(vocab: Record<string, number>, merges: string[]): object {
  const eos = "<|endoftext|>";
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens:
      eos in vocab
        ? [
            {
              id: vocab[eos],
              content: eos,
              single_word: false,
              lstrip: false,
              rstrip: false,
              normalized: true,
              special: true,
            },
          ]
        : [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

function readMerges(path: string): string[] {
  const lines = readFileSync(path, "utf8").split("\n");
  // First line is "#version: 0.2"; blank trailing line.
  return lines.filter((l, i) => !(i === 0 && l.startsWith("#version")) && l.trim().length > 0);
}

/**
 * Whether the tokenizer puts "▁" before words itself (SentencePiece-style: Prepend normalizer or Metaspace
 * pre-tokenizer).
 */
function marksWordStarts(json: Record<string, unknown>): boolean {
  const found = (node: unknown): boolean => {
    if (!node || typeof node !== "object") return false;
    const o = node as Record<string, unknown>;
    if (o.type === "Prepend" && o.prepend === "\u2581") return true;
    if (o.type === "Metaspace" && o.prepend_scheme !== "never" && o.add_prefix_space !== false) return true;
    return Object.values(o).some((v) => (Array.isArray(v) ? v.some(found) : found(v)));
  };
  return found(json.normalizer) || found(json.pre_tokenizer);
}

/**
 * The BOS token a model expects first: tokenizer_config.json's add_bos_token with its bos_token, or a
 * post-processor template that starts with a special token (Llama-3). None for GPT-2-style tokenizers.
 */
function bosTokenId(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  tokenizer: TokenizerBackend,
  source: string,
): number | undefined {
  let name: string | undefined;
  if (config.add_bos_token === true) {
    const b = config.bos_token as string | { content?: string } | undefined;
    name = typeof b === "string" ? b : b?.content;
    if (!name) throw new Error(`${source}: tokenizer_config.json sets add_bos_token but names no bos_token`);
  } else if (config.add_bos_token === undefined) {
    const post = json.post_processor as
      { type?: string; single?: { SpecialToken?: { id: string } }[]; processors?: unknown[] } | null | undefined;
    const template =
      post?.type === "TemplateProcessing"
        ? post
        : ((post?.processors ?? []) as (typeof post)[]).find((p) => p?.type === "TemplateProcessing");
    name = template?.single?.[0]?.SpecialToken?.id;
  }
  if (name === undefined) return undefined;
  const id = tokenizer.token_to_id(name);
  if (id === undefined) throw new Error(`${source}: the BOS token "${name}" is not in the vocabulary`);
  return id;
}

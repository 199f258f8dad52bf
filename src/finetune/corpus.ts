/**
 * A fine-tuning corpus: plain-text documents tokenized word by word (so every token knows its word, for
 * distances in words), joined by the end-of-text token and cut into blocks of equal length. Documents
 * named in `heldOut` (e.g. the story the brain scores are computed on) are never trained on; they form the
 * held-out perplexity set. Batches are drawn in a seeded order that depends only on (seed, epoch), so a
 * resumed run sees exactly the batches an uninterrupted one would.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Gpt2Tokenizer } from "../lm/tokenizer.js";
import { embeddedData } from "../io/paths.js";
import { mulberry32 } from "../linalg/random.js";
import type { TokenBatch } from "./objective.js";

/** The embedded default: transcripts of the 26 Narratives stories (CC0; word column of the Gentle alignments). */
export const NARRATIVES_TRANSCRIPTS = embeddedData("narratives", "transcripts");

export interface Document {
  name: string;
  text: string;
}

/** .txt files, or every .txt file of a folder (sorted); the document's name is the file's stem. */
export function readDocuments(paths: string[]): Document[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`${p}: corpus path does not exist`);
    if (statSync(p).isDirectory()) {
      const txt = readdirSync(p)
        .filter((f) => f.endsWith(".txt"))
        .sort();
      if (txt.length === 0) throw new Error(`${p}: corpus folder holds no .txt file`);
      files.push(...txt.map((f) => join(p, f)));
    } else files.push(p);
  }
  const docs = files.map((f) => ({ name: basename(f, extname(f)), text: readFileSync(f, "utf8") }));
  for (const [i, d] of docs.entries()) {
    if (d.text.trim().length === 0) throw new Error(`${files[i]}: corpus document is empty`);
    if (d.text.includes("\uFFFD")) throw new Error(`${files[i]}: not UTF-8 text`);
  }
  return docs;
}

export interface TokenStream {
  ids: Int32Array;
  /** Word index of every token (the end-of-text token is a word of its own). */
  wordOf: Int32Array;
}

/** Documents tokenized and concatenated, each followed by the end-of-text token when the tokenizer has one. */
export function tokenizeDocuments(docs: Document[], tokenizer: Gpt2Tokenizer, eosId?: number): TokenStream {
  const ids: number[] = [];
  const wordOf: number[] = [];
  let word = 0;
  for (const doc of docs) {
    const words = doc.text.split(/\s+/).filter((w) => w.length > 0);
    const enc = tokenizer.encodeWords(words);
    for (let w = 0; w < words.length; w++) {
      for (let t = enc.wordStart[w]; t <= enc.wordEnd[w]; t++) {
        ids.push(enc.ids[t]);
        wordOf.push(word + w);
      }
    }
    word += words.length;
    if (eosId !== undefined) {
      ids.push(eosId);
      wordOf.push(word++);
    }
  }
  return { ids: Int32Array.from(ids), wordOf: Int32Array.from(wordOf) };
}

/** Non-overlapping blocks of `length` tokens (the remainder dropped). */
export function toBlocks(stream: TokenStream, length: number): TokenBatch {
  const n = Math.floor(stream.ids.length / length);
  const ids: Int32Array[] = [];
  const wordOf: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(stream.ids.slice(i * length, (i + 1) * length));
    wordOf.push(stream.wordOf.slice(i * length, (i + 1) * length));
  }
  return { ids, wordOf };
}

/** Blocks [i·size, (i+1)·size) of the seeded order; each epoch is a fresh permutation (seed + epoch). */
export class BatchOrder {
  private epoch = -1;
  private order: number[] = [];

  constructor(
    readonly nBlocks: number,
    readonly seed: number,
  ) {
    if (nBlocks === 0)
      throw new Error("fine-tuning corpus: no complete block to train on (corpus shorter than one block)");
  }

  /** Block indices of micro-batch `index` (0-based over the whole run) of `size` blocks. */
  batch(index: number, size: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < size; j++) {
      const flat = index * size + j;
      const epoch = Math.floor(flat / this.nBlocks);
      if (epoch !== this.epoch) this.permute(epoch);
      out.push(this.order[flat % this.nBlocks]);
    }
    return out;
  }

  private permute(epoch: number): void {
    const rand = mulberry32((this.seed * 1000003 + epoch) >>> 0);
    this.order = Array.from({ length: this.nBlocks }, (_, i) => i);
    for (let i = this.nBlocks - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
    this.epoch = epoch;
  }
}

export function pick(blocks: TokenBatch, indices: number[]): TokenBatch {
  return {
    ids: indices.map((i) => blocks.ids[i]),
    wordOf: blocks.wordOf ? indices.map((i) => blocks.wordOf![i]) : undefined,
  };
}

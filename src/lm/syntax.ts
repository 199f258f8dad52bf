/**
 * Syntactic and semantic components of language-model activations (Caucheteux et al. 2023): each word's
 * activation is averaged over K versions of the story in which every word is replaced by another word with
 * the same syntax — same part of speech and morphology (and, given dependency parses, the same dependency
 * label, as the paper's spaCy tag|pos|dep) — drawn frequency-weighted from a vocabulary. That average keeps
 * what syntax determines (X_syn); the rest is semantics (X_sem = X − X_syn).
 *
 * Tagging is offline with wink-nlp and its English model. Dependency parses may be given as CoNLL-U (for
 * example from spaCy); words of sentences without a parse fall back to wink's tags (counted in the result).
 */
import winkNLP from "wink-nlp";
import model from "wink-eng-lite-web-model";
import { mulberry32 } from "../linalg/random.js";
import { readText } from "../io/files.js";
import { PAPER } from "../config/paper.js";

let nlp: ReturnType<typeof winkNLP> | undefined;
function wink() {
  nlp ??= winkNLP(model);
  return nlp;
}

export interface SyntacticTags {
  /** Syntactic class of each word: "POS|inflection|case" or, from a parse, "XPOS|UPOS|DEPREL|case". */
  keys: string[];
  pos: string[];
  /** Words whose class came from wink because no parse covered them. */
  fallbackWords: number;
}

const PUNCT = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

/** The word without leading/trailing punctuation, and its case pattern. */
function core(word: string): { core: string; casing: string } {
  const c = word.replace(PUNCT, "");
  const casing =
    c === ""
      ? "none"
      : c === c.toLowerCase()
        ? "lower"
        : c === c.toUpperCase() && c.length > 1
          ? "upper"
          : c[0] === c[0].toUpperCase()
            ? "title"
            : "mixed";
  return { core: c, casing };
}

/** Tags words with wink-nlp, reading the story as running text and mapping tokens back to words. */
export function tagWords(words: string[]): SyntacticTags {
  const its = wink().its;
  const doc = wink().readDoc(words.join(" "));
  const values = doc.tokens().out(its.value) as string[];
  const pos = doc.tokens().out(its.pos) as string[];
  const lemmas = doc.tokens().out(its.lemma as never) as string[];
  const keys: string[] = [];
  const tags: string[] = [];
  let t = 0;
  let fallback = 0;
  for (const word of words) {
    // Consume the tokens that spell this word.
    let spelled = "";
    const mine: number[] = [];
    while (t < values.length && spelled.length < word.length) {
      spelled += values[t];
      mine.push(t++);
    }
    let p: string;
    let lemma: string;
    if (spelled === word && mine.length > 0) {
      const head = mine.find((i) => pos[i] !== "PUNCT") ?? mine[0];
      p = pos[head];
      lemma = lemmas[head];
    } else {
      // Tokenisation disagreed with the word list: tag the word alone and resynchronise.
      fallback++;
      const alone = wink().readDoc(word);
      p = (alone.tokens().out(its.pos) as string[]).find((x) => x !== "PUNCT") ?? "X";
      lemma = (alone.tokens().out(its.lemma as never) as string[])[0] ?? word;
      t = resync(values, t, words, keys.length);
    }
    const { core: c, casing } = core(word);
    const lower = c.toLowerCase();
    const l = (lemma ?? "").toLowerCase();
    const inflection = l === "" || l === lower ? "" : lower.startsWith(l) ? lower.slice(l.length) : "irregular";
    tags.push(p);
    keys.push(`${p}|${inflection}|${casing}`);
  }
  return { keys, pos: tags, fallbackWords: fallback };
}

function resync(values: string[], t: number, words: string[], w: number): number {
  const next = words[w + 1];
  if (next === undefined) return values.length;
  for (let i = t; i < values.length; i++) if (next.startsWith(values[i])) return i;
  return t;
}

export interface ConlluToken {
  form: string;
  upos: string;
  xpos: string;
  deprel: string;
  sentence: number;
}

/** Reads CoNLL-U (multiword-token lines and empty nodes are skipped). */
export function readConllu(path: string): ConlluToken[] {
  const text = readText(path);
  const tokens: ConlluToken[] = [];
  let sentence = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") {
      sentence++;
      return;
    }
    if (line.startsWith("#")) return;
    const cols = line.split("\t");
    if (cols.length !== 10)
      throw new Error(`${path} line ${i + 1}: expected 10 tab-separated CoNLL-U columns, found ${cols.length}`);
    if (!/^\d+$/.test(cols[0])) return; // 1-2 multiword ranges, 1.1 empty nodes
    tokens.push({ form: cols[1], upos: cols[3], xpos: cols[4], deprel: cols[7], sentence });
  });
  return tokens;
}

/**
 * Syntactic classes from dependency parses, aligned to the words by spelling. Words not covered by the
 * parses (missing sentences) keep wink's class — the documented fallback — and are counted.
 */
export function tagsFromParses(words: string[], tokens: ConlluToken[]): SyntacticTags {
  const base = tagWords(words);
  const keys = base.keys.slice();
  const pos = base.pos.slice();
  let t = 0;
  let covered = 0;
  for (let w = 0; w < words.length && t < tokens.length; w++) {
    const target = words[w];
    let spelled = "";
    const mine: number[] = [];
    let j = t;
    while (j < tokens.length && spelled.length < target.length) {
      spelled += tokens[j].form;
      mine.push(j++);
    }
    if (spelled !== target) continue; // this word is not where the parse is: leave wink's class
    t = j;
    const head = tokens[mine.find((i) => tokens[i].upos !== "PUNCT") ?? mine[0]];
    keys[w] = `${head.xpos}|${head.upos}|${head.deprel}|${core(target).casing}`;
    pos[w] = head.upos;
    covered++;
  }
  return { keys, pos, fallbackWords: words.length - covered };
}

export interface AlternativeOptions {
  /** Number of alternative stories (default 10, as the paper). */
  k?: number;
  seed?: number;
  /** Extra words (with their classes) to sample from, e.g. other stories; the story's own words are always in. */
  vocabulary?: { words: string[]; keys: string[] };
}

/**
 * K versions of the story with every word replaced by a word of the same syntactic class, drawn with
 * probability proportional to its frequency in the vocabulary, avoiding the original word when the class
 * offers another. Punctuation around the original word is kept.
 */
export function syntacticAlternatives(
  words: string[],
  tags: SyntacticTags,
  options: AlternativeOptions = {},
): { stories: string[][]; unchanged: number } {
  const k = options.k ?? PAPER.alternatives;
  const pools = new Map<string, Map<string, number>>();
  const add = (word: string, key: string) => {
    const c = core(word).core;
    if (c === "") return;
    const pool = pools.get(key) ?? new Map<string, number>();
    pool.set(c, (pool.get(c) ?? 0) + 1);
    pools.set(key, pool);
  };
  words.forEach((w, i) => add(w, tags.keys[i]));
  options.vocabulary?.words.forEach((w, i) => add(w, options.vocabulary!.keys[i]));
  const rand = mulberry32(options.seed ?? 0);
  let unchanged = 0;
  const stories = Array.from({ length: k }, () =>
    words.map((word, i) => {
      const { core: c } = core(word);
      const pool = pools.get(tags.keys[i]);
      const choices = pool ? [...pool].filter(([w]) => w.toLowerCase() !== c.toLowerCase()) : [];
      if (c === "" || choices.length === 0) {
        unchanged++;
        return word;
      }
      const total = choices.reduce((a, [, n]) => a + n, 0);
      let x = rand() * total;
      let pick = choices[choices.length - 1][0];
      for (const [w, n] of choices) {
        if ((x -= n) < 0) {
          pick = w;
          break;
        }
      }
      const start = word.indexOf(c);
      return word.slice(0, start) + pick + word.slice(start + c.length);
    }),
  );
  return { stories, unchanged: unchanged / k };
}

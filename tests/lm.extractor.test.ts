/** WordFeatureExtractor: one model session for many word lists (a story and its syntactic alternatives). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { extractWordFeatures, WordFeatureExtractor } from "../src/lm/extract.js";
import { syntaxSemantics } from "../src/lm/decomposition.js";
import { readWords } from "../src/stimuli/readers.js";
import { untimedWords } from "../src/stimuli/words.js";
import { tinyCheckpoint } from "./helpers/gpt2.js";
import { sharedPath } from "./helpers/shared.js";

// Counts the sessions opened, through the one function every extraction opens its model with.
const opened = vi.hoisted(() => ({ count: 0 }));
vi.mock("../src/lm/architectures.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/lm/architectures.js")>();
  return {
    ...real,
    createLanguageModel: (...args: Parameters<typeof real.createLanguageModel>) => {
      opened.count++;
      return real.createLanguageModel(...args);
    },
  };
});

const model = tinyCheckpoint();
const words = readWords(sharedPath("data/narratives/align/pieman/align.csv")).words.slice(0, 60);
const lists = [words, words.slice(5, 50), [...words].reverse()].map((w, i) => untimedWords(w, `list ${i}`));
const tmp = () => mkdtempSync(join(tmpdir(), "bs-extractor-"));

describe("WordFeatureExtractor", () => {
  it("gives each word list the states of its own extractWordFeatures call, opening one session for all", async () => {
    const options = { layers: [0, 2], context: 16 };
    const separate = [];
    for (const ev of lists) separate.push(await extractWordFeatures(model, ev, { ...options, cacheDir: tmp() }));
    opened.count = 0;
    const extractor = await WordFeatureExtractor.open(model, { ...options, cacheDir: tmp() });
    try {
      for (const [i, ev] of lists.entries()) {
        const got = await extractor.extract(ev);
        expect(got.cacheHit).toBe(false);
        expect(Array.from(got.hiddenStates)).toEqual(Array.from(separate[i].hiddenStates));
        expect(Array.from(got.contextTokens)).toEqual(Array.from(separate[i].contextTokens));
      }
    } finally {
      await extractor.release();
    }
    expect(opened.count).toBe(1);
  });

  it("opens no session when every list is in the cache, and refuses an empty list by name", async () => {
    const cacheDir = tmp();
    for (const ev of lists) await extractWordFeatures(model, ev, { layers: [1], cacheDir });
    opened.count = 0;
    const extractor = await WordFeatureExtractor.open(model, { layers: [1], cacheDir });
    for (const ev of lists) expect((await extractor.extract(ev)).cacheHit).toBe(true);
    const empty = { ...lists[0], words: [], source: "empty.csv" };
    await expect(extractor.extract(empty)).rejects.toThrow(/empty\.csv: the word list is empty/);
    await extractor.release();
    expect(opened.count).toBe(0);
  });

  it("runs the syntactic alternatives of a story on one session", async () => {
    opened.count = 0;
    const d = await syntaxSemantics(model, lists[0], { layer: 2, k: 3, context: 16, cacheDir: tmp() });
    expect(opened.count).toBe(1);
    expect(d.k).toBe(3);
    expect(d.syntax.rows).toBe(lists[0].words.length);
  });
});

/** WordFeatureExtractor: one model session for many word lists (a story and its syntactic alternatives). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { extractWordFeatures, WordFeatureExtractor } from "../src/lm/extract.js";
import { syntaxSemantics } from "../src/lm/decomposition.js";
import { LebelDataset } from "../src/fmri/datasets/lebel.js";
import { lebelBrainScores, lebelForecast } from "../src/pipeline/lebel.js";
import { simulateLebelDataset } from "../src/simulate/lebelSimulate.js";
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

  it("opens one session per LeBel subject for all its stories (simulation, brain scores, forecast)", async () => {
    const root = tmp();
    const stories = Object.fromEntries(
      ["pieman", "bronx", "black"].map((st) => [st, sharedPath(`data/narratives/align/${st}/align.csv`)]),
    );
    const features = { model, context: 16, contextMode: "strided" as const };
    opened.count = 0;
    const truth = await simulateLebelDataset(
      { seed: 2, subjects: 1, stories, voxels: 12, planted: { count: 4, layer: 2, snr: 1 }, ...features },
      join(root, "ds"),
      { cacheDir: join(root, "simulation-cache") },
    );
    expect(opened.count).toBe(1);
    const ds = LebelDataset.open(join(root, "ds"));
    const options = { subject: truth.subjects[0], sessions: [1], layer: 2, ...features };
    const cacheDir = join(root, "cache");
    const bootstrap = { nBoots: 2, chunkLength: 20, nChunks: 3 };
    for (const expected of [1, 0]) {
      // Three stories past the cache: one session; all three in it (second pass): none.
      opened.count = 0;
      const res = await lebelBrainScores(ds, { ...options, cacheDir, bootstrap });
      expect(res.train).toEqual(["pieman", "bronx"]);
      expect(opened.count).toBe(expected);
    }
    opened.count = 0;
    const forecast = await lebelForecast(ds, { ...options, cacheDir: join(root, "cache-2"), distances: [0, 2] });
    expect(forecast.distances).toEqual([0, 2]);
    expect(opened.count).toBe(1);
  });
});

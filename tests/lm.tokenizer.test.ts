/** Tokenization identical to GPT-2's byte-level BPE (gpt-3-encoder) on all 26 Narratives transcripts. */
import { copyFileSync, mkdtempSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadGpt2Tokenizer } from "../src/lm/tokenizer.js";
import { readWords } from "../src/stimuli/readers.js";
import { sharedPath } from "./helpers/shared.js";

const encoder = createRequire(import.meta.url)("gpt-3-encoder") as { encode(text: string): number[] };
const stories = readdirSync(sharedPath("data/narratives/align")).sort();

describe("GPT-2 tokenizer", () => {
  const fromJson = loadGpt2Tokenizer(sharedPath("reference/gpt2"));
  const bpeDir = mkdtempSync(join(tmpdir(), "bpe-"));
  copyFileSync(sharedPath("reference/gpt2/vocab.json"), join(bpeDir, "vocab.json"));
  copyFileSync(sharedPath("reference/gpt2/merges.txt"), join(bpeDir, "merges.txt"));
  const fromBpe = loadGpt2Tokenizer(bpeDir);

  it("covers the 26 stories", () => expect(stories.length).toBe(26));

  it.each(stories)(
    "%s: per-word encoding equals gpt-3-encoder on the transcript (tokenizer.json and vocab+merges)",
    (story) => {
      const { words } = readWords(sharedPath(`data/narratives/align/${story}/align.csv`));
      const expected = encoder.encode(words.join(" "));
      expect(Array.from(fromJson.encodeWords(words).ids)).toEqual(expected);
      expect(Array.from(fromBpe.encodeWords(words).ids)).toEqual(expected);
    },
  );

  it("refuses a folder without tokenizer files", () => {
    expect(() => loadGpt2Tokenizer(mkdtempSync(join(tmpdir(), "empty-")))).toThrow(/no tokenizer files/);
  });
});

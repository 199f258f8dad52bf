/** Word lists with timings from Gentle, TextGrid, BIDS events.tsv and plain text. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readWords } from "../src/stimuli/readers.js";
import { sharedPath } from "./helpers/shared.js";

const dir = mkdtempSync(join(tmpdir(), "words-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe("word readers", () => {
  it("reads a real Gentle align.csv, interpolating and flagging words not found in the audio", () => {
    const ev = readWords(sharedPath("data/narratives/align/pieman/align.csv"));
    expect(ev.words.length).toBe(957);
    expect(ev.words.slice(0, 3)).toEqual(["I", "began", "my"]);
    const missing = ev.interpolated.reduce((a, b) => a + b, 0);
    expect(missing).toBe(3);
    for (let i = 1; i < ev.onsets.length; i++) expect(ev.onsets[i]).toBeGreaterThanOrEqual(ev.onsets[i - 1] - 1e-9);
  });

  it("interpolates linearly between timed neighbours and extrapolates at the edges", () => {
    const ev = readWords(file("a.csv", "w0,w0,,\nw1,w1,1.0,1.2\nw2,w2,,\nw3,w3,,\nw4,w4,2.5,2.7\nw5,w5,,\n"));
    expect(Array.from(ev.interpolated)).toEqual([1, 0, 1, 1, 0, 1]);
    expect(ev.onsets[2]).toBeCloseTo(1.5);
    expect(ev.onsets[3]).toBeCloseTo(2.0);
    expect(ev.onsets[0]).toBeCloseTo(0.5);
    expect(ev.onsets[5]).toBeCloseTo(3.0);
  });

  it("reads Gentle align.json, treating not-found words as untimed", () => {
    const json = {
      transcript: "a b c",
      words: [
        { word: "a", case: "success", start: 1, end: 1.1 },
        { word: "b", case: "not-found-in-audio" },
        { word: "c", case: "success", start: 2, end: 2.2 },
      ],
    };
    const ev = readWords(file("align.json", JSON.stringify(json)));
    expect(ev.words).toEqual(["a", "b", "c"]);
    expect(ev.onsets[1]).toBeCloseTo(1.5);
    expect(ev.interpolated[1]).toBe(1);
    expect(() => readWords(file("bad.json", "{}"))).toThrow(/bad\.json: no "words" array/);
  });

  it("reads the real Alice TextGrid word tier, skipping pauses", () => {
    const ev = readWords(sharedPath("data/alice/alice_stim_shared/DownTheRabbitHoleFinal_exp120_pad_1.TextGrid"));
    expect(ev.words.slice(0, 4)).toEqual(["Alice", "was", "beginning", "to"]);
    expect(ev.words).not.toContain("sp");
    expect(ev.onsets[0]).toBeCloseTo(20.0589, 3);
    expect(() => readWords(file("x.TextGrid", "hello"))).toThrow(/not a Praat TextGrid/);
  });

  it("reads BIDS events.tsv with a word column, and names a missing column", () => {
    const ev = readWords(file("events.tsv", "onset\tduration\tword\n0.5\t0.2\thello\n1.0\t0.3\tworld\n"));
    expect(ev.words).toEqual(["hello", "world"]);
    expect(Array.from(ev.offsets)).toEqual([0.7, 1.3]);
    expect(() => readWords(file("ev2.tsv", "onset\tduration\ttrial_type\n0.5\t0.2\tx\n"))).toThrow(
      /ev2\.tsv: no "word" column \(columns: onset, duration, trial_type\)/,
    );
    expect(readWords(file("ev3.tsv", "onset\ttoken\n0.1\thi\n"), { wordColumn: "token" }).words).toEqual(["hi"]);
  });

  it("reads plain text without normalisation or timings", () => {
    const ev = readWords(file("story.txt", "It was  a dark,\nstormy night."));
    expect(ev.words).toEqual(["It", "was", "a", "dark,", "stormy", "night."]);
    expect(ev.timed).toBe(false);
    expect(() => readWords(file("story.doc", "x"))).toThrow(/unsupported word file/);
  });
});

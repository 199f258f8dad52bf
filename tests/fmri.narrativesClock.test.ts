/**
 * Every real Narratives alignment (26 stories) on the scan clock with the real event_meta.json: each story
 * loads, its first word lands within the first seconds of its trimmed window and its last word inside it;
 * the words dropped per story are reported (and must be the few the README's table lists).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NarrativesDataset, type EventMeta } from "../src/fmri/datasets/narratives.js";
import { NARRATIVES_CLOCKS, resolveAlignmentClock, wordsOnScanClock } from "../src/fmri/datasets/narrativesClock.js";
import { writeNarrativesLayout } from "../src/fmri/datasets/narrativesWriter.js";
import { readWords } from "../src/stimuli/readers.js";
import { sharedPath } from "./helpers/shared.js";

const ALIGN = sharedPath("data/narratives/align");
const meta: EventMeta = JSON.parse(readFileSync(sharedPath("data/narratives/event_meta.json"), "utf8"));
const folders = readdirSync(ALIGN).sort();
const SCHEMA = ["bigbang", "friends", "himym", "santa", "seinfeld", "shame", "upintheair", "vinny"];
const VERSIONS: Record<string, { task: string; condition: string }> = {
  milkywayoriginal: { task: "milkyway", condition: "original" },
  milkywayvodka: { task: "milkyway", condition: "vodka" },
  milkywaysynonyms: { task: "milkyway", condition: "synonyms" },
};
// The only words outside their story window (README table): Gentle put synonyms' first word inside the
// opening music; event_meta's whole-TR windows end a fraction of a second before the last word of
// 21styear, sherlock and black, and start a third of a second after the first words of the shapes stories.
const EXPECTED_OUTSIDE: Record<string, { before: number; after: number }> = {
  milkywaysynonyms: { before: 1, after: 0 },
  "21styear": { before: 0, after: 1 },
  sherlock: { before: 0, after: 2 }, // the last word, and one after it Gentle did not find (interpolated)
  black: { before: 0, after: 1 },
  shapesphysical: { before: 2, after: 0 },
  shapessocial: { before: 2, after: 0 },
};
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A one-scan dataset holding this alignment, its task's real window(s), and a 2-vertex BOLD. */
function datasetFor(folder: string): { ds: NarrativesDataset; task: string } {
  const task = VERSIONS[folder]?.task ?? folder;
  const windows = meta[task];
  const scanTRs = Math.max(...Object.values(windows).map((w) => w.onset + w.duration)) + 4;
  const hemi = { rows: scanTRs, cols: 2, data: new Float32Array(scanTRs * 2) };
  const root = mkdtempSync(join(tmpdir(), `clock-${folder}-`));
  roots.push(root);
  writeNarrativesLayout(root, {
    eventMeta: { [task]: windows },
    alignments: { [folder]: readFileSync(join(ALIGN, folder, "align.csv"), "utf8") },
    scans: [{ subject: "sub-001", task, hemis: { L: hemi, R: hemi } }],
  });
  if (VERSIONS[folder]) writeParticipants(root, task, VERSIONS[folder].condition);
  return { ds: new NarrativesDataset(root), task };
}

function writeParticipants(root: string, task: string, condition: string) {
  // Narratives' participants.tsv lists each subject's tasks and conditions as comma-separated columns.
  const text = `participant_id\tage\ttask\tcondition\nsub-001\t22\tpieman,${task}\tn/a,${condition}\n`;
  writeFileSync(join(root, "participants.tsv"), text);
}

const report: string[] = [];
afterAll(() =>
  console.log(
    [
      "story | clock | audio onset (s) | words | outside window (before / after) | dropped by the design (before / after)",
      ...report,
    ].join("\n"),
  ),
);

describe("Narratives word clocks: all 26 real alignments", () => {
  it("has a documented clock for every alignment folder", () => {
    expect(folders.length).toBe(26);
    for (const f of folders) {
      expect(NARRATIVES_CLOCKS[f], f).toBeDefined();
      expect(NARRATIVES_CLOCKS[f].evidence.length).toBeGreaterThan(20);
    }
  });

  for (const folder of folders.filter((f) => !SCHEMA.includes(f))) {
    it(`${folder}: first word within the first seconds of the trimmed window, last word inside it`, () => {
      const { ds, task } = datasetFor(folder);
      const scan = ds.scans(task).scans[0];
      for (const story of ds.stories(task)) {
        const loaded = ds.load(scan, story);
        const words = ds.storyWords(loaded);
        expect(words.alignment).toBe(folder);
        expect(words.clock.source).toBe("table");
        expect(words.warnings).toEqual([]);
        const tr = loaded.tr;
        const end = loaded.bold.rows * tr;
        const inside = Array.from(words.onsets).filter((t) => t >= 0 && t < end);
        // The first word starts within 2 s of the window, the last one inside it.
        expect(Math.min(...inside), `${folder}/${story} first word`).toBeLessThan(2);
        expect(Math.max(...inside), `${folder}/${story} last word`).toBeGreaterThan(end - 20);
        expect(words.outside, `${folder}/${story} words outside the window`).toEqual(
          EXPECTED_OUTSIDE[folder] ?? { before: 0, after: 0 },
        );
        // The design drops words whose lagged TR (floor(t/TR) + 1) is outside: those more than one TR
        // early, and those in the window's last TR.
        const lag = (t: number) => Math.floor(t / tr) + 1;
        expect(words.dropped.before).toBe(Array.from(words.onsets).filter((t) => lag(t) < 0).length);
        expect(words.dropped.after).toBe(Array.from(words.onsets).filter((t) => lag(t) >= loaded.bold.rows).length);
        expect(words.dropped.after).toBeLessThanOrEqual(6);
        expect(Array.from(words.onsets).filter((t) => lag(t) >= loaded.bold.rows && t < end - 2 * tr)).toEqual([]);
        report.push(
          `${folder}${story !== folder ? `/${story}` : ""} | ${words.clock.convention} | ${words.clock.audioOnset} | ${words.words.length} | ${words.outside.before} / ${words.outside.after} | ${words.dropped.before} / ${words.dropped.after}`,
        );
      }
    });
  }

  it("schema stories count from their own audio: the run's story onset places them", () => {
    for (const s of SCHEMA) {
      const events = readWords(join(ALIGN, s, "align.csv"));
      // A story played at 100 s for 200 s: its words fall inside that window, the first within its first 7 s.
      const { words, clock } = wordsOnScanClock(s, events, { storyOnset: 100, storyEnd: 300 });
      expect(clock.convention).toBe("audio");
      expect(clock.audioOnset).toBe(100);
      expect(words.onsets[0] - 100).toBeGreaterThan(0);
      expect(words.onsets[0] - 100).toBeLessThan(7);
      expect(Math.max(...words.onsets)).toBeLessThan(300);
    }
  });

  it("the scan-relative reading that the loader used before mis-times the story-relative stories", () => {
    // black: scan-relative would put its first word 11.8 s before the window and most words outside it.
    const { ds } = datasetFor("black");
    const loaded = ds.load(ds.scans("black").scans[0]);
    expect(ds.storyWords(loaded).onsets[0]).toBeCloseTo(0.24, 6);
    const scanClock = new NarrativesDataset(ds.root, { wordClock: { black: "scan" } });
    expect(scanClock.storyWords(loaded, { maxOutsideFraction: 1 }).onsets[0]).toBeCloseTo(0.24 - 12, 6);
    const override = new NarrativesDataset(ds.root, { wordClock: { black: 11.5 } });
    expect(override.storyWords(loaded).onsets[0]).toBeCloseTo(0.24 - 0.5, 6);
    expect(override.storyWords(loaded).clock.source).toBe("override");
  });

  it("a story missing from the table gets an inferred clock and a warning naming the check", () => {
    const story = resolveAlignmentClock("newstory", { storyOnset: 12, storyEnd: 612 }, { first: 0.3, last: 590 });
    expect(story.audioOnset).toBe(12);
    expect(story.source).toBe("inferred");
    expect(story.warning).toMatch(
      /story "newstory" has no known word clock: taken as story-relative .* from the first word 0\.30 s and last word 590\.00 s of the alignment against the story window 12\.0–612\.0 s/,
    );
    const scan = resolveAlignmentClock("newstory", { storyOnset: 15, storyEnd: 430 }, { first: 15.1, last: 429 });
    expect(scan.audioOnset).toBe(0);
    expect(scan.warning).toMatch(/scan-relative/);
  });
});

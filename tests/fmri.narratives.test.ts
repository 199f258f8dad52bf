/**
 * A miniature Narratives-layout dataset written with the project's own writer (real GIfTI/NIfTI/JSON/CSV)
 * loads end to end, with the trims of the real event_meta.json and the exclusions of scan_exclude.json.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBidsRun } from "../src/fmri/datasets/bids.js";
import { NarrativesDataset, type EventMeta, type ScanExclude } from "../src/fmri/datasets/narratives.js";
import { writeNarrativesLayout, type LayoutScan } from "../src/fmri/datasets/narrativesWriter.js";
import { writeGiftiTimeSeries } from "../src/fmri/formats/gifti.js";
import { sharedPath } from "./helpers/shared.js";

const realMeta: EventMeta = JSON.parse(readFileSync(sharedPath("data/narratives/event_meta.json"), "utf8"));
const realExclude: ScanExclude = JSON.parse(readFileSync(sharedPath("data/narratives/scan_exclude.json"), "utf8"));
const pieman = realMeta.pieman.pieman; // onset 10, duration 281 TRs
const piemanCsv = readFileSync(sharedPath("data/narratives/align/pieman/align.csv"), "utf8");
const V = 12;

/** BOLD whose value encodes (TR, vertex, hemisphere), so trimming is checkable. */
function hemi(T: number, h: number) {
  const data = new Float32Array(T * V);
  for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) data[t * V + v] = 1000 * h + t + v / 100;
  return { rows: T, cols: V, data };
}
const surf = (subject: string, T: number, run?: string): LayoutScan => ({
  subject,
  task: "pieman",
  run,
  hemis: { L: hemi(T, 1), R: hemi(T, 2) },
});

function miniDataset(extra: LayoutScan[] = []): string {
  const root = mkdtempSync(join(tmpdir(), "narratives-"));
  writeNarrativesLayout(root, {
    eventMeta: { pieman: realMeta.pieman },
    scanExclude: { pieman: realExclude.pieman },
    alignments: { pieman: piemanCsv },
    scans: [
      surf("sub-001", 300, "1"),
      surf("sub-001", 300, "2"),
      surf("sub-002", 300),
      surf("sub-013", 300, "1"),
      surf("sub-013", 300, "2"),
      ...extra,
    ],
  });
  return root;
}

describe("Narratives loader", () => {
  it("lists scans and applies the dataset's recommended exclusions", () => {
    const ds = new NarrativesDataset(miniDataset());
    const { scans, excluded } = ds.scans("pieman");
    expect(scans.map((s) => s.key)).toEqual(["sub-002_task-pieman", "sub-013_task-pieman_run-1"]);
    expect(excluded.map((s) => s.key)).toEqual([
      "sub-001_task-pieman_run-1",
      "sub-001_task-pieman_run-2",
      "sub-013_task-pieman_run-2",
    ]);
    expect(scans[1].run).toBe("1");
    expect(ds.scans("pieman", ["sub-013"]).scans.length).toBe(1);
  });

  it("trims each scan to the story as event_meta.json says, both hemispheres side by side", () => {
    const ds = new NarrativesDataset(miniDataset());
    const loaded = ds.load(ds.scans("pieman").scans[0]);
    expect(loaded.bold.rows).toBe(pieman.duration);
    expect(loaded.bold.cols).toBe(2 * V);
    expect(loaded.hemiVertices).toEqual({ L: V, R: V });
    expect(loaded.trim).toEqual({ onset: pieman.onset, duration: pieman.duration, scanTRs: 300 });
    expect(loaded.bold.data[0]).toBeCloseTo(1000 + pieman.onset, 3); // first kept TR, left vertex 0
    expect(loaded.bold.data[V]).toBeCloseTo(2000 + pieman.onset, 3); // right hemisphere vertex 0
    const lastRow = (pieman.duration - 1) * 2 * V;
    expect(loaded.bold.data[lastRow + 5]).toBeCloseTo(1000 + pieman.onset + pieman.duration - 1 + 0.05, 3);
    expect(loaded.tr).toBe(1.5);
  });

  it("puts the story's words on the trimmed clock", () => {
    const ds = new NarrativesDataset(miniDataset());
    const loaded = ds.load(ds.scans("pieman").scans[0]);
    const words = ds.storyWords(loaded);
    expect(words.words.length).toBe(957);
    expect(words.onsets[0]).toBeCloseTo(15.089999 - pieman.onset * 1.5, 9);
    expect(Math.max(...words.onsets)).toBeLessThan(pieman.duration * 1.5);
  });

  it("refuses hemispheres with different TR counts, naming both files", () => {
    const bad: LayoutScan = { subject: "sub-002", task: "pieman", hemis: { L: hemi(300, 1), R: hemi(299, 2) } };
    const root = mkdtempSync(join(tmpdir(), "narratives-"));
    writeNarrativesLayout(root, { eventMeta: { pieman: realMeta.pieman }, alignments: {}, scans: [bad] });
    const ds = new NarrativesDataset(root);
    expect(() => ds.load(ds.scans("pieman").scans[0])).toThrow(
      /sub-002_task-pieman: hemispheres have different TR counts \(.*hemi-L.*: 300, .*hemi-R.*: 299\)/,
    );
  });

  it("refuses a scan shorter than the story window", () => {
    const root = mkdtempSync(join(tmpdir(), "narratives-"));
    writeNarrativesLayout(root, {
      eventMeta: { pieman: realMeta.pieman },
      alignments: {},
      scans: [surf("sub-002", 250)],
    });
    const ds = new NarrativesDataset(root);
    expect(() => ds.load(ds.scans("pieman").scans[0])).toThrow(
      /hemi-L_desc-clean\.func\.gii: 250 TRs, but event_meta\.json places story "pieman" at TRs 10–290/,
    );
  });

  it("refuses a story whose words mostly fall outside the trimmed scan, naming the alignment and the clock", () => {
    const root = mkdtempSync(join(tmpdir(), "narratives-"));
    const shortMeta = { pieman: { pieman: { onset: 10, duration: 200 } } };
    writeNarrativesLayout(root, {
      eventMeta: shortMeta,
      alignments: { pieman: piemanCsv },
      scans: [surf("sub-002", 300)],
    });
    const ds = new NarrativesDataset(root);
    const loaded = ds.load(ds.scans("pieman").scans[0]);
    expect(() => ds.storyWords(loaded)).toThrow(
      /align\.csv: 0 of 957 words fall before and \d+ after story "pieman" .*word clock "scan" \(audio at 0 s\): more than 10% outside/,
    );
    // A looser limit accepts it and reports the words dropped.
    const words = ds.storyWords(loaded, { maxOutsideFraction: 0.5 });
    expect(words.dropped.before).toBe(0);
    expect(words.dropped.after).toBe(Array.from(words.onsets).filter((t) => Math.floor(t / 1.5) + 1 >= 200).length);
    expect(words.dropped.after).toBeGreaterThan(100);
    rmSync(root, { recursive: true, force: true });
  });

  it("loads volumetric scans inside their brain mask", () => {
    const shape = [3, 2, 2, 300];
    const data = new Float32Array(3 * 2 * 2 * 300).map((_, i) => i);
    const mask = Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1]);
    const root = mkdtempSync(join(tmpdir(), "narratives-"));
    writeNarrativesLayout(root, {
      eventMeta: { pieman: realMeta.pieman },
      alignments: {},
      scans: [{ subject: "sub-002", task: "pieman", volume: { shape, data, mask } }],
    });
    const ds = new NarrativesDataset(root, { space: "MNI152NLin2009cAsym" });
    const loaded = ds.load(ds.scans("pieman").scans[0]);
    expect(loaded.bold.cols).toBe(7);
    expect(Array.from(loaded.maskIndices!)).toEqual([0, 2, 3, 6, 7, 8, 11]);
    expect(loaded.bold.data[0]).toBe(10 * 12 + 0);
    expect(loaded.bold.data[1]).toBe(10 * 12 + 2);
    rmSync(root, { recursive: true, force: true });
  });

  it("names missing metadata and unknown tasks", () => {
    expect(() => new NarrativesDataset(mkdtempSync(join(tmpdir(), "empty-")))).toThrow(
      /event_meta\.json: cannot read \(ENOENT\)/,
    );
    const ds = new NarrativesDataset(miniDataset());
    expect(() => ds.scans("lucy")).toThrow(/task "lucy" is not in event_meta\.json \(tasks: pieman\)/);
  });
});

describe("generic BIDS run", () => {
  it("reads a func.gii pair with an events.tsv of words", () => {
    const dir = mkdtempSync(join(tmpdir(), "bids-"));
    writeGiftiTimeSeries(join(dir, "L.func.gii"), hemi(20, 1), { tr: 2 });
    writeGiftiTimeSeries(join(dir, "R.func.gii"), hemi(20, 2), { tr: 2 });
    const events = join(dir, "events.tsv");
    writeFileSync(events, "onset\tduration\tword\n1.0\t0.3\tonce\n2.5\t0.2\tupon\n");
    const run = loadBidsRun({ bold: [join(dir, "L.func.gii"), join(dir, "R.func.gii")], events });
    expect(run.tr).toBe(2);
    expect(run.bold.cols).toBe(2 * V);
    expect(run.words.words).toEqual(["once", "upon"]);
    writeFileSync(events, "onset\tduration\tword\n1.0\t0.3\tonce\n45\t0.2\tlate\n");
    expect(() => loadBidsRun({ bold: [join(dir, "L.func.gii"), join(dir, "R.func.gii")], events })).toThrow(
      /L\.func\.gii: the BOLD covers 40\.0 s/,
    );
  });
});

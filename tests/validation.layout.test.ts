/**
 * Seeded corruption of a whole Narratives-layout dataset on disk (files deleted, truncated, swapped,
 * overwritten): opening the dataset, loading the scan and aligning its words either succeed consistently
 * or fail with a plain Error that names a file or folder of the dataset — never a TypeError, never a
 * message without a path.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { NarrativesDataset } from "../src/fmri/datasets/narratives.js";
import { writeNarrativesLayout } from "../src/fmri/datasets/narrativesWriter.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("seeded corruption of a dataset layout", () => {
  it("60 corruptions: every failure is a plain Error naming a path in the dataset; successes load the same scan", () => {
    const base = mkdtempSync(join(tmpdir(), "layout-fuzz-"));
    const clean = join(base, "clean");
    const rand = gaussian(mulberry32(5));
    const hemi = () => ({ rows: 300, cols: 10242, data: Float32Array.from({ length: 300 * 10242 }, rand) });
    writeNarrativesLayout(clean, {
      eventMeta: { pieman: { pieman: { onset: 10, duration: 281 } } },
      alignments: { pieman: readFileSync(join(process.cwd(), "data/narratives/align/pieman/align.csv"), "utf8") },
      scans: [{ subject: "sub-001", task: "pieman", hemis: { L: hemi(), R: hemi() } }],
      surface: "fsaverage5",
    });
    const open = (root: string) => {
      const ds = new NarrativesDataset(root, { space: "fsaverage5" });
      const { scans } = ds.scans("pieman");
      if (scans.length === 0) return { scans: 0 };
      const loaded = ds.load(scans[0]);
      const words = ds.storyWords(loaded);
      return { scans: scans.length, trs: loaded.bold.rows, vertices: loaded.bold.cols, words: words.words.length };
    };
    const reference = open(clean);
    expect(reference).toEqual({ scans: 1, trs: 281, vertices: 20484, words: expect.any(Number) }); // trimmed to the story
    const all = files(clean).map((f) => relative(clean, f));
    const pick = mulberry32(11);
    let refused = 0;
    let accepted = 0;
    let compared = 0;
    for (let i = 0; i < 60; i++) {
      const root = join(base, `m${i}`);
      cpSync(clean, root, { recursive: true });
      const target = join(root, all[Math.floor(pick() * all.length)]);
      const op = pick();
      if (op < 0.3) rmSync(target);
      else if (op < 0.55) truncateSync(target, Math.floor(pick() * statSync(target).size));
      else if (op < 0.75) writeFileSync(target, "{ not what this file should hold");
      else {
        const other = join(root, all[Math.floor(pick() * all.length)]);
        if (existsSync(other) && other !== target) cpSync(other, target);
      }
      try {
        const got = open(root);
        accepted++;
        // What loads is the same scan (or no scan, when its file is gone and the dataset lists none).
        if (got.scans > 0) {
          compared++;
          expect(got.trs).toBe(reference.trs);
          expect(got.vertices).toBe(reference.vertices);
        }
      } catch (err) {
        refused++;
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(TypeError);
        expect(err).not.toBeInstanceOf(RangeError);
        expect((err as Error).message, `mutation ${i} (${relative(root, target)})`).toContain(root);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    // Both branches run often enough to count: refusals checked for their message, loads for their scan.
    expect(refused).toBeGreaterThan(10);
    expect(compared).toBeGreaterThan(10);
    console.log(`layout corruptions: ${refused} refused, ${accepted} accepted (${compared} loading the scan)`);
    rmSync(base, { recursive: true, force: true });
  }, 300_000);
});

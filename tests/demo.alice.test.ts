/** The embedded Alice demo: loader, FIR delays, circular-shift null, and the real-data result. */
import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALICE_ROIS, listAliceSubjects, loadAliceSubject } from "../src/fmri/datasets/alice.js";
import { delaysForSeconds, firDelays } from "../src/fmri/design/fir.js";
import { readNumericTable } from "../src/fmri/formats/numericTable.js";
import { EMBEDDED_ALICE, runAliceDemo } from "../src/pipeline/aliceDemo.js";
import { toCsv } from "../src/report/csv.js";
import { circularShiftOffsets, permutationPValue, stackCircularShifts } from "../src/stats/circularShift.js";
import { sharedPath } from "./helpers/shared.js";

describe("FIR delays", () => {
  it("shifts each feature down by whole TRs, zero-filled, never wrapped", () => {
    const x = { rows: 4, cols: 2, data: Float64Array.from([1, 10, 2, 20, 3, 30, 4, 40]) };
    const d = firDelays(x, [0, 2]);
    expect(d.cols).toBe(4);
    expect(Array.from(d.data)).toEqual([1, 10, 0, 0, 2, 20, 0, 0, 3, 30, 1, 10, 4, 40, 2, 20]);
    expect(() => firDelays(x, [-1])).toThrow(/delays are whole TRs/);
  });

  it("covers the paper's window: 6 delays for 7.5 s at TR 1.5 s", () => {
    expect(delaysForSeconds(7.5, 1.5)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("circular-shift null", () => {
  it("rolls every column and keeps the original block first", () => {
    const y = { rows: 5, cols: 1, data: Float64Array.from([0, 1, 2, 3, 4]) };
    const s = stackCircularShifts(y, [2]);
    expect(Array.from(s.data)).toEqual([0, 3, 1, 4, 2, 0, 3, 1, 4, 2]);
  });

  it("draws seeded offsets away from alignment", () => {
    const a = circularShiftOffsets(100, 50, 20, 3);
    expect(a).toEqual(circularShiftOffsets(100, 50, 20, 3));
    for (const o of a) expect(o >= 20 && o <= 80).toBe(true);
    expect(() => circularShiftOffsets(30, 5, 15, 0)).toThrow(/cannot be shifted/);
  });

  it("counts the observation in the permutation p-value", () => {
    expect(permutationPValue(1, [0, 0, 0])).toBe(0.25);
    expect(permutationPValue(0, [0, 1, -1])).toBe(0.75);
    expect(Number.isNaN(permutationPValue(NaN, [0]))).toBe(true);
  });
});

describe("Alice loader", () => {
  it("reads the embedded copy identically to the shared original", () => {
    const ids = listAliceSubjects(EMBEDDED_ALICE);
    expect(ids.length).toBe(28);
    const a = loadAliceSubject(EMBEDDED_ALICE, "s18");
    const b = loadAliceSubject(sharedPath("data/alice/alice_data_shared/"), "s18");
    expect(a.bold.rows).toBe(362);
    expect(a.bold.cols).toBe(ALICE_ROIS.length);
    expect(Array.from(a.bold.data)).toEqual(Array.from(b.bold.data));
    expect(a.motion!.rows).toBe(362); // 372 rows trimmed by the 10 discarded volumes
  });

  it("names the file and line of malformed rows", () => {
    const dir = mkdtempSync(join(tmpdir(), "alice-"));
    mkdirSync(join(dir, "6mm"));
    writeFileSync(join(dir, "6mm", "s01-timecourses.txt"), "1 2 3 4 5 6\n1 2 3 4 5\n");
    expect(() => loadAliceSubject(dir, "s01")).toThrow(/s01-timecourses\.txt line 2: expected 6 numbers, found 5/);
    writeFileSync(join(dir, "bad.txt"), "1\nfoo\n");
    expect(() => readNumericTable(join(dir, "bad.txt"))).toThrow(/bad\.txt line 2: "foo" is not a finite number/);
    writeFileSync(join(dir, "6mm", "s01-timecourses.txt"), "1 2 3 4 5 6\n1 2 3 4 5 6\n");
    writeFileSync(join(dir, "s01-rate.txt"), "1\n2\n3\n");
    expect(() => loadAliceSubject(dir, "s01")).toThrow(/s01-rate\.txt: 3 rows, but the ROI time courses have 2 TRs/);
  });
});

describe("demo on the real data", () => {
  it("word rate and sound power predict the left temporal ROIs above the circular-shift null", async () => {
    const res = await runAliceDemo({ shifts: 40 });
    const group = Object.fromEntries(res.group.map((g) => [g.roi, g]));
    for (const roi of ["LATL", "LPTL"]) {
      expect(Number(group[roi].mean_r)).toBeGreaterThan(Number(group[roi].null_mean_r));
      expect(Number(group[roi].p_shift)).toBeLessThan(0.05);
    }
    // s33's time courses are all zeros in the release: reported and left out, not fatal.
    expect(res.excluded.filter((e) => e.subject === "s33").length).toBe(6);
    expect(group.LATL.n_subjects).toBe(27);
    expect(res.failures).toEqual([]);
  });

  it("keeps the other subjects' results when one subject's files are broken", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alice-broken-"));
    mkdirSync(join(dir, "6mm"));
    for (const id of ["s18", "s22"]) {
      copyFileSync(join(EMBEDDED_ALICE, "6mm", `${id}-timecourses.txt`), join(dir, "6mm", `${id}-timecourses.txt`));
      copyFileSync(join(EMBEDDED_ALICE, `${id}-rate.txt`), join(dir, `${id}-rate.txt`));
      copyFileSync(join(EMBEDDED_ALICE, `${id}-sndpwr.txt`), join(dir, `${id}-sndpwr.txt`));
    }
    writeFileSync(join(dir, "s22-sndpwr.txt"), "1\n2\n");
    const res = await runAliceDemo({ root: dir, shifts: 5 });
    expect(res.failures.map((f) => f.subject)).toEqual(["s22"]);
    expect(res.failures[0].error).toMatch(/s22-sndpwr\.txt: 2 rows/);
    expect(res.subjects.filter((r) => r.subject === "s18").length).toBe(6);
  });
});

describe("CSV tables", () => {
  it("quotes what needs quoting and writes NaN explicitly", () => {
    expect(toCsv([{ a: "x,y", b: NaN, c: 'say "hi"', d: null }])).toBe('a,b,c,d\n"x,y",NaN,"say ""hi""",\n');
  });
});

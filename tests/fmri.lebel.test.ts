/**
 * The ds003020 (LeBel et al. 2023) reader on a written layout: subjects, stories, the released session
 * split, word tiers without the original code's non-words at interval midpoints, the original code's TR
 * times, responses from .hf5 — and bad layouts refused naming the file (missing .hf5, a TR count that
 * disagrees with respdict.json, a TextGrid without a word tier, a missing respdict.json).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LebelDataset } from "../src/fmri/datasets/lebel.js";
import { writeLebelDataset } from "../src/fmri/datasets/lebelWriter.js";
import { lebelResponses } from "../src/pipeline/lebel.js";
import { readHdf5Matrix, writeHdf5Matrix } from "../src/fmri/formats/hdf5.js";
import { parseTextGridTiers } from "../src/stimuli/textGrid.js";

const root = mkdtempSync(join(tmpdir(), "lebel-"));
const rows = (n: number, v: number, seed: number) => ({
  rows: n,
  cols: v,
  data: Float32Array.from({ length: n * v }, (_, i) => Math.sin(i * 0.37 + seed)),
});
const intervals = [
  { start: 0, end: 0.4, text: "sp" },
  { start: 0.4, end: 0.9, text: "{SENTENCE_START}" },
  { start: 0.9, end: 1.3, text: "Once" },
  { start: 1.3, end: 1.5, text: "" },
  { start: 1.5, end: 2.1, text: "upon" },
  { start: 2.1, end: 2.2, text: "{LG}" },
  { start: 2.2, end: 2.6, text: "a" },
  { start: 2.6, end: 3.4, text: "time" },
];

beforeAll(async () => {
  await writeLebelDataset(root, {
    respdict: { alpha: 60, beta: 50, gamma: 45 },
    words: { alpha: intervals, beta: intervals, gamma: intervals },
    responses: {
      UTS01: { alpha: rows(40, 7, 1), beta: rows(30, 7, 2), gamma: rows(25, 7, 3) },
      UTS02: { alpha: rows(40, 9, 4), gamma: rows(25, 9, 5) },
    },
    sessions: { "1": [["alpha", "beta"], "gamma"], "2": [["beta"], "gamma"] },
  });
});

describe("the LeBel (ds003020) reader", () => {
  it("lists subjects and stories, splits sessions, reads words, TR times and responses", async () => {
    const ds = LebelDataset.open(root);
    expect(ds.subjects()).toEqual(["UTS01", "UTS02"]);
    expect(ds.stories("UTS02")).toEqual(["alpha", "gamma"]);
    expect(ds.split([1, 2])).toEqual({ train: ["alpha", "beta"], test: ["gamma"] });
    const w = ds.words("alpha");
    expect(w.words).toEqual(["Once", "upon", "a", "time"]);
    // Interval midpoints; "sp", "{SENTENCE_START}", "{LG}" and the empty label are not words.
    [1.1, 1.8, 2.4, 3.0].forEach((t, i) => expect(w.times[i]).toBeCloseTo(t, 12));
    // 60 − 5 TR times, (i + 0.5)·2 − 10 s.
    const tr = ds.trTimes("alpha");
    expect(tr.length).toBe(55);
    expect([tr[0], tr[1], tr[54]]).toEqual([-9, -7, 99]);
    const m = await ds.responses("UTS01", "alpha");
    expect([m.rows, m.cols]).toEqual([40, 7]);
    expect(Array.from(m.data.subarray(0, 3))).toEqual(Array.from(rows(40, 7, 1).data.subarray(0, 3)));
  });

  it("refuses bad layouts naming the file", async () => {
    const ds = LebelDataset.open(join(root, "derivative"));
    await expect(ds.responses("UTS02", "beta")).rejects.toThrow(
      /preprocessed_data\/UTS02\/beta\.hf5: missing \(subject UTS02, story "beta"\)/,
    );
    await expect(ds.responses("UTS09", "beta")).rejects.toThrow(
      /preprocessed_data\/UTS09: no such subject \(subjects: UTS01, UTS02\)/,
    );
    await writeHdf5Matrix(join(root, "derivative", "preprocessed_data", "UTS02", "beta.hf5"), "data", rows(31, 9, 6));
    await expect(ds.responses("UTS02", "beta")).rejects.toThrow(
      /UTS02\/beta\.hf5: 31 TRs, but respdict\.json gives "beta" 50 TRs, so its responses should hold 30/,
    );
    writeFileSync(join(root, "derivative", "preprocessed_data", "UTS02", "beta.hf5"), "not hdf5 at all");
    await expect(ds.responses("UTS02", "beta")).rejects.toThrow(/UTS02\/beta\.hf5: not a readable HDF5 file/);
    const grid = join(root, "derivative", "TextGrids", "beta.TextGrid");
    writeFileSync(
      grid,
      'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 3\ntiers? <exists>\nsize = 1\nitem []:\n    item [1]:\n        class = "IntervalTier"\n        name = "phone"\n        xmin = 0\n        xmax = 3\n        intervals: size = 1\n        intervals [1]:\n            xmin = 0\n            xmax = 3\n            text = "AH"\n',
    );
    expect(() => ds.words("beta")).toThrow(/beta\.TextGrid: no interval tier named "word" \(tiers: "phone"\)/);
    expect(() => ds.words("delta")).toThrow(/TextGrids\/delta\.TextGrid: missing \(story "delta"\)/);
    expect(() => ds.split([7])).toThrow(/sess_to_story\.json: no session "7"/);
    const empty = mkdtempSync(join(tmpdir(), "lebel-empty-"));
    expect(() => LebelDataset.open(empty)).toThrow(/not a ds003020 layout: no derivative\/respdict\.json/);
    rmSync(empty, { recursive: true });
  });

  it("stacks a subject's stories z-scored per story into one float32 matrix, refusing stories of other widths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lebel-stack-"));
    await writeLebelDataset(dir, {
      respdict: { alpha: 60, beta: 50 },
      words: { alpha: intervals, beta: intervals },
      responses: {
        UTS01: { alpha: rows(40, 7, 1), beta: rows(30, 7, 2) },
        UTS02: { alpha: rows(40, 7, 1), beta: rows(30, 6, 2) },
      },
      sessions: { "1": [["alpha"], "beta"] },
    });
    const ds = LebelDataset.open(dir);
    const y = await lebelResponses(ds, "UTS01", ["alpha", "beta"]);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect([y.rows, y.cols]).toEqual([70, 7]);
    // Each story's block has mean 0 and population SD 1 per voxel on its own.
    for (const [r0, r1] of [
      [0, 40],
      [40, 70],
    ]) {
      const col = Array.from({ length: r1 - r0 }, (_, i) => y.data[(r0 + i) * 7 + 3]);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(sd).toBeCloseTo(1, 5);
    }
    await expect(lebelResponses(ds, "UTS02", ["alpha", "beta"])).rejects.toThrow(
      /UTS02: beta has 6 voxels, alpha has 7/,
    );
    rmSync(dir, { recursive: true });
  });

  it("reads TextGrids in Praat's short text format as the long one", () => {
    const short =
      'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n2\n<exists>\n1\n"IntervalTier"\n"word"\n0\n2\n2\n0\n1\n"say ""hi"""\n1\n2\n"there"\n';
    expect(parseTextGridTiers(short, "short.TextGrid")).toEqual([
      {
        name: "word",
        kind: "interval",
        intervals: [
          { start: 0, end: 1, text: 'say "hi"' },
          { start: 1, end: 2, text: "there" },
        ],
      },
    ]);
    expect(() =>
      parseTextGridTiers('"Praat chronological TextGrid text file"\n0 2 ! Time domain.', "c.TextGrid"),
    ).toThrow(/c\.TextGrid: a chronological TextGrid/);
    expect(() => parseTextGridTiers(short.replace("\n2\n0\n1", "\n3\n0\n1"), "cut.TextGrid")).toThrow(
      /cut\.TextGrid: malformed TextGrid: expected interval 3 of "word": xmin, found the end of the file/,
    );
  });

  // Debian's h5py (python3-h5py), the library the original code reads these files with, where installed.
  const hasH5py = spawnSync("/usr/bin/python3", ["-c", "import h5py"]).status === 0;
  it.skipIf(!hasH5py)(
    "h5py reads what this writes, and this reads what h5py writes (float32 and float64)",
    async () => {
      const ours = join(root, "ours.hf5");
      const m = rows(12, 5, 9);
      await writeHdf5Matrix(ours, "data", m);
      const theirs = join(root, "theirs.hf5");
      const script = [
        "import h5py, numpy as np, sys, json",
        `a = h5py.File(${JSON.stringify(ours)}, "r")["data"][:]`,
        "print(json.dumps({'shape': a.shape, 'dtype': str(a.dtype), 'sum': float(a.astype(np.float64).sum())}))",
        `with h5py.File(${JSON.stringify(theirs)}, "w") as f:`,
        "    f.create_dataset('data', data=np.arange(21, dtype=np.float64).reshape(3, 7) / 7)",
        "    f.create_dataset('f32', data=np.arange(6, dtype=np.float32).reshape(2, 3))",
      ].join("\n");
      const res = spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" });
      expect(res.status).toBe(0);
      const info = JSON.parse(res.stdout.trim()) as { shape: number[]; dtype: string; sum: number };
      expect(info.shape).toEqual([12, 5]);
      expect(info.dtype).toBe("float32");
      expect(info.sum).toBeCloseTo(
        Array.from(m.data).reduce((a, b) => a + b, 0),
        4,
      );
      const back = await readHdf5Matrix(theirs, "data");
      expect([back.rows, back.cols, back.data.constructor.name]).toEqual([3, 7, "Float64Array"]);
      expect(back.data[20]).toBeCloseTo(20 / 7, 15);
      const f32 = await readHdf5Matrix(theirs, "f32");
      expect(Array.from(f32.data)).toEqual([0, 1, 2, 3, 4, 5]);
      await expect(readHdf5Matrix(theirs, "nope")).rejects.toThrow(
        /theirs\.hf5: no dataset "nope" \(top level: data, f32\)/,
      );
      expect(readFileSync(ours).subarray(0, 4).toString("latin1")).toBe("\x89HDF");
    },
  );
});

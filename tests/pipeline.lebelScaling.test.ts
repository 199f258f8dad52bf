/**
 * The scaling-law analysis on a simulated ds003020 layout: three tiny GPT-2 sizes, voxels planted from the
 * largest one's middle layer. The largest model predicts the planted voxels best (a positive slope of best
 * test r against log10 parameters, with its interval) and peaks at the planted depth; the table and
 * figures are written. The slope's interval equals scipy's linregress where Debian's scipy is installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LebelDataset } from "../src/fmri/datasets/lebel.js";
import { lebelScaling } from "../src/pipeline/lebelScaling.js";
import { simulateLebelDataset } from "../src/simulate/lebelSimulate.js";
import { linearFit, studentTQuantile } from "../src/stats/regression.js";
import { readCsvRows } from "./helpers/csv.js";
import { tinyCheckpoint } from "./helpers/gpt2.js";
import { sharedPath } from "./helpers/shared.js";

describe("scaling on the LeBel layout", () => {
  it("the planted model predicts best, at the planted depth; the fitted slope is positive", async () => {
    const root = mkdtempSync(join(tmpdir(), "lebel-scaling-"));
    const sizes = [
      { nLayer: 2, nHead: 2, nEmbd: 16 },
      { nLayer: 4, nHead: 2, nEmbd: 32 },
      { nLayer: 4, nHead: 4, nEmbd: 64 },
    ].map((s) => tinyCheckpoint({ ...s, nPositions: 64, seed: 3 }));
    const stories = Object.fromEntries(
      ["lucy", "bronx", "black", "pieman"].map((s) => [s, sharedPath(`data/narratives/align/${s}/align.csv`)]),
    );
    const cacheDir = join(root, "cache");
    await simulateLebelDataset(
      {
        seed: 9,
        subjects: 2,
        stories,
        voxels: 60,
        planted: { count: 40, layer: 2, snr: 1 },
        model: sizes[2],
        context: 32,
        contextMode: "strided",
      },
      join(root, "ds"),
      { cacheDir },
    );
    const ds = LebelDataset.open(join(root, "ds"));
    const out = join(root, "out");
    const options = {
      subjects: ["UTS01", "UTS02"],
      models: sizes.map((model) => ({ model, family: "gpt2-tiny" })),
      depths: [0, 0.5, 1],
      sessions: [1],
      context: 32,
      contextMode: "strided" as const,
      cacheDir,
      bootstrap: { nBoots: 6, chunkLength: 20, nChunks: 8, seed: 2 },
      outDir: out,
    };
    const res = await lebelScaling(ds, options);
    expect([res.computed.length, res.reused.length]).toEqual([6, 0]);
    const scores = res.models.map((m) => m.bestScore);
    // Measured: 0.249, 0.250, 0.442 — the two smaller sizes alike, the planted model far ahead.
    expect(scores[2]).toBeGreaterThan(Math.max(scores[0], scores[1]) + 0.1);
    expect(res.models[2].relativeDepth).toBe(0.5);
    const fit = res.fits["gpt2-tiny"];
    expect(fit.n).toBe(3);
    expect(fit.slope).toBeGreaterThan(0);
    expect(fit.slopeLow).toBeLessThan(fit.slope);
    expect(fit.slopeHigh).toBeGreaterThan(fit.slope);
    const rows = readCsvRows(join(out, "tables", "lebel_scaling.csv"));
    expect(rows.length).toBe(3 * 3 * 2);
    for (const f of res.files) expect(existsSync(f)).toBe(true);
    // A rerun reuses every (model, subject) result and writes the same table; other settings recompute.
    const table = readFileSync(join(out, "tables", "lebel_scaling.csv"), "utf8");
    const again = await lebelScaling(ds, options);
    expect([again.computed.length, again.reused.length]).toEqual([0, 6]);
    expect(readFileSync(join(out, "tables", "lebel_scaling.csv"), "utf8")).toBe(table);
    const other = await lebelScaling(ds, {
      ...options,
      models: options.models.slice(0, 1),
      bootstrap: { ...options.bootstrap, seed: 3 },
    });
    expect([other.computed.length, other.reused.length]).toEqual([2, 0]);
    console.log(
      res.models.map((m) => `${m.parameters}: best r ${m.bestScore.toFixed(3)} at depth ${m.relativeDepth}`).join("; "),
      `slope ${fit.slope.toFixed(3)} [${fit.slopeLow.toFixed(3)}, ${fit.slopeHigh.toFixed(3)}]`,
    );
  }, 600_000);

  const hasScipy = spawnSync("/usr/bin/python3", ["-c", "import scipy"]).status === 0;
  it.skipIf(!hasScipy)("the slope, its standard error and interval equal scipy's linregress and t.ppf", () => {
    const x = [8.1, 8.5, 9.0, 9.6, 10.2, 10.9];
    const y = [0.1, 0.13, 0.15, 0.19, 0.2, 0.26];
    const py = [
      "from scipy import stats; import json",
      `x = ${JSON.stringify(x)}; y = ${JSON.stringify(y)}`,
      "r = stats.linregress(x, y); t = stats.t.ppf(0.975, len(x) - 2)",
      "print(json.dumps([r.slope, r.intercept, r.stderr, r.rvalue ** 2, t, stats.t.ppf(0.975, 1), stats.t.ppf(0.9, 3.5)]))",
    ].join("\n");
    const res = spawnSync("/usr/bin/python3", ["-c", py], {
      encoding: "utf8",
      env: { ...process.env, OPENBLAS_CORETYPE: "" },
    });
    expect(res.status).toBe(0);
    const [slope, intercept, se, r2, t, t1, t35] = JSON.parse(res.stdout) as number[];
    const fit = linearFit(x, y);
    expect(fit.slope).toBeCloseTo(slope, 12);
    expect(fit.intercept).toBeCloseTo(intercept, 12);
    expect(fit.slopeSe).toBeCloseTo(se, 12);
    expect(fit.r2).toBeCloseTo(r2, 12);
    expect(fit.slopeHigh - fit.slope).toBeCloseTo(t * se, 10);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(t1, 8);
    expect(studentTQuantile(0.9, 3.5)).toBeCloseTo(t35, 8);
  });
});

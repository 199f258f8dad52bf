/**
 * The Huth lab's analysis end to end on a simulated ds003020 layout: 2 subjects, 4 training stories and 1
 * test story (real Narratives word timings, several hundred TRs each), 20 of 200 voxels planted from layer 2
 * of the tiny model. Bootstrap ridge on the concatenated training stories recovers the planted voxels on the
 * test story and leaves the others near 0.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LebelDataset } from "../src/fmri/datasets/lebel.js";
import { lebelBrainScores, lebelStoryDesign } from "../src/pipeline/lebel.js";
import { simulateLebelDataset, type LebelTruth } from "../src/simulate/lebelSimulate.js";
import { sharedPath } from "./helpers/shared.js";

const root = mkdtempSync(join(tmpdir(), "lebel-sim-"));
const cacheDir = join(root, "cache");
const align = (story: string) => sharedPath(`data/narratives/align/${story}/align.csv`);
let truth: LebelTruth;

beforeAll(async () => {
  const stories = Object.fromEntries(
    ["lucy", "bronx", "notthefallintact", "black", "pieman"].map((s) => [s, align(s)]),
  );
  truth = await simulateLebelDataset(
    {
      seed: 5,
      subjects: 2,
      stories,
      voxels: 200,
      planted: { count: 20, layer: 2, snr: 1 },
      model: "tiny",
      context: 32,
      contextMode: "strided",
    },
    join(root, "ds"),
    { cacheDir },
  );
}, 300_000);

describe("LeBel-convention brain scores on a simulated ds003020 layout", () => {
  it("recovers the planted voxels on the held-out story, for each subject", async () => {
    const ds = LebelDataset.open(join(root, "ds"));
    expect(truth.train).toEqual(["lucy", "bronx", "notthefallintact", "black"]);
    for (const story of [...truth.train, truth.test]) expect(ds.responseRows(story)).toBeGreaterThan(200);
    for (const subject of truth.subjects) {
      const res = await lebelBrainScores(ds, {
        subject,
        sessions: [1],
        model: "tiny",
        layer: 2,
        context: 32,
        contextMode: "strided",
        cacheDir,
        bootstrap: { nBoots: 10, chunkLength: 20, nChunks: 10, seed: 1 },
        permutation: { blockLength: 10, permutations: 500, seed: 3 },
      });
      expect(res.test).toEqual(["pieman"]);
      expect(res.trainRows).toBeGreaterThan(1000);
      const planted = Array.from(res.corrs.subarray(0, 20));
      const others = Array.from(res.corrs.subarray(20));
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      expect(mean(planted)).toBeGreaterThan(0.4);
      expect(Math.min(...planted)).toBeGreaterThan(0.2);
      expect(Math.abs(mean(others))).toBeLessThan(0.05);
      expect(Math.max(...others.map(Math.abs))).toBeLessThan(0.3);
      // Block permutation: every planted voxel significant; the null voxels' p-values spread over [0, 1].
      const p = res.pValues!;
      for (let v = 0; v < 20; v++) expect(p[v]).toBeLessThanOrEqual(0.002);
      const nullP = Array.from(p.subarray(20));
      expect(mean(nullP)).toBeGreaterThan(0.35);
      expect(mean(nullP)).toBeLessThan(0.65);
      expect(nullP.filter((x) => x < 0.05).length / nullP.length).toBeLessThan(0.12);
    }
  }, 300_000);

  it("the planted layer predicts its voxels better than another layer does", async () => {
    const ds = LebelDataset.open(join(root, "ds"));
    const score = async (layer: number) => {
      const res = await lebelBrainScores(ds, {
        subject: "UTS01",
        train: truth.train,
        test: [truth.test],
        model: "tiny",
        layer,
        context: 32,
        contextMode: "strided",
        cacheDir,
        bootstrap: { nBoots: 10, chunkLength: 20, nChunks: 10, seed: 1 },
      });
      return Array.from(res.corrs.subarray(0, 20)).reduce((a, b) => a + b, 0) / 20;
    };
    // Measured: 0.68 at the planted layer 2, 0.38 at layer 0.
    expect(await score(2)).toBeGreaterThan((await score(0)) + 0.15);
  }, 300_000);

  it("a layer's design is the same whether its states are extracted alone or with other layers (one model pass)", async () => {
    const ds = LebelDataset.open(join(root, "ds"));
    const common = { model: "tiny", layer: 2, context: 32, contextMode: "strided" as const, cacheDir };
    const alone = await lebelStoryDesign(ds, "pieman", common);
    const together = await lebelStoryDesign(ds, "pieman", { ...common, featureLayers: [0, 2, 4] });
    expect([together.rows, together.cols]).toEqual([alone.rows, alone.cols]);
    let d = 0;
    for (let i = 0; i < alone.data.length; i++) d = Math.max(d, Math.abs(alone.data[i] - together.data[i]));
    expect(d).toBeLessThan(1e-5);
    await expect(lebelStoryDesign(ds, "pieman", { ...common, featureLayers: [0, 4] })).rejects.toThrow(
      /layer 2 is not among the extracted layers 0, 4/,
    );
  });
});

/**
 * `brainscore run` on a simulated ds003020 layout (2 subjects, 4 training stories and 1 test story of
 * 214–399 TRs): planted voxels recovered at the planted layer, per-subject results stored and reused on
 * rerun, the table and figure written; bad configurations refused naming the key.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { readNifti } from "../src/fmri/formats/nifti.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { simulateLebelDataset } from "../src/simulate/lebelSimulate.js";
import { captureConsole } from "./helpers/console.js";
import { readCsvRows } from "./helpers/csv.js";
import { sharedPath } from "./helpers/shared.js";

const root = mkdtempSync(join(tmpdir(), "lebel-run-"));
const cacheDir = join(root, "cache");
const { out, err } = captureConsole();
const config = (extra: object) => {
  const path = join(root, "run.json");
  writeFileSync(
    path,
    JSON.stringify({
      name: "lebel",
      dataset: { kind: "lebel", root: "ds" },
      sessions: [1],
      model: "tiny",
      layers: [0, 2, 4],
      context: 32,
      contextMode: "strided",
      ridge: { nBoots: 8, chunkLength: 20, nChunks: 10, seed: 1 },
      permutation: { blockLength: 10, permutations: 200 },
      outDir: "out",
      cacheDir,
      ...extra,
    }),
  );
  return path;
};

beforeAll(async () => {
  const stories = Object.fromEntries(
    ["lucy", "bronx", "notthefallintact", "black", "pieman"].map((s) => [
      s,
      sharedPath(`data/narratives/align/${s}/align.csv`),
    ]),
  );
  await simulateLebelDataset(
    {
      seed: 5,
      subjects: 2,
      stories,
      voxels: 150,
      planted: { count: 15, layer: 2, snr: 1 },
      model: "tiny",
      context: 32,
      contextMode: "strided",
      grid: [9, 8, 7],
    },
    join(root, "ds"),
    { cacheDir },
  );
}, 300_000);

describe("brainscore run on the LeBel layout", () => {
  it("scores every subject and layer, recovers the planted voxels at the planted layer, and resumes", async () => {
    const c = config({});
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(out.join("\n")).toMatch(/^2 subject\(s\) computed, 0 already done, 0 failed/);
    expect(out.join("\n")).toMatch(/UTS01: best layer 2 /);
    expect(out.join("\n")).toMatch(/UTS02: best layer 2 /);
    const res = readSafetensors(join(root, "out", "lebel", "subjects", "UTS01.safetensors")).tensors;
    expect(res.get("corrs")!.shape).toEqual([3, 150]);
    const corrs = res.get("corrs")!.data as Float64Array;
    const p = res.get("p_values")!.data as Float64Array;
    // Layer 2 (row 1): planted voxels 0-14 predicted and significant, the others not.
    for (let v = 0; v < 15; v++) {
      expect(corrs[150 + v]).toBeGreaterThan(0.4);
      expect(p[150 + v]).toBeLessThanOrEqual(0.005);
    }
    const rows = readCsvRows(join(root, "out", "lebel", "tables", "lebel_brain_scores.csv"));
    expect(rows.length).toBe(6);
    const layer2 = rows.filter((r) => r.layer === "2");
    for (const r of layer2) expect(Number(r.voxels_p_below_005)).toBeGreaterThanOrEqual(15);
    // Subject-space maps on the simulated pycortex mask: every column at its voxel, NaN outside the mask.
    expect(out.join("\n")).toMatch(
      /UTS01: volume maps on .*pycortex-db\/UTS01\/transforms\/UTS01_auto\/mask_thick\.nii\.gz \(150 voxels\)/,
    );
    const mask = readNifti(
      join(root, "ds", "derivative", "pycortex-db", "UTS01", "transforms", "UTS01_auto", "mask_thick.nii.gz"),
    ).data;
    const voxels = Array.from(mask.keys()).filter((i) => mask[i] !== 0);
    expect(voxels.length).toBe(150);
    const map = readNifti(join(root, "out", "lebel", "maps", "UTS01", "test_r_layer-2.nii.gz"));
    expect(map.shape).toEqual([9, 8, 7]);
    voxels.forEach((voxel, k) => expect(map.data[voxel]).toBeCloseTo(corrs[150 + k], 6));
    expect(Array.from(map.data).filter((x) => !Number.isNaN(x)).length).toBe(150);
    const pMap = readNifti(join(root, "out", "lebel", "maps", "UTS02", "p_layer-4.nii.gz"));
    expect(Array.from(pMap.data).filter((x) => !Number.isNaN(x)).length).toBe(150);
    expect(existsSync(join(root, "out", "lebel", "figures", "lebel_test_r_UTS02.png"))).toBe(true);
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(out.join("\n")).toMatch(/^0 subject\(s\) computed, 2 already done, 0 failed/);
  }, 600_000);

  it("refuses a mistyped key and a missing dataset root, naming them", async () => {
    err.length = 0;
    expect(await main(["run", "--config", config({ ridge: { nBoot: 3 } }), "--quiet"])).toBe(1);
    expect(err.join("\n")).toMatch(/run\.json\.ridge: unknown key "nBoot" \(did you mean "nBoots"\?\)/);
    err.length = 0;
    expect(await main(["run", "--config", config({ dataset: { kind: "lebel", root: "nowhere" } }), "--quiet"])).toBe(1);
    expect(err.join("\n")).toMatch(/nowhere: not a ds003020 layout: no derivative\/respdict\.json/);
    err.length = 0;
    expect(await main(["run", "--config", config({}), "--shard", "3/2"])).toBe(2);
    expect(err.join("\n")).toMatch(/--shard must look like i\/N with 1 ≤ i ≤ N, got "3\/2"/);
  }, 120_000);

  it("shards subjects across tasks; merge names what is missing, then equals the unsharded run", async () => {
    const c = config({});
    const run = (...args: string[]) => main(["run", "--config", c, "--name", "sharded", "--quiet", ...args]);
    out.length = 0;
    expect(await run("--shard", "1/2")).toBe(0);
    expect(out.join("\n")).toMatch(/^1 subject\(s\) computed, 0 already done, 0 failed/);
    expect(out.join("\n")).toMatch(/shard 1\/2: subjects UTS01; tables and figures at "brainscore merge"/);
    const shardedTable = join(root, "out", "sharded", "tables", "lebel_brain_scores.csv");
    expect(existsSync(shardedTable)).toBe(false);
    out.length = 0;
    err.length = 0;
    expect(await main(["merge", "--config", c, "--name", "sharded"])).toBe(1);
    expect(out.join("\n")).toMatch(/^merge: 1 subject\(s\) combined, 1 missing/);
    expect(err.join("\n")).toMatch(/1 expected result\(s\) missing: UTS02; the tables hold the others/);
    expect(readCsvRows(shardedTable).length).toBe(3);
    expect(await run("--shard", "2/2")).toBe(0);
    out.length = 0;
    expect(await main(["merge", "--config", c, "--name", "sharded"])).toBe(0);
    expect(out.join("\n")).toMatch(/^merge: 2 subject\(s\) combined, 0 missing/);
    expect(readFileSync(shardedTable, "utf8")).toBe(
      readFileSync(join(root, "out", "lebel", "tables", "lebel_brain_scores.csv"), "utf8"),
    );
  }, 600_000);
});

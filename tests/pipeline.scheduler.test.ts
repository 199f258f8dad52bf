/**
 * Under a scheduler (a fake one: shards run as array tasks would, in order, through the command line):
 * a shard whose scan fails exits non-zero after finishing the others; merge names the failed and the
 * missing (never run) scans and exits non-zero; after the bad file is fixed, rerunning that shard and the
 * missing one gives tables identical to an unsharded run, and the stale failure entry is gone.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { captureConsole } from "./helpers/console.js";
import { smallRun } from "./helpers/smallRun.js";

const { work, cacheDir, dataset, config, root, csv, simulate } = smallRun("scheduler", 2);
const bad = join(
  dataset,
  "derivatives",
  "afni-nosmooth",
  "sub-002",
  "func",
  "sub-002_task-pieman_space-fsaverage5_hemi-L_desc-clean.func.gii",
);
const { out, err } = captureConsole();

beforeAll(simulate, 300_000);

describe("shards and merge under a scheduler", () => {
  it("fails the task of a failed scan, names failed and missing scans at merge, and recovers on rerun", async () => {
    const sharded = config("sharded");
    copyFileSync(bad, join(work, "good.gii"));
    writeFileSync(bad, "<?xml version='1.0'?><GIFTI>truncated");
    // Array tasks 1 and 2 run; task 3 is cancelled before it starts.
    expect(await main(["run", "--config", sharded, "--shard", "1/3", "--quiet"])).toBe(0);
    expect(await main(["run", "--config", sharded, "--shard", "2/3", "--quiet"])).toBe(1);
    expect(err.join("\n")).toMatch(/brainscore run: every scan failed \(named above; exit code 1\)/);
    expect(out.join("\n")).toMatch(
      /failed: sub-002_task-pieman: .*sub-002_task-pieman_space-fsaverage5_hemi-L_desc-clean\.func\.gii/,
    );
    expect(existsSync(join(root("sharded"), "failures-2of3.json"))).toBe(true);
    err.length = 0;
    out.length = 0;
    expect(await main(["merge", "--config", sharded])).toBe(1);
    expect(out.join("\n")).toMatch(/scans: 1 of 3 expected combined; 1 failed, 0 left out, 1 missing/);
    expect(out.join("\n")).toMatch(/failed: sub-002_task-pieman: /);
    expect(out.join("\n")).toMatch(/missing: sub-003_task-pieman: no result and no recorded failure/);
    expect(err.join("\n")).toMatch(
      /2 of 3 expected scan\(s\) not combined: sub-002_task-pieman \(failed\), sub-003_task-pieman \(missing\).*exit code 1, or 0 with --allow-missing/,
    );
    expect(csv("sharded", "scans")).toMatch(/sub-002_task-pieman,failed,/);
    expect(await main(["merge", "--config", sharded, "--allow-missing"])).toBe(0);
    // The file is fixed; the failed task and the cancelled one are rerun.
    copyFileSync(join(work, "good.gii"), bad);
    expect(await main(["run", "--config", sharded, "--shard", "2/3", "--quiet"])).toBe(0);
    expect(existsSync(join(root("sharded"), "failures-2of3.json"))).toBe(false);
    expect(await main(["run", "--config", sharded, "--shard", "3/3", "--quiet"])).toBe(0);
    out.length = 0;
    expect(await main(["merge", "--config", sharded])).toBe(0);
    expect(out.join("\n")).toMatch(/scans: 3 of 3 expected combined; 0 failed, 0 left out, 0 missing/);
    // The same tables as one unsharded run.
    expect(await main(["run", "--config", config("whole"), "--quiet"])).toBe(0);
    for (const t of ["brain_scores", "group_brain_scores", "vertex_significance", "scans"])
      expect(csv("sharded", t)).toBe(csv("whole", t));
  }, 600_000);

  it("an unsharded run with one failed scan writes the others' tables and exits 1, or 0 with --allow-failures", async () => {
    writeFileSync(bad, "<?xml version='1.0'?><GIFTI>truncated");
    try {
      const c = config("partial");
      expect(await main(["run", "--config", c, "--quiet"])).toBe(1);
      expect(err.join("\n")).toMatch(
        /brainscore run: 1 of 3 scan\(s\) failed \(named above; exit code 1, or 0 with --allow-failures\)/,
      );
      expect(csv("partial", "scans")).toMatch(/sub-002_task-pieman,failed,/);
      expect(csv("partial", "brain_scores")).toMatch(/sub-001/);
      expect(await main(["run", "--config", c, "--allow-failures", "--quiet"])).toBe(0);
    } finally {
      copyFileSync(join(work, "good.gii"), bad);
    }
  }, 300_000);

  it("a result or a feature cache entry overwritten in place (same size, garbage) is recomputed, not trusted", async () => {
    const c = config("damaged");
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    const clean = csv("damaged", "brain_scores");
    const result = join(root("damaged"), "subjects", "pieman", "sub-001_task-pieman.safetensors");
    const bytes = readFileSync(result);
    for (let i = bytes.length - 4000; i < bytes.length - 8; i += 8) bytes.writeDoubleLE(-3.7e238, i);
    writeFileSync(result, bytes);
    const features = join(cacheDir, "features");
    for (const f of readdirSync(features)) {
      const b = readFileSync(join(features, f));
      b.fill(7, b.length - 64);
      writeFileSync(join(features, f), b);
    }
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(out.join("\n")).toMatch(/^1 scan\(s\) computed, 2 already done, 0 failed/);
    expect(csv("damaged", "brain_scores")).toBe(clean);
  }, 300_000);
});

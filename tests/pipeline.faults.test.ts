/**
 * Faults injected into `brainscore run` on a small simulated dataset, each followed by a rerun whose tables
 * must equal a clean run's: a full disk (ENOSPC injected into the writes: this test cannot mount a tmpfs),
 * a read-only output folder (EROFS injected: the tests run as root, so permissions cannot make one),
 * a truncated result, SIGTERM and SIGKILL while scans are computed (the real command in a child process),
 * the temporary file a killed write leaves, and two runs on one output folder at once.
 */
import { spawn, spawnSync } from "node:child_process";
import fs, { existsSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { captureConsole } from "./helpers/console.js";
import { smallRun } from "./helpers/smallRun.js";

const fixture = smallRun("faults", 3);
const { config, root } = fixture;
const csv = (name: string) => fixture.csv(name, "brain_scores");
const BIN = resolve("bin/brainscore.js");
const { out, err } = captureConsole();

const results = (name: string) =>
  existsSync(join(root(name), "subjects", "pieman")) ? readdirSync(join(root(name), "subjects", "pieman")) : [];
const temporaries = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.tmp-/.test(f));
let clean = "";

/** Replaces fs.<name> (and the named imports of node:fs everywhere) until `restore`. */
function inject(name: "writeSync" | "writeFileSync", failAfter: number, code: string): { restore: () => void } {
  const original = fs[name] as (...a: unknown[]) => unknown;
  let calls = 0;
  (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    if (++calls > failAfter) throw Object.assign(new Error(`${code}: injected`), { code });
    return original(...args);
  };
  syncBuiltinESMExports();
  return {
    restore: () => {
      (fs as unknown as Record<string, unknown>)[name] = original;
      syncBuiltinESMExports();
    },
  };
}

/** Starts the real command; resolves with its exit code (or signal) and stderr. */
function child(c: string): {
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill: (s: NodeJS.Signals) => void;
} {
  const p = spawn(process.execPath, [BIN, "run", "--config", c, "--quiet"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  p.stderr.on("data", (d) => (stderr += d));
  return {
    done: new Promise((res) => p.on("exit", (code, signal) => res({ code, signal, stderr }))),
    kill: (s) => p.kill(s),
  };
}

async function waitFor(cond: () => boolean, ms = 120_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  await fixture.simulate();
  expect(await main(["run", "--config", config("clean"), "--quiet"])).toBe(0);
  clean = csv("clean");
}, 300_000);

describe("faults under run, and the rerun", () => {
  it("a full disk fails the writes naming the file, leaves no temporary, and the rerun completes", async () => {
    const c = config("diskfull");
    // The first result is written, then the disk is "full": the other scans fail, and so does the group stage.
    const fault = inject("writeSync", 3, "ENOSPC");
    let code: number;
    err.length = 0;
    try {
      code = await main(["run", "--config", c, "--quiet"]);
    } finally {
      fault.restore();
    }
    expect(code).toBe(1);
    // Named: the first write the full disk refused (a scan's result, its failure list or a table).
    expect(err.join("\n")).toMatch(/out\/diskfull\/\S+: cannot be written: the disk is full/);
    expect(temporaries(root("diskfull"))).toEqual([]);
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(csv("diskfull")).toBe(clean);
  }, 300_000);

  it("a read-only output folder is refused before anything is computed, in words", async () => {
    const c = config("readonly");
    const fault = inject("writeFileSync", 0, "EROFS");
    err.length = 0;
    try {
      expect(await main(["run", "--config", c, "--quiet"])).toBe(1);
    } finally {
      fault.restore();
    }
    expect(err.join("\n")).toMatch(/readonly: output folder \(outDir\/name\) is on a read-only file system/);
  }, 60_000);

  it("a truncated result is recomputed", async () => {
    const c = config("truncated");
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    truncateSync(join(root("truncated"), "subjects", "pieman", "sub-002_task-pieman.safetensors"), 1000);
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(out.join("\n")).toMatch(/^1 scan\(s\) computed, 2 already done, 0 failed/);
    expect(csv("truncated")).toBe(clean);
  }, 300_000);

  it.each(["SIGTERM", "SIGKILL"] as const)(
    "%s while scans are computed: the rerun resumes and equals a clean run",
    async (signal) => {
      const name = `killed-${signal}`;
      const c = config(name);
      const run = child(c);
      await waitFor(() => results(name).some((f) => f.endsWith(".safetensors")));
      run.kill(signal);
      const { code, signal: got, stderr } = await run.done;
      if (signal === "SIGTERM") {
        expect(code).toBe(143);
        expect(stderr.trim().split("\n").pop()).toMatch(
          /^brainscore run: stopped by SIGTERM; every file written so far is complete, rerun the same command to resume$/,
        );
      } else {
        expect(got).toBe("SIGKILL");
      }
      expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
      expect(csv(name)).toBe(clean);
      expect(temporaries(root(name))).toEqual([]);
    },
    300_000,
  );

  it("the temporary of a write killed midway is removed by the next run; a live writer's is kept", async () => {
    const c = config("stale");
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    const result = join(root("stale"), "subjects", "pieman", "sub-001_task-pieman.safetensors");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const stale = `${result}.tmp-${hostname()}-${dead}-0badcafe`;
    const live = `${result}.tmp-${hostname()}-${process.pid}-0c0ffee0`;
    const otherHost = `${result}.tmp-elsewhere.cluster-${dead}-0d15ea5e`;
    for (const f of [stale, live, otherHost]) writeFileSync(f, "partial");
    out.length = 0;
    expect(await main(["run", "--config", c, "--quiet"])).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(otherHost)).toBe(true);
    expect(out.join("\n")).toMatch(/removed 1 temporary file\(s\) left by an interrupted run/);
    expect(csv("stale")).toBe(clean);
  }, 300_000);

  it("two runs on one output folder at once both succeed, with the clean tables", async () => {
    const c = config("twice");
    const [a, b] = [child(c), child(c)];
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(csv("twice")).toBe(clean);
    expect(temporaries(root("twice"))).toEqual([]);
  }, 300_000);
});

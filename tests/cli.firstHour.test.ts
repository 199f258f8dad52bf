/**
 * What a new user meets first at the command line: --version, an aligned command table, "tiny" accepted by
 * every command that takes a model, and a failed hub lookup that leaves no empty cache folders.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { resolveCheckpoint } from "../src/encoding/lm/hub.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { sharedPath } from "./helpers/shared.js";

const dir = mkdtempSync(join(tmpdir(), "first-hour-"));
let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
});
afterEach(() => vi.restoreAllMocks());

describe("the command line", () => {
  it("prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(await main(["--version"])).toBe(0);
    expect(out).toEqual([version]);
  });

  it("lists every command in one aligned table, predict and finetune included", async () => {
    expect(await main(["--help"])).toBe(0);
    const rows = out.join("\n").split("\n").filter((l) => /^ {2}[a-z]+ {2,}\S/.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(["demo", "extract", "fit", "predict", "forecast", "run", "merge", "simulate", "finetune"]);
    const column = (r: string) => r.search(/(?<=^ {2}[a-z]+ +)\S/);
    expect(new Set(rows.map(column)).size).toBe(1);
  });

  it("extract accepts the tiny model as run and simulate do", async () => {
    const feats = join(dir, "tiny.safetensors");
    const code = await main(["extract", "--model", "tiny", "--words", sharedPath("data/narratives/align/pieman/align.csv"), "--layers", "0,4", "--context", "16", "--mode", "strided", "--out", feats, "--cache-dir", join(dir, "cache"), "--quiet"]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const t = readSafetensors(feats);
    const states = t.tensors.get("hidden_states")!;
    expect(states.shape[0]).toBe(2);
    expect(states.shape[2]).toBe(32);
    // The checkpoint was written whole and renamed: no temporary folder left beside it.
    expect(readdirSync(join(dir, "cache", "models"))).toEqual(["brainscore-tiny-gpt2-4x32"]);
  });
});

describe("hub lookups", () => {
  it("a failed lookup leaves no empty cache folder", async () => {
    const cacheDir = join(dir, "hub-cache");
    const fetchImpl = (async () => new Response("not found", { status: 404 })) as typeof fetch;
    await expect(resolveCheckpoint("someone/missing-model", { cacheDir, fetchImpl })).rejects.toThrow(/someone\/missing-model.*not found \(404\)/);
    expect(existsSync(join(cacheDir, "models", "models--someone--missing-model"))).toBe(false);
  });
});

/**
 * What a new user meets first at the command line: --version, an aligned command table, "tiny" accepted by
 * every command that takes a model, and a failed hub lookup that leaves no empty cache folders.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { resolveCheckpoint } from "../src/lm/hub.js";
import { writeNpy } from "../src/io/npy.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { captureConsole } from "./helpers/console.js";
import { sharedPath } from "./helpers/shared.js";

const dir = mkdtempSync(join(tmpdir(), "first-hour-"));
const { out, err } = captureConsole();

describe("the command line", () => {
  it("prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(await main(["--version"])).toBe(0);
    expect(out).toEqual([version]);
  });

  it("lists every command in one aligned table, predict and finetune included", async () => {
    expect(await main(["--help"])).toBe(0);
    const rows = out
      .join("\n")
      .split("\n")
      .filter((l) => /^ {2}[a-z]+ {2,}\S/.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual([
      "demo",
      "extract",
      "fit",
      "predict",
      "forecast",
      "run",
      "merge",
      "simulate",
      "finetune",
    ]);
    const column = (r: string) => r.search(/(?<=^ {2}[a-z]+ +)\S/);
    expect(new Set(rows.map(column)).size).toBe(1);
  });

  it("extract accepts the tiny model as run and simulate do", async () => {
    const feats = join(dir, "tiny.safetensors");
    const code = await main([
      "extract",
      "--model",
      "tiny",
      "--words",
      sharedPath("data/narratives/align/pieman/align.csv"),
      "--layers",
      "0,4",
      "--context",
      "16",
      "--mode",
      "strided",
      "--out",
      feats,
      "--cache-dir",
      join(dir, "cache"),
      "--quiet",
    ]);
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
    await expect(resolveCheckpoint("someone/missing-model", { cacheDir, fetchImpl })).rejects.toThrow(
      /someone\/missing-model.*not found \(404\)/,
    );
    expect(existsSync(join(cacheDir, "models", "models--someone--missing-model"))).toBe(false);
  });
});

describe("mistakes caught before computing", () => {
  const feats = join(dir, "tiny-forecast.safetensors");
  const words = sharedPath("data/narratives/align/pieman/align.csv");
  const bold = (name: string, nTRs: number, edit?: (y: Float32Array, V: number) => void) => {
    const V = 3;
    const y = Float32Array.from({ length: nTRs * V }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.11));
    edit?.(y, V);
    writeNpy(join(dir, name), { shape: [nTRs, V], data: y });
    return join(dir, name);
  };
  const forecast = (boldFile: string, tr = "1.5") =>
    main([
      "forecast",
      "--features",
      feats,
      "--layer",
      "2",
      "--bold",
      boldFile,
      "--tr",
      tr,
      "--distances",
      "0,2",
      "--components",
      "4",
      "--out",
      join(dir, "f.csv"),
      "--quiet",
    ]);

  it("forecast refuses a BOLD shorter than the story and a TR in milliseconds, naming both inputs", async () => {
    expect(
      await main([
        "extract",
        "--model",
        "tiny",
        "--words",
        words,
        "--layers",
        "2",
        "--context",
        "16",
        "--mode",
        "strided",
        "--out",
        feats,
        "--cache-dir",
        join(dir, "cache"),
        "--quiet",
      ]),
    ).toBe(0);
    expect(await forecast(bold("short.npy", 60))).toBe(1);
    expect(err.join("\n")).toMatch(
      /short\.npy with --tr 1\.5 and .*tiny-forecast\.safetensors: \d+ of \d+ words fall outside the 60 volumes .*the BOLD is shorter than the story/,
    );
    err.length = 0;
    expect(await forecast(bold("ms.npy", 300), "1500")).toBe(1);
    expect(err.join("\n")).toMatch(
      /ms\.npy with --tr 1500 .*words fall in 1 of the 300 volumes .*is the TR in seconds/,
    );
  });

  it("forecast reports NaN and constant targets and scores them NaN", async () => {
    const file = bold("nan.npy", 300, (y, V) => {
      y[5 * V + 1] = NaN;
      for (let t = 0; t < 300; t++) y[t * V + 2] = 4;
    });
    expect(await forecast(file)).toBe(0);
    expect(err.join("\n")).toMatch(
      /note: .*nan\.npy: 1 of 3 target\(s\) contain NaN or Inf \(first: column 1\); they are scored NaN/,
    );
    expect(err.join("\n")).toMatch(/note: .*nan\.npy: 1 of 3 target\(s\) are constant \(first: column 2\)/);
    const rows = readFileSync(join(dir, "f.csv"), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(","));
    expect(rows.filter((r) => r[2] === "0").every((r) => Number.isFinite(Number(r[3])))).toBe(true);
    expect(rows.filter((r) => r[2] !== "0").every((r) => r[3] === "" || r[3] === "NaN")).toBe(true);
  });

  it("fit refuses an --out folder that does not exist before reading its inputs", async () => {
    const code = await main([
      "fit",
      "--x",
      join(dir, "absent-X.npy"),
      "--y",
      join(dir, "absent-Y.npy"),
      "--out",
      join(dir, "missing", "dir", "r.safetensors"),
      "--quiet",
    ]);
    expect(code).toBe(1);
    expect(err.join("\n")).toMatch(/missing\/dir: folder of --out does not exist/);
  });
});

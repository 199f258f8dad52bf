/** `brainscore forecast` end to end: extract → simulated BOLD → sweep with controls and decomposition. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { parseDistances } from "../src/cli/forecast.js";
import { writeNpy } from "../src/io/npy.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { plantedSignal, withNoise } from "../src/simulate/plantedSignal.js";
import { tinyCheckpoint } from "./helpers/gpt2.js";
import { sharedPath } from "./helpers/shared.js";

describe("brainscore forecast", () => {
  it("writes a tidy table for the full, control and decomposed sweeps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fc-"));
    const model = tinyCheckpoint({ seed: 11 });
    const feats = join(dir, "feats.safetensors");
    const logs: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...a) => void logs.push(a.join(" ")));
    const errs = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(
      await main([
        "extract",
        "--model",
        model,
        "--words",
        sharedPath("data/narratives/align/pieman/align.csv"),
        "--mode",
        "strided",
        "--out",
        feats,
        "--cache-dir",
        join(dir, "cache"),
        "--quiet",
      ]),
    ).toBe(0);
    const f = readSafetensors(feats);
    const [, W, E] = f.tensors.get("hidden_states")!.shape;
    const layer2 = {
      rows: W,
      cols: E,
      data: Float64Array.from((f.tensors.get("hidden_states")!.data as Float32Array).subarray(2 * W * E)),
    };
    const onsets = Float64Array.from(f.tensors.get("onsets")!.data as Float64Array, (t) => t - 15);
    const nTRs = 281;
    const y = new Float32Array(nTRs * 2);
    [2, 6].forEach((d, v) =>
      withNoise(plantedSignal(layer2, onsets, { tr: 1.5, nTRs, d, seed: v }), 3, 5 + v).forEach(
        (x, t) => (y[t * 2 + v] = x),
      ),
    );
    writeNpy(join(dir, "bold.npy"), { shape: [nTRs, 2], data: y });
    const out = join(dir, "forecast.csv");
    const code = await main([
      "forecast",
      "--features",
      feats,
      "--layer",
      "2",
      "--bold",
      join(dir, "bold.npy"),
      "--tr",
      "1.5",
      "--onset-shift",
      "15",
      "--distances",
      "0,2,6",
      "--control",
      "all",
      "--decompose",
      "--model",
      model,
      "--k",
      "2",
      "--out",
      out,
      "--quiet",
    ]);
    // The same sweep on an HRF design (TR sums convolved with Glover's HRF) is another design, and a bad name is
    // refused.
    const hrfOut = join(dir, "forecast_hrf.csv");
    const base = [
      "forecast",
      "--features",
      feats,
      "--layer",
      "2",
      "--bold",
      join(dir, "bold.npy"),
      "--tr",
      "1.5",
      "--onset-shift",
      "15",
      "--distances",
      "0,2,6",
      "--quiet",
    ];
    expect(await main([...base, "--design", "glover", "--out", hrfOut])).toBe(0);
    const errorLines: string[] = [];
    errs.mockImplementation((...a) => void errorLines.push(a.join(" ")));
    expect(await main([...base, "--design", "gamma", "--out", hrfOut])).not.toBe(0);
    expect(errorLines.join("\n")).toMatch(/--design must be one of fir, glover, spm/);
    // The penalty grid reaches the ridge: one huge alpha scores otherwise than the default grid.
    const oneAlphaOut = join(dir, "forecast_alpha.csv");
    expect(await main([...base, "--alphas", "1e9", "--out", oneAlphaOut])).toBe(0);
    expect(await main([...base, "--alphas", "0,1", "--out", oneAlphaOut])).not.toBe(0);
    expect(errorLines.join("\n")).toMatch(/--alphas: .*every alpha must be a finite number > 0/);
    spy.mockRestore();
    errs.mockRestore();
    expect(code).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    const hrfLines = readFileSync(hrfOut, "utf8").trim().split("\n");
    expect(hrfLines.length - 1).toBe(3 * 2);
    const fullFir = lines.filter((l) => l.startsWith("full,"));
    expect(hrfLines.slice(1)).not.toEqual(fullFir);
    const oneAlpha = readFileSync(oneAlphaOut, "utf8").trim().split("\n").slice(1);
    expect(oneAlpha.length).toBe(fullFir.length);
    expect(oneAlpha).not.toEqual(fullFir);
    expect(lines[0]).toBe("analysis,d,target,score,baseline,forecast");
    expect(lines.length - 1).toBe(5 * 3 * 2);
    expect(new Set(lines.slice(1).map((l) => l.split(",")[0]))).toEqual(
      new Set(["full", "control_random", "control_shuffled", "syntax", "semantics"]),
    );
    expect(logs.join("\n")).toMatch(/full: mean F\(d\) over 2 targets peaks at d = \d/);
  });

  it("parses distance specs and refuses bad ones", () => {
    expect(parseDistances("-2:2")).toEqual([-2, -1, 0, 1, 2]);
    expect(parseDistances("0,8")).toEqual([0, 8]);
    expect(parseDistances(undefined).length).toBe(41);
    expect(() => parseDistances("5:1")).toThrow(/empty range/);
  });
});

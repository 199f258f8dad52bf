/** The `brainscore fit` command end to end on files, in process. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { writeNpy } from "../src/io/npy.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { captureConsole } from "./helpers/console.js";
import { sharedPath } from "./helpers/shared.js";

const dir = mkdtempSync(join(tmpdir(), "brainscore-cli-"));
const { out, err } = captureConsole();

function writeProblem(n: number, p: number, V: number) {
  const rand = gaussian(mulberry32(1));
  const x = Float32Array.from({ length: n * p }, rand);
  const y = new Float32Array(n * V);
  for (let i = 0; i < n; i++) for (let t = 0; t < V; t++) y[i * V + t] = x[i * p + (t % p)] + 0.5 * rand();
  writeNpy(join(dir, "X.npy"), { shape: [n, p], data: x });
  writeNpy(join(dir, "Y.npy"), { shape: [n, V], data: y });
}

describe("brainscore fit", () => {
  it("writes r, r_folds, alphas and predictions to safetensors", async () => {
    writeProblem(150, 6, 9);
    const outPath = join(dir, "res.safetensors");
    const code = await main([
      "fit",
      "--x",
      join(dir, "X.npy"),
      "--y",
      join(dir, "Y.npy"),
      "--out",
      outPath,
      "--save-predictions",
      "--quiet",
      "--alpha-selection",
      "gcv",
    ]);
    expect(code).toBe(0);
    const res = readSafetensors(outPath);
    expect(res.tensors.get("r")!.shape).toEqual([9]);
    expect(res.tensors.get("r_folds")!.shape).toEqual([5, 9]);
    expect(res.tensors.get("alphas")!.shape).toEqual([5, 9]);
    expect(res.tensors.get("predictions")!.shape).toEqual([150, 9]);
    expect(res.metadata.format).toBe("brainscore.ridge/1");
    for (const v of res.tensors.get("r")!.data as Float64Array) expect(v).toBeGreaterThan(0.7);
    expect(out.join("\n")).toMatch(/brain score .* mean 0\.\d+ over 9 targets/);
  });

  it("reads file.safetensors:tensor inputs and agrees with scikit-learn in float64", async () => {
    const ref = sharedPath("reference/ridge/reference.safetensors");
    const outPath = join(dir, "ref.safetensors");
    const code = await main([
      "fit",
      "--x",
      `${ref}:X`,
      "--y",
      `${ref}:Y`,
      "--alphas",
      "logspace:-1:8:10",
      "--dtype",
      "float64",
      "--out",
      outPath,
      "--quiet",
    ]);
    expect(code).toBe(0);
    const r = readSafetensors(outPath).tensors.get("r")!.data as Float64Array;
    const refR = readSafetensors(ref).tensors.get("sklearn_r_mean")!.data as Float64Array;
    let close = 0;
    r.forEach((v, t) => (close += Math.abs(v - refR[t]) < 1e-6 ? 1 : 0));
    expect(close / r.length).toBeGreaterThan(0.95);
  });

  it("fails with a clear message naming the file on bad input", async () => {
    writeProblem(60, 3, 2);
    writeNpy(join(dir, "short.npy"), { shape: [50, 2], data: new Float32Array(100) });
    const code = await main([
      "fit",
      "--x",
      join(dir, "X.npy"),
      "--y",
      join(dir, "short.npy"),
      "--out",
      join(dir, "o.safetensors"),
      "--quiet",
    ]);
    expect(code).toBe(1);
    expect(err.join("\n")).toMatch(/X\.npy has 60 rows .*short\.npy has 50/);
  });

  it("explains usage mistakes with exit code 2", async () => {
    expect(await main(["fit", "--x", "a.npy"])).toBe(2);
    expect(err.join("\n")).toMatch(/fit needs --x, --y and --out/);
    expect(
      await main(["fit", "--x", "a.npy", "--y", "b.npy", "--out", "o.safetensors", "--alpha-selection", "cv"]),
    ).toBe(2);
    expect(await main(["fit", "--bogus"])).toBe(2);
    expect(err.join("\n")).toMatch(/Unknown option '--bogus'/);
    expect(await main(["frobnicate"])).toBe(2);
    expect(await main(["--help"])).toBe(0);
  });
});

describe("brainscore fit --save-model / predict", () => {
  it("a model fitted on one part of the data predicts another part as RidgeCV does, and scores it", async () => {
    const ref = sharedPath("reference/ridge/reference.safetensors");
    const t = readSafetensors(ref).tensors;
    const X = t.get("X")!.data as Float64Array;
    const Y = t.get("Y")!.data as Float64Array;
    // "Story A" = rows 0..179, "story B" = rows 180..239.
    writeNpy(join(dir, "XA.npy"), { shape: [180, 30], data: X.slice(0, 180 * 30) });
    writeNpy(join(dir, "YA.npy"), { shape: [180, 400], data: Y.slice(0, 180 * 400) });
    writeNpy(join(dir, "XB.npy"), { shape: [60, 30], data: X.slice(180 * 30) });
    writeNpy(join(dir, "YB.npy"), { shape: [60, 400], data: Y.slice(180 * 400) });
    const modelPath = join(dir, "model.safetensors");
    const fitArgs = [
      "fit",
      "--x",
      join(dir, "XA.npy"),
      "--y",
      join(dir, "YA.npy"),
      "--dtype",
      "float64",
      "--out",
      join(dir, "cv.safetensors"),
      "--save-model",
      modelPath,
      "--quiet",
    ];
    expect(await main(fitArgs)).toBe(0);
    expect(out.join("\n")).toMatch(/model refitted on all 180 samples \(loo\); wrote/);
    const predPath = join(dir, "predB.safetensors");
    expect(
      await main([
        "predict",
        "--model",
        modelPath,
        "--x",
        join(dir, "XB.npy"),
        "--y",
        join(dir, "YB.npy"),
        "--out",
        predPath,
      ]),
    ).toBe(0);
    expect(out.join("\n")).toMatch(/predicted 60 samples × 400 targets; pearson mean 0\.\d+ over 400 targets/);
    const { RidgeCV } = await import("../src/ridge/estimator.js");
    const model = await new RidgeCV({ alphas: t.get("alphas")!.data as Float64Array, dtype: "float64" }).fit(
      { rows: 180, cols: 30, data: X.slice(0, 180 * 30) },
      { rows: 180, cols: 400, data: Y.slice(0, 180 * 400) },
    );
    const expected = await model.predict({ rows: 60, cols: 30, data: X.slice(180 * 30) });
    const got = readSafetensors(predPath).tensors;
    const pred = got.get("predictions")!.data as Float64Array;
    let worst = 0;
    pred.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.data[i]))));
    expect(worst).toBeLessThan(1e-9);
    expect(got.get("score")!.shape).toEqual([400]);
    // Wrong feature count, and a file that is not a model, are named.
    expect(
      await main(["predict", "--model", modelPath, "--x", join(dir, "YB.npy"), "--out", join(dir, "bad.npy")]),
    ).toBe(1);
    expect(err.join("\n")).toMatch(/YB\.npy: 400 columns, but .*model\.safetensors was fitted on 30 features/);
    expect(
      await main([
        "predict",
        "--model",
        join(dir, "cv.safetensors"),
        "--x",
        join(dir, "XB.npy"),
        "--out",
        join(dir, "bad.npy"),
      ]),
    ).toBe(1);
    expect(err.join("\n")).toMatch(/cv\.safetensors: not a brainscore ridge model/);
  });
});

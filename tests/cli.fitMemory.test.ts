/**
 * `brainscore fit` under a memory budget: a Y larger than fits is fitted in blocks of targets read from disk
 * (the same result as in memory), a budget too small even for the design is refused naming --max-memory,
 * and column blocks read from .npy (either byte order) and .safetensors equal the arrays' columns.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { brainScoreMemory } from "../src/ridge/targetBlocks.js";
import { locateMatrix, readColumns } from "../src/io/arrayBlocks.js";
import { encodeNpy, writeNpy } from "../src/io/npy.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { takeColumns } from "../src/linalg/dense.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";
import { captureConsole } from "./helpers/console.js";

const dir = mkdtempSync(join(tmpdir(), "brainscore-fitmem-"));
const { err } = captureConsole();
const n = 120;
const p = 8;
const V = 700;

function writeProblem(): void {
  const rand = gaussian(mulberry32(2));
  const x = Float32Array.from({ length: n * p }, rand);
  const y = new Float32Array(n * V);
  for (let i = 0; i < n; i++) for (let t = 0; t < V; t++) y[i * V + t] = ((t % 7) / 7) * x[i * p + (t % p)] + rand();
  y[5 * V + 333] = NaN;
  writeNpy(join(dir, "X.npy"), { shape: [n, p], data: x });
  writeNpy(join(dir, "Y.npy"), { shape: [n, V], data: y });
}

describe("fit within a memory budget", () => {
  it("fits a Y larger than the budget in blocks of targets, with the in-memory result", async () => {
    writeProblem();
    const X = join(dir, "X.npy");
    const Y = join(dir, "Y.npy");
    const args = ["fit", "--x", X, "--y", Y, "--quiet", "--save-predictions", "--mask-invalid-targets"];
    expect(await main([...args, "--out", join(dir, "whole.safetensors")])).toBe(0);
    // A budget that holds the fit and about 150 targets: 5 blocks.
    const need = brainScoreMemory({
      n,
      p,
      V,
      folds: 5,
      alphas: 10,
      xWidth: 4,
      yWidth: 4,
      dtype: "float32",
      savePredictions: true,
    });
    const budget = need.fixed + 150 * need.perTarget;
    err.length = 0;
    expect(await main([...args, "--out", join(dir, "blocks.safetensors"), "--max-memory", String(budget)])).toBe(0);
    expect(err.join("\n")).toMatch(/Y\.npy is 0\.00 GB: .* fitting it in blocks of 150 targets read from disk/);
    const whole = readSafetensors(join(dir, "whole.safetensors")).tensors;
    const blocks = readSafetensors(join(dir, "blocks.safetensors")).tensors;
    for (const name of ["r", "r_folds", "r2", "alphas", "target_status", "predictions"]) {
      const a = Array.from(whole.get(name)!.data as Float64Array, Number);
      const b = Array.from(blocks.get(name)!.data as Float64Array, Number);
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        if (Number.isNaN(a[i])) expect(b[i]).toBeNaN();
        else expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(a[i])));
      }
    }
    expect(Array.from(blocks.get("target_status")!.data as Uint8Array)[333]).toBe(1);
  });

  it("refuses a budget too small for the design, and --save-model beyond it, naming the option", async () => {
    writeProblem();
    const base = [
      "fit",
      "--x",
      join(dir, "X.npy"),
      "--y",
      join(dir, "Y.npy"),
      "--out",
      join(dir, "o.safetensors"),
      "--quiet",
    ];
    err.length = 0;
    expect(await main([...base, "--max-memory", "1M"])).toBe(1);
    expect(err.join("\n")).toMatch(/X\.npy \(120 × 8\) .* 0\.00 GB may be used \(--max-memory\).* raise --max-memory/);
    const need = brainScoreMemory({
      n,
      p,
      V,
      folds: 5,
      alphas: 10,
      xWidth: 4,
      yWidth: 4,
      dtype: "float32",
      savePredictions: false,
    });
    err.length = 0;
    expect(
      await main([
        ...base,
        "--max-memory",
        String(need.fixed + 200 * need.perTarget),
        "--save-model",
        join(dir, "m.safetensors"),
      ]),
    ).toBe(1);
    expect(err.join("\n")).toMatch(/--save-model refits on all of .*Y\.npy/);
    err.length = 0;
    expect(await main([...base, "--max-memory", "lots"])).toBe(2);
    expect(err.join("\n")).toMatch(/--max-memory must be a size such as 8G or 512M, got "lots"/);
  });

  it("reads column blocks from .npy (little- and big-endian) and .safetensors", () => {
    const rand = gaussian(mulberry32(3));
    const m = { rows: 9, cols: 13, data: Float64Array.from({ length: 117 }, rand) };
    writeNpy(join(dir, "m.npy"), { shape: [9, 13], data: m.data });
    // Big-endian float64: numpy's '>f8'.
    const parts = encodeNpy({ shape: [9, 13], data: m.data });
    const header = new TextDecoder().decode(parts[1]).replace("'<f8'", "'>f8'");
    const body = new Uint8Array(parts[2].length);
    body.set(parts[2]);
    for (let i = 0; i < body.length; i += 8) body.subarray(i, i + 8).reverse();
    writeFileSync(join(dir, "big.npy"), Buffer.concat([parts[0], new TextEncoder().encode(header), body]));
    writeSafetensors(join(dir, "m.safetensors"), {
      other: { shape: [3], data: Float32Array.of(1, 2, 3) },
      m: { shape: [9, 13], data: Float32Array.from(m.data) },
    });
    for (const [spec, tol] of [
      [join(dir, "m.npy"), 0],
      [join(dir, "big.npy"), 0],
      [`${join(dir, "m.safetensors")}:m`, 1e-6],
    ] as const) {
      const loc = locateMatrix(spec);
      expect([loc.rows, loc.cols]).toEqual([9, 13]);
      const got = readColumns(loc, 4, 11);
      const want = takeColumns(m, 4, 11);
      expect([got.rows, got.cols]).toEqual([9, 7]);
      for (let i = 0; i < want.data.length; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(tol);
    }
    expect(() => readColumns(locateMatrix(join(dir, "m.npy")), 10, 14)).toThrow(
      /m\.npy: column block \[10, 14\) is outside its 13 columns/,
    );
    expect(() => locateMatrix(join(dir, "m.safetensors"))).toThrow(/holds 2 tensors \(.*\); name one/);
  });
});

/**
 * Fine-tuning behaviour on the tiny model: the objective's targets, the optimizer's analytic cases, the
 * schedule, the configuration's checks, a short run that lowers training loss and held-out perplexity
 * and saves a checkpoint that reloads to the same forward pass, and kill -9 + resume = uninterrupted.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGpt2Config } from "../src/lm/config.js";
import { loadGpt2Weights } from "../src/lm/weights.js";
import { Gpt2Runtime } from "../src/lm/modelingGpt2.js";
import { adamWState, adamWStep, scheduledLr } from "../src/finetune/adamw.js";
import { parseFinetuneConfig } from "../src/finetune/config.js";
import { NARRATIVES_TRANSCRIPTS } from "../src/finetune/corpus.js";
import { targetPositions } from "../src/finetune/objective.js";
import { asGpt2Weights, loadHead } from "../src/finetune/parameters.js";
import { finetune } from "../src/finetune/trainer.js";

const ROOT = join(__dirname, "..");
const stories = ["pieman", "lucy", "bronx", "black"].map((s) => join(NARRATIVES_TRANSCRIPTS, `${s}.txt`));

describe("objective targets", () => {
  it("tokens: t + d inside the row; words: last token of the word d words ahead, complete words only", () => {
    const ids = [Int32Array.from([1, 2, 3, 4, 5, 6])];
    expect([...targetPositions({ ids }, { distance: 2, unit: "tokens" })]).toEqual([2, 3, 4, 5, -1, -1]);
    expect([...targetPositions({ ids }, { distance: -1, unit: "tokens" })]).toEqual([-1, 0, 1, 2, 3, 4]);
    // words: 0 0 1 2 2 3 — word 3 is cut by the row's end (its last token may lie beyond).
    const wordOf = [Int32Array.from([0, 0, 1, 2, 2, 3])];
    expect([...targetPositions({ ids, wordOf }, { distance: 1, unit: "words" })]).toEqual([2, 2, 4, -1, -1, -1]);
    expect([...targetPositions({ ids, wordOf }, { distance: 2, unit: "words" })]).toEqual([4, 4, -1, -1, -1, -1]);
    expect(() => targetPositions({ ids }, { distance: 1, unit: "words" })).toThrow(/word index/);
  });
});

describe("AdamW and the schedule", () => {
  it("decays matrices only, by lr·wd, and steps lr·g/(|g| + eps) under a constant gradient", () => {
    const params = new Map([
      ["h.0.mlp.c_fc.weight", Float32Array.from([1, -2, 3, 4])],
      ["h.0.mlp.c_fc.bias", Float32Array.from([1, -2])],
      ["wte.weight", Float32Array.from([0.5, 0.5, 0.5, 0.5])],
    ]);
    const shapes = new Map([
      ["h.0.mlp.c_fc.weight", [2, 2]],
      ["h.0.mlp.c_fc.bias", [2]],
      ["wte.weight", [2, 2]],
    ]);
    const grads = new Map([
      ["h.0.mlp.c_fc.weight", new Float32Array(4)],
      ["h.0.mlp.c_fc.bias", new Float32Array(2)],
      ["wte.weight", Float32Array.from([0.3, -0.3, 0.3, -0.3])],
    ]);
    const state = adamWState(params);
    const opts = { lr: 0.1, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.5 };
    adamWStep(params, grads, state, shapes, opts, 0.1);
    adamWStep(params, grads, state, shapes, opts, 0.1);
    // zero gradient: only the decay, (1 − 0.05)² on the matrix, nothing on the bias
    expect(params.get("h.0.mlp.c_fc.weight")![1]).toBeCloseTo(-2 * 0.95 ** 2, 6);
    expect([...params.get("h.0.mlp.c_fc.bias")!]).toEqual([1, -2]);
    // embeddings are not decayed; m̂ = g and v̂ = g² at every step, so each step moves by lr·sign(g)
    expect(params.get("wte.weight")![0]).toBeCloseTo(0.5 - 0.2, 6);
    expect(params.get("wte.weight")![1]).toBeCloseTo(0.5 + 0.2, 6);
  });

  it("warms up linearly and decays by half a cosine", () => {
    expect(scheduledLr(0, 1, 10, 110)).toBe(0);
    expect(scheduledLr(5, 1, 10, 110)).toBeCloseTo(0.5, 12);
    expect(scheduledLr(10, 1, 10, 110)).toBeCloseTo(1, 12);
    expect(scheduledLr(60, 1, 10, 110)).toBeCloseTo(0.5, 12);
    expect(scheduledLr(110, 1, 10, 110, 0.1)).toBeCloseTo(0.1, 12);
  });
});

describe("finetune configuration", () => {
  it("refuses typos, bad values and contradictions, naming the key", () => {
    const base = { model: "tiny", out: "x" };
    expect(() => parseFinetuneConfig({ ...base, trainng: {} }, "f.json")).toThrow(
      /unknown key "trainng" \(did you mean "training"\?\)/,
    );
    expect(() => parseFinetuneConfig({ ...base, condition: "highlevel" }, "f.json")).toThrow(/f.json.condition/);
    expect(() => parseFinetuneConfig({ ...base, training: { lr: -1 } }, "f.json")).toThrow(/training.lr/);
    expect(() => parseFinetuneConfig({ ...base, training: { steps: "10" } }, "f.json")).toThrow(/training.steps/);
    expect(() => parseFinetuneConfig({ ...base, objective: { auxWeight: 1 } }, "f.json")).toThrow(
      /"layer" and "distance"/,
    );
    expect(() => parseFinetuneConfig({ ...base, condition: "lm", objective: { auxWeight: 1 } }, "f.json")).toThrow(
      /no auxiliary loss/,
    );
    expect(() => parseFinetuneConfig({ model: "tiny" }, "f.json")).toThrow(/out: required/);
    const c = parseFinetuneConfig({ ...base, condition: "high-level-long-range" }, "/a/f.json");
    expect(c.objective).toEqual({ auxWeight: 0.5, layer: "high", distance: 8, unit: "words", loss: "mse" });
    expect(c.out).toBe("/a/x");
    expect(c.corpus.heldOut).toEqual(["pieman"]);
  });
});

describe("a short fine-tuning run on the tiny model", () => {
  it("lowers the training loss and held-out perplexity; the saved checkpoint reloads to the same forward pass", async () => {
    const out = mkdtempSync(join(tmpdir(), "bs-ft-"));
    const config = parseFinetuneConfig(
      {
        model: "tiny",
        out,
        condition: "high-level-long-range",
        corpus: { paths: stories, heldOut: ["pieman"] },
        training: {
          steps: 150,
          batchSize: 4,
          blockSize: 48,
          lr: 3e-3,
          warmupSteps: 10,
          evalEvery: 50,
          checkpointEvery: 50,
          evalBlocks: 12,
        },
      },
      join(out, "finetune.json"),
    );
    const r = await finetune(config);
    const mean = (rows: typeof r.log) => rows.reduce((a, x) => a + Number(x.loss), 0) / rows.length;
    expect(mean(r.log.slice(-20))).toBeLessThan(0.8 * mean(r.log.slice(0, 20)));
    const ppl = r.evals.map((e) => Number(e.perplexity));
    expect(ppl.at(-1)!).toBeLessThan(0.2 * ppl[0]);
    for (const f of ["config.json", "model.safetensors", "head.safetensors", "training.json", "vocab.json"])
      expect(existsSync(join(r.modelDir, f))).toBe(true);
    for (const f of ["loss.csv", "eval.csv", "loss.png", "perplexity.png"]) expect(existsSync(join(out, f))).toBe(true);
    const record = JSON.parse(readFileSync(join(r.modelDir, "training.json"), "utf8"));
    expect(record.objective.layer).toBe(3); // round(2·4/3) of the tiny model's 4 layers

    const model = readGpt2Config(r.modelDir);
    const ids = [Int32Array.from([464, 3290, 373, 6405, 290, 262, 3797, 2540, 17676, 13])];
    const saved = await Gpt2Runtime.create(model, loadGpt2Weights(r.modelDir, model));
    const memory = await Gpt2Runtime.create(model, asGpt2Weights(r.parameters, model));
    const a = await saved.forward(ids);
    const b = await memory.forward(ids);
    for (let l = 0; l <= model.nLayer; l++) expect(a.hidden.get(l)).toEqual(b.hidden.get(l));
    await saved.release();
    await memory.release();
    expect(loadHead(r.modelDir).get("head.bias")).toEqual(r.parameters.get("head.bias"));
  }, 300_000);

  it("kill -9 during training, then resume: the same final weights as an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bs-ft-kill-"));
    const write = (name: string) => {
      const path = join(dir, `${name}.json`);
      const training = {
        steps: 80,
        batchSize: 2,
        blockSize: 32,
        lr: 2e-3,
        warmupSteps: 5,
        evalEvery: 20,
        checkpointEvery: 5,
        evalBlocks: 4,
        gradientAccumulation: 2,
      };
      writeFileSync(
        path,
        JSON.stringify({
          model: "tiny",
          out: name,
          condition: "long-range",
          corpus: { paths: stories.slice(0, 3), heldOut: ["pieman"] },
          training,
        }),
      );
      return path;
    };
    const cli = (config: string) => [
      "--import",
      "tsx",
      join(ROOT, "src/cli/main.ts"),
      "finetune",
      "--config",
      config,
      "--quiet",
    ];
    const whole = spawnSync(process.execPath, cli(write("whole")), { cwd: ROOT, encoding: "utf8" });
    expect(whole.status, whole.stderr).toBe(0);

    const killedConfig = write("killed");
    const checkpoint = join(dir, "killed", "checkpoint.safetensors");
    const child = spawn(process.execPath, cli(killedConfig), { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise<void>((res) => child.on("exit", () => res()));
    // Kill once a checkpoint past the start exists, mid-way through the run.
    for (let i = 0; i < 4000; i++) {
      await new Promise((res) => setTimeout(res, 50));
      if (existsSync(checkpoint) && Number(readCheckpointStep(checkpoint)) >= 15) break;
    }
    child.kill("SIGKILL");
    await exited;
    const stepAtKill = Number(readCheckpointStep(checkpoint));
    expect(stepAtKill).toBeGreaterThanOrEqual(15);
    expect(stepAtKill).toBeLessThan(80);
    expect(existsSync(join(dir, "killed", "model"))).toBe(false);
    const resumed = spawnSync(process.execPath, cli(killedConfig), { cwd: ROOT, encoding: "utf8" });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from step \d+/);
    const bytes = (name: string) => readFileSync(join(dir, name, "model", "model.safetensors"));
    expect(Buffer.compare(bytes("whole"), bytes("killed"))).toBe(0);
    expect(
      Buffer.compare(
        readFileSync(join(dir, "whole", "model", "head.safetensors")),
        readFileSync(join(dir, "killed", "model", "head.safetensors")),
      ),
    ).toBe(0);
  }, 300_000);
});

function readCheckpointStep(path: string): string | undefined {
  try {
    const buf = readFileSync(path);
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
    return header.__metadata__?.step;
  } catch {
    return undefined;
  }
}

/** Word features: context windows, cache, bad checkpoints, and the extract command. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { parseLayers } from "../src/cli/extract.js";
import { readGpt2Config } from "../src/lm/config.js";
import { extractWordFeatures } from "../src/lm/extract.js";
import { buildGpt2Graph, Gpt2Runtime } from "../src/lm/modelingGpt2.js";
import { loadGpt2Tokenizer } from "../src/lm/tokenizer.js";
import { loadGpt2Weights } from "../src/lm/weights.js";
import { planWindows, wordStates } from "../src/lm/wordStates.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { readWords } from "../src/stimuli/readers.js";
import { untimedWords } from "../src/stimuli/words.js";
import { tinyCheckpoint } from "./helpers/gpt2.js";
import { sharedPath } from "./helpers/shared.js";

const model = tinyCheckpoint();
const pieman = readWords(sharedPath("data/narratives/align/pieman/align.csv"));
const words = pieman.words.slice(0, 120);
const tmp = () => mkdtempSync(join(tmpdir(), "bs-"));

async function runtimeFor(dir: string) {
  const config = readGpt2Config(dir);
  return Gpt2Runtime.create(config, loadGpt2Weights(dir, config));
}

/** max |a − b| over max |b|: float32 rounding is ~1e-7 of the largest value. */
function maxRelativeDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

describe("context windows", () => {
  it("exact mode gives each word min(context, tokens so far) tokens and matches a manual window", async () => {
    const runtime = await runtimeFor(model);
    const tokens = loadGpt2Tokenizer(model).encodeWords(words);
    const context = 20;
    const out = await wordStates(runtime, tokens, { context, mode: "exact", batchSize: 3 });
    const E = runtime.config.nEmbd;
    for (const w of [0, 5, 60, 119]) {
      const e = tokens.wordEnd[w];
      expect(out.contextTokens[w]).toBe(Math.min(context, e + 1));
      const start = Math.max(0, e - context + 1);
      const manual = await runtime.forward([tokens.ids.subarray(start, e + 1)]);
      const L = runtime.layers.length;
      for (let li = 0; li < L; li++) {
        const want = manual.hidden.get(runtime.layers[li])!.subarray((e - start) * E, (e - start + 1) * E);
        const got = out.states.subarray((li * words.length + w) * E, (li * words.length + w + 1) * E);
        for (let k = 0; k < E; k++) expect(got[k]).toBeCloseTo(want[k], 4);
      }
    }
    await runtime.release();
  });

  it("windows in pairs (the default) give the states of one window per pass, to float32 rounding", async () => {
    const runtime = await runtimeFor(model);
    const tokens = loadGpt2Tokenizer(model).encodeWords(words);
    const one = await wordStates(runtime, tokens, { context: 16, mode: "exact", batchSize: 1 });
    const paired = await wordStates(runtime, tokens, { context: 16, mode: "exact" });
    expect(paired.passes).toBeLessThan(one.passes);
    // The last block runs on one row per window: a product of 1 or 2 rows may round differently.
    expect(maxRelativeDiff(paired.states, one.states)).toBeLessThan(1e-6);
    await runtime.release();
  });

  it("forward from a position returns the full pass's states of the positions from there on", async () => {
    for (const layers of [undefined, [1]]) {
      const config = readGpt2Config(model);
      const runtime = await Gpt2Runtime.create(config, loadGpt2Weights(model, config), { layers });
      const ids = loadGpt2Tokenizer(model).encodeWords(words).ids;
      const batch = [ids.subarray(0, 24), ids.subarray(30, 54)];
      const full = await runtime.forward(batch);
      expect(full.from).toBe(0);
      const E = config.nEmbd;
      for (const from of [23, 10]) {
        const part = await runtime.forward(batch, from);
        expect(part.from).toBe(from);
        for (const l of runtime.layers) {
          const got = part.hidden.get(l)!;
          expect(got.length).toBe(2 * (24 - from) * E);
          const want = new Float32Array(got.length);
          for (let b = 0; b < 2; b++)
            want.set(full.hidden.get(l)!.subarray((b * 24 + from) * E, (b + 1) * 24 * E), b * (24 - from) * E);
          expect(maxRelativeDiff(got, want)).toBeLessThan(1e-6);
        }
      }
      await expect(runtime.forward(batch, 24)).rejects.toThrow(/first position 24 outside the 24 tokens/);
      await runtime.release();
    }
  });

  it("a graph asked for layers up to 1 builds block 0 only (no weights of the later blocks), with the full graph's states", async () => {
    const config = readGpt2Config(model);
    const weights = loadGpt2Weights(model, config);
    const modelBytes = (layers: number[]) => buildGpt2Graph(config, weights, { layers }).toModel().length;
    expect(config.nLayer).toBeGreaterThan(1);
    expect(modelBytes([0, 1])).toBeLessThan(modelBytes([0, config.nLayer]));
    expect(() => buildGpt2Graph(config, weights, { layers: [config.nLayer + 1] })).toThrow(/layer .* does not exist/);
    const full = await Gpt2Runtime.create(config, weights, { layers: [1, config.nLayer] });
    const part = await Gpt2Runtime.create(config, weights, { layers: [1] });
    const ids = [loadGpt2Tokenizer(model).encodeWords(words).ids.subarray(0, 40)];
    expect(Array.from((await part.forward(ids)).hidden.get(1)!)).toEqual(
      Array.from((await full.forward(ids)).hidden.get(1)!),
    );
    await full.release();
    await part.release();
  });

  it("a story shorter than the context needs one pass, identical in both modes", async () => {
    const runtime = await runtimeFor(model);
    const tokens = loadGpt2Tokenizer(model).encodeWords(words.slice(0, 30));
    const exact = await wordStates(runtime, tokens, { context: 64, mode: "exact" });
    const strided = await wordStates(runtime, tokens, { context: 64, mode: "strided" });
    expect(exact.passes).toBe(1);
    expect(Array.from(strided.states)).toEqual(Array.from(exact.states));
    await runtime.release();
  });

  it("strided windows give every word at least context − stride + 1 tokens and cost far fewer passes", async () => {
    const runtime = await runtimeFor(model);
    const tokens = loadGpt2Tokenizer(model).encodeWords(words);
    // One window per pass, so that passes count windows.
    const strided = await wordStates(runtime, tokens, { context: 32, mode: "strided", stride: 8, batchSize: 1 });
    const exact = await wordStates(runtime, tokens, { context: 32, mode: "exact", batchSize: 1 });
    tokens.wordEnd.forEach((e, w) =>
      expect(strided.contextTokens[w]).toBeGreaterThanOrEqual(Math.min(e + 1, 32 - 8 + 1)),
    );
    expect(strided.passes).toBeLessThan(exact.passes / 3);
    await runtime.release();
  });

  it("never wraps the end of the story into its beginning", () => {
    const tokens = {
      ids: new Int32Array(100),
      wordStart: Int32Array.from({ length: 50 }, (_, i) => 2 * i),
      wordEnd: Int32Array.from({ length: 50 }, (_, i) => 2 * i + 1),
    };
    for (const win of planWindows(tokens, 30, "strided", 10)) {
      expect(win.start).toBeGreaterThanOrEqual(0);
      expect(win.end).toBeLessThan(100);
      for (const w of win.words) expect(tokens.wordEnd[w] >= win.start && tokens.wordEnd[w] <= win.end).toBe(true);
    }
    expect(() => planWindows(tokens, 30, "strided", 31)).toThrow(/stride must be between 1 and context/);
  });
});

describe("feature cache", () => {
  it("hits on an identical second call, misses on other settings, and leaves no temporary files", async () => {
    const cacheDir = tmp();
    const events = untimedWords(words.slice(0, 40), "test");
    const a = await extractWordFeatures(model, events, { cacheDir, layers: [0, 2] });
    const b = await extractWordFeatures(model, events, { cacheDir, layers: [0, 2] });
    expect(a.cacheHit).toBe(false);
    expect(b.cacheHit).toBe(true);
    expect(Array.from(b.hiddenStates)).toEqual(Array.from(a.hiddenStates));
    const c = await extractWordFeatures(model, events, { cacheDir, layers: [1] });
    expect(c.cacheHit).toBe(false);
    const files = readdirSync(join(cacheDir, "features"));
    expect(files.length).toBe(2);
    expect(files.some((f) => f.includes(".tmp"))).toBe(false);
  });

  it("recomputes a truncated cache entry instead of reading it", async () => {
    const cacheDir = tmp();
    const events = untimedWords(words.slice(0, 10), "test");
    const a = await extractWordFeatures(model, events, { cacheDir });
    writeFileSync(a.cachePath!, readFileSync(a.cachePath!).subarray(0, 100));
    const b = await extractWordFeatures(model, events, { cacheDir });
    expect(b.cacheHit).toBe(false);
    expect(Array.from(b.hiddenStates)).toEqual(Array.from(a.hiddenStates));
    expect(readSafetensors(a.cachePath!).tensors.has("hidden_states")).toBe(true);
  });
});

describe("bad checkpoints and word lists", () => {
  it("names the file when weights are truncated, corrupt or disagree with config.json", async () => {
    const events = untimedWords(["hello", "world"], "test");
    const truncated = tinyCheckpoint();
    const bytes = readFileSync(join(truncated, "model.safetensors"));
    writeFileSync(join(truncated, "model.safetensors"), bytes.subarray(0, bytes.length - 1000));
    await expect(extractWordFeatures(truncated, events, { cacheDir: tmp() })).rejects.toThrow(
      /model\.safetensors: .*truncated/,
    );
    const mismatched = tinyCheckpoint();
    const cfg = JSON.parse(readFileSync(join(mismatched, "config.json"), "utf8"));
    writeFileSync(join(mismatched, "config.json"), JSON.stringify({ ...cfg, n_embd: 32 }));
    await expect(extractWordFeatures(mismatched, events, { cacheDir: tmp() })).rejects.toThrow(
      /wte\.weight" has shape \[50257,16\] but config\.json implies \[50257,32\]/,
    );
    const badConfig = tinyCheckpoint();
    writeFileSync(join(badConfig, "config.json"), "{ not json");
    await expect(extractWordFeatures(badConfig, events, { cacheDir: tmp() })).rejects.toThrow(
      /config\.json: not valid JSON/,
    );
    const other = tinyCheckpoint();
    writeFileSync(join(other, "config.json"), JSON.stringify({ ...cfg, model_type: "bloom" }));
    await expect(extractWordFeatures(other, events, { cacheDir: tmp() })).rejects.toThrow(
      /config\.json: model_type "bloom" is not supported \(supported: gpt2, gpt_neox, opt, llama, mistral, qwen2\)/,
    );
    // A GPT-2 config relabelled as another family: that family's own fields are missing.
    writeFileSync(join(other, "config.json"), JSON.stringify({ ...cfg, model_type: "llama" }));
    await expect(extractWordFeatures(other, events, { cacheDir: tmp() })).rejects.toThrow(
      /config\.json: "hidden_size" must be a positive integer, got undefined/,
    );
  });

  it("reads checkpoints saved with the transformer. prefix (GPT2LMHeadModel)", async () => {
    const a = await extractWordFeatures(tinyCheckpoint({ seed: 4 }), untimedWords(["a", "b", "c"], "t"), {
      cacheDir: tmp(),
    });
    const b = await extractWordFeatures(
      tinyCheckpoint({ seed: 4, prefixed: true }),
      untimedWords(["a", "b", "c"], "t"),
      { cacheDir: tmp() },
    );
    expect(Array.from(b.hiddenStates)).toEqual(Array.from(a.hiddenStates));
  });

  it("refuses an empty word list and unreadable alignment rows", () => {
    const d = tmp();
    writeFileSync(join(d, "empty.txt"), "  \n");
    expect(() => readWords(join(d, "empty.txt"))).toThrow(/empty\.txt: no words/);
    writeFileSync(join(d, "align.csv"), "I,i,1.0,1.2\nbegan,began,abc,1.5\n");
    expect(() => readWords(join(d, "align.csv"))).toThrow(/align\.csv line 2: start "abc" is not a time/);
    writeFileSync(join(d, "short.csv"), "I,i,1.0\n");
    expect(() => readWords(join(d, "short.csv"))).toThrow(/short\.csv line 1: expected 4 columns/);
  });
});

describe("brainscore extract", () => {
  it("writes hidden states, timings and metadata; the second run is served from the cache", async () => {
    const out = join(tmp(), "feats.safetensors");
    const cacheDir = tmp();
    const logs: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...a) => void logs.push(a.join(" ")));
    const args = [
      "extract",
      "--model",
      model,
      "--words",
      sharedPath("data/narratives/align/pieman/align.csv"),
      "--layers",
      "0,2",
      "--context",
      "32",
      "--mode",
      "strided",
      "--out",
      out,
      "--cache-dir",
      cacheDir,
      "--quiet",
    ];
    expect(await main(args)).toBe(0);
    expect(await main(args)).toBe(0);
    spy.mockRestore();
    const f = readSafetensors(out);
    expect(f.tensors.get("hidden_states")!.shape).toEqual([2, 957, 16]);
    expect(f.tensors.get("onsets")!.shape).toEqual([957]);
    expect(JSON.parse(f.metadata.words).length).toBe(957);
    expect(JSON.parse(f.metadata.settings)).toMatchObject({ context: 32, mode: "strided", stride: 16 });
    expect(logs.join("\n")).toMatch(/3 onset\(s\) interpolated/);
    expect(logs.join("\n")).toMatch(/\(from cache\)/);
  });

  it("parses layer specs", () => {
    expect(parseLayers("0-3,8")).toEqual([0, 1, 2, 3, 8]);
    expect(parseLayers("all")).toBeUndefined();
    expect(() => parseLayers("x")).toThrow(/--layers/);
  });

  it("fails clearly for a missing word file and an unknown layer", async () => {
    const errs: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...a) => void errs.push(a.join(" ")));
    const out = join(tmp(), "x.safetensors");
    expect(await main(["extract", "--model", model, "--words", "/nope/align.csv", "--out", out])).toBe(1);
    expect(
      await main([
        "extract",
        "--model",
        model,
        "--words",
        sharedPath("data/narratives/align/pieman/align.csv"),
        "--layers",
        "7",
        "--out",
        out,
        "--quiet",
      ]),
    ).toBe(1);
    spy.mockRestore();
    expect(errs[0]).toMatch(/\/nope\/align\.csv: cannot read \(ENOENT\)/);
    expect(errs[1]).toMatch(/layer 7 does not exist/);
    expect(existsSync(out)).toBe(false);
    rmSync(out, { force: true });
  });
});

/**
 * Incremental decoding and generated futures on the reference tiny GPT-2 (../shared/reference/gpt2):
 * cached steps reproduce nanoGPT's logits and hidden states, and generated words equal a brute-force
 * greedy decoder that re-runs the whole sequence without a cache at every token.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGpt2Config, type Gpt2Config } from "../src/lm/config.js";
import { generateFutures } from "../src/lm/generate.js";
import { Gpt2Runtime } from "../src/lm/modelingGpt2.js";
import { loadGpt2Tokenizer, type Gpt2Tokenizer } from "../src/lm/tokenizer.js";
import { loadGpt2Weights, type Gpt2Weights } from "../src/lm/weights.js";
import { referenceTensors, sharedPath } from "./helpers/shared.js";

const dir = sharedPath("reference/gpt2");
const ref = referenceTensors("reference/gpt2/reference.safetensors");
const meta = JSON.parse(readFileSync(sharedPath("reference/gpt2/reference.json"), "utf8"));
const ids = Array.from(ref("input_ids").data as BigInt64Array, Number);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

let config: Gpt2Config;
let weights: Gpt2Weights;
let tokenizer: Gpt2Tokenizer;
let cached: Gpt2Runtime;
let plain: Gpt2Runtime;
beforeAll(async () => {
  config = readGpt2Config(dir);
  weights = loadGpt2Weights(dir, config);
  tokenizer = loadGpt2Tokenizer(dir);
  cached = await Gpt2Runtime.create(config, weights, { layers: [0, 1, 2], cache: true });
  plain = await Gpt2Runtime.create(config, weights, { layers: [1, 2] });
});
afterAll(async () => {
  await cached.release();
  await plain.release();
});

describe("key/value cache", () => {
  it("prompt + single-token steps reproduce nanoGPT's logits and hidden states", async () => {
    const logits = ref("logits").data as Float32Array; // positions 66..69
    const hidden = ref("hidden_states").data as Float32Array; // [3, 70, 32]
    const V = config.vocabSize;
    const E = config.nEmbd;
    let out = await cached.step([ids.slice(0, 67)], null);
    expect(out.cache.length).toBe(67);
    expect(maxAbsDiff(out.logits, logits.subarray(0, V))).toBeLessThan(1e-4);
    for (const t of [67, 68, 69]) {
      out = await cached.step([[ids[t]]], out.cache);
      expect(out.cache.length).toBe(t + 1);
      expect(maxAbsDiff(out.logits, logits.subarray((t - 66) * V, (t - 65) * V))).toBeLessThan(1e-4);
      for (const l of [0, 1, 2])
        expect(maxAbsDiff(out.hidden.get(l)!, hidden.subarray((l * 70 + t) * E, (l * 70 + t + 1) * E))).toBeLessThan(
          1e-4,
        );
    }
    let argmax = 0;
    for (let i = 1; i < V; i++) if (out.logits[i] > out.logits[argmax]) argmax = i;
    expect(argmax).toBe(meta.logits_argmax_last4[3]);
    await expect(plain.step([[1]], null)).rejects.toThrow(/without a key\/value cache/);
  });

  it("generated words equal a brute-force greedy decoder without a cache", async () => {
    const tokens = tokenizer.encodeWords(meta.words);
    const context = 24;
    const G = 3;
    const res = await generateFutures(cached, tokenizer, tokens, { words: G, context, layer: 1, batchSize: 3 });
    expect(res.states.length).toBe(meta.words.length * G * config.nEmbd);
    const E = config.nEmbd;
    for (const n of [0, 4, 30, 59]) {
      // Brute force: re-run the whole sequence each step; logits = ln_f state × wteᵀ; argmax without <|endoftext|>.
      const seq = Array.from(tokens.ids.subarray(Math.max(0, tokens.wordEnd[n] + 1 - context), tokens.wordEnd[n] + 1));
      const prompt = seq.length;
      for (let step = 0; step < 4 * G + 8; step++) {
        const out = await plain.forward([seq]);
        const last = out.hidden.get(2)!.subarray((seq.length - 1) * E, seq.length * E);
        let best = -1;
        let bestLogit = -Infinity;
        for (let v = 0; v < config.vocabSize; v++) {
          if (tokenizer.specialIds.has(v)) continue;
          let s = 0;
          for (let e = 0; e < E; e++) s += last[e] * weights.wte[v * E + e];
          if (s > bestLogit) ((bestLogit = s), (best = v));
        }
        seq.push(best);
      }
      const generated = seq.slice(prompt);
      // Word boundaries: tokens with a leading space start a word; the first words' last tokens give the states.
      const starts = generated.map((id, i) => (/^\s/.test(tokenizer.decode([id])) ? i : -1)).filter((i) => i >= 0);
      const words = starts.slice(0, G).map((s, j) => generated.slice(s, starts[j + 1]));
      expect(res.text[n]).toEqual(words.map((w) => tokenizer.decode(w).trim()));
      const full = await plain.forward([seq]);
      starts.slice(0, G).forEach((s, j) => {
        const lastToken = prompt + starts[j + 1] - 1;
        const want = full.hidden.get(1)!.subarray(lastToken * E, (lastToken + 1) * E);
        expect(maxAbsDiff(res.states.subarray((n * G + j) * E, (n * G + j + 1) * E), want)).toBeLessThan(1e-4);
      });
    }
    expect(res.missing).toBe(0);
  }, 120_000);

  it("seeded sampling is reproducible and independent of the batch size", async () => {
    const tokens = tokenizer.encodeWords(meta.words.slice(0, 30));
    const opts = { words: 2, context: 16, layer: 2, strategy: "sample" as const, seed: 7, temperature: 0.8, topK: 50 };
    const a = await generateFutures(cached, tokenizer, tokens, { ...opts, batchSize: 1 });
    const b = await generateFutures(cached, tokenizer, tokens, { ...opts, batchSize: 16 });
    expect(b.text).toEqual(a.text);
    expect(maxAbsDiff(a.states, b.states)).toBeLessThan(1e-5);
    const c = await generateFutures(cached, tokenizer, tokens, { ...opts, seed: 8, batchSize: 16 });
    expect(c.text).not.toEqual(a.text);
    await expect(generateFutures(cached, tokenizer, tokens, { ...opts, layer: 5 })).rejects.toThrow(
      /layer 5 is not computed/,
    );
  }, 120_000);
});

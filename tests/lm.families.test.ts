/**
 * Model families beyond GPT-2 against ../shared/reference/lm-families (an independent PyTorch
 * re-implementation of Hugging Face's forward passes): GPT-NeoX (partial rotary, fused per-head QKV,
 * parallel residual), OPT (learned positions offset by 2, ReLU, pre-LN), Llama (grouped-query attention,
 * RoPE, RMSNorm, SwiGLU; bfloat16 weights in two shards with an index) and Qwen2 (the same with q/k/v
 * biases, rope_theta 1e6). Tolerance: 1e-4 · max|ref| + 1e-5 on every token and word state of every layer.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLanguageModel, readModelInfo } from "../src/encoding/lm/architectures.js";
import { readCheckpointTensors, weightFiles } from "../src/encoding/lm/checkpoint.js";
import { extractWordFeatures } from "../src/encoding/lm/extract.js";
import { parseGptNeoxConfig } from "../src/encoding/lm/modelingGptNeox.js";
import { parseLlamaConfig, ropeInverseFrequencies } from "../src/encoding/lm/modelingLlama.js";
import { parseOptConfig } from "../src/encoding/lm/modelingOpt.js";
import { untimedWords } from "../src/stimuli/words.js";
import { referenceTensors, sharedPath } from "./helpers/shared.js";

const tolerance = (ref: Float32Array) => 1e-4 * ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0) + 1e-5;
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each(["gpt_neox", "opt", "llama", "qwen2"])("%s against the PyTorch reference", (family) => {
  const dir = sharedPath(`reference/lm-families/${family}`);
  const ref = referenceTensors(`reference/lm-families/${family}/reference.safetensors`);
  const meta = JSON.parse(readFileSync(`${dir}/reference.json`, "utf8"));
  const ids = Array.from(ref("input_ids").data as BigInt64Array, Number);

  it("every token's hidden state at every layer (output_hidden_states convention)", async () => {
    const info = readModelInfo(dir);
    expect(info.modelType).toBe(family);
    const layers = Array.from({ length: info.nLayer + 1 }, (_, i) => i);
    const runtime = await createLanguageModel(dir, { layers });
    try {
      const out = await runtime.forward([ids]);
      const want = ref("token_hidden_states").data as Float32Array; // [L+1, T, E]
      const T = ids.length;
      const E = info.nEmbd;
      for (const l of layers) {
        const w = want.subarray(l * T * E, (l + 1) * T * E);
        expect(maxAbsDiff(out.hidden.get(l)!, w), `layer ${l}`).toBeLessThan(tolerance(w));
      }
    } finally {
      await runtime.release();
    }
  });

  it("word features through extractWordFeatures (last token of each word)", async () => {
    const feats = await extractWordFeatures(dir, untimedWords(meta.words, "reference.json"), { context: 128, mode: "exact", cache: false });
    const want = ref("word_hidden_states").data as Float32Array;
    expect(feats.hiddenStates.length).toBe(want.length);
    expect(maxAbsDiff(feats.hiddenStates, want)).toBeLessThan(tolerance(want));
    expect(Array.from(feats.tokenEnd)).toEqual(Array.from(ref("word_token_end").data as BigInt64Array, Number));
  });
});

describe("checkpoints and configs of other families", () => {
  it("reads bfloat16 shards through the index (exact upcast), and names what is wrong", () => {
    const dir = sharedPath("reference/lm-families/llama");
    expect(weightFiles(dir).map((f) => f.split("/").pop())).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    const t = readCheckpointTensors(dir);
    const w = t.get("model.layers.1.mlp.down_proj.weight", [48, 128]);
    // bf16 → float32 is exact: every value has a zero low half.
    const bits = new Uint32Array(Float32Array.from(w).buffer);
    expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
    expect(() => t.get("model.layers.1.mlp.down_proj.weight", [128, 48])).toThrow(/model-0000[12]-of-00002\.safetensors: tensor "model\.layers\.1\.mlp\.down_proj\.weight" has shape \[48,128\] but config\.json implies \[128,48\]/);
    expect(() => t.get("model.layers.9.mlp.down_proj.weight", [48, 128])).toThrow(/missing tensor "model\.layers\.9\.mlp\.down_proj\.weight"/);
  });

  it("refuses model types it does not implement, listing the supported ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "falcon-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "falcon", hidden_size: 8 }));
    expect(() => readModelInfo(dir)).toThrow(/config\.json: model_type "falcon" is not supported \(supported: gpt2, gpt_neox, opt, llama, mistral, qwen2\)/);
    const opt = JSON.parse(readFileSync(sharedPath("reference/lm-families/opt/config.json"), "utf8"));
    expect(() => parseOptConfig({ ...opt, word_embed_proj_dim: 16 }, "opt.json")).toThrow(/opt\.json: word_embed_proj_dim 16 ≠ hidden_size .* is not supported/);
    const neox = JSON.parse(readFileSync(sharedPath("reference/lm-families/gpt_neox/config.json"), "utf8"));
    expect(() => parseGptNeoxConfig({ ...neox, rotary_pct: 0.05 }, "neox.json")).toThrow(/neox\.json: rotary_pct 0\.05 gives 0 rotary dims of 16/);
  });

  it("weights in an ONNX external data file (as for models past protobuf's 2 GB) give identical states", async () => {
    for (const dir of [sharedPath("reference/gpt2"), sharedPath("reference/lm-families/llama")]) {
      const info = readModelInfo(dir);
      const layers = Array.from({ length: info.nLayer + 1 }, (_, i) => i);
      const ids = Array.from({ length: 20 }, (_, i) => (i * 7919) % 50000);
      const runs = [];
      for (const externalData of [false, true]) {
        const runtime = await createLanguageModel(dir, { layers, externalData });
        runs.push(await runtime.forward([ids]));
        await runtime.release();
      }
      for (const l of layers) expect(Array.from(runs[1].hidden.get(l)!)).toEqual(Array.from(runs[0].hidden.get(l)!));
    }
  });

  it("rope_scaling llama3 follows Hugging Face's frequency rule", () => {
    const base = { model_type: "llama", hidden_size: 64, num_attention_heads: 1, num_hidden_layers: 1, intermediate_size: 8, max_position_embeddings: 8192, vocab_size: 10, rope_theta: 500000 };
    const plain = ropeInverseFrequencies(parseLlamaConfig(base, "c.json"));
    const scaled = ropeInverseFrequencies(parseLlamaConfig({ ...base, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }, "c.json"));
    plain.forEach((f, j) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < 8192 / 4) expect(scaled[j]).toBe(f); // high frequencies untouched
      else if (wavelen > 8192) expect(scaled[j]).toBeCloseTo(f / 8, 15); // low frequencies divided by the factor
      else expect(scaled[j]).toBeGreaterThan(f / 8), expect(scaled[j]).toBeLessThan(f); // smooth in between
    });
    expect(() => parseLlamaConfig({ ...base, rope_scaling: { rope_type: "yarn", factor: 2 } }, "c.json")).toThrow(/c\.json: rope_scaling type "yarn" is not supported/);
  });
});

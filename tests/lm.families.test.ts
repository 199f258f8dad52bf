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
import { createLanguageModel, readModelInfo } from "../src/lm/architectures.js";
import { readCheckpointTensors, weightFiles } from "../src/lm/checkpoint.js";
import { extractWordFeatures } from "../src/lm/extract.js";
import { parseGptNeoxConfig } from "../src/lm/modelingGptNeox.js";
import { parseLlamaConfig, ropeInverseFrequencies } from "../src/lm/modelingLlama.js";
import { parseOptConfig } from "../src/lm/modelingOpt.js";
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

  it("a graph asked for a middle layer stops there: the same states, bit for bit", async () => {
    const info = readModelInfo(dir);
    const mid = Math.max(1, Math.floor(info.nLayer / 2));
    const full = await createLanguageModel(dir, { layers: [mid, info.nLayer] });
    const part = await createLanguageModel(dir, { layers: [mid] });
    try {
      const a = (await full.forward([ids])).hidden.get(mid)!;
      const b = (await part.forward([ids])).hidden.get(mid)!;
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      await full.release();
      await part.release();
    }
  });

  it("forward from a position: the full pass's states of the positions from there on, the last block's rows only", async () => {
    const info = readModelInfo(dir);
    const T = ids.length;
    const E = info.nEmbd;
    for (const layers of [Array.from({ length: info.nLayer + 1 }, (_, i) => i), [1]]) {
      const runtime = await createLanguageModel(dir, { layers });
      try {
        const full = await runtime.forward([ids]);
        for (const from of [T - 1, Math.floor(T / 3)]) {
          const part = await runtime.forward([ids], from);
          expect(part.from).toBe(from);
          for (const l of layers) {
            const want = full.hidden.get(l)!.subarray(from * E);
            const got = part.hidden.get(l)!;
            expect(got.length, `layer ${l}`).toBe((T - from) * E);
            // float32 rounding only: a hundredth of the tolerance against PyTorch (1e-6 of the largest value).
            expect(maxAbsDiff(got, want), `layer ${l} from ${from}`).toBeLessThan(tolerance(want) / 100);
          }
        }
        await expect(runtime.forward([ids], T)).rejects.toThrow(/first position .* outside/);
      } finally {
        await runtime.release();
      }
    }
  });

  it("word features through extractWordFeatures (last token of each word)", async () => {
    const feats = await extractWordFeatures(dir, untimedWords(meta.words, "reference.json"), {
      context: 128,
      mode: "exact",
      cache: false,
    });
    const want = ref("word_hidden_states").data as Float32Array;
    expect(feats.hiddenStates.length).toBe(want.length);
    expect(maxAbsDiff(feats.hiddenStates, want)).toBeLessThan(tolerance(want));
    expect(Array.from(feats.tokenEnd)).toEqual(Array.from(ref("word_token_end").data as BigInt64Array, Number));
  });
});

describe("checkpoints and configs of other families", () => {
  it("reads bfloat16 shards through the index (exact upcast), and names what is wrong", () => {
    const dir = sharedPath("reference/lm-families/llama");
    expect(weightFiles(dir).map((f) => f.split("/").pop())).toEqual([
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
    ]);
    const t = readCheckpointTensors(dir);
    const w = t.get("model.layers.1.mlp.down_proj.weight", [48, 128]);
    // bf16 → float32 is exact: every value has a zero low half.
    const bits = new Uint32Array(Float32Array.from(w).buffer);
    expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
    expect(() => t.get("model.layers.1.mlp.down_proj.weight", [128, 48])).toThrow(
      /model-0000[12]-of-00002\.safetensors: tensor "model\.layers\.1\.mlp\.down_proj\.weight" has shape \[48,128\] but config\.json implies \[128,48\]/,
    );
    expect(() => t.get("model.layers.9.mlp.down_proj.weight", [48, 128])).toThrow(
      /missing tensor "model\.layers\.9\.mlp\.down_proj\.weight"/,
    );
  });

  it("refuses model types it does not implement, listing the supported ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "falcon-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "falcon", hidden_size: 8 }));
    expect(() => readModelInfo(dir)).toThrow(
      /config\.json: model_type "falcon" is not supported \(supported: gpt2, gpt_neox, opt, llama, mistral, qwen2\)/,
    );
    const opt = JSON.parse(readFileSync(sharedPath("reference/lm-families/opt/config.json"), "utf8"));
    expect(() => parseOptConfig({ ...opt, word_embed_proj_dim: 16 }, "opt.json")).toThrow(
      /opt\.json: word_embed_proj_dim 16 ≠ hidden_size .* is not supported/,
    );
    const neox = JSON.parse(readFileSync(sharedPath("reference/lm-families/gpt_neox/config.json"), "utf8"));
    expect(() => parseGptNeoxConfig({ ...neox, rotary_pct: 0.05 }, "neox.json")).toThrow(
      /neox\.json: rotary_pct 0\.05 gives 0 rotary dims of 16/,
    );
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
    const base = {
      model_type: "llama",
      hidden_size: 64,
      num_attention_heads: 1,
      num_hidden_layers: 1,
      intermediate_size: 8,
      max_position_embeddings: 8192,
      vocab_size: 10,
      rope_theta: 500000,
    };
    const plain = ropeInverseFrequencies(parseLlamaConfig(base, "c.json"));
    const scaled = ropeInverseFrequencies(
      parseLlamaConfig(
        {
          ...base,
          rope_scaling: {
            rope_type: "llama3",
            factor: 8,
            low_freq_factor: 1,
            high_freq_factor: 4,
            original_max_position_embeddings: 8192,
          },
        },
        "c.json",
      ),
    );
    plain.forEach((f, j) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < 8192 / 4)
        expect(scaled[j]).toBe(f); // high frequencies untouched
      else if (wavelen > 8192)
        expect(scaled[j]).toBeCloseTo(f / 8, 15); // low frequencies divided by the factor
      else (expect(scaled[j]).toBeGreaterThan(f / 8), expect(scaled[j]).toBeLessThan(f)); // smooth in between
    });
    expect(() => parseLlamaConfig({ ...base, rope_scaling: { rope_type: "yarn", factor: 2 } }, "c.json")).toThrow(
      /c\.json: rope_scaling type "yarn" is not supported/,
    );
  });
});

describe("SentencePiece-style tokenizers and BOS tokens (Llama-2, Mistral)", () => {
  // A tiny Llama-2-style tokenizer.json: "▁" prepended by the normalizer, spaces → "▁", BPE with byte fallback,
  // <s> added by the post-processor; tokenizer_config.json asks for the BOS token.
  const vocab: Record<string, number> = {
    "<unk>": 0,
    "<s>": 1,
    "</s>": 2,
    "▁": 3,
    a: 4,
    b: 5,
    c: 6,
    "▁a": 7,
    "▁b": 8,
    ab: 9,
    "▁ab": 10,
    "▁c": 11,
    "<0x21>": 12,
  };
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [0, 1, 2].map((id) => ({
      id,
      content: ["<unk>", "<s>", "</s>"][id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges: ["▁ a", "▁ b", "a b", "▁a b", "▁ c"],
    },
  };
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), "sp-"));
    const llama = sharedPath("reference/lm-families/llama");
    for (const f of [
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ])
      writeFileSync(join(dir, f), readFileSync(join(llama, f)));
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson));
    writeFileSync(
      join(dir, "tokenizer_config.json"),
      JSON.stringify({
        add_bos_token: true,
        add_eos_token: false,
        bos_token: "<s>",
        eos_token: "</s>",
        unk_token: "<unk>",
      }),
    );
    return dir;
  };

  it("encodes words without an added space (the tokenizer marks word starts) and finds the BOS token", async () => {
    const { loadGpt2Tokenizer } = await import("../src/lm/tokenizer.js");
    const tok = loadGpt2Tokenizer(folder());
    expect(tok.wordPrefix).toBe("");
    expect(tok.bosId).toBe(1);
    const words = ["ab", "b", "a", "ab", "c", "abc", "a!"];
    const spans = tok.encodeWords(words);
    expect(Array.from(spans.ids)).toEqual(tok.encode(words.join(" ")));
    expect(tok.decode(Array.from(spans.ids))).toBe(words.join(" "));
    // Byte-level BPE (GPT-2's files) keeps the leading space and has no BOS.
    const gpt2 = loadGpt2Tokenizer(sharedPath("reference/gpt2"));
    expect([gpt2.wordPrefix, gpt2.bosId]).toEqual([" ", undefined]);
  });

  it("puts the BOS token before every window and reads each word's state after it", async () => {
    const dir = folder();
    const words = Array.from({ length: 40 }, (_, i) => ["ab", "b", "a", "c", "abc"][(i * 7) % 5]);
    const feats = await extractWordFeatures(dir, untimedWords(words, "words.txt"), {
      layers: [1, 3],
      context: 16,
      mode: "exact",
      cache: false,
    });
    expect(feats.settings.bos).toBe(1);
    const { loadGpt2Tokenizer } = await import("../src/lm/tokenizer.js");
    const tokens = loadGpt2Tokenizer(dir).encodeWords(words);
    const runtime = await createLanguageModel(dir, { layers: [1, 3] });
    try {
      for (const w of [0, 9, 39]) {
        const end = tokens.wordEnd[w];
        const window = [1, ...Array.from(tokens.ids.subarray(Math.max(0, end - 14), end + 1))]; // BOS + up to 15 text tokens
        const out = await runtime.forward([window]);
        const E = 48;
        const last = window.length - 1;
        expect(
          maxAbsDiff(
            feats.hiddenStates.subarray((1 * 40 + w) * E, (1 * 40 + w + 1) * E),
            out.hidden.get(3)!.subarray(last * E, (last + 1) * E),
          ),
        ).toBeLessThan(1e-5);
        expect(feats.contextTokens[w]).toBe(Math.min(end + 1, 15));
      }
    } finally {
      await runtime.release();
    }
  });
});

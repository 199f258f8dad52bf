/**
 * A GPT-2 checkpoint's trainable tensors as a name → Float32Array map (names without the
 * "transformer." prefix, as gpt2ParameterShapes lists them), and the way back: a Hugging Face-layout
 * folder that `brainscore extract` and `brainscore run` load like any other checkpoint.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readCheckpointTensors } from "../lm/checkpoint.js";
import type { Gpt2Config } from "../lm/config.js";
import type { Gpt2Weights } from "../lm/weights.js";
import { temporaryPath, writeFileAtomic } from "../io/atomic.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import { gaussian, mulberry32 } from "../linalg/random.js";
import { gpt2ParameterShapes } from "./gpt2TrainingGraph.js";
import type { Parameters } from "./trainingSession.js";

/** Copies of the model's tensors (the caller may update them in place). */
export function loadGpt2Parameters(dir: string, config: Gpt2Config): Parameters {
  const tensors = readCheckpointTensors(dir);
  const prefix = tensors.has("transformer.wte.weight") ? "transformer." : "";
  return new Map(
    gpt2ParameterShapes(config, false).map(([name, shape]) => [
      name,
      Float32Array.from(tensors.get(prefix + name, shape)),
    ]),
  );
}

/** The auxiliary head, seeded: W ~ N(0, 1/E), b ~ N(0, 0.05²) (the reference's initialisation scale). */
export function initHead(E: number, seed: number): Parameters {
  const rand = gaussian(mulberry32(seed));
  const w = new Float32Array(E * E);
  for (let i = 0; i < w.length; i++) w[i] = rand() / Math.sqrt(E);
  const b = new Float32Array(E);
  for (let i = 0; i < E; i++) b[i] = 0.05 * rand();
  return new Map([
    ["head.weight", w],
    ["head.bias", b],
  ]);
}

/** The map viewed as the forward runtime's weights (no copy). */
export function asGpt2Weights(params: Parameters, config: Gpt2Config): Gpt2Weights {
  const p = (n: string) => {
    const v = params.get(n);
    if (!v) throw new Error(`parameters: "${n}" is missing`);
    return v;
  };
  const ln = (n: string) => ({ weight: p(`${n}.weight`), bias: p(`${n}.bias`) });
  return {
    wte: p("wte.weight"),
    wpe: p("wpe.weight"),
    lnF: ln("ln_f"),
    blocks: Array.from({ length: config.nLayer }, (_, l) => ({
      ln1: ln(`h.${l}.ln_1`),
      attnW: p(`h.${l}.attn.c_attn.weight`),
      attnB: p(`h.${l}.attn.c_attn.bias`),
      attnProjW: p(`h.${l}.attn.c_proj.weight`),
      attnProjB: p(`h.${l}.attn.c_proj.bias`),
      ln2: ln(`h.${l}.ln_2`),
      fcW: p(`h.${l}.mlp.c_fc.weight`),
      fcB: p(`h.${l}.mlp.c_fc.bias`),
      fcProjW: p(`h.${l}.mlp.c_proj.weight`),
      fcProjB: p(`h.${l}.mlp.c_proj.bias`),
    })),
  };
}

const TOKENIZER_FILES = [
  "tokenizer.json",
  "vocab.json",
  "merges.txt",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "generation_config.json",
];

/**
 * Writes a Hugging Face-layout checkpoint: config.json (the base model's), model.safetensors (the model's
 * tensors, head excluded), the base folder's tokenizer files, head.safetensors when a head exists, and
 * training.json. Written into a temporary sibling folder and renamed, so a crash never leaves half a model.
 */
export function saveGpt2Checkpoint(
  outDir: string,
  baseDir: string,
  config: Gpt2Config,
  params: Parameters,
  record: object,
): void {
  const tmp = temporaryPath(outDir);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const model: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of gpt2ParameterShapes(config, false)) model[name] = { shape, data: params.get(name)! };
  writeSafetensors(join(tmp, "model.safetensors"), model, { format: "pt" });
  if (params.has("head.weight")) {
    writeSafetensors(join(tmp, "head.safetensors"), {
      "head.weight": { shape: [config.nEmbd, config.nEmbd], data: params.get("head.weight")! },
      "head.bias": { shape: [config.nEmbd], data: params.get("head.bias")! },
    });
  }
  copyFileSync(join(baseDir, "config.json"), join(tmp, "config.json"));
  for (const f of TOKENIZER_FILES) if (existsSync(join(baseDir, f))) copyFileSync(join(baseDir, f), join(tmp, f));
  writeFileAtomic(join(tmp, "training.json"), [new TextEncoder().encode(JSON.stringify(record, null, 2) + "\n")]);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
}

/** The head saved beside a fine-tuned checkpoint (head.safetensors). */
export function loadHead(dir: string): Parameters {
  const t = readSafetensors(join(dir, "head.safetensors")).tensors;
  return new Map(["head.weight", "head.bias"].map((n) => [n, Float32Array.from(t.get(n)!.data as Float32Array)]));
}

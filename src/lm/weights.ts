/**
 * GPT-2 weights in the Hugging Face layout (one file or shards; F32, BF16 or F16 read as float32): Conv1D
 * matrices stored in × out, names with or without the "transformer." prefix (GPT2Model vs GPT2LMHeadModel
 * checkpoints). Buffers (attn.bias, attn.masked_bias) and the tied LM head are ignored. Every shape is
 * checked against config.json and every weight is finite (src/lm/checkpoint.ts).
 */
import { readCheckpointTensors } from "./checkpoint.js";
import type { Gpt2Config } from "./config.js";

export interface Gpt2Block {
  ln1: { weight: Float32Array; bias: Float32Array };
  attnW: Float32Array; // [E, 3E]
  attnB: Float32Array; // [3E]
  attnProjW: Float32Array; // [E, E]
  attnProjB: Float32Array;
  ln2: { weight: Float32Array; bias: Float32Array };
  fcW: Float32Array; // [E, inner]
  fcB: Float32Array;
  fcProjW: Float32Array; // [inner, E]
  fcProjB: Float32Array;
}

export interface Gpt2Weights {
  wte: Float32Array; // [vocab, E]
  wpe: Float32Array; // [positions, E]
  blocks: Gpt2Block[];
  lnF: { weight: Float32Array; bias: Float32Array };
}

export function loadGpt2Weights(dir: string, config: Gpt2Config): Gpt2Weights {
  const tensors = readCheckpointTensors(dir);
  const prefix = tensors.has("transformer.wte.weight") ? "transformer." : "";
  const { nEmbd: E, nInner: I, vocabSize, nPositions } = config;
  if (!tensors.has(`${prefix}wte.weight`))
    throw new Error(`${tensors.files.join(", ")}: missing tensor "wte.weight" (is this a GPT-2 checkpoint?)`);
  const get = (name: string, shape: number[]): Float32Array => tensors.get(prefix + name, shape);
  const ln = (name: string) => ({ weight: get(`${name}.weight`, [E]), bias: get(`${name}.bias`, [E]) });
  const wte = get("wte.weight", [vocabSize, E]);
  const wpe = get("wpe.weight", [nPositions, E]);
  const blocks: Gpt2Block[] = [];
  for (let i = 0; i < config.nLayer; i++) {
    const h = `h.${i}`;
    blocks.push({
      ln1: ln(`${h}.ln_1`),
      attnW: get(`${h}.attn.c_attn.weight`, [E, 3 * E]),
      attnB: get(`${h}.attn.c_attn.bias`, [3 * E]),
      attnProjW: get(`${h}.attn.c_proj.weight`, [E, E]),
      attnProjB: get(`${h}.attn.c_proj.bias`, [E]),
      ln2: ln(`${h}.ln_2`),
      fcW: get(`${h}.mlp.c_fc.weight`, [E, I]),
      fcB: get(`${h}.mlp.c_fc.bias`, [I]),
      fcProjW: get(`${h}.mlp.c_proj.weight`, [I, E]),
      fcProjB: get(`${h}.mlp.c_proj.bias`, [E]),
    });
  }
  if (tensors.has(`${prefix}h.${config.nLayer}.ln_1.weight`)) {
    throw new Error(`${tensors.files.join(", ")}: holds more layers than config.json's n_layer = ${config.nLayer}`);
  }
  return { wte, wpe, blocks, lnF: ln("ln_f") };
}

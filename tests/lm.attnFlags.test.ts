/**
 * GPT-2 config flags as Hugging Face implements them. A checkpoint with `scale_attn_weights: false` must
 * equal the default checkpoint whose query projection is scaled by √D (scores q·k instead of q·k/√D),
 * and `scale_attn_by_inverse_layer_idx` the one whose layer-l queries are scaled by 1/(l + 1).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractWordFeatures } from "../src/lm/extract.js";
import { readSafetensors, writeSafetensors, type TensorInput } from "../src/io/safetensors.js";
import { tinyModelDir } from "../src/lm/tinyCheckpoint.js";
import { untimedWords } from "../src/stimuli/words.js";

const cache = mkdtempSync(join(tmpdir(), "flags-cache-"));
const base = tinyModelDir(cache);
const E = 32;
const D = 8; // 32 / 4 heads
const words = untimedWords("the pie man came to town and nobody knew why he was there".split(" "), "test");

/** A copy of the tiny checkpoint with config changes and query weights (and biases) scaled per layer. */
function variant(name: string, config: Record<string, unknown>, qScale: (layer: number) => number): string {
  const dir = join(cache, name);
  cpSync(base, dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(base, "config.json"), "utf8"));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...cfg, ...config }));
  const { tensors } = readSafetensors(join(base, "model.safetensors"));
  const out: Record<string, TensorInput> = {};
  for (const [key, t] of tensors) {
    const data = Float32Array.from(t.data as Float32Array);
    const m = /^h\.(\d+)\.attn\.c_attn\.(weight|bias)$/.exec(key);
    if (m) {
      const s = qScale(Number(m[1]));
      if (m[2] === "bias") for (let j = 0; j < E; j++) data[j] *= s;
      else for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) data[i * 3 * E + j] *= s;
    }
    out[key] = { shape: t.shape, data };
  }
  writeSafetensors(join(dir, "model.safetensors"), out, { format: "pt" });
  return dir;
}

async function states(dir: string): Promise<Float32Array> {
  return (await extractWordFeatures(dir, words, { cacheDir: cache })).hiddenStates;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("GPT-2 attention flags", () => {
  it("scale_attn_weights: false equals queries scaled by √D", async () => {
    const flagged = await states(variant("noscale", { scale_attn_weights: false }, () => 1));
    const scaled = await states(variant("noscale-ref", {}, () => Math.sqrt(D)));
    const plain = await states(base);
    expect(maxDiff(flagged, scaled)).toBeLessThan(1e-4);
    expect(maxDiff(flagged, plain)).toBeGreaterThan(1e-2); // the flag changes the output
  });

  it("scale_attn_by_inverse_layer_idx equals layer-l queries scaled by 1/(l + 1)", async () => {
    const flagged = await states(variant("inv", { scale_attn_by_inverse_layer_idx: true }, () => 1));
    const scaled = await states(variant("inv-ref", {}, (l) => 1 / (l + 1)));
    expect(maxDiff(flagged, scaled)).toBeLessThan(1e-4);
    expect(maxDiff(flagged, await states(base))).toBeGreaterThan(1e-2);
  });

  it("reorder_and_upcast_attn (float32 reordering in Hugging Face) leaves the result unchanged", async () => {
    const flagged = await states(variant("reorder", { reorder_and_upcast_attn: true }, () => 1));
    expect(maxDiff(flagged, await states(base))).toBeLessThan(1e-6);
  });

  it("refuses a flag that is not a boolean, naming the file and the key", async () => {
    const dir = variant("badflag", { scale_attn_weights: "no" }, () => 1);
    await expect(states(dir)).rejects.toThrow(/config\.json: "scale_attn_weights" must be true or false, got "no"/);
  });
});

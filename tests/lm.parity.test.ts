/**
 * GPT-2 parity with ../shared/reference/gpt2: a tiny random GPT-2 in Hugging Face layout run through
 * nanoGPT (PyTorch). Tolerance: 1e-4 × max|ref| + 1e-5 on every hidden and word-level state.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readGpt2Config } from "../src/lm/config.js";
import { extractWordFeatures } from "../src/lm/extract.js";
import { Gpt2Runtime } from "../src/lm/modelingGpt2.js";
import { loadGpt2Tokenizer } from "../src/lm/tokenizer.js";
import { loadGpt2Weights } from "../src/lm/weights.js";
import { untimedWords } from "../src/stimuli/words.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceTensors, sharedPath } from "./helpers/shared.js";

const dir = sharedPath("reference/gpt2");
const ref = referenceTensors("reference/gpt2/reference.safetensors");
const meta = JSON.parse(readFileSync(sharedPath("reference/gpt2/reference.json"), "utf8"));
const ids = Array.from(ref("input_ids").data as BigInt64Array, Number);

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe("GPT-2 against nanoGPT", () => {
  it("tokenizes the reference text to the same ids, word spans included", () => {
    const tok = loadGpt2Tokenizer(dir);
    expect(tok.encode(meta.text)).toEqual(ids);
    const spans = tok.encodeWords(meta.words);
    expect(Array.from(spans.ids)).toEqual(ids);
    expect(Array.from(spans.wordEnd)).toEqual(Array.from(ref("word_token_end").data as BigInt64Array, Number));
    expect(Array.from(spans.wordStart)).toEqual(Array.from(ref("word_token_start").data as BigInt64Array, Number));
  });

  it("reproduces every hidden state (output_hidden_states semantics)", async () => {
    const config = readGpt2Config(dir);
    const runtime = await Gpt2Runtime.create(config, loadGpt2Weights(dir, config));
    const out = await runtime.forward([ids]);
    const expected = ref("hidden_states").data as Float32Array; // [3, 70, 32]
    const size = ids.length * config.nEmbd;
    for (let l = 0; l <= config.nLayer; l++) {
      const want = expected.subarray(l * size, (l + 1) * size);
      const got = out.hidden.get(l)!;
      const tol = 1e-4 * maxAbs(want) + 1e-5;
      let worst = 0;
      for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThanOrEqual(tol);
    }
    await runtime.release();
  });

  it("reproduces the word-level states (last token of each word)", async () => {
    const feats = await extractWordFeatures(dir, untimedWords(meta.words, "reference.json"), {
      cacheDir: mkdtempSync(join(tmpdir(), "bs-cache-")),
    });
    const want = ref("word_hidden_states").data as Float32Array; // [3, 60, 32]
    expect(feats.hiddenStates.length).toBe(want.length);
    const tol = 1e-4 * maxAbs(want) + 1e-5;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(feats.hiddenStates[i] - want[i]));
    expect(worst).toBeLessThanOrEqual(tol);
  });

  it("offers the paper's layer 0: the token embedding alone", async () => {
    const config = readGpt2Config(dir);
    const w = loadGpt2Weights(dir, config);
    const runtime = await Gpt2Runtime.create(config, w, { layers: [0], embedding: "token" });
    const out = await runtime.forward([ids.slice(0, 5)]);
    const E = config.nEmbd;
    for (let t = 0; t < 5; t++) {
      for (let e = 0; e < E; e++) expect(out.hidden.get(0)![t * E + e]).toBe(w.wte[ids[t] * E + e]);
    }
    await runtime.release();
  });
});

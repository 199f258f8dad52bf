/**
 * `brainscore finetune --config finetune.json`: fine-tune a GPT-2 checkpoint with the paper's
 * predictive-coding objective (src/finetune/), resumable from its last checkpoint.
 */
import { parseArgs } from "node:util";
import { readFinetuneConfig } from "../finetune/config.js";
import { finetune } from "../finetune/trainer.js";
import { progressBar } from "./progress.js";
import { UsageError } from "./usage.js";

export const FINETUNE_HELP = `Usage: brainscore finetune --config finetune.json [--quiet] [--offline] [--cache-dir DIR]

Fine-tunes a GPT-2 checkpoint on next-token prediction + λ · an auxiliary loss: a linear head on the last
hidden state predicts the frozen model's layer-k state d words (or tokens) ahead (Caucheteux, Gramfort &
King 2023, Fig. 5). A rerun with the same configuration resumes from the last checkpoint.

finetune.json (paths relative to the file):
  "model"      checkpoint folder, hub id or "tiny" (required)
  "out"        output folder (required)
  "condition"  "lm" | "high-level" (layer round(2L/3), 1 word ahead) | "long-range" (layer 0, 8 words)
               | "high-level-long-range" (layer round(2L/3), 8 words)
  "objective"  {"auxWeight": λ (0.5), "layer": k | "high", "distance": d, "unit": "words"|"tokens",
                "loss": "mse"|"cosine"} — overrides the condition's values
  "corpus"     {"paths": [.txt files or folders] (default: the 26 embedded Narratives transcripts),
                "heldOut": [document names] (default ["pieman"] for the embedded corpus),
                "validFraction": 0.1 (held-out share of blocks when heldOut is empty)}
  "training"   {"steps": 300, "batchSize": 4, "blockSize": 128, "gradientAccumulation": 1, "lr": 1e-4,
                "warmupSteps": 30, "minLrRatio": 0, "weightDecay": 0.01, "betas": [0.9, 0.999],
                "eps": 1e-8, "clip": 1, "seed": 0, "checkpointEvery": 50, "evalEvery": 50, "evalBlocks": 0}
  "threads"    onnxruntime threads (0: all cores)
Writes out/model/ (config.json, model.safetensors, tokenizer files, head.safetensors, training.json —
loadable by "extract" and "run"), loss.csv, eval.csv, loss.png, perplexity.png, checkpoint.safetensors.`;

export async function finetuneCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: "string" },
      quiet: { type: "boolean" },
      offline: { type: "boolean" },
      "cache-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(FINETUNE_HELP);
    return;
  }
  if (!values.config) throw new UsageError("--config is required", FINETUNE_HELP);
  const config = readFinetuneConfig(values.config);
  const bar = progressBar("finetune", process.stderr, values.quiet === true);
  const result = await finetune(config, {
    source: values.config,
    offline: values.offline,
    cacheDir: values["cache-dir"],
    onProgress: (p) => bar.update(p.step, p.steps, `loss ${p.loss.toFixed(3)} ${p.tokensPerSecond.toFixed(0)} tok/s`),
  });
  bar.finish();
  const last = result.evals.at(-1);
  if (result.resumedFrom > 0) console.log(`resumed from step ${result.resumedFrom}`);
  console.log(
    `fine-tuned ${result.steps} steps → ${result.modelDir}${last ? ` (held-out perplexity ${Number(last.perplexity).toFixed(2)})` : ""}`,
  );
}

/**
 * `brainscore extract`: a language model's hidden states at every word of a story.
 *   brainscore extract --model <dir|hub-id> --words <file> [--layers 0-12|all] [--context 1024]
 *                      [--mode exact|strided] [--stride N] --out feats.safetensors
 */
import { parseArgs } from "node:util";
import { extractWordFeatures } from "../lm/extract.js";
import { writeSafetensors } from "../io/safetensors.js";
import { readWords } from "../stimuli/readers.js";
import { progressBar } from "./progress.js";
import { numberOption } from "./args.js";
import { UsageError } from "./usage.js";

export const EXTRACT_HELP = `Usage: brainscore extract --model <dir|hub-id> --words <file> --out feats.safetensors [options]

Hidden states of a language model at the last token of every word, with up to --context previous
tokens (the word's own included). Families: GPT-2, GPT-NeoX/Pythia, OPT, Llama/Mistral/Qwen2.

  --model DIR|ID       local Hugging Face checkpoint (config.json, model.safetensors or sharded weights,
                       tokenizer.json or vocab.json + merges.txt), hub id (gpt2, EleutherAI/pythia-160m,
                       user/model; downloaded once into the cache), or tiny (the project's random 4 × 32
                       GPT-2, for trying things out)
  --words FILE         Gentle align.json or align.csv, Praat .TextGrid, BIDS events.tsv (word column), .txt
  --word-column NAME   events.tsv column holding the words (default "word")
  --layers SPEC        "all" (default), "8", "0-12" or "0,4,8"
  --context N          tokens per window (default: the model's positions, 1024 for GPT-2)
  --mode exact|strided exact per-word context (default) or windows every --stride tokens (cheaper)
  --stride N           strided mode: tokens between windows (default context/2)
  --embedding V        layer 0 as "token+position" (Hugging Face, default) or "token" (the paper's variant)
  --batch N            windows per forward pass (default 2)
  --cache-dir DIR      model and feature cache (default $BRAINSCORE_CACHE or ~/.cache/brainscore)
  --no-cache           recompute even if cached
  --offline            never download
  --quiet              no progress bar
Output (safetensors): hidden_states [layers, W, E] float32, onsets/offsets [W] (seconds), interpolated [W]
(1 = onset interpolated), token_start/token_end [W], context_tokens [W]; metadata: words, layers, model,
weights_sha256, settings.`;

export function parseLayers(spec: string | undefined): number[] | undefined {
  if (spec === undefined || spec === "all") return undefined;
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new UsageError(`--layers: cannot read "${spec}" (use all, 8, 0-12 or 0,4,8)`, EXTRACT_HELP);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`--layers: empty range "${part.trim()}"`, EXTRACT_HELP);
    for (let l = a; l <= b; l++) if (!out.includes(l)) out.push(l);
  }
  return out;
}

export async function extractCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: "string" },
      words: { type: "string" },
      "word-column": { type: "string" },
      out: { type: "string" },
      layers: { type: "string" },
      context: { type: "string" },
      mode: { type: "string" },
      stride: { type: "string" },
      embedding: { type: "string" },
      batch: { type: "string" },
      "cache-dir": { type: "string" },
      "no-cache": { type: "boolean" },
      offline: { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(EXTRACT_HELP);
    return;
  }
  if (!values.model || !values.words || !values.out)
    throw new UsageError("extract needs --model, --words and --out", EXTRACT_HELP);
  if (!values.out.endsWith(".safetensors")) throw new UsageError(`--out must be a .safetensors file`, EXTRACT_HELP);
  const mode = values.mode ?? "exact";
  if (mode !== "exact" && mode !== "strided") throw new UsageError(`--mode must be exact or strided`, EXTRACT_HELP);
  const embedding = values.embedding ?? "token+position";
  if (embedding !== "token" && embedding !== "token+position")
    throw new UsageError(`--embedding must be token or token+position`, EXTRACT_HELP);
  const int = (v: string | undefined, name: string) =>
    numberOption(v, name, EXTRACT_HELP, undefined, { integer: true, min: 1 });
  const events = readWords(values.words, { wordColumn: values["word-column"] });
  const bar = progressBar("extract", process.stderr, values.quiet);
  const feats = await extractWordFeatures(values.model, events, {
    layers: parseLayers(values.layers),
    context: int(values.context, "--context"),
    mode,
    stride: int(values.stride, "--stride"),
    embedding,
    batchSize: int(values.batch, "--batch"),
    cacheDir: values["cache-dir"],
    cache: !values["no-cache"],
    hub: { offline: values.offline ? true : undefined },
    onProgress: (stage, d, t) => bar.update(d, t, stage),
  });
  bar.finish();
  const W = events.words.length;
  writeSafetensors(
    values.out,
    {
      hidden_states: { shape: [feats.layers.length, W, feats.nEmbd], data: feats.hiddenStates },
      onsets: { shape: [W], data: events.onsets },
      offsets: { shape: [W], data: events.offsets },
      interpolated: { shape: [W], data: events.interpolated },
      token_start: { shape: [W], data: BigInt64Array.from(feats.tokenStart, (v) => BigInt(v)) },
      token_end: { shape: [W], data: BigInt64Array.from(feats.tokenEnd, (v) => BigInt(v)) },
      context_tokens: { shape: [W], data: feats.contextTokens },
    },
    {
      format: "brainscore.word_features/1",
      words: JSON.stringify(events.words),
      layers: JSON.stringify(feats.layers),
      model: values.model,
      weights_sha256: feats.weightsSha256,
      settings: JSON.stringify(feats.settings),
      source: values.words,
      timed: String(events.timed),
    },
  );
  const nInterp = events.interpolated.reduce((a, b) => a + b, 0);
  console.log(
    [
      `${W} words, ${feats.tokenEnd[W - 1] + 1} tokens, layers ${feats.layers.join(",")}, ${feats.settings.mode} context ≤ ${feats.settings.context} tokens${feats.cacheHit ? " (from cache)" : ""}`,
      events.timed ? `${nInterp} onset(s) interpolated` : "no timings in the word file (onsets are NaN)",
      `wrote ${values.out}`,
    ].join("\n"),
  );
}

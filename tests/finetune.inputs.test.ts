/** Fine-tuning's bad input: corpus files and folders, held-out names, and checkpoints that belong to another run. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFinetuneConfig } from "../src/finetune/config.js";
import { NARRATIVES_TRANSCRIPTS, readDocuments } from "../src/finetune/corpus.js";
import { finetune } from "../src/finetune/trainer.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";

const stories = ["pieman", "lucy"].map((s) => join(NARRATIVES_TRANSCRIPTS, `${s}.txt`));

describe("fine-tuning corpus files", () => {
  it("refuses missing paths, folders without .txt, empty and non-UTF-8 documents, naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "bs-ft-corpus-"));
    expect(() => readDocuments([join(dir, "nope.txt")])).toThrow(/nope\.txt: corpus path does not exist/);
    mkdirSync(join(dir, "empty"));
    writeFileSync(join(dir, "empty", "notes.md"), "not a transcript");
    expect(() => readDocuments([join(dir, "empty")])).toThrow(/empty: corpus folder holds no \.txt file/);
    writeFileSync(join(dir, "blank.txt"), "  \n\t ");
    expect(() => readDocuments([join(dir, "blank.txt")])).toThrow(/blank\.txt: corpus document is empty/);
    writeFileSync(join(dir, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b])); // "café ok" in Latin-1
    expect(() => readDocuments([join(dir, "latin1.txt")])).toThrow(/latin1\.txt: not UTF-8 text/);
    expect(readDocuments(stories).map((d) => d.name)).toEqual(["pieman", "lucy"]);
  });
});

describe("fine-tuning runs refused before training", () => {
  const base = (out: string, extra: object = {}) =>
    parseFinetuneConfig(
      {
        model: "tiny",
        out,
        condition: "lm",
        corpus: { paths: stories, heldOut: ["pieman"] },
        training: { steps: 2, batchSize: 2, blockSize: 32, evalEvery: 1000, checkpointEvery: 1 },
        ...extra,
      },
      join(out, "finetune.json"),
    );

  it("names an unknown held-out document and lists the corpus", async () => {
    const out = mkdtempSync(join(tmpdir(), "bs-ft-held-"));
    await expect(finetune(base(out, { corpus: { paths: stories, heldOut: ["piemann"] } }))).rejects.toThrow(
      /corpus\.heldOut: no document named "piemann" \(documents: pieman, lucy\)/,
    );
  });

  it("refuses to resume from another run's checkpoint, or from one with a missing tensor", async () => {
    const out = mkdtempSync(join(tmpdir(), "bs-ft-resume-"));
    await finetune(base(out));
    const changed = parseFinetuneConfig(
      {
        model: "tiny",
        out,
        condition: "lm",
        corpus: { paths: stories, heldOut: ["pieman"] },
        training: { steps: 2, batchSize: 2, blockSize: 32, evalEvery: 1000, checkpointEvery: 1, lr: 1e-3 },
      },
      join(out, "finetune.json"),
    );
    await expect(finetune(changed)).rejects.toThrow(
      /checkpoint of a different run .* delete it or choose another "out"/,
    );
    // The same run again resumes (nothing left to do) and returns the same weights.
    const again = await finetune(base(out));
    expect(again.log.length).toBe(2);
    // A checkpoint that lost a tensor is named with the tensor.
    const file = join(out, "checkpoint.safetensors");
    const ckpt = readSafetensors(file);
    const tensors = Object.fromEntries(
      [...ckpt.tensors]
        .filter(([k]) => k !== "m.wte.weight")
        .map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
    );
    writeSafetensors(file, tensors, ckpt.metadata);
    await expect(finetune(base(out))).rejects.toThrow(/"m\.wte\.weight" is missing or has the wrong size/);
  }, 120_000);
});

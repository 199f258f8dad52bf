/** Syntactic classes, matched alternative stories, and the syntactic/semantic decomposition. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { syntaxSemantics } from "../src/lm/decomposition.js";
import { forecastSweep } from "../src/forecast/sweep.js";
import { readConllu, syntacticAlternatives, tagsFromParses, tagWords } from "../src/lm/syntax.js";
import { plantedSignal, withNoise } from "../src/simulate/plantedSignal.js";
import { readWords } from "../src/stimuli/readers.js";
import { tinyCheckpoint } from "./helpers/gpt2.js";
import { sharedPath } from "./helpers/shared.js";

describe("syntactic classes", () => {
  it("tags words with part of speech, inflection and case, aligned to the word list", () => {
    const tags = tagWords(["The", "dogs", "walked", "quickly,", "she", "said."]);
    expect(tags.pos).toEqual(["DET", "NOUN", "VERB", "ADV", "PRON", "VERB"]);
    expect(tags.keys[1]).toBe("NOUN|s|lower");
    expect(tags.keys[2]).toBe("VERB|ed|lower");
    expect(tags.keys[0]).toBe("DET||title");
    expect(tags.fallbackWords).toBe(0);
  });

  it("replaces every word by another of the same class, keeping punctuation, seeded", () => {
    const words = ["The", "dog", "ran.", "A", "cat", "sat.", "The", "bird", "flew."];
    const tags = tagWords(words);
    const a = syntacticAlternatives(words, tags, { k: 4, seed: 3 });
    const b = syntacticAlternatives(words, tags, { k: 4, seed: 3 });
    expect(a).toEqual(b);
    for (const story of a.stories) {
      expect(story.length).toBe(words.length);
      const again = tagWords(story);
      expect(again.pos).toEqual(tags.pos);
      expect(story[2].endsWith(".")).toBe(true);
      expect(story[1]).not.toBe("dog");
    }
  });

  it("uses dependency parses where given and falls back to wink-nlp for unparsed sentences", () => {
    const dir = mkdtempSync(join(tmpdir(), "conllu-"));
    const path = join(dir, "story.conllu");
    writeFileSync(
      path,
      "# sent_id = 1\n1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n2\tdog\tdog\tNOUN\tNN\t_\t3\tnsubj\t_\t_\n3\tran\trun\tVERB\tVBD\t_\t0\troot\t_\t_\n4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\tSpaceAfter=No\n\n",
    );
    const tags = tagsFromParses(["The", "dog", "ran.", "She", "smiled."], readConllu(path));
    expect(tags.keys.slice(0, 3)).toEqual(["DT|DET|det|title", "NN|NOUN|nsubj|lower", "VBD|VERB|root|lower"]);
    expect(tags.fallbackWords).toBe(2);
    writeFileSync(path, "1\tThe\n");
    expect(() => readConllu(path)).toThrow(/story\.conllu line 1: expected 10 tab-separated CoNLL-U columns, found 2/);
  });
});

describe("syntactic and semantic forecasts", () => {
  it("a region planted with the syntactic component gains more from syntactic than from semantic forecasts", async () => {
    const events = readWords(sharedPath("data/narratives/align/pieman/align.csv"));
    const model = tinyCheckpoint({ nEmbd: 16, nLayer: 2, nPositions: 64, seed: 7 });
    const cacheDir = mkdtempSync(join(tmpdir(), "decomp-"));
    const dec = await syntaxSemantics(model, events, {
      layer: 2,
      k: 4,
      seed: 1,
      cacheDir,
      context: 64,
      mode: "strided",
    });
    expect(dec.syntax.rows).toBe(957);
    let diff = 0;
    dec.semantics.data.forEach((v, q) => (diff += Math.abs(v + dec.syntax.data[q] - dec.full.data[q])));
    expect(diff).toBeLessThan(1e-3);
    const onsets = events.onsets.map((t) => t - 15);
    const nTRs = 281;
    const signal = withNoise(plantedSignal(dec.syntax, onsets, { tr: 1.5, nTRs, d: 4, seed: 2 }), 2, 3);
    const bold = { rows: nTRs, cols: 1, data: signal };
    const common = { tr: 1.5, distances: [4], nComponents: 20 };
    const syn = await forecastSweep(dec.full, onsets, bold, { ...common, windowFeatures: dec.syntax });
    const sem = await forecastSweep(dec.full, onsets, bold, { ...common, windowFeatures: dec.semantics });
    expect(syn.forecast[0]).toBeGreaterThan(sem.forecast[0]);
    expect(syn.forecast[0]).toBeGreaterThan(0.05);
    // States the caller already has (a run extracts every layer first) give the same decomposition.
    const given = await syntaxSemantics(model, events, {
      layer: 2,
      k: 4,
      seed: 1,
      cacheDir,
      context: 64,
      mode: "strided",
      states: dec.full,
    });
    expect(Array.from(given.syntax.data)).toEqual(Array.from(dec.syntax.data));
    expect(Array.from(given.semantics.data)).toEqual(Array.from(dec.semantics.data));
    await expect(syntaxSemantics(model, events, { layer: 2, k: 4, states: { ...dec.full, rows: 10 } })).rejects.toThrow(
      /10 rows of states for 957 words/,
    );
  });
});

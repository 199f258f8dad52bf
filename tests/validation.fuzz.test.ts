/**
 * Seeded corruption suite for the non-imaging inputs (issue 13): run configurations, dataset metadata
 * (event_meta.json, scan_exclude.json), word alignments, checkpoint configs of every family and
 * safetensors files. Each corrupted input must be accepted or refused with an Error whose message starts
 * with the file (or option) name — never a TypeError/RangeError from deep inside, never a hang.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseGpt2Config } from "../src/lm/config.js";
import { parseGptNeoxConfig } from "../src/lm/modelingGptNeox.js";
import { parseLlamaConfig } from "../src/lm/modelingLlama.js";
import { parseOptConfig } from "../src/lm/modelingOpt.js";
import { validateEventMeta, validateScanExclude } from "../src/fmri/datasets/narrativesMeta.js";
import { encodeSafetensors, parseSafetensors } from "../src/io/safetensors.js";
import { mulberry32 } from "../src/linalg/random.js";
import { parseRunConfig } from "../src/pipeline/config.js";
import { parseGentleCsv } from "../src/stimuli/readers.js";
import { sharedPath } from "./helpers/shared.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A random JSON value of any type (the values users mistype: strings for numbers, nulls, lists, objects). */
function randomValue(rand: () => number, depth = 0): Json {
  const k = Math.floor(rand() * (depth > 1 ? 6 : 8));
  switch (k) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return [0, -1, 1.5, 1e308, -0, 3, 1e-9][Math.floor(rand() * 7)];
    case 3:
      return ["", "yes", "12", "gcv", "L", "../x", "NaN"][Math.floor(rand() * 7)];
    case 4:
      return Math.floor(rand() * 2000) - 100;
    case 5:
      return [];
    case 6:
      return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => randomValue(rand, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, i) => [
          ["from", "to", "onset", "duration", "L", "x"][i + Math.floor(rand() * 3)],
          randomValue(rand, depth + 1),
        ]),
      );
  }
}

/** Mutates a copy of a JSON object: replace, delete or add keys at any depth. */
function mutate(value: Json, rand: () => number, count: number): Json {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  for (let m = 0; m < count; m++) {
    // Walk to a random object inside.
    let node: Json = copy;
    while (node && typeof node === "object" && rand() < 0.5) {
      const children = Object.values(node).filter((v) => v && typeof v === "object");
      if (children.length === 0) break;
      node = children[Math.floor(rand() * children.length)];
    }
    if (!node || typeof node !== "object") continue;
    const keys = Object.keys(node);
    const key =
      keys.length && rand() < 0.85 ? keys[Math.floor(rand() * keys.length)] : `extra${Math.floor(rand() * 3)}`;
    const op = rand();
    if (Array.isArray(node)) {
      if (op < 0.3) node.splice(Number(key) || 0, 1);
      else node[Number(key) || 0] = randomValue(rand);
    } else if (op < 0.25) delete (node as Record<string, Json>)[key];
    else (node as Record<string, Json>)[key] = randomValue(rand);
  }
  return copy;
}

/** Runs `check` on `n` corruptions; every failure must be a plain Error naming `source`. */
function fuzz(
  n: number,
  seed: number,
  source: string,
  make: (rand: () => number) => unknown,
  check: (input: unknown) => void,
): { accepted: number; refused: number } {
  const rand = mulberry32(seed);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < n; i++) {
    const input = make(rand);
    const t = performance.now();
    try {
      check(input);
      accepted++;
    } catch (e) {
      const err = e as Error;
      if (err instanceof TypeError || err instanceof RangeError || !err.message.startsWith(source)) {
        throw new Error(
          `case ${i}: unclean error (${err.constructor.name}: ${err.message}) for ${JSON.stringify(input)?.slice(0, 300)}`,
        );
      }
      refused++;
    }
    expect(performance.now() - t).toBeLessThan(2000);
  }
  return { accepted, refused };
}

describe("seeded corruption of configurations and metadata", () => {
  it("run configurations: 400 mutations of a full configuration", () => {
    const valid: Json = {
      name: "fuzz",
      dataset: "ds",
      space: "fsaverage5",
      tasks: ["pieman"],
      model: "gpt2",
      layers: [0, 4, 8],
      context: 128,
      contextMode: "strided",
      ridge: { alphaSelection: "gcv", folds: 5, firDelays: { from: 0, to: 5 } },
      regions: { annot: "default", maxVertices: 250, axis: "y" },
      forecast: {
        layer: 8,
        distances: { from: -2, to: 10 },
        controls: ["random"],
        generation: { strategy: "sample", seed: 1 },
        decompose: false,
        vertexLevel: true,
      },
      statistics: { alpha: 0.05, bootstrap: 200 },
      wordClock: { bronx: "scan" },
    };
    expect(() => parseRunConfig(valid, "fuzz.json")).not.toThrow();
    const r = fuzz(
      400,
      11,
      "fuzz.json",
      (rand) => mutate(valid, rand, 1 + Math.floor(rand() * 3)),
      (c) => parseRunConfig(c, "fuzz.json"),
    );
    expect(r.refused).toBeGreaterThan(150);
    expect(r.accepted).toBeGreaterThan(20);
  });

  it("event_meta.json and scan_exclude.json: 300 mutations each of the dataset's real files", () => {
    const meta = JSON.parse(readFileSync(sharedPath("data/narratives/event_meta.json"), "utf8")) as Json;
    const exclude = JSON.parse(readFileSync(sharedPath("data/narratives/scan_exclude.json"), "utf8")) as Json;
    const a = fuzz(
      300,
      12,
      "event_meta.json",
      (rand) => mutate(meta, rand, 1 + Math.floor(rand() * 2)),
      (m) => validateEventMeta(m, "event_meta.json"),
    );
    const b = fuzz(
      300,
      13,
      "scan_exclude.json",
      (rand) => mutate(exclude, rand, 1 + Math.floor(rand() * 2)),
      (m) => validateScanExclude(m, "scan_exclude.json"),
    );
    expect(a.refused).toBeGreaterThan(100);
    expect(b.refused).toBeGreaterThan(50);
  });

  it("checkpoint configs of every family: 200 mutations each", () => {
    const families: [string, (j: Record<string, unknown>, s: string) => unknown][] = [
      ["reference/gpt2/config.json", parseGpt2Config as never],
      ["reference/lm-families/gpt_neox/config.json", parseGptNeoxConfig],
      ["reference/lm-families/opt/config.json", parseOptConfig],
      ["reference/lm-families/llama/config.json", parseLlamaConfig],
      ["reference/lm-families/qwen2/config.json", parseLlamaConfig],
    ];
    families.forEach(([file, parse], k) => {
      const valid = JSON.parse(readFileSync(sharedPath(file), "utf8")) as Json;
      const r = fuzz(
        200,
        20 + k,
        "config.json",
        (rand) => mutate(valid, rand, 1 + Math.floor(rand() * 2)),
        (c) => parse(c as Record<string, unknown>, "config.json"),
      );
      expect(r.refused).toBeGreaterThan(20);
    });
  });
});

describe("seeded corruption of word alignments and safetensors files", () => {
  it("align.csv: 300 line-level corruptions of pieman's alignment", () => {
    const lines = readFileSync(sharedPath("data/narratives/align/pieman/align.csv"), "utf8").trim().split("\n");
    const junk = ["", ",,,", "word,word,abc,1", "a,b,-3,2", "x,x,5,4", "y,y,1e400,2", "z", "w,w,10.5,10.6,extra"];
    const r = fuzz(
      300,
      14,
      "align.csv",
      (rand) => {
        const copy = [...lines];
        for (let m = 0, n = 1 + Math.floor(rand() * 3); m < n; m++) {
          const at = Math.floor(rand() * copy.length);
          const op = rand();
          if (op < 0.3) copy.splice(at, 1);
          else if (op < 0.6) copy[at] = junk[Math.floor(rand() * junk.length)];
          else if (op < 0.8) [copy[at], copy[(at + 7) % copy.length]] = [copy[(at + 7) % copy.length], copy[at]];
          else copy.splice(at, 0, junk[Math.floor(rand() * junk.length)]);
        }
        return copy.join("\n");
      },
      (text) => parseGentleCsv(text as string, "align.csv"),
    );
    expect(r.refused).toBeGreaterThan(100);
  });

  it("safetensors: 300 byte-level corruptions (flips, truncations, header overwrites)", () => {
    const original = Buffer.concat(
      encodeSafetensors(
        {
          "a.weight": { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i) },
          b: { shape: [2], data: Float64Array.of(1, 2) },
        },
        { format: "pt" },
      ),
    );
    const r = fuzz(
      300,
      15,
      "model.safetensors",
      (rand) => {
        let bytes = Buffer.from(original);
        const kind = Math.floor(rand() * 3);
        if (kind === 0)
          for (let f = 0; f < 1 + Math.floor(rand() * 6); f++)
            bytes[Math.floor(rand() * Math.min(bytes.length, 200))] ^= 1 << Math.floor(rand() * 8);
        else if (kind === 1) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
        else
          for (let f = 0; f < 8; f++)
            bytes[8 + Math.floor(rand() * 150)] = '{}[]":,0n'[Math.floor(rand() * 9)].charCodeAt(0);
        return bytes;
      },
      (bytes) => {
        const file = parseSafetensors(bytes as Uint8Array, "model.safetensors");
        for (const t of file.tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      },
    );
    expect(r.refused).toBeGreaterThan(150);
  });
});

/** Hub downloads against a local HTTP server on 127.0.0.1 serving a tiny checkpoint. */
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractWordFeatures } from "../src/lm/extract.js";
import { resolveCheckpoint, snapshotDir } from "../src/lm/hub.js";
import { untimedWords } from "../src/stimuli/words.js";
import { tinyCheckpoint } from "./helpers/gpt2.js";

const checkpoint = tinyCheckpoint({ seed: 9 });
let server: Server;
let endpoint = "";
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const m = /^\/test-org\/tiny-gpt2\/resolve\/main\/([\w.]+)$/.exec(req.url ?? "");
    const file = m && join(checkpoint, m[1]);
    if (!file || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  endpoint = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("hub checkpoints", () => {
  it("downloads a hub id once into the cache, then works from the cache alone", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "hub-"));
    requests.length = 0;
    const dir = await resolveCheckpoint("test-org/tiny-gpt2", { cacheDir, endpoint });
    expect(dir).toBe(snapshotDir("test-org/tiny-gpt2", { cacheDir }));
    // tokenizer.json is absent on this server: vocab.json + merges.txt are fetched instead.
    expect(readdirSync(dir).sort()).toEqual(["config.json", "merges.txt", "model.safetensors", "vocab.json"]);
    expect(
      readFileSync(join(dir, "model.safetensors")).equals(readFileSync(join(checkpoint, "model.safetensors"))),
    ).toBe(true);
    const before = requests.length;
    await resolveCheckpoint("test-org/tiny-gpt2", { cacheDir, endpoint, offline: true });
    expect(requests.length).toBe(before);
    const a = await extractWordFeatures("test-org/tiny-gpt2", untimedWords(["once", "upon", "a", "time"], "t"), {
      cacheDir,
      hub: { endpoint },
    });
    const b = await extractWordFeatures(checkpoint, untimedWords(["once", "upon", "a", "time"], "t"), {
      cacheDir: mkdtempSync(join(tmpdir(), "hub-")),
    });
    expect(Array.from(a.hiddenStates)).toEqual(Array.from(b.hiddenStates));
  });

  it("offline, an uncached id fails with the files to fetch and where to put them", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "hub-"));
    await expect(resolveCheckpoint("gpt2", { cacheDir, offline: true })).rejects.toThrow(
      /model "gpt2" is not in the cache .*offline.*config\.json, model\.safetensors.*huggingface\.co\/gpt2\/resolve\/main\/ into .*models--gpt2/,
    );
  });

  it("an unknown id answers 404 with a clear message; an unreachable hub says so", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "hub-"));
    await expect(resolveCheckpoint("test-org/missing", { cacheDir, endpoint })).rejects.toThrow(
      /test-org\/missing.*not found \(404\)/,
    );
    await expect(resolveCheckpoint("gpt2", { cacheDir, endpoint: "http://127.0.0.1:9" })).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:9 .*download config\.json/,
    );
    // Nothing half-written is left behind as if complete.
    const snap = snapshotDir("gpt2", { cacheDir });
    expect(existsSync(join(snap, "model.safetensors"))).toBe(false);
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("rejects a local folder that is not a complete checkpoint", async () => {
    await expect(resolveCheckpoint(mkdtempSync(join(tmpdir(), "empty-")))).rejects.toThrow(/incomplete checkpoint/);
  });
});

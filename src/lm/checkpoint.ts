/**
 * A checkpoint's weights as the hub stores them: one `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (its weight_map names the shard of every tensor). Tensors are returned
 * as float32: F32 as stored, BF16 and F16 upcast exactly (the computation is float32, as Hugging Face's
 * `from_pretrained(torch_dtype=float32)`). Every tensor is checked where it is read — present, with the
 * shape the config implies, finite — and errors name the file that holds it.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile } from "../io/files.js";
import { readSafetensors, readSafetensorsHeader, type Tensor } from "../io/safetensors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { defaultCacheDir, SHARD_INDEX } from "./hub.js";

export const SINGLE_FILE = "model.safetensors";
// The sharded layout's index file is named where the hub code downloads it (hub.ts), read here too.
export { SHARD_INDEX };

export interface CheckpointTensors {
  /** The tensor as float32 with the expected shape (throws naming the file otherwise). */
  get(name: string, shape: number[]): Float32Array;
  has(name: string): boolean;
  names(): string[];
  /** The weight files, in order (one, or the shards). */
  files: string[];
}

/** The weight files of a checkpoint folder: model.safetensors, or the shards of its index. */
export function weightFiles(dir: string): string[] {
  if (existsSync(join(dir, SINGLE_FILE))) return [join(dir, SINGLE_FILE)];
  const indexPath = join(dir, SHARD_INDEX);
  if (!existsSync(indexPath))
    throw new Error(`${dir}: no weights (expected ${SINGLE_FILE} or ${SHARD_INDEX} with its shards)`);
  return [...new Set(Object.values(shardMap(indexPath)))].sort().map((f) => join(dir, f));
}

function shardMap(indexPath: string): Record<string, string> {
  const index = readJsonFile<{ weight_map?: unknown }>(indexPath);
  const map = index.weight_map;
  if (
    map === null ||
    typeof map !== "object" ||
    Array.isArray(map) ||
    !Object.values(map).every((f) => typeof f === "string" && /^[\w.-]+$/.test(f))
  ) {
    throw new Error(`${indexPath}: "weight_map" must map tensor names to shard file names in this folder`);
  }
  return map as Record<string, string>;
}

/** sha256 identifying the weights: the file's own hash, or a hash over the index and every shard's hash. */
export async function weightsSha256(dir: string, cacheDir?: string): Promise<string> {
  const files = weightFiles(dir);
  if (files.length === 1 && files[0].endsWith(SINGLE_FILE)) return fileSha256(files[0], cacheDir);
  const h = createHash("sha256");
  h.update(await fileSha256(join(dir, SHARD_INDEX), cacheDir));
  for (const f of files) h.update(await fileSha256(f, cacheDir));
  return h.digest("hex");
}

/** Parameters of a checkpoint, from the safetensors headers (buffers such as GPT-2's causal masks excluded). */
export function countParameters(dir: string): number {
  let n = 0;
  for (const f of weightFiles(dir)) {
    for (const t of readSafetensorsHeader(f)) {
      if (/\.attn\.(masked_)?bias$|rotary_emb\.inv_freq$/.test(t.name)) continue;
      n += t.shape.reduce((a, b) => a * b, 1);
    }
  }
  return n;
}

/** Every tensor of a checkpoint folder (single or sharded safetensors; bf16/f16 upcast to float32). */
export function readCheckpointTensors(dir: string): CheckpointTensors {
  const files = weightFiles(dir);
  const where = new Map<string, string>();
  const loaded = new Map<string, Map<string, Tensor>>();
  if (files.length === 1 && files[0].endsWith(SINGLE_FILE)) {
    const t = readSafetensors(files[0]).tensors;
    loaded.set(files[0], t);
    for (const name of t.keys()) where.set(name, files[0]);
  } else {
    for (const [name, f] of Object.entries(shardMap(join(dir, SHARD_INDEX)))) where.set(name, join(dir, f));
    for (const f of files) {
      if (!existsSync(f)) throw new Error(`${join(dir, SHARD_INDEX)}: shard ${f} is missing`);
      loaded.set(f, readSafetensors(f).tensors);
    }
  }
  const tensor = (name: string): { t: Tensor; file: string } => {
    const file = where.get(name);
    const t = file ? loaded.get(file)!.get(name) : undefined;
    if (!file || !t) throw new Error(`${file ?? files.join(", ")}: missing tensor "${name}"`);
    return { t, file };
  };
  return {
    files,
    has: (name) => where.has(name) && loaded.get(where.get(name)!)!.has(name),
    names: () => [...where.keys()],
    get(name, shape) {
      const { t, file } = tensor(name);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${file}: tensor "${name}" has shape [${t.shape}] but config.json implies [${shape}]`);
      }
      const data = toFloat32(t, `${file}: tensor "${name}"`);
      // A NaN or infinite weight would turn every feature into NaN without a word: name the first one.
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i]))
          throw new Error(`${file}: tensor "${name}" holds a non-finite weight (${data[i]}) at flat index ${i}`);
      }
      return data;
    },
  };
}

/** F32 as is; BF16 (upper half of a float32) and F16 (IEEE half) upcast exactly. */
function toFloat32(t: Tensor, what: string): Float32Array {
  if (t.dtype === "F32") return t.data as Float32Array;
  if (t.dtype === "BF16" || t.dtype === "F16") {
    const half = t.data as Uint16Array;
    const out = new Float32Array(half.length);
    if (t.dtype === "BF16") {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16;
    } else for (let i = 0; i < half.length; i++) out[i] = halfToFloat(half[i]);
    return out;
  }
  throw new Error(`${what} is ${t.dtype}; weights must be F32, BF16 or F16`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** sha256 of a file, remembered per (path, size, mtime) so multi-GB weights are hashed once. */
export async function fileSha256(path: string, cacheDir?: string): Promise<string> {
  const st = statSync(path);
  const memo = join(
    cacheDir ?? defaultCacheDir(),
    "hashes",
    createHash("sha256").update(`${path}|${st.size}|${st.mtimeMs}`).digest("hex"),
  );
  if (existsSync(memo)) return readFileSync(memo, "utf8").trim();
  const hash = createHash("sha256");
  await new Promise<void>((res, rej) => {
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => res())
      .on("error", rej);
  });
  const digest = hash.digest("hex");
  mkdirSync(join(memo, ".."), { recursive: true });
  writeFileAtomic(memo, [new TextEncoder().encode(digest)]);
  return digest;
}

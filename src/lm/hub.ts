/**
 * Checkpoints by local path or Hugging Face hub id ("gpt2", "gpt2-medium", "user/fine-tuned-gpt2"),
 * downloaded once into a cache laid out like Hugging Face's (models--<org>--<name>/snapshots/<revision>/).
 * Downloads write to a temporary file and rename, so an interrupted download never looks complete.
 * Offline (BRAINSCORE_OFFLINE=1 or HF_HUB_OFFLINE=1, or no network) a clear error says which files to
 * fetch and where to put them.
 */
import { tinyModelDir } from "./tinyCheckpoint.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";

export const REQUIRED_FILES = ["config.json", "model.safetensors"] as const;
/** Either tokenizer.json, or vocab.json + merges.txt. */
export const TOKENIZER_FILES = [["tokenizer.json"], ["vocab.json", "merges.txt"]] as const;
export const OPTIONAL_FILES = ["tokenizer_config.json"] as const;

export interface HubOptions {
  cacheDir?: string;
  /** Hub base URL (default $HF_ENDPOINT or https://huggingface.co). */
  endpoint?: string;
  revision?: string;
  offline?: boolean;
  fetchImpl?: typeof fetch;
}

export function defaultCacheDir(): string {
  return process.env.BRAINSCORE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "brainscore");
}

export function isHubId(spec: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(spec) && !spec.startsWith(".") && !existsSync(spec);
}

export function snapshotDir(id: string, options: HubOptions = {}): string {
  const revision = options.revision ?? "main";
  return join(
    options.cacheDir ?? defaultCacheDir(),
    "models",
    `models--${id.replace(/\//g, "--")}`,
    "snapshots",
    revision,
  );
}

/** A sharded checkpoint's index (Hugging Face layout); its weight_map names the shards. */
export const SHARD_INDEX = "model.safetensors.index.json";

/** Shard files named by an index's weight_map (the hub's layout for large checkpoints). */
function shardsOf(indexPath: string): string[] {
  try {
    const map =
      (JSON.parse(readFileSync(indexPath, "utf8")) as { weight_map?: Record<string, string> }).weight_map ?? {};
    return [...new Set(Object.values(map))].filter((f) => typeof f === "string" && /^[\w.-]+$/.test(f));
  } catch {
    return [];
  }
}

/** config.json, the weights (model.safetensors, or an index with all its shards) and tokenizer files. */
function hasCheckpoint(dir: string): boolean {
  const index = join(dir, SHARD_INDEX);
  const weights =
    existsSync(join(dir, "model.safetensors")) ||
    (existsSync(index) && shardsOf(index).length > 0 && shardsOf(index).every((f) => existsSync(join(dir, f))));
  return (
    existsSync(join(dir, "config.json")) &&
    weights &&
    (TOKENIZER_FILES as readonly (readonly string[])[]).some((set) => set.every((f) => existsSync(join(dir, f))))
  );
}

/**
 * A run's `model` as a local checkpoint folder: "tiny" is the project's own random 4 × 32 GPT-2 (generated
 * once into the cache), anything else a folder or hub id (resolveCheckpoint).
 */
export async function resolveModel(model: string, options: HubOptions = {}): Promise<string> {
  return resolveCheckpoint(model, options);
}

/**
 * Returns a local directory holding the checkpoint, downloading it when needed; "tiny" is the project's
 * own random 4 × 32 GPT-2, so every command that takes a model accepts it.
 */
export async function resolveCheckpoint(spec: string, options: HubOptions = {}): Promise<string> {
  if (spec === "tiny") return tinyModelDir(options.cacheDir ?? defaultCacheDir());
  if (existsSync(spec)) {
    if (!statSync(spec).isDirectory())
      throw new Error(`${spec}: a model must be a directory (config.json, model.safetensors, tokenizer files)`);
    if (!hasCheckpoint(spec)) {
      throw new Error(
        `${spec}: incomplete checkpoint; expected config.json, model.safetensors (or ${SHARD_INDEX} and its shards) and tokenizer.json (or vocab.json + merges.txt)`,
      );
    }
    return resolve(spec);
  }
  if (!isHubId(spec)) throw new Error(`${spec}: neither a local directory nor a hub model id`);
  const dir = snapshotDir(spec, options);
  if (hasCheckpoint(dir)) return dir;
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
  const revision = options.revision ?? "main";
  const base = `${endpoint}/${spec}/resolve/${revision}`;
  const offline = options.offline ?? (process.env.BRAINSCORE_OFFLINE === "1" || process.env.HF_HUB_OFFLINE === "1");
  const manual = () =>
    `download ${REQUIRED_FILES.join(", ")} and tokenizer.json (or vocab.json + merges.txt) from ${base}/ into ${dir}/, or pass --model <local directory>`;
  if (offline) throw new Error(`model "${spec}" is not in the cache and downloads are disabled (offline): ${manual()}`);
  const get = options.fetchImpl ?? fetch;
  mkdirSync(dir, { recursive: true });
  try {
    await downloadCheckpoint(dir, base, manual, spec, endpoint, get);
  } catch (e) {
    // A failed lookup leaves no empty cache folders behind (files already downloaded stay, for a retry).
    removeEmptyFolders(dir, join(options.cacheDir ?? defaultCacheDir(), "models"));
    throw e;
  }
  return dir;
}

/** Removes `dir` and its parents up to (not including) `stop` while they are empty. */
function removeEmptyFolders(dir: string, stop: string): void {
  for (let d = resolve(dir); d.startsWith(resolve(stop)) && d !== resolve(stop); d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

async function downloadCheckpoint(
  dir: string,
  base: string,
  manual: () => string,
  spec: string,
  endpoint: string,
  get: typeof fetch,
): Promise<void> {
  const download = async (file: string, required: boolean): Promise<boolean> => {
    const target = join(dir, file);
    if (existsSync(target)) return true;
    let res: Response;
    try {
      res = await get(`${base}/${file}`);
    } catch (e) {
      throw new Error(`model "${spec}": cannot reach ${endpoint} (${(e as Error).message}); ${manual()}`);
    }
    if (res.status === 404) {
      if (required)
        throw new Error(
          `model "${spec}": ${base}/${file} not found (404): is "${spec}" a model on the hub with safetensors weights?`,
        );
      return false;
    }
    if (!res.ok) throw new Error(`model "${spec}": ${base}/${file} answered HTTP ${res.status}; ${manual()}`);
    writeFileAtomic(target, [new Uint8Array(await res.arrayBuffer())]);
    return true;
  };
  await download("config.json", true);
  // One weights file, or (large checkpoints) an index and the shards its weight_map names.
  if (!(await download("model.safetensors", false))) {
    await download(SHARD_INDEX, true);
    for (const f of shardsOf(join(dir, SHARD_INDEX))) await download(f, true);
  }
  if (!(await download("tokenizer.json", false))) {
    for (const f of TOKENIZER_FILES[1]) await download(f, true);
  }
  for (const f of OPTIONAL_FILES) await download(f, false);
}

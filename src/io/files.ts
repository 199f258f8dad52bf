import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Reads a file, turning a failure into an error that names the file and the reason (ENOENT, EACCES …). */
export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    // An ArrayBuffer the engine cannot allocate: say it is memory, not the file.
    if (e instanceof RangeError)
      throw new Error(
        `${path}: cannot read: its ${fileSize(path)} bytes do not fit in the memory available (${e.message})`,
      );
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function fileSize(path: string): string {
  try {
    return statSync(path).size.toLocaleString("en-US");
  } catch {
    return "?";
  }
}

export function readText(path: string): string {
  return readBytes(path).toString("utf8");
}

/** Reads and parses a JSON file; errors name the file. */
export function readJsonFile<T = unknown>(path: string): T {
  const text = readText(path);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Creates `dir` (and its parents) and proves it writable with a probe file, before anything is computed
 * for it. Errors name the folder and say what is wrong in words (read-only, a file in the way, no
 * permission) rather than the system call that failed.
 */
export function ensureWritableDir(dir: string, what = "output folder", options: { create?: boolean } = {}): void {
  const reason = (e: NodeJS.ErrnoException): string => {
    switch (e.code) {
      case "EROFS":
        return "is on a read-only file system";
      case "EACCES":
      case "EPERM":
        return "is not writable (permission denied)";
      case "ENOTDIR":
      case "EEXIST":
        return "cannot be created: a file (not a folder) is in the way";
      case "ENOSPC":
        return "is on a full disk";
      case "ENOENT":
        return "does not exist";
      default:
        return `cannot be written (${e.code ?? e.message})`;
    }
  };
  try {
    if (options.create ?? true) mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (e) {
    throw new Error(`${dir}: ${what} ${reason(e as NodeJS.ErrnoException)}`);
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, "");
  } catch (e) {
    throw new Error(`${dir}: ${what} ${reason(e as NodeJS.ErrnoException)}`);
  } finally {
    rmSync(probe, { force: true });
  }
}

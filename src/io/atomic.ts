import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";

/** `<target>.tmp-<host>-<pid>-<8 hex>`: the host and pid say whether the writer can still be alive. */
const TEMPORARY = /\.tmp-(.+)-(\d+)-[0-9a-f]{8}$/;

/** A temporary sibling name for `path`, recognised by `removeStaleTemporaries`. */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * Writes a file atomically: the bytes go to a temporary sibling, are flushed, then renamed over the
 * target. A run killed mid-write leaves either the old file or none, never a truncated one (and the
 * temporary, which the next run removes: `removeStaleTemporaries`). Two processes writing the same target
 * both succeed; the last rename wins, whole.
 */
export function writeFileAtomic(path: string, parts: Uint8Array[]): void {
  const tmp = temporaryPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new Error(`${path}: ${writeFailure(err as NodeJS.ErrnoException)}`, { cause: err });
  }
}

/** Why a write failed, in words (full disk, read-only, no permission) rather than the system call's code. */
export function writeFailure(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOSPC":
    case "EDQUOT":
      return "cannot be written: the disk is full (or the quota reached); free space and rerun, finished results are kept";
    case "EROFS":
      return "cannot be written: the file system is read-only";
    case "EACCES":
    case "EPERM":
      return "cannot be written: permission denied";
    case "ENOENT":
      return "cannot be written: its folder does not exist";
    default:
      return `cannot be written (${e.code ?? e.message})`;
  }
}

/** Text (UTF-8) written atomically. */
export function writeTextAtomic(path: string, text: string): void {
  writeFileAtomic(path, [new TextEncoder().encode(text)]);
}

/** A file copied atomically. */
export function copyFileAtomic(from: string, to: string): void {
  writeFileAtomic(to, [readFileSync(from)]);
}

/**
 * Removes, under `dir` (recursively), the temporaries of atomic writes whose writer is gone: written on this
 * host by a process that no longer runs (a run killed mid-write). Those of live processes — a concurrent run
 * — and of other hosts (a shared file system) are kept. `of`: only those of one file name (then usually
 * `recursive: false`). Returns the paths removed.
 */
export function removeStaleTemporaries(dir: string, options: { recursive?: boolean; of?: string } = {}): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  const host = hostname();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      const m = TEMPORARY.exec(e.name);
      const mine = options.of === undefined || e.name.startsWith(`${options.of}.tmp-`);
      if (m && mine && m[1] === host && !processAlive(Number(m[2]))) {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      } else if (e.isDirectory() && (options.recursive ?? true)) {
        walk(path);
      }
    }
  };
  walk(dir);
  return removed;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

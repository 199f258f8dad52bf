/** Numeric command-line options, parsed once for every command: mistakes become usage errors (exit 2). */
import { freemem } from "node:os";
import { UsageError } from "./usage.js";

export interface NumberRule {
  integer?: boolean;
  min?: number;
}

/** The option's value as a number, `fallback` when absent; refuses text, fractions or values below `min`. */
export function numberOption<T extends number | undefined>(
  value: string | undefined,
  name: string,
  help: string,
  fallback: T,
  rule: NumberRule = { integer: true },
): number | T {
  if (value === undefined) return fallback;
  const n = Number(value);
  const integer = rule.integer ?? true;
  if (
    value.trim() === "" ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    (rule.min !== undefined && n < rule.min)
  ) {
    const kind = integer
      ? rule.min === 1
        ? "a positive integer"
        : rule.min !== undefined
          ? `an integer ≥ ${rule.min}`
          : "an integer"
      : rule.min !== undefined
        ? `a number ≥ ${rule.min}`
        : "a number";
    throw new UsageError(`${name} must be ${kind}, got "${value}"`, help);
  }
  return n;
}

/** A memory size option ("8G", "512M", "1.5GB", or bytes) in bytes; `undefined` when absent. */
export function byteSizeOption(value: string | undefined, name: string, help: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
  const scale: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  const bytes = m ? Number(m[1]) * scale[m[2].toUpperCase()] : NaN;
  if (!(bytes >= 1)) throw new UsageError(`${name} must be a size such as 8G or 512M, got "${value}"`, help);
  return Math.floor(bytes);
}

/**
 * The memory a command may use: `--max-memory` when given, else 90% of what the system reports available
 * (Node's availableMemory: free memory, capped by a cgroup limit such as a Slurm job's --mem).
 */
export function memoryBudget(maxMemory: number | undefined): { bytes: number; source: string } {
  if (maxMemory !== undefined) return { bytes: maxMemory, source: "--max-memory" };
  const available = typeof process.availableMemory === "function" ? process.availableMemory() : 0;
  const bytes = Math.floor(0.9 * (available > 0 ? available : freemem()));
  return { bytes, source: "90% of the memory available now; set another with --max-memory" };
}

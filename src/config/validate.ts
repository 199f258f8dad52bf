/**
 * Validation of JSON configuration files at the boundary: unknown keys (typos) and wrong types are
 * reported with the file, the path of the key and, for typos, the closest known key.
 */

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

import { parseAlphas, validateAlphas } from "../ridge/alphas.js";

export class ConfigError extends Error {}

export function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ConfigError(`${where}: expected an object`);
  return value as Record<string, unknown>;
}

/** Refuses keys outside `allowed`, suggesting the nearest allowed key. */
export function expectKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const best = [...allowed].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
    const hint =
      best !== undefined && editDistance(key, best) <= Math.max(2, Math.floor(key.length / 3))
        ? ` (did you mean "${best}"?)`
        : "";
    throw new ConfigError(`${where}: unknown key "${key}"${hint}; allowed: ${allowed.join(", ")}`);
  }
}

export function optionalNumber(
  obj: Record<string, unknown>,
  key: string,
  where: string,
  check?: (n: number) => boolean,
  rule = "",
): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (check && !check(v)))
    throw new ConfigError(`${where}.${key}: expected ${rule || "a number"}, got ${JSON.stringify(v)}`);
  return v;
}

export function optionalString<T extends string>(
  obj: Record<string, unknown>,
  key: string,
  where: string,
  choices?: readonly T[],
): T | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || (choices && !choices.includes(v as T))) {
    throw new ConfigError(
      `${where}.${key}: expected ${choices ? `one of ${choices.map((c) => `"${c}"`).join(", ")}` : "a string"}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

/** A boolean key: true/false only, never coerced from strings or numbers. */
export function optionalBoolean(obj: Record<string, unknown>, key: string, where: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean")
    throw new ConfigError(`${where}.${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The penalty grid: a list of numbers > 0 or "logspace:a:b:n" (as `brainscore fit --alphas`); absent → brainScore's.
 */
export function optionalAlphaGrid(v: unknown, where: string): number[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") {
    try {
      return Array.from(parseAlphas(v));
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
  }
  if (!Array.isArray(v) || !v.every((a) => typeof a === "number"))
    throw new ConfigError(`${where}: expected a list of numbers > 0 or "logspace:-1:8:10", got ${JSON.stringify(v)}`);
  try {
    validateAlphas(v, where);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return v;
}

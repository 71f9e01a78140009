/** Canonical JSON (sorted keys, no undefined) and the stable hashes that name runs and check result files. */
import { createHash } from "crypto";

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`cannot hash the non-finite number ${v}: use null`);
  return v;
}

/** sha256 of the canonical JSON, hex, cut to `length` characters. */
export function stableHash(value: unknown, length = 16): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}

/**
 * Empirical drift distributions keyed by programming position, stored as quantile tables and
 * sampled by inverse CDF (linear interpolation between quantiles). No parametric fit.
 */
import * as fs from "fs";
import * as path from "path";
import type { Rng } from "../runtime/random";
import { repoRoot } from "../runtime/provenance";

export interface DriftDistribution {
  readonly n: number;
  readonly meanSiemens: number;
  readonly stdSiemens: number;
  /** Quantiles in siemens at `levels`. */
  readonly quantilesSiemens: Float64Array;
}

export interface DriftTable {
  readonly source: string;
  readonly levels: Float64Array;
  /** Distribution per key (key = number of devices programmed after the device). */
  readonly byKey: ReadonlyMap<number, DriftDistribution>;
  readonly maxKey: number;
}

interface DriftJson {
  source: string;
  quantile_levels: number[];
  keys: Record<string, { n: number; mean_us: number; std_us: number; quantiles_us: number[] }>;
}

/** Parse a drift table (µS in the file, siemens in memory); checks monotone quantiles. */
export function parseDriftTable(json: DriftJson, origin = "drift table"): DriftTable {
  if (
    !Array.isArray(json.quantile_levels) ||
    json.quantile_levels[0] !== 0 ||
    json.quantile_levels[json.quantile_levels.length - 1] !== 1
  ) {
    throw new Error(`${origin}: quantile_levels must run from 0 to 1`);
  }
  const levels = Float64Array.from(json.quantile_levels);
  const byKey = new Map<number, DriftDistribution>();
  for (const [k, v] of Object.entries(json.keys)) {
    const key = Number(k);
    if (!Number.isInteger(key) || key < 1) throw new Error(`${origin}: key "${k}" is not a positive integer`);
    if (v.n <= 0) continue;
    if (v.quantiles_us.length !== levels.length)
      throw new Error(`${origin}: key ${k} has ${v.quantiles_us.length} quantiles for ${levels.length} levels`);
    for (let i = 1; i < v.quantiles_us.length; i++) {
      if (!(v.quantiles_us[i] >= v.quantiles_us[i - 1]))
        throw new Error(`${origin}: key ${k} quantiles are not non-decreasing at ${i}`);
    }
    byKey.set(key, {
      n: v.n,
      meanSiemens: v.mean_us * 1e-6,
      stdSiemens: v.std_us * 1e-6,
      quantilesSiemens: Float64Array.from(v.quantiles_us, (q) => q * 1e-6),
    });
  }
  return { source: json.source, levels, byKey, maxKey: Math.max(...byKey.keys()) };
}

let droletTable: DriftTable | null = null;

/** The Drolet et al. 2023 measured biasing-scheme drift (data/drolet/bse-drift-quantiles.json). */
export function droletDriftTable(): DriftTable {
  if (!droletTable) {
    const file = path.join(repoRoot(), "data", "drolet", "bse-drift-quantiles.json");
    if (!fs.existsSync(file))
      throw new Error(`drift table not found: ${file} (it ships with crossbar-lab; is the checkout complete?)`);
    droletTable = parseDriftTable(JSON.parse(fs.readFileSync(file, "utf8")) as DriftJson, file);
  }
  return droletTable;
}

/** Inverse-CDF value at probability u for one distribution. */
export function quantileAt(table: DriftTable, dist: DriftDistribution, u: number): number {
  const L = table.levels;
  const q = dist.quantilesSiemens;
  // levels are uniform in the shipped table, but search to stay general
  let lo = 0,
    hi = L.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (L[mid] <= u) lo = mid;
    else hi = mid;
  }
  const f = L[hi] > L[lo] ? (u - L[lo]) / (L[hi] - L[lo]) : 0;
  return q[lo] + f * (q[hi] - q[lo]);
}

/** One drift draw (siemens) for a key; keys beyond the table are an error. */
export function sampleDrift(table: DriftTable, key: number, rng: Rng): number {
  const d = table.byKey.get(key);
  if (!d) {
    throw new RangeError(
      `no measured drift for programming key ${key} (the table covers keys 1–${table.maxKey}): ` +
        `a tensor of more than ${table.maxKey + 1} devices needs a different drift model`,
    );
  }
  return quantileAt(table, d, rng.next());
}

/**
 * Two interleaving half circles ("two moons"), as scikit-learn's make_moons: outer moon
 * (cos t, sin t), inner moon (1 − cos t, 1 − sin t − 0.5), t = linspace(0, π), shuffled, plus
 * Gaussian noise on both coordinates. Seeded by an explicit Rng (not bit-identical to numpy).
 */
import * as fs from "fs";
import * as path from "path";
import type { Rng } from "../runtime/random";
import { repoRoot } from "../runtime/provenance";

export interface Dataset {
  /** Points, [n][features]. */
  readonly x: number[][];
  /** Labels 0/1. */
  readonly y: number[];
}

export function makeMoons(n: number, noise: number, rng: Rng): Dataset {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`makeMoons: n must be an integer >= 2, got ${n}`);
  if (!(noise >= 0)) throw new RangeError(`makeMoons: noise must be >= 0, got ${noise}`);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < nOut; i++) {
    const t = nOut > 1 ? (Math.PI * i) / (nOut - 1) : 0;
    x.push([Math.cos(t), Math.sin(t)]);
    y.push(0);
  }
  for (let i = 0; i < nIn; i++) {
    const t = nIn > 1 ? (Math.PI * i) / (nIn - 1) : 0;
    x.push([1 - Math.cos(t), 1 - Math.sin(t) - 0.5]);
    y.push(1);
  }
  const order = rng.shuffle(x.map((_, i) => i));
  return {
    x: order.map((i) => [x[i][0] + rng.normal(0, noise), x[i][1] + rng.normal(0, noise)]),
    y: order.map((i) => y[i]),
  };
}

/** Min–max scale every feature to [0, 1] over the given points. */
export function minMaxScale(x: readonly (readonly number[])[]): number[][] {
  const d = x[0].length;
  const lo = new Array(d).fill(Infinity), hi = new Array(d).fill(-Infinity);
  for (const p of x) p.forEach((v, j) => ((lo[j] = Math.min(lo[j], v)), (hi[j] = Math.max(hi[j], v))));
  return x.map((p) => p.map((v, j) => (hi[j] > lo[j] ? (v - lo[j]) / (hi[j] - lo[j]) : 0)));
}

export interface Splits {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
  /** How the splits were made. */
  readonly description: string;
  /** Number of test points that are also training points. */
  readonly testInTrain: number;
}

/** The Drolet et al. two-moons split sizes and noise (spec drolet-2023 §6). */
export const DROLET_MOONS = Object.freeze({ points: 1000, cleanPoints: 1200, train: 875, validation: 125, test: 200, noise: 0.2 });

/**
 * The Drolet et al. two-moons protocol: noise 0.2, min–max scaled to [0, 1], 875 train /
 * 125 validation / 200 test.
 * - `paper`: 1000 points; train ∪ validation partition them; the 200 test points are drawn from all
 *   1000, so most of them are training points (the authors' stored files have 172 of 200 so).
 * - `clean`: 1200 points, split into disjoint 875 / 125 / 200.
 * - `stored`: the authors' own files (shipped in data/drolet/), the exact points of the paper.
 */
export function droletMoons(mode: "paper" | "clean" | "stored", rng: Rng): Splits {
  if (mode === "stored") return storedDroletMoons();
  if (mode !== "paper" && mode !== "clean") throw new Error(`unknown two-moons split "${mode}": use paper, clean or stored`);
  const M = DROLET_MOONS;
  const n = mode === "paper" ? M.points : M.cleanPoints;
  const raw = makeMoons(n, M.noise, rng);
  const xs = minMaxScale(raw.x);
  const idx = rng.shuffle(xs.map((_, i) => i));
  const take = (ids: number[]): Dataset => ({ x: ids.map((i) => xs[i]), y: ids.map((i) => raw.y[i]) });
  const train = idx.slice(0, M.train), val = idx.slice(M.train, M.train + M.validation);
  const test = mode === "paper" ? rng.shuffle(xs.map((_, i) => i)).slice(0, M.test) : idx.slice(M.train + M.validation, M.cleanPoints);
  const trainSet = new Set(train);
  return {
    train: take(train),
    validation: take(val),
    test: take(test),
    description:
      mode === "paper"
        ? `paper protocol: ${M.points} points, disjoint ${M.train}/${M.validation} train/validation, ${M.test} test points drawn from all ${M.points} (overlapping training)`
        : `clean protocol: ${M.cleanPoints} points, disjoint ${M.train}/${M.validation}/${M.test}`,
    testInTrain: test.filter((i) => trainSet.has(i)).length,
  };
}

/** The authors' stored splits (data/drolet/half-moons-splits.json). */
export function storedDroletMoons(file = path.join(repoRoot(), "data", "drolet", "half-moons-splits.json")): Splits {
  if (!fs.existsSync(file)) throw new Error(`stored two-moons splits not found at ${file}`);
  const j = JSON.parse(fs.readFileSync(file, "utf8")) as { splits: Record<string, { x: number[][]; y: number[] }> };
  const get = (k: string): Dataset => {
    const s = j.splits[k];
    if (!s) throw new Error(`${file} has no "${k}" split`);
    return { x: s.x, y: s.y.map(Number) };
  };
  const train = get("train"), test = get("test");
  const key = (p: readonly number[]) => p.join(",");
  const trainKeys = new Set(train.x.map(key));
  return {
    train,
    validation: get(Object.keys(j.splits).find((k) => k.startsWith("val")) ?? "validation"),
    test,
    description: "the authors' stored splits (Drolet et al. repository): 875/125/200, test overlapping train",
    testInTrain: test.x.filter((p) => trainKeys.has(key(p))).length,
  };
}

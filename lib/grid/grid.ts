/**
 * A grid is data: named axes with values, seeds and a run mode. Each cell of the cartesian product
 * is one run, named by a stable hash of its full configuration and of the experiment's code version.
 */
import type { RunMode } from "../runtime/mode";
import { stableHash } from "./hash";

export type AxisValue = string | number | boolean;

export interface GridSpec {
  /** Registered experiment name (see `GRID_EXPERIMENTS`). */
  readonly experiment: string;
  /** Named axes; every combination of their values is a cell. */
  readonly axes: Readonly<Record<string, readonly AxisValue[]>>;
  readonly seeds: readonly number[];
  readonly mode: RunMode;
  /** Fixed parameters shared by every cell (part of each cell's identity). */
  readonly fixed?: Readonly<Record<string, AxisValue>>;
}

export interface Cell {
  /** Stable id: hash of experiment, code version, mode, seed and parameters. */
  readonly id: string;
  readonly experiment: string;
  readonly codeVersion: string;
  readonly mode: RunMode;
  readonly seed: number;
  readonly params: Readonly<Record<string, AxisValue>>;
}

/** The identity a cell's id is the hash of (also stored in each result so the id can be checked). */
export function cellIdentity(c: Omit<Cell, "id">): object {
  return { experiment: c.experiment, codeVersion: c.codeVersion, mode: c.mode, seed: c.seed, params: c.params };
}

export function makeCell(c: Omit<Cell, "id">): Cell {
  return Object.freeze({ ...c, params: Object.freeze({ ...c.params }), id: stableHash(cellIdentity(c)) });
}

/** Check a grid's shape: at least one axis value each, integer seeds, no duplicate values, known mode. */
export function validateGrid(g: GridSpec): void {
  if (!g.experiment) throw new Error("grid: experiment name is required");
  if (g.mode !== "quick" && g.mode !== "full")
    throw new Error(`grid: unknown mode "${g.mode as string}": use "quick" or "full"`);
  if (!g.seeds.length) throw new Error("grid: at least one seed is needed");
  for (const s of g.seeds) if (!Number.isInteger(s)) throw new Error(`grid: seeds must be integers, got ${s}`);
  if (new Set(g.seeds).size !== g.seeds.length) throw new Error("grid: duplicate seeds");
  for (const [name, values] of Object.entries(g.axes)) {
    if (!values.length) throw new Error(`grid: axis "${name}" has no values`);
    if (new Set(values).size !== values.length) throw new Error(`grid: axis "${name}" has duplicate values`);
    if (g.fixed && name in g.fixed) throw new Error(`grid: "${name}" is both an axis and a fixed parameter`);
  }
}

/** All cells: the cartesian product of the axes (in declaration order) × seeds. */
export function expandGrid(g: GridSpec, codeVersion: string): Cell[] {
  validateGrid(g);
  let combos: Record<string, AxisValue>[] = [{ ...(g.fixed ?? {}) }];
  for (const [name, values] of Object.entries(g.axes))
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  const cells: Cell[] = [];
  for (const params of combos)
    for (const seed of g.seeds)
      cells.push(makeCell({ experiment: g.experiment, codeVersion, mode: g.mode, seed, params }));
  return cells;
}

/** The cells of one shard (task `index` of `count`, 0-based): every count-th cell, so shards stay balanced. */
export function shardCells(cells: readonly Cell[], index: number, count: number): Cell[] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`shard count must be a positive integer, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new RangeError(`shard index must be in 0..${count - 1}, got ${index}`);
  return cells.filter((_, i) => i % count === index);
}

/**
 * The registry of experiments that can run as grids. The grid package imports no experiment: each
 * experiment module defines its `GridExperiment` and calls `registerExperiment` when it is loaded
 * (importing `lib/experiments` registers this project's). Each declares a code version (bump it when
 * a change alters results: it is part of every run id), its default grid per mode, a run function
 * that turns one cell into metrics, and its module file, which grid workers load before running a cell.
 */
import type { RunMode } from "../runtime/mode";
import type { Cell, GridSpec } from "./grid";
import type { RunOutput } from "./store";

export interface RunContext {
  /** Write a line to this run's log. */
  readonly log: (line: string) => void;
}

export interface GridExperiment {
  readonly name: string;
  /** Code version: part of every run id; bump when a change alters this experiment's results. */
  readonly version: string;
  readonly description: string;
  /** What each axis / fixed parameter means (with units). */
  readonly parameters: Readonly<Record<string, string>>;
  /** The module that defines and registers it (its `__filename`): a grid worker requires it before running a cell. */
  readonly module: string;
  defaultGrid(mode: RunMode): GridSpec;
  run(cell: Cell, ctx: RunContext): Promise<RunOutput>;
}

const registry = new Map<string, GridExperiment>();

/** Register an experiment (once per name; registering the same object again is a no-op). Returns it. */
export function registerExperiment(e: GridExperiment): GridExperiment {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(e.name))
    throw new Error(
      `grid experiment name "${e.name}" must be lower-case letters, digits and dashes (it names results folders)`,
    );
  if (!e.version) throw new Error(`grid experiment "${e.name}" needs a code version`);
  if (!e.module)
    throw new Error(`grid experiment "${e.name}" needs its module file (__filename), so that grid workers can load it`);
  const prev = registry.get(e.name);
  if (prev && prev !== e)
    throw new Error(`grid experiment "${e.name}" is already registered (from ${prev.module}); names must be unique`);
  registry.set(e.name, e);
  return e;
}

/** Every registered experiment, by name. */
export function gridExperiments(): readonly GridExperiment[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The registered experiment `name`; loads `module` first when given and the name is not yet registered (grid workers). */
export function gridExperiment(name: string, module?: string): GridExperiment {
  if (!registry.has(name) && module) require(module);
  const e = registry.get(name);
  if (!e) {
    const known = gridExperiments().map((x) => x.name);
    throw new Error(
      `unknown grid experiment "${name}": ${known.length ? `registered are ${known.join(", ")}` : "none is registered"} (an experiment registers when its module is imported; lib/experiments registers this project's)`,
    );
  }
  return e;
}

/** A cell parameter of the given type, or an error naming it. */
export function cellParam<T extends string | number | boolean>(
  cell: Cell,
  name: string,
  type: "string" | "number" | "boolean",
): T {
  const v = cell.params[name];
  if (typeof v !== type)
    throw new Error(`${cell.experiment}: parameter "${name}" must be a ${type}, got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * Slurm job arrays for grids: an `sbatch --array` script whose task k runs shard k of the grid
 * (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) into a shared results directory, and a final job,
 * dependent on the array (afterany), that checks completeness and writes the aggregate.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stableHash } from "./hash";
import type { GridSpec } from "./grid";

export interface SlurmOptions {
  readonly partition?: string;
  /** Wall-time limit per array task, Slurm format (e.g. "01:00:00"). */
  readonly time: string;
  readonly cpusPerTask: number;
  /** Memory per task, Slurm format (e.g. "4G"). */
  readonly memPerTask: string;
  /** Number of array tasks (shards); at most the number of cells. */
  readonly tasks: number;
  /** At most this many tasks at once (the `%N` of --array). */
  readonly maxParallel?: number;
  /** Extra lines put before the command (module loads, `source ~/.nvm/nvm.sh`…). */
  readonly setup?: readonly string[];
  readonly account?: string;
}

export const SLURM_DEFAULTS: SlurmOptions = Object.freeze({
  time: "01:00:00",
  cpusPerTask: 1,
  memPerTask: "4G",
  tasks: 10,
});

/** Where the grid's JSON, the scripts and the Slurm logs go: `<results>/<experiment>/slurm/<grid hash>/`. */
export function slurmFolder(resultsDir: string, grid: GridSpec): string {
  return path.join(resultsDir, grid.experiment, "slurm", stableHash(grid, 12));
}

function checkOptions(o: SlurmOptions, cells: number): void {
  if (!/^(\d+-)?\d{1,3}(:\d{2}){0,2}$/.test(o.time))
    throw new Error(`slurm: time "${o.time}" is not a Slurm time (e.g. 01:00:00 or 2-00:00:00)`);
  if (!/^\d+[KMGT]?$/.test(o.memPerTask))
    throw new Error(`slurm: memory "${o.memPerTask}" is not a Slurm size (e.g. 4G)`);
  if (!Number.isInteger(o.cpusPerTask) || o.cpusPerTask < 1)
    throw new Error(`slurm: cpus per task must be a positive integer, got ${o.cpusPerTask}`);
  if (!Number.isInteger(o.tasks) || o.tasks < 1)
    throw new Error(`slurm: tasks must be a positive integer, got ${o.tasks}`);
  if (cells < 1) throw new Error("slurm: the grid has no cells");
  if (o.maxParallel !== undefined && (!Number.isInteger(o.maxParallel) || o.maxParallel < 1))
    throw new Error(`slurm: max parallel must be a positive integer, got ${o.maxParallel}`);
  for (const v of [o.partition, o.account])
    if (v !== undefined && !/^[\w.-]+$/.test(v)) throw new Error(`slurm: "${v}" is not a valid partition/account name`);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The two batch scripts (array and aggregate) for a grid, as text. */
export function slurmScripts(
  grid: GridSpec,
  cells: number,
  repoDir: string,
  resultsDir: string,
  o: SlurmOptions,
): { array: string; aggregate: string; gridFile: string; folder: string; tasks: number } {
  checkOptions(o, cells);
  const tasks = Math.min(o.tasks, cells);
  const folder = slurmFolder(resultsDir, grid);
  const gridFile = path.join(folder, "grid.json");
  const head = (name: string, extra: string[]) => [
    "#!/bin/bash",
    `#SBATCH --job-name=${name}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.account ? [`#SBATCH --account=${o.account}`] : []),
    ...extra,
    "set -euo pipefail",
    ...(o.setup ?? []),
    `cd ${q(repoDir)}`,
    `export CROSSBAR_LAB_RESULTS_DIR=${q(resultsDir)}`,
  ];
  const array = [
    ...head(`grid-${grid.experiment}`, [
      `#SBATCH --array=0-${tasks - 1}${o.maxParallel ? `%${o.maxParallel}` : ""}`,
      `#SBATCH --time=${o.time}`,
      `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
      `#SBATCH --mem=${o.memPerTask}`,
      `#SBATCH --output=${path.join(folder, "task-%A_%a.out")}`,
    ]),
    `# task k of ${tasks} runs every ${tasks}-th cell starting at k; finished cells are skipped, so a resubmission resumes`,
    `node --import tsx scripts/grid.ts --grid ${q(gridFile)} --results ${q(resultsDir)} --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --workers 0`,
    "",
  ].join("\n");
  const aggregate = [
    ...head(`grid-${grid.experiment}-aggregate`, [
      `#SBATCH --time=00:30:00`,
      `#SBATCH --cpus-per-task=1`,
      `#SBATCH --mem=2G`,
      `#SBATCH --output=${path.join(folder, "aggregate-%j.out")}`,
    ]),
    `node --import tsx scripts/grid.ts --grid ${q(gridFile)} --results ${q(resultsDir)} --check --aggregate --export ${q(path.join(folder, "aggregate.csv"))}`,
    "",
  ].join("\n");
  return { array, aggregate, gridFile, folder, tasks };
}

export interface Submission {
  readonly arrayJobId: string;
  readonly aggregateJobId: string;
  readonly folder: string;
}

/** Write the grid and both scripts, submit the array and the dependent aggregate job. */
export function submitSlurm(
  grid: GridSpec,
  cells: number,
  repoDir: string,
  resultsDir: string,
  o: SlurmOptions,
  env: NodeJS.ProcessEnv = process.env,
): Submission {
  const s = slurmScripts(grid, cells, repoDir, resultsDir, o);
  fs.mkdirSync(s.folder, { recursive: true });
  fs.writeFileSync(s.gridFile, JSON.stringify(grid, null, 2));
  const arrayFile = path.join(s.folder, "array.sbatch"),
    aggFile = path.join(s.folder, "aggregate.sbatch");
  fs.writeFileSync(arrayFile, s.array);
  fs.writeFileSync(aggFile, s.aggregate);
  const sbatch = (args: string[]) => {
    try {
      return execFileSync("sbatch", ["--parsable", ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
        .toString()
        .trim()
        .split(";")[0];
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      if (err.code === "ENOENT")
        throw new Error(
          "sbatch not found: run this on a Slurm login node (or install slurm-wlm), or use --workers for a local run",
          { cause: e },
        );
      throw new Error(`sbatch failed: ${err.stderr?.toString().trim() ?? String(e)}`, { cause: e });
    }
  };
  const arrayJobId = sbatch([arrayFile]);
  const aggregateJobId = sbatch([`--dependency=afterany:${arrayJobId}`, aggFile]);
  return { arrayJobId, aggregateJobId, folder: s.folder };
}

/** Wait until none of the jobs is in the queue (squeue), polling every `pollMs`. */
export async function waitForSlurmJobs(
  jobIds: readonly string[],
  opts: { timeoutMs?: number; pollMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    let out: string;
    try {
      out = execFileSync("squeue", ["-h", "-o", "%i", "-j", jobIds.join(",")], {
        env: opts.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
      })
        .toString()
        .trim();
    } catch (e) {
      const msg = (e as { stderr?: Buffer }).stderr?.toString() ?? "";
      if (/Invalid job id/i.test(msg)) return; // finished and purged
      throw new Error(`squeue failed: ${msg.trim() || String(e)}`, { cause: e });
    }
    if (!out) return;
    if (Date.now() - t0 > (opts.timeoutMs ?? 3_600_000))
      throw new Error(`Slurm jobs ${jobIds.join(", ")} still queued after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}

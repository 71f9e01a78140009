/**
 * npm run grid -- EXPERIMENT [options]      run an experiment's grid, resumably, into a results store
 *
 *   --mode quick|full        the grid of this mode (default quick)
 *   --grid FILE.json         a grid declared elsewhere (notebook, Slurm submission) instead of EXPERIMENT
 *   --axis NAME=v1,v2        replace one axis's values (repeatable); --seeds 0,1,2 replaces the seeds
 *   --dataset NAME           joksas experiments: mnist (default) or fashion-mnist
 *   --results DIR            results directory (default $CROSSBAR_LAB_RESULTS_DIR or ./results)
 *   --workers N              N worker processes (default 1; 0 = in this process)
 *   --shard I/N              only every N-th cell starting at I (what a Slurm array task runs)
 *   --status                 print how many cells are done / missing / corrupt, run nothing
 *   --check                  exit 1 unless every cell has a verified result (runs nothing)
 *   --aggregate [--by a,b]   median / IQR of every numeric metric grouped by axes (default: all axes)
 *   --export FILE            write the aggregate to FILE (.csv or .parquet)
 *   --slurm                  write and submit an sbatch --array job and a dependent aggregate job
 *     --partition P --time HH:MM:SS --cpus C --mem 4G --tasks K --max-parallel M --account A
 *     --setup "module load nodejs"   (repeatable) lines run before the task command
 *     --dry-run              print the scripts instead of submitting
 *   --wait                   with --slurm: wait for the jobs to leave the queue
 */
import * as fs from "fs";
import * as path from "path";
import { RunMode } from "../lib/runtime/mode";
import { repoRoot, resultsDir } from "../lib/runtime/provenance";
import { AxisValue, GridSpec, expandGrid, shardCells, validateGrid } from "../lib/grid/grid";
import { gridExperiment, gridExperiments } from "../lib/grid/registry";
import "../lib/experiments"; // registers this project's grid experiments
import { ResultStore } from "../lib/grid/store";
import { heldLocks } from "../lib/grid/locks";
import { progressLine, runCells } from "../lib/grid/runner";
import { ResultsDb, numericMetrics } from "../lib/grid/query";
import { SLURM_DEFAULTS, SlurmOptions, slurmScripts, submitSlurm, waitForSlurmJobs } from "../lib/grid/slurm";

const USAGE = `usage: npm run grid -- EXPERIMENT [--mode quick|full] [--dataset mnist|fashion-mnist] [--grid FILE] [--axis NAME=v1,v2] [--seeds 0,1] [--results DIR] [--workers N] [--shard I/N] [--status] [--check] [--aggregate [--by a,b]] [--export FILE] [--slurm [--partition P --time T --cpus C --mem M --tasks K --max-parallel M --account A --setup LINE --dry-run --wait]]
experiments: ${gridExperiments()
  .map((e) => e.name)
  .join(", ")}`;

function parseValue(s: string): AxisValue {
  if (s === "true" || s === "false") return s === "true";
  const n = Number(s);
  return s.trim() !== "" && Number.isFinite(n) ? n : s;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const o: Record<string, string | true> = {};
  const axes: Array<[string, AxisValue[]]> = [];
  const setup: string[] = [];
  let experiment: string | null = null;
  const flags = new Set(["--status", "--check", "--aggregate", "--slurm", "--dry-run", "--wait"]);
  const valued = new Set([
    "--mode",
    "--dataset",
    "--grid",
    "--seeds",
    "--results",
    "--workers",
    "--shard",
    "--by",
    "--export",
    "--partition",
    "--time",
    "--cpus",
    "--mem",
    "--tasks",
    "--max-parallel",
    "--account",
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return (console.log(USAGE), 0);
    if (flags.has(a)) o[a] = true;
    else if (a === "--axis" || a === "--setup") {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      if (a === "--setup") setup.push(v);
      else {
        const eq = v.indexOf("=");
        if (eq < 1) throw new Error(`--axis needs NAME=v1,v2, got "${v}"`);
        axes.push([
          v.slice(0, eq),
          v
            .slice(eq + 1)
            .split(",")
            .map(parseValue),
        ]);
      }
    } else if (valued.has(a)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
      o[a] = v;
    } else if (!a.startsWith("--") && experiment === null) experiment = a;
    else throw new Error(`unknown option "${a}"\n${USAGE}`);
  }
  const int = (name: string, def: number, min = 0) => {
    const v = o[name];
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  // relative paths are the user's: npm runs scripts from the package root and names the caller's folder INIT_CWD
  const userPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
  for (const k of ["--grid", "--results", "--export"]) if (typeof o[k] === "string") o[k] = userPath(o[k] as string);
  const workers = int("--workers", 1, 0);
  if (typeof o["--seeds"] === "string") {
    const seeds = o["--seeds"].split(",").map((x) => (x.trim() === "" ? NaN : Number(x)));
    if (!seeds.every((n) => Number.isInteger(n) && n >= 0))
      throw new Error(`--seeds needs whole numbers >= 0 separated by commas, got "${o["--seeds"]}"`);
  }

  let grid: GridSpec;
  if (typeof o["--grid"] === "string") {
    const f = o["--grid"];
    if (!fs.existsSync(f)) throw new Error(`grid file ${f} not found`);
    grid = JSON.parse(fs.readFileSync(f, "utf8")) as GridSpec;
    if (experiment && experiment !== grid.experiment)
      throw new Error(`grid file is for "${grid.experiment}", not "${experiment}"`);
  } else {
    if (!experiment) throw new Error(`name an experiment or give --grid FILE\n${USAGE}`);
    grid = gridExperiment(experiment).defaultGrid(((o["--mode"] as string) ?? "quick") as RunMode);
  }
  const exp = gridExperiment(grid.experiment);
  if (axes.length || o["--seeds"]) {
    const newAxes: Record<string, readonly AxisValue[]> = { ...grid.axes };
    for (const [name, values] of axes) {
      if (!(name in grid.axes))
        throw new Error(
          `"${name}" is not an axis of ${grid.experiment}: axes are ${Object.keys(grid.axes).join(", ")}`,
        );
      newAxes[name] = values;
    }
    const seeds = typeof o["--seeds"] === "string" ? o["--seeds"].split(",").map(Number) : grid.seeds;
    grid = { ...grid, axes: newAxes, seeds };
  }
  if (typeof o["--dataset"] === "string") {
    if (!("dataset" in exp.parameters)) throw new Error(`--dataset: ${grid.experiment} has no dataset parameter`);
    grid = { ...grid, axes: { ...grid.axes, dataset: [o["--dataset"]] } };
  }
  validateGrid(grid);
  const dir = path.resolve((o["--results"] as string) ?? resultsDir());
  // every file a run writes (results, logs, cached networks) goes under the chosen directory, in worker processes too
  process.env.CROSSBAR_LAB_RESULTS_DIR = dir;
  const store = new ResultStore(dir);
  let cells = expandGrid(grid, exp.version);
  if (typeof o["--shard"] === "string") {
    const m = /^(\d+)\/(\d+)$/.exec(o["--shard"]);
    if (!m) throw new Error(`--shard needs I/N, got "${o["--shard"]}"`);
    cells = shardCells(cells, Number(m[1]), Number(m[2]));
  }
  const tag = `${grid.experiment} (${grid.mode}, ${cells.length} cells)`;

  if (o["--slurm"]) {
    const so: SlurmOptions = {
      ...SLURM_DEFAULTS,
      ...(o["--partition"] ? { partition: o["--partition"] as string } : {}),
      ...(o["--account"] ? { account: o["--account"] as string } : {}),
      ...(o["--time"] ? { time: o["--time"] as string } : {}),
      ...(o["--mem"] ? { memPerTask: o["--mem"] as string } : {}),
      cpusPerTask: int("--cpus", SLURM_DEFAULTS.cpusPerTask, 1),
      tasks: int("--tasks", Math.min(cells.length, SLURM_DEFAULTS.tasks), 1),
      ...(o["--max-parallel"] ? { maxParallel: int("--max-parallel", 1, 1) } : {}),
      setup,
    };
    if (o["--dry-run"]) {
      const s = slurmScripts(grid, cells.length, repoRoot(), dir, so);
      console.log(
        `# ${s.gridFile}\n${JSON.stringify(grid, null, 2)}\n\n# array.sbatch\n${s.array}\n# aggregate.sbatch (submitted with --dependency=afterany:<array job>)\n${s.aggregate}`,
      );
      return 0;
    }
    const sub = submitSlurm(grid, cells.length, repoRoot(), dir, so);
    console.log(
      `submitted ${tag}: array job ${sub.arrayJobId}, aggregate job ${sub.aggregateJobId}; scripts and logs in ${sub.folder}`,
    );
    if (o["--wait"]) {
      await waitForSlurmJobs([sub.arrayJobId, sub.aggregateJobId]);
      const { todo } = store.partition(cells);
      console.log(
        todo.length
          ? `${todo.length} cells have no verified result: see ${sub.folder}`
          : `all ${cells.length} cells done`,
      );
      return todo.length ? 1 : 0;
    }
    return 0;
  }

  const report = async (): Promise<number> => {
    let code = 0;
    if (o["--check"] || o["--status"]) {
      const { done, todo, corrupt } = store.partition(cells);
      console.log(
        `${tag} in ${store.folder(grid.experiment)}: ${done.length} done, ${todo.length - corrupt.length} missing, ${corrupt.length} corrupt`,
      );
      for (const c of corrupt) console.log(`  corrupt ${store.file(c.cell)}: ${c.reason}`);
      for (const l of heldLocks(path.join(store.folder(grid.experiment), "locks"))) {
        const who = l.holder ? `host ${l.holder.host}, pid ${l.holder.pid}` : "unreadable";
        const age =
          l.ageSecond < 3600 ? `${(l.ageSecond / 60).toFixed(1)} min` : `${(l.ageSecond / 3600).toFixed(1)} h`;
        console.log(
          `  locked ${l.id} (${who}, untouched for ${age}${l.stale ? "; stale: the next run takes it over" : ""}): ${l.file}`,
        );
      }
      if (o["--check"] && todo.length) code = 1;
    }
    if (o["--aggregate"] || o["--export"]) {
      const db = await ResultsDb.open(store, grid.experiment, cells);
      try {
        const by = typeof o["--by"] === "string" ? o["--by"].split(",") : Object.keys(grid.axes);
        const unknown = by.filter((b) => !(b in grid.axes) && !(grid.fixed && b in grid.fixed));
        if (unknown.length)
          throw new Error(
            `--by: ${unknown.join(", ")} ${unknown.length === 1 ? "is not a parameter" : "are not parameters"} of this grid; use ${[...Object.keys(grid.axes), ...Object.keys(grid.fixed ?? {})].join(", ")}`,
          );
        const agg = { by, metrics: numericMetrics(db.files) };
        console.table(await db.aggregate(agg));
        if (typeof o["--export"] === "string") {
          await db.export(db.aggregateSql(agg), o["--export"]);
          console.log(`aggregate written to ${o["--export"]}`);
        }
      } finally {
        db.close();
      }
    }
    return code;
  };
  if (o["--status"] || o["--check"]) return report();

  // a results folder that cannot be written is one clear line, before any run starts
  const unwritable = writeProblem(store.folder(grid.experiment));
  if (unwritable) {
    console.error(`grid: ${unwritable}; choose another with --results DIR, or make it writable`);
    return 2;
  }

  const ac = new AbortController();
  let interrupts = 0;
  // exit status of an interrupted grid: 128 + the signal's number, as a shell reports it
  let interruptCode = 130;
  process.on("SIGINT", () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(
      `\ninterrupt: stopping workers (finished results are kept, nothing partial is written; run the same command to resume)\n`,
    );
    ac.abort();
  });
  process.on("SIGTERM", () => {
    interruptCode = 143;
    process.stderr.write(
      `\nSIGTERM: stopping the runs in progress (finished results are kept, nothing partial is written; run the same command to resume)\n`,
    );
    ac.abort();
  });
  const t0 = Date.now();
  const st = { total: 0, skipped: 0, done: 0, failed: 0, running: 0, elapsedSeconds: 0 };
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const draw = (force = false) => {
    st.elapsedSeconds = (Date.now() - t0) / 1000;
    if (tty) process.stderr.write(`\r${progressLine(st)}   `);
    else if (force || Date.now() - lastLine > 2000) {
      lastLine = Date.now();
      process.stderr.write(`${progressLine(st)}\n`);
    }
  };
  console.error(
    `${tag} → ${store.folder(grid.experiment)} with ${workers || "no"} worker process${workers === 1 ? "" : "es"}; per-run logs in ${path.join(store.folder(grid.experiment), "logs")}`,
  );
  const summary = await runCells(cells, {
    store,
    workers,
    thread: true,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === "start") {
        Object.assign(st, { total: e.total, skipped: e.skipped });
        for (const c of e.corrupt)
          console.error(`corrupt result ${c.id} (${c.reason}) moved to ${c.movedTo}; running it again`);
        draw(true);
      } else if (e.type === "run-start") {
        st.running++;
        draw();
      } else if (e.type === "run-skip") {
        st.skipped++;
        if (tty) process.stderr.write("\n");
        console.error(`run ${e.cell.id} skipped: ${e.reason}`);
        draw();
      } else if (e.type === "run-end") {
        st.running--;
        if (e.outcome.ok) st.done++;
        else {
          st.failed++;
          if (tty) process.stderr.write("\n");
          console.error(
            `run ${e.cell.id} ${JSON.stringify(e.cell.params)} seed ${e.cell.seed} failed: ${e.outcome.error} (log: ${store.logFile(e.cell)})`,
          );
        }
        draw();
      }
    },
  });
  draw(true);
  if (tty) process.stderr.write("\n");
  console.error(
    `${summary.done} run, ${summary.skipped} skipped${summary.busyElsewhere ? `, ${summary.busyElsewhere} running in other processes` : ""}, ${summary.failed.length} failed in ${summary.wallSeconds.toFixed(1)} s (${summary.runsPerMinute.toFixed(1)} runs/min)${summary.interrupted ? "; interrupted" : ""}`,
  );
  if (summary.interrupted || ac.signal.aborted) return interruptCode;
  if (summary.busyElsewhere) {
    console.error(
      `${summary.busyElsewhere} cell(s) were running in other processes: run the same command again (or --status) once they finish`,
    );
    return summary.failed.length ? 1 : 0;
  }
  const code = await report();
  return summary.failed.length ? 1 : code;
}

/** Why `folder` (and its locks/ subfolder) cannot take files, or null when it can: tried by writing one. */
function writeProblem(folder: string): string | null {
  try {
    fs.mkdirSync(path.join(folder, "locks"), { recursive: true });
    const probe = path.join(folder, "locks", `.write-test-${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `the results folder ${folder} cannot be written (${err.code ?? "error"}: ${err.message})`;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);

/**
 * Grid throughput (runs per minute) on one small grid (crossbar-ir-drop, 128² arrays, 48 inputs, 4 segment
 * resistances × 3 seeds): in process, with 1 and 2 worker processes, and through Slurm when a
 * cluster answers (SLURM_CONF set or sinfo works). Each engine writes into a fresh store.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GridSpec, ResultStore, expandGrid, gridExperiment, runCells } from "../lib/grid";
import "../lib/experiments"; // registers the grid experiments
import { BenchRecord } from "./harness";

export const suite = "grid";

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const grid: GridSpec = {
    experiment: "crossbar-ir-drop",
    mode: "quick",
    axes: { size: [128], segmentOhm: [1, 3, 10, 30] },
    seeds: quick ? [0, 1] : [0, 1, 2],
    fixed: { inputs: 48, lowOhm: 1e3, highOhm: 1e5 },
  };
  const cells = expandGrid(grid, gridExperiment(grid.experiment).version);
  const out: BenchRecord[] = [];
  const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), "grid-bench-"));
  for (const workers of [0, 1, 2]) {
    const s = await runCells(cells, { store: new ResultStore(fresh()), workers });
    if (s.failed.length) throw new Error(`grid bench: ${s.failed.length} runs failed: ${s.failed[0].error}`);
    const ms = 1000 * s.wallSeconds;
    out.push({
      suite,
      name: `grid ${cells.length} cells, ${workers ? `${workers} worker process${workers > 1 ? "es" : ""}` : "in process"}`,
      params: { cells: cells.length, workers, engine: "local" },
      medianMs: ms,
      minMs: ms,
      repeats: 1,
      extra: { runsPerMinute: +s.runsPerMinute.toFixed(1) },
    });
  }
  const slurm = spawnSync("sinfo", ["-h"], { encoding: "utf8", timeout: 5000 });
  if (slurm.status === 0) {
    const dir = fresh();
    const gridFile = path.join(dir, "grid.json");
    fs.writeFileSync(gridFile, JSON.stringify(grid));
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(__dirname, "..", "scripts", "grid.ts"),
        "--grid",
        gridFile,
        "--results",
        dir,
        "--slurm",
        "--tasks",
        "2",
        "--mem",
        "500M",
        "--time",
        "00:10:00",
        "--wait",
      ],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`grid bench: Slurm run failed:\n${r.stdout}${r.stderr}`);
    const seconds = (Date.now() - t0) / 1000;
    out.push({
      suite,
      name: `grid ${cells.length} cells, Slurm job array (2 tasks) incl. submission and aggregate job`,
      params: { cells: cells.length, tasks: 2, engine: "slurm" },
      medianMs: 1000 * seconds,
      minMs: 1000 * seconds,
      repeats: 1,
      extra: { runsPerMinute: +((60 * cells.length) / seconds).toFixed(1) },
    });
  }
  return out;
}

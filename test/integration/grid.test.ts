// Grids end to end through `npm run grid`: the same aggregate in process, with worker processes and
// through a real single-node Slurm; a worker killed mid-run or a Ctrl-C loses nothing and resumes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  GridSpec,
  ResultStore,
  ResultsDb,
  expandGrid,
  gridExperiment,
  runCells,
  verifyResultFile,
} from "../../lib/grid";
import "../../lib/experiments"; // registers the grid experiments

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "scripts", "grid.ts");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "grid-it-"));
// cells of 0.3–3 s each: slow enough to interrupt, fast enough for CI
const grid: GridSpec = {
  experiment: "crossbar-ir-drop",
  mode: "quick",
  axes: { size: [96], segmentOhm: [1, 3, 10, 30] },
  seeds: [0, 1],
  fixed: { inputs: 16, lowOhm: 1e3, highOhm: 1e5 },
};
const cells = expandGrid(grid, gridExperiment(grid.experiment).version);

function writeGrid(dir: string): string {
  const f = path.join(dir, "grid.json");
  fs.writeFileSync(f, JSON.stringify(grid));
  return f;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
}

async function aggregate(dir: string): Promise<unknown[]> {
  const db = await ResultsDb.open(new ResultStore(dir), grid.experiment, cells);
  try {
    return await db.aggregate({ by: ["segmentOhm"], metrics: ["maxRelativeError"] });
  } finally {
    db.close();
  }
}

/** Every cell present exactly once, verified; no temporary or stray files. */
function assertComplete(dir: string): void {
  const folder = path.join(dir, grid.experiment);
  const files = fs.readdirSync(folder);
  assert.deepEqual(
    files.filter((f) => f.endsWith(".tmp")),
    [],
    "no temporary file may remain",
  );
  const json = files.filter((f) => f.endsWith(".json") && f !== "grid.json");
  assert.deepEqual(json.sort(), cells.map((c) => `${c.id}.json`).sort());
  for (const c of cells) assert.equal(verifyResultFile(path.join(folder, `${c.id}.json`), c).state, "ok");
}

let reference: unknown[] = [];

test("in process and with 2 worker processes: the same aggregate", async () => {
  const a = tmp();
  const s = await runCells(cells, { store: new ResultStore(a) });
  assert.equal(s.done, cells.length);
  reference = await aggregate(a);
  const b = tmp();
  const r = cli(["--grid", writeGrid(b), "--results", b, "--workers", "2", "--aggregate"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`${cells.length} run, 0 skipped, 0 failed`));
  assertComplete(b);
  assert.deepEqual(await aggregate(b), reference);
  const again = cli(["--grid", writeGrid(b), "--results", b, "--workers", "2"]);
  assert.match(again.stderr, new RegExp(`0 run, ${cells.length} skipped`));
});

test("two grid processes on one results directory share the cells through lock files: each cell runs once, none fails", async () => {
  const dir = tmp();
  const file = writeGrid(dir);
  const start = (workers: string) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", CLI, "--grid", file, "--results", dir, "--workers", workers],
      { cwd: ROOT, env: process.env },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise<{ code: number | null; stderr: string }>((r) => child.on("exit", (code) => r({ code, stderr })));
  };
  const [a, b] = await Promise.all([start("1"), start("0")]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const runs = (s: string) => Number(/^(\d+) run, \d+ skipped/m.exec(s)![1]);
  assert.equal(runs(a.stderr) + runs(b.stderr), cells.length, `${a.stderr}\n${b.stderr}`);
  assert.doesNotMatch(a.stderr + b.stderr, /already exists|ENOENT|failed:/);
  const logs = path.join(dir, grid.experiment, "logs");
  for (const f of fs.readdirSync(logs))
    assert.equal(
      (fs.readFileSync(path.join(logs, f), "utf8").match(/started run/g) ?? []).length,
      1,
      `${f} ran more than once`,
    );
  assertComplete(dir);
  assert.deepEqual(fs.readdirSync(path.join(dir, grid.experiment, "locks")), [], "every lock released");
  assert.deepEqual(await aggregate(dir), reference);
});

/** Start the CLI, wait until `pick` finds a run in progress in the logs, then act on it. */
async function interruptMidRun(
  dir: string,
  act: (child: ReturnType<typeof spawn>, workerPid: number) => void,
  workers = 2,
  viaNpm = false,
): Promise<{ code: number | null; stderr: string }> {
  const args = ["--grid", writeGrid(dir), "--results", dir, "--workers", String(workers)];
  const child = viaNpm
    ? spawn("npm", ["run", "--silent", "grid", "--", ...args], { cwd: ROOT, env: process.env })
    : spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env: process.env });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const logs = path.join(dir, grid.experiment, "logs");
  let acted = false;
  const t0 = Date.now();
  while (!acted && Date.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 50));
    if (!fs.existsSync(logs)) continue;
    // a run in progress after at least one finished one
    const texts = fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), "utf8"));
    const running = texts.filter((t) => !/finished|FAILED/.test(t));
    if (texts.length - running.length >= 1 && running.length) {
      const pid = Number(/pid (\d+) started/.exec(running[0])![1]);
      act(child, pid);
      acted = true;
    }
  }
  assert.ok(acted, `no run was caught in progress:\n${stderr}`);
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  // through npm: also wait for every process that shares its output (the grid itself) to end
  if (viaNpm) await new Promise((r) => (child.stderr.readableEnded ? r(null) : child.stderr.on("close", r)));
  return { code, stderr };
}

test("a worker killed mid-run: the run is reported failed, nothing partial is kept, the resumed grid completes", async () => {
  const dir = tmp();
  const r = await interruptMidRun(dir, (_c, pid) => process.kill(pid, "SIGKILL"));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /exited \(SIGKILL\) during the run/);
  const folder = path.join(dir, grid.experiment);
  assert.deepEqual(
    fs.readdirSync(folder).filter((f) => f.endsWith(".tmp")),
    [],
  );
  const present = fs.readdirSync(folder).filter((f) => f.endsWith(".json") && f !== "grid.json");
  assert.ok(present.length < cells.length, "the killed run has no result");
  for (const f of present) assert.equal(verifyResultFile(path.join(folder, f)).state, "ok");
  const resumed = cli(["--grid", writeGrid(dir), "--results", dir, "--workers", "2"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`${cells.length - present.length} run, ${present.length} skipped, 0 failed`));
  assertComplete(dir);
  assert.deepEqual(await aggregate(dir), reference);
});

test("Ctrl-C stops the grid cleanly (exit 130, no partial result) and the same command resumes it", async () => {
  const dir = tmp();
  const r = await interruptMidRun(dir, (c) => c.kill("SIGINT"));
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupt: stopping workers/);
  const folder = path.join(dir, grid.experiment);
  assert.deepEqual(
    fs.readdirSync(folder).filter((f) => f.endsWith(".tmp")),
    [],
  );
  const resumed = cli(["--grid", writeGrid(dir), "--results", dir, "--workers", "1"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assertComplete(dir);
  assert.deepEqual(await aggregate(dir), reference);
});

test("in one process (--workers 0, as in the Slurm array scripts) SIGTERM stops the grid within the run in progress (exit 143) and the same command resumes it", async () => {
  const dir = tmp();
  const r = await interruptMidRun(dir, (c) => c.kill("SIGTERM"), 0);
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /SIGTERM: stopping the runs in progress/);
  const folder = path.join(dir, grid.experiment);
  assert.deepEqual(
    fs.readdirSync(folder).filter((f) => f.endsWith(".tmp")),
    [],
  );
  const done = fs.readdirSync(folder).filter((f) => f.endsWith(".json")).length;
  assert.ok(done < cells.length, `stopped early: ${done} of ${cells.length} runs done`);
  const resumed = cli(["--grid", writeGrid(dir), "--results", dir, "--workers", "0"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assertComplete(dir);
  assert.deepEqual(await aggregate(dir), reference);
});

test("SIGTERM to the npm process (npm run grid) stops the grid and its workers: no orphan, nothing partial, the interrupted run is not a failure", async () => {
  const dir = tmp();
  const r = await interruptMidRun(dir, (c) => c.kill("SIGTERM"), 1, true);
  assert.match(r.stderr, /SIGTERM: stopping the runs in progress/, "the grid itself received the signal");
  assert.doesNotMatch(r.stderr, /failed:/, "the run stopped by the signal is not reported as failed");
  const logs = path.join(dir, grid.experiment, "logs");
  const pids = fs
    .readdirSync(logs)
    .map((f) => Number(/pid (\d+) started/.exec(fs.readFileSync(path.join(logs, f), "utf8"))![1]));
  await new Promise((res) => setTimeout(res, 1500));
  const alive = [...new Set(pids)].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, [], "grid workers outlived the npm process");
  const folder = path.join(dir, grid.experiment);
  assert.deepEqual(
    fs.readdirSync(folder).filter((f) => f.endsWith(".tmp")),
    [],
  );
  const present = fs.readdirSync(folder).filter((f) => f.endsWith(".json") && f !== "grid.json").length;
  assert.ok(present < cells.length, `stopped early: ${present} of ${cells.length} runs done`);
  const resumed = cli(["--grid", writeGrid(dir), "--results", dir, "--workers", "1"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assertComplete(dir);
});

test("workers of a grid process killed with SIGKILL exit by themselves (no orphans) once their run ends", async () => {
  const dir = tmp();
  let workerPid = 0,
    later = "";
  let ended: Promise<void> = Promise.resolve();
  const r = await interruptMidRun(dir, (c, pid) => {
    workerPid = pid;
    // the workers share the grid's stderr: read it until the last of them has closed it
    c.stderr!.on("data", (d) => (later += d));
    ended = new Promise((res) => c.stderr!.on("close", () => res()));
    c.kill("SIGKILL");
  });
  assert.equal(r.code, null, "the grid process was killed");
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const t0 = Date.now();
  while (alive(workerPid) && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 100));
  assert.equal(alive(workerPid), false, `worker ${workerPid} still runs 20 s after its grid process died`);
  await ended;
  assert.doesNotMatch(
    later,
    /EPIPE|ERR_IPC_CHANNEL_CLOSED|Error/,
    "a worker that outlives its grid process exits quietly",
  );
});

test("relative --results and --export are the caller's (npm's INIT_CWD), and --results receives every file a run writes", async () => {
  const user = tmp();
  const r = cli(
    ["--grid", writeGrid(user), "--results", "out", "--workers", "0", "--aggregate", "--export", "agg.csv"],
    { INIT_CWD: user, CROSSBAR_LAB_RESULTS_DIR: path.join(user, "elsewhere") },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(user, "out", grid.experiment)), "results under the caller's folder");
  assert.ok(fs.existsSync(path.join(user, "agg.csv")), "export under the caller's folder");
  assert.ok(
    !fs.existsSync(path.join(user, "elsewhere")),
    "nothing written to $CROSSBAR_LAB_RESULTS_DIR when --results is given",
  );
  assert.ok(
    !fs.existsSync(path.join(ROOT, "out")) && !fs.existsSync(path.join(ROOT, "agg.csv")),
    "nothing in the repository root",
  );
});

test("CLI errors name the problem", () => {
  assert.match(cli(["nope"]).stderr, /unknown grid experiment "nope"/);
  assert.match(cli(["crossbar-ir-drop", "--axis", "colour=red"]).stderr, /"colour" is not an axis/);
  assert.match(cli(["crossbar-ir-drop", "--workers", "-1"]).stderr, /--workers must be an integer >= 0/);
  assert.match(cli(["crossbar-ir-drop", "--frobnicate"]).stderr, /unknown option "--frobnicate"/);
  assert.match(cli(["--grid", "/nonexistent/grid.json"]).stderr, /grid file \/nonexistent\/grid.json not found/);
  for (const seeds of ["", "-1", "1.5", "0,,1"])
    assert.match(
      cli(["crossbar-ir-drop", "--seeds", seeds, "--status"]).stderr,
      /--seeds needs whole numbers >= 0 separated by commas|--seeds needs a value/,
      `--seeds "${seeds}"`,
    );
  assert.match(
    cli(["crossbar-ir-drop", "--workers", "-5", "--status"]).stderr,
    /--workers must be an integer >= 0, got "-5"/,
  );
  assert.match(
    cli(["crossbar-ir-drop", "--aggregate", "--by", "nosuch"]).stderr,
    /--by: nosuch is not a parameter of this grid; use size, segmentOhm/,
  );
  // a results folder that cannot take files: one line naming it, exit 2, no stack trace
  const notADir = path.join(tmp(), "file");
  fs.writeFileSync(notADir, "");
  const ro = cli(["crossbar-ir-drop", "--results", path.join(notADir, "results"), "--seeds", "0"]);
  assert.equal(ro.status, 2);
  assert.match(ro.stderr, /the results folder .* cannot be written \(ENOTDIR/);
  assert.doesNotMatch(ro.stderr, /\n\s+at /, "no stack trace");
  assert.equal(cli(["--help"]).status, 0);
  const dry = cli(["crossbar-ir-drop", "--slurm", "--dry-run", "--tasks", "4", "--partition", "short"]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /#SBATCH --array=0-3/);
});

// A real single-node Slurm (Debian slurm-wlm + munge): CI installs it and sets CROSSBAR_LAB_REQUIRE_SLURM=1.
const haveSlurm =
  spawnSync("sh", ["-c", "command -v sbatch && command -v slurmctld && command -v munged"]).status === 0 &&
  process.getuid?.() === 0;
const requireSlurm = process.env.CROSSBAR_LAB_REQUIRE_SLURM === "1";
test(
  "through a real Slurm job array: every cell present, aggregate equal to the local run",
  {
    skip: !haveSlurm && !requireSlurm ? "slurm-wlm/munge not installed or not root (CI installs them)" : false,
    timeout: 300_000,
  },
  async () => {
    assert.ok(haveSlurm, "CROSSBAR_LAB_REQUIRE_SLURM=1 but sbatch/slurmctld/munged are missing or not root");
    // a live process of that name (zombies, which an init that never reaps may keep, do not count)
    const running = (name: string) =>
      fs.readdirSync("/proc").some((pid) => {
        if (!/^\d+$/.test(pid)) return false;
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
          return stat.includes(`(${name}) `) && !/\) Z /.test(stat);
        } catch {
          return false;
        }
      });
    const before = new Map(["munged", "slurmctld", "slurmd"].map((d) => [d, running(d)]));
    const slurmDir = tmp();
    const start = spawnSync(path.join(ROOT, "scripts", "slurm-local.sh"), ["start"], {
      encoding: "utf8",
      env: { ...process.env, CROSSBAR_SLURM_DIR: slurmDir },
      timeout: 60_000,
    });
    assert.equal(start.status, 0, `single-node Slurm did not start:\n${start.stdout}${start.stderr}`);
    const SLURM_CONF = /export SLURM_CONF=(\S+)/.exec(start.stdout)![1];
    try {
      const dir = tmp();
      fs.chmodSync(dir, 0o777);
      const t0 = Date.now();
      const r = cli(
        [
          "--grid",
          writeGrid(dir),
          "--results",
          dir,
          "--slurm",
          "--tasks",
          "3",
          "--cpus",
          "1",
          "--mem",
          "500M",
          "--time",
          "00:10:00",
          "--wait",
        ],
        { SLURM_CONF },
      );
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /array job \d+, aggregate job \d+/);
      console.log(
        `slurm: ${cells.length} cells in ${seconds.toFixed(1)} s (${((60 * cells.length) / seconds).toFixed(1)} runs/min)`,
      );
      assertComplete(dir);
      assert.deepEqual(await aggregate(dir), reference);
      const folder = fs
        .readdirSync(path.join(dir, grid.experiment, "slurm"))
        .map((f) => path.join(dir, grid.experiment, "slurm", f))[0];
      assert.ok(
        fs.readdirSync(folder).filter((f) => /^task-\d+_\d\.out$/.test(f)).length === 3,
        "one log per array task",
      );
      assert.match(fs.readFileSync(path.join(folder, "aggregate.csv"), "utf8"), /segmentOhm/);
    } finally {
      spawnSync(path.join(ROOT, "scripts", "slurm-local.sh"), ["stop"], {
        env: { ...process.env, CROSSBAR_SLURM_DIR: slurmDir },
      });
    }
    // nothing the test started is left running
    for (const [daemon, wasRunning] of before) {
      if (!wasRunning) assert.ok(!running(daemon), `${daemon} is still running after slurm-local.sh stop`);
    }
  },
);

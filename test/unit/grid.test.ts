// Grids as data, the results store (atomic, verified, immutable), DuckDB aggregation and Slurm scripts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { claimLock, releaseLock, staleAfterMs } from "../../lib/grid/locks";
import "../../lib/experiments"; // registers the grid experiments
import {
  GridSpec,
  ResultStore,
  ResultsDb,
  expandGrid,
  gridExperiment,
  gridExperiments,
  registerExperiment,
  makeCell,
  progressLine,
  runCells,
  shardCells,
  slurmScripts,
  stableHash,
  toDataFrame,
  verifyResultFile,
  SLURM_DEFAULTS,
} from "../../lib/grid";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "grid-"));
const grid: GridSpec = {
  experiment: "crossbar-ir-drop",
  mode: "quick",
  axes: { size: [8, 12], segmentOhm: [0, 1, 5] },
  seeds: [0, 1, 2],
  fixed: { inputs: 3, lowOhm: 1e3, highOhm: 1e5 },
};

test("cells: cartesian product × seeds, stable ids that change with every part of the identity", () => {
  const cells = expandGrid(grid, "1");
  assert.equal(cells.length, 2 * 3 * 3);
  assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
  assert.deepEqual(
    expandGrid(grid, "1").map((c) => c.id),
    cells.map((c) => c.id),
  );
  const base = { experiment: "e", codeVersion: "1", mode: "quick" as const, seed: 0, params: { a: 1, b: "x" } };
  const id = makeCell(base).id;
  assert.equal(makeCell({ ...base, params: { b: "x", a: 1 } }).id, id, "key order must not matter");
  for (const change of [
    { seed: 1 },
    { codeVersion: "2" },
    { mode: "full" as const },
    { params: { a: 2, b: "x" } },
    { experiment: "f" },
  ])
    assert.notEqual(makeCell({ ...base, ...change }).id, id);
  assert.equal(stableHash({ x: [1, 2] }), stableHash({ x: [1, 2] }));
  assert.throws(() => stableHash({ x: NaN }), /non-finite/);
});

test("grid validation names the problem", () => {
  assert.throws(() => expandGrid({ ...grid, seeds: [] }, "1"), /at least one seed/);
  assert.throws(() => expandGrid({ ...grid, seeds: [0, 0] }, "1"), /duplicate seeds/);
  assert.throws(() => expandGrid({ ...grid, axes: { size: [] } }, "1"), /axis "size" has no values/);
  assert.throws(() => expandGrid({ ...grid, axes: { size: [8, 8] } }, "1"), /duplicate values/);
  assert.throws(() => expandGrid({ ...grid, mode: "fast" as never }, "1"), /unknown mode "fast"/);
  assert.throws(() => expandGrid({ ...grid, axes: { inputs: [1] } }, "1"), /both an axis and a fixed/);
  assert.throws(() => gridExperiment("nope"), /unknown grid experiment "nope"/);
});

test("experiments register themselves: the grid package imports no experiment, names are unique, and a worker loads the registering module", () => {
  const gridDir = path.join(__dirname, "..", "..", "lib", "grid");
  for (const f of fs.readdirSync(gridDir).filter((x) => x.endsWith(".ts"))) {
    const src = fs.readFileSync(path.join(gridDir, f), "utf8");
    assert.doesNotMatch(
      src,
      /from "\.\.\/experiments|require\("\.\.\/experiments/,
      `lib/grid/${f} imports an experiment`,
    );
  }
  const names = gridExperiments().map((e) => e.name);
  for (const n of ["crossbar-ir-drop", "drolet-transfer", "joksas", "joksas-robustness"])
    assert.ok(names.includes(n), `${n} is registered`);
  for (const e of gridExperiments()) assert.ok(fs.existsSync(e.module), `${e.name}: its module ${e.module} exists`);
  const e = gridExperiment("crossbar-ir-drop");
  assert.equal(registerExperiment(e), e, "registering the same object again is a no-op");
  assert.throws(() => registerExperiment({ ...e }), /"crossbar-ir-drop" is already registered \(from .*crossbar-study/);
  assert.throws(() => registerExperiment({ ...e, name: "Bad Name" }), /must be lower-case letters, digits and dashes/);
  assert.throws(() => registerExperiment({ ...e, name: "no-module", module: "" }), /needs its module file/);
  // a process that has not imported the experiments finds one through the module a cell's runner names
  const script = `const r = require(${JSON.stringify(path.join(gridDir, "registry.ts"))}); try { r.gridExperiment("drolet-transfer"); console.log("registered?"); } catch (err) { console.log("not yet"); } console.log(r.gridExperiment("drolet-transfer", ${JSON.stringify(gridExperiment("drolet-transfer").module)}).name);`;
  const out = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8" });
  assert.equal(out.stdout.trim(), "not yet\ndrolet-transfer", out.stderr);
});

test("shards are disjoint, cover the grid and stay balanced", () => {
  const cells = expandGrid(grid, "1");
  const shards = [0, 1, 2, 3].map((k) => shardCells(cells, k, 4));
  assert.deepEqual(
    shards
      .flat()
      .map((c) => c.id)
      .sort(),
    cells.map((c) => c.id).sort(),
  );
  assert.ok(Math.max(...shards.map((s) => s.length)) - Math.min(...shards.map((s) => s.length)) <= 1);
  assert.throws(() => shardCells(cells, 4, 4), /shard index/);
  assert.throws(() => shardCells(cells, 0, 0), /shard count/);
});

test("store: atomic immutable writes; truncated, tampered and misplaced files are detected as corrupt", () => {
  const store = new ResultStore(tmp());
  const [a, b] = expandGrid(grid, "1");
  assert.equal(store.check(a).state, "missing");
  const t = { startedAt: new Date(0), finishedAt: new Date(1500), gitCommit: "abc" };
  const r = store.write(a, { metrics: { err: 0.25 } }, t);
  assert.equal(r.wallSeconds, 1.5);
  assert.equal(store.check(a).state, "ok");
  assert.deepEqual(
    fs.readdirSync(store.folder(a.experiment)).filter((f) => f.endsWith(".tmp")),
    [],
    "no temporary file left",
  );
  assert.throws(() => store.write(a, { metrics: { err: 0.3 } }, t), /immutable/);
  assert.throws(() => store.write(b, { metrics: { err: NaN } }, t), /metric "err" is NaN/);
  const f = store.file(a);
  const text = fs.readFileSync(f, "utf8");
  fs.writeFileSync(f, text.slice(0, text.length / 2));
  assert.match((store.check(a) as { reason: string }).reason, /not valid JSON/);
  fs.writeFileSync(f, text.replace('"err":0.25', '"err":0.2'));
  assert.match((store.check(a) as { reason: string }).reason, /checksum/);
  fs.writeFileSync(store.file(b), text);
  assert.match((store.check(b) as { reason: string }).reason, /expected/);
  const moved = store.quarantine(a);
  assert.ok(fs.existsSync(moved) && !fs.existsSync(f));
  assert.equal(verifyResultFile(moved).state, "corrupt");
  // stale temporary files of these runs are removed, others' are kept
  fs.writeFileSync(path.join(store.folder(a.experiment), `.${a.id}.1.2.tmp`), "{");
  fs.writeFileSync(path.join(store.folder(a.experiment), `.${b.id}.1.2.tmp`), "{");
  assert.equal(store.cleanTemporary(a.experiment, { ids: new Set([a.id]) }).length, 1);
  assert.equal(store.cleanTemporary(a.experiment, { olderThanMs: 0 }).length, 1);
});

test("runCells in process: runs, resumes, re-runs corrupt results; DuckDB medians/IQR equal those computed by hand", async () => {
  const store = new ResultStore(tmp());
  const cells = expandGrid(grid, gridExperiment("crossbar-ir-drop").version);
  const first = await runCells(cells, { store });
  assert.equal(first.done, cells.length);
  assert.equal(first.failed.length, 0);
  const again = await runCells(cells, { store });
  assert.equal(again.skipped, cells.length);
  assert.equal(again.done, 0);
  fs.writeFileSync(store.file(cells[3]), '{"schema":');
  const events: string[] = [];
  const third = await runCells(cells, { store, onEvent: (e) => events.push(e.type) });
  assert.equal(third.done, 1);
  assert.ok(events.includes("start") && events.includes("end"));

  const results = store.readAll(cells);
  const db = await ResultsDb.open(store, "crossbar-ir-drop", cells);
  try {
    const rows = await db.aggregate({ by: ["size", "segmentOhm"], metrics: ["maxRelativeError"] });
    assert.equal(rows.length, 6);
    for (const row of rows) {
      const xs = results
        .filter((r) => r.params.size === row.size && r.params.segmentOhm === row.segmentOhm)
        .map((r) => r.metrics.maxRelativeError as number)
        .sort((p, q) => p - q);
      assert.equal(row.n, 3);
      assert.ok(Math.abs((row.maxRelativeError_median as number) - xs[1]) <= 1e-15 * Math.max(1, xs[1]));
      assert.ok(Math.abs((row.maxRelativeError_q1 as number) - (xs[0] + xs[1]) / 2) <= 1e-12);
      assert.ok(Math.abs((row.maxRelativeError_q3 as number) - (xs[1] + xs[2]) / 2) <= 1e-12);
    }
    // ideal wires: the exact solution is the ideal product
    for (const row of rows.filter((r) => r.segmentOhm === 0)) assert.ok((row.maxRelativeError_median as number) < 1e-9);
    const dir = tmp();
    await db.export(db.aggregateSql({ by: ["size"], metrics: ["maxRelativeError"] }), path.join(dir, "agg.csv"));
    await db.export("SELECT id, seed, metrics.maxRelativeError AS e FROM runs", path.join(dir, "runs.parquet"));
    assert.equal(fs.readFileSync(path.join(dir, "agg.csv"), "utf8").trim().split("\n").length, 3);
    const back = await db.query(`SELECT count(*) AS n, sum(e) AS s FROM '${path.join(dir, "runs.parquet")}'`);
    assert.equal(back[0].n, cells.length);
    await assert.rejects(db.export("SELECT 1", path.join(dir, "x.xlsx")), /\.parquet or \.csv/);
    const df = toDataFrame(rows);
    assert.deepEqual(df.shape, [6, 6]);
    assert.ok(df.columns.includes("maxRelativeError_median"));
  } finally {
    db.close();
  }
  await assert.rejects(ResultsDb.open(new ResultStore(tmp()), "crossbar-ir-drop"), /no verified results/);
});

test("a failing run is reported with its error and leaves no result", async () => {
  const store = new ResultStore(tmp());
  const bad = expandGrid({ ...grid, axes: { size: [8], segmentOhm: [-1] }, seeds: [0] }, "1");
  const s = await runCells(bad, { store });
  assert.equal(s.failed.length, 1);
  assert.match(s.failed[0].error, /segmentOhm must be >= 0/);
  assert.equal(store.check(bad[0]).state, "missing");
  assert.match(fs.readFileSync(store.logFile(bad[0]), "utf8"), /FAILED/);
});

test("Slurm scripts: array over shards, dependent aggregate, options checked", () => {
  const s = slurmScripts(grid, 18, "/repo", "/shared/results", {
    ...SLURM_DEFAULTS,
    partition: "cpu",
    tasks: 5,
    maxParallel: 2,
    time: "02:00:00",
    memPerTask: "8G",
    cpusPerTask: 2,
    setup: ["module load nodejs"],
  });
  assert.match(s.array, /#SBATCH --array=0-4%2/);
  assert.match(s.array, /#SBATCH --partition=cpu/);
  assert.match(s.array, /#SBATCH --cpus-per-task=2/);
  assert.match(s.array, /#SBATCH --mem=8G/);
  assert.match(s.array, /--shard "\$SLURM_ARRAY_TASK_ID\/\$SLURM_ARRAY_TASK_COUNT"/);
  assert.match(s.array, /module load nodejs\ncd '\/repo'/);
  assert.match(s.aggregate, /--check --aggregate/);
  assert.equal(slurmScripts(grid, 3, "/r", "/s", { ...SLURM_DEFAULTS, tasks: 10 }).tasks, 3);
  assert.throws(() => slurmScripts(grid, 3, "/r", "/s", { ...SLURM_DEFAULTS, time: "soon" }), /not a Slurm time/);
  assert.throws(() => slurmScripts(grid, 3, "/r", "/s", { ...SLURM_DEFAULTS, memPerTask: "lots" }), /not a Slurm size/);
  assert.throws(
    () => slurmScripts(grid, 3, "/r", "/s", { ...SLURM_DEFAULTS, partition: "a;rm -rf" }),
    /not a valid partition/,
  );
});

test("progress line: counts and ETA", () => {
  const l = progressLine({ total: 10, skipped: 2, done: 3, failed: 1, running: 2, elapsedSeconds: 8 }, 10);
  assert.match(l, /^\[######\.\.\.\.\] 6\/10 \(3 run, 2 skipped, 1 failed, 2 running\), ETA 8 s$/);
});

test("cell locks: exclusive, released by their holder, taken over when the holder is gone", () => {
  const dir = tmp();
  const a = claimLock(dir, "cell1");
  assert.ok(a.claimed);
  const b = claimLock(dir, "cell1");
  assert.ok(!b.claimed && b.holder.pid === process.pid, "a live holder keeps its lock");
  releaseLock(a.file);
  assert.ok(!fs.existsSync(a.file));
  // a lock of a process that has exited (same host) is stale
  const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
  fs.writeFileSync(
    path.join(dir, "cell2.lock"),
    JSON.stringify({ host: os.hostname(), pid: dead, startedAt: "earlier" }),
  );
  const c = claimLock(dir, "cell2");
  assert.ok(c.claimed && c.tookOver && c.tookOver !== "unreadable" && c.tookOver.pid === dead);
  // another host's lock: kept while fresh, taken over once older than the stale limit
  const f3 = path.join(dir, "cell3.lock");
  fs.writeFileSync(f3, JSON.stringify({ host: "other-node", pid: 1, startedAt: "now" }));
  assert.ok(!claimLock(dir, "cell3").claimed);
  const old = new Date(Date.now() - 3 * 3600e3);
  fs.utimesSync(f3, old, old);
  assert.ok(claimLock(dir, "cell3", { staleAfterMs: 3600e3 }).claimed);
  // releasing a lock another process holds leaves it alone
  const f4 = path.join(dir, "cell4.lock");
  fs.writeFileSync(f4, JSON.stringify({ host: "other-node", pid: 1, startedAt: "now" }));
  releaseLock(f4);
  assert.ok(fs.existsSync(f4));
  assert.throws(() => staleAfterMs({ CROSSBAR_LAB_LOCK_STALE_HOURS: "-1" }), /positive number of hours/);
});

test("runCells skips a cell another process holds (not failed) and one finished meanwhile", async () => {
  const store = new ResultStore(tmp());
  const cells = expandGrid(
    { ...grid, axes: { size: [8], segmentOhm: [0, 1, 5] }, seeds: [0] },
    gridExperiment(grid.experiment).version,
  );
  const lockDir = path.join(store.folder(grid.experiment), "locks");
  fs.mkdirSync(lockDir, { recursive: true });
  fs.writeFileSync(
    path.join(lockDir, `${cells[0].id}.lock`),
    JSON.stringify({ host: "other-node", pid: 1, startedAt: "now" }),
  );
  const events: string[] = [];
  const s = await runCells(cells, {
    store,
    onEvent: (e) => {
      if (e.type === "run-skip") events.push(e.reason);
    },
  });
  assert.equal(s.done, 2);
  assert.equal(s.failed.length, 0);
  assert.equal(s.busyElsewhere, 1);
  assert.match(events[0], /running in another process \(host other-node, pid 1/);
  assert.equal(store.check(cells[0]).state, "missing");
  assert.deepEqual(fs.readdirSync(lockDir), [`${cells[0].id}.lock`], "this process's locks are released");
  // once the other process has written the result, the cell counts as skipped
  fs.rmSync(path.join(lockDir, `${cells[0].id}.lock`));
  const again = await runCells(cells, { store });
  assert.deepEqual([again.skipped, again.done, again.busyElsewhere], [2, 1, 0]);
});

test("runCells with thread: true runs cells in a worker thread; an abort ends the run in progress, which is neither done nor failed", async () => {
  const store = new ResultStore(tmp());
  const cells = expandGrid(
    { ...grid, axes: { size: [8], segmentOhm: [1] }, seeds: [0, 1] },
    gridExperiment(grid.experiment).version,
  );
  const ok = await runCells(cells.slice(0, 1), { store, thread: true });
  assert.deepEqual([ok.done, ok.failed.length], [1, 0]);
  assert.equal(store.check(cells[0]).state, "ok");
  const ac = new AbortController();
  const t0 = Date.now();
  const pending = runCells(cells.slice(1), {
    store,
    thread: true,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === "run-start") ac.abort();
    },
  });
  const s = await pending;
  assert.ok(s.interrupted);
  assert.deepEqual([s.done, s.failed.length], [0, 0]);
  assert.equal(store.check(cells[1]).state, "missing");
  assert.deepEqual(fs.readdirSync(path.join(store.folder(grid.experiment), "locks")), []);
  assert.ok(Date.now() - t0 < 10_000);
});

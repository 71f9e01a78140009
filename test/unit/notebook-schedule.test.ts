// Notebooks two at a time: never more than `jobs` at once, each after the notebooks it reuses, a failure
// stopping its dependents, and bad schedules refused before anything starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { DependencyFailedError, notebookAfter, schedule } from "../../lib/notebook/schedule";
import { ROOT } from "../../scripts/jupyter-env";

const tick = () => new Promise((r) => setTimeout(r, 1));

test("at most `jobs` run at once, each starts only after the notebooks it comes after", async () => {
  const after: Record<string, string[]> = { a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: [] };
  let running = 0,
    most = 0;
  const log: string[] = [];
  const runs = schedule(
    ["a", "b", "c", "d", "e"],
    (n) => after[n],
    2,
    async (n) => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${n}`);
      await tick();
      log.push(`end ${n}`);
      running--;
      return n.toUpperCase();
    },
  );
  assert.deepEqual(await Promise.all([...runs.values()]), ["A", "B", "C", "D", "E"]);
  assert.equal(most, 2);
  const at = (s: string) => log.indexOf(s);
  assert.ok(at("end a") < at("start b") && at("end a") < at("start c"));
  assert.ok(at("end b") < at("start d") && at("end c") < at("start d"));
  assert.ok(at("start e") < at("start b"), "a ready notebook fills the free slot");
});

test("with one job they run in the given order, one at a time", async () => {
  const log: string[] = [];
  await Promise.all(
    schedule(
      ["x", "y", "z"],
      () => [],
      1,
      async (n) => void log.push(n),
    ).values(),
  );
  assert.deepEqual(log, ["x", "y", "z"]);
});

test("a failure stops its dependents, not the others; names outside the run are ignored", async () => {
  const started: string[] = [];
  const runs = schedule(
    ["a", "b", "c"],
    (n) => (n === "b" ? ["a", "not-in-this-run"] : []),
    2,
    async (n) => {
      started.push(n);
      if (n === "a") throw new Error("a broke");
    },
  );
  await assert.rejects(runs.get("a")!, /a broke/);
  await assert.rejects(
    runs.get("b")!,
    (e: unknown) => e instanceof DependencyFailedError && /b was not run: a/.test(e.message),
  );
  await runs.get("c");
  assert.deepEqual(started.sort(), ["a", "c"]);
});

test("cycles, duplicate names and bad job counts are refused before anything runs", () => {
  const run = async () => assert.fail("nothing may start");
  assert.throws(() => schedule(["a", "b"], (n) => (n === "a" ? ["b"] : ["a"]), 2, run), /cycle: a → b → a/);
  assert.throws(() => schedule(["a", "a"], () => [], 2, run), /listed twice/);
  for (const j of [0, 1.5, NaN]) assert.throws(() => schedule(["a"], () => [], j, run), /jobs must be an integer >= 1/);
});

test("the notebooks' own order is acyclic and names notebooks that exist", () => {
  const dir = path.join(ROOT, "notebooks");
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.replace(/\.ipynb$/, ""));
  for (const n of names)
    for (const d of notebookAfter(path.join(dir, `${n}.ipynb`))) assert.ok(names.includes(d), `${n}: ${d}`);
  assert.deepEqual(notebookAfter(path.join(dir, "03-energy-efficiency.ipynb")), ["02-joksas-iv-nonlinearity"]);
  schedule(
    names,
    (n) => notebookAfter(path.join(dir, `${n}.ipynb`)),
    2,
    async () => undefined,
  );
});

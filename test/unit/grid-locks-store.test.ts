// Cell locks and the results store at their edges: staleness rules, takeover, release, touch; result
// bodies read back field by field; temporary-file cleaning; every corrupt-file reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import {
  DEFAULT_STALE_HOURS,
  bootId,
  claimLock,
  heldLocks,
  isStale,
  processStart,
  releaseLock,
  staleAfterMs,
  touchLock,
} from "../../lib/grid/locks";
import { RESULT_SCHEMA, ResultStore, verifyResultFile } from "../../lib/grid/store";
import { makeCell } from "../../lib/grid/grid";
import { stableHash } from "../../lib/grid/hash";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "crossbar-locks-"));
const HOUR = 3600e3;
/** A pid that existed and has exited. */
const deadPid = (() => {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
})();
const writeLock = (file: string, info: unknown, ageMs = 0) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof info === "string" ? info : JSON.stringify(info));
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(file, t, t);
};

test("staleness limit: a week by default, CROSSBAR_LAB_LOCK_STALE_HOURS in hours, anything else refused", () => {
  assert.equal(DEFAULT_STALE_HOURS, 168);
  assert.equal(staleAfterMs({}), 168 * HOUR);
  assert.equal(staleAfterMs({ CROSSBAR_LAB_LOCK_STALE_HOURS: "" }), 168 * HOUR);
  assert.equal(staleAfterMs({ CROSSBAR_LAB_LOCK_STALE_HOURS: "2" }), 2 * HOUR);
  assert.equal(staleAfterMs({ CROSSBAR_LAB_LOCK_STALE_HOURS: "0.5" }), 0.5 * HOUR);
  for (const bad of ["0", "-1", "abc", "NaN"])
    assert.throws(
      () => staleAfterMs({ CROSSBAR_LAB_LOCK_STALE_HOURS: bad }),
      new RegExp(`CROSSBAR_LAB_LOCK_STALE_HOURS="${bad}" must be a positive number of hours`),
    );
});

test("isStale: gone file; same host by pid (and age); other hosts and unreadable locks by age, with strict limits", () => {
  const dir = tmp(),
    f = path.join(dir, "a.lock");
  assert.equal(isStale(path.join(dir, "none.lock"), null), true, "a vanished lock is stale");
  const me = { host: os.hostname(), pid: process.pid, startedAt: "x" };
  writeLock(f, me);
  const mtime = fs.statSync(f).mtimeMs;
  assert.equal(isStale(f, me, { staleAfterMs: HOUR, now: mtime }), false, "own live process, fresh");
  assert.equal(isStale(f, me, { staleAfterMs: HOUR, now: mtime + HOUR }), false, "exactly at the limit is not stale");
  assert.equal(
    isStale(f, me, { staleAfterMs: HOUR, now: mtime + HOUR + 1 }),
    true,
    "a live pid's lock untouched beyond the limit is stale",
  );
  assert.equal(
    isStale(f, { ...me, pid: deadPid }, { staleAfterMs: HOUR, now: mtime }),
    true,
    "a dead pid on this host is stale at once",
  );
  const other = { host: `not-${os.hostname()}`, pid: deadPid, startedAt: "x" };
  assert.equal(
    isStale(f, other, { staleAfterMs: HOUR, now: mtime + HOUR }),
    false,
    "another host: only age counts (a remote pid cannot be probed)",
  );
  assert.equal(isStale(f, other, { staleAfterMs: HOUR, now: mtime + HOUR + 1 }), true);
  // unreadable (half-written) lock: a minute of grace, or the staleness limit if that is shorter
  assert.equal(isStale(f, null, { staleAfterMs: HOUR, now: mtime + 60e3 }), false);
  assert.equal(isStale(f, null, { staleAfterMs: HOUR, now: mtime + 60e3 + 1 }), true);
  assert.equal(isStale(f, null, { staleAfterMs: 10e3, now: mtime + 20e3 }), true);
  assert.equal(isStale(f, null, { staleAfterMs: HOUR }), false, "default now: the lock was just written");
  assert.equal(isStale(f, other, {}), false, "default limit: a week");
});

test("claimLock: exclusive; a live holder is reported; stale, dead and unreadable locks are taken over and say so; bad ids are errors", () => {
  const dir = tmp();
  const first = claimLock(dir, "c1");
  assert.deepEqual(first, { claimed: true, file: path.join(dir, "c1.lock") });
  const info = JSON.parse(fs.readFileSync(first.file, "utf8"));
  assert.equal(info.host, os.hostname());
  assert.equal(info.pid, process.pid);
  assert.ok(!Number.isNaN(Date.parse(info.startedAt)));
  const second = claimLock(dir, "c1");
  assert.equal(second.claimed, false);
  if (!second.claimed) assert.deepEqual(second.holder, info);
  const dead = { host: os.hostname(), pid: deadPid, startedAt: "2026-01-01T00:00:00.000Z" };
  writeLock(path.join(dir, "c2.lock"), dead);
  const took = claimLock(dir, "c2");
  assert.equal(took.claimed, true);
  if (took.claimed) assert.deepEqual(took.tookOver, dead);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "c2.lock"), "utf8")).pid, process.pid);
  assert.ok(!fs.readdirSync(dir).some((n) => n.includes(".stale-")), "the moved-aside lock is removed");
  for (const garbage of [
    "{not json",
    JSON.stringify({ host: "h", pid: 1.5, startedAt: "s" }),
    JSON.stringify({ host: 7, pid: 1, startedAt: "s" }),
    JSON.stringify({ host: "h", pid: 1 }),
  ]) {
    const id = `g${stableHash(garbage, 8)}`;
    writeLock(path.join(dir, `${id}.lock`), garbage);
    const fresh = claimLock(dir, id);
    assert.equal(fresh.claimed, false, `a fresh unreadable lock (${garbage}) is being written: not taken`);
    if (!fresh.claimed) assert.deepEqual(fresh.holder, { host: "unknown", pid: -1, startedAt: "being written" });
    writeLock(path.join(dir, `${id}.lock`), garbage, 2 * 60e3);
    const old = claimLock(dir, id);
    assert.equal(old.claimed, true);
    if (old.claimed) assert.equal(old.tookOver, "unreadable");
  }
  const far = { host: "elsewhere", pid: 1, startedAt: "s" };
  writeLock(path.join(dir, "c3.lock"), far, 3 * HOUR);
  assert.equal(claimLock(dir, "c3").claimed, false, "another host's lock within the default week");
  const short = claimLock(dir, "c3", { staleAfterMs: 2 * HOUR });
  assert.equal(short.claimed, true);
  if (short.claimed) assert.deepEqual(short.tookOver, far);
  // the system error is kept as the cause
  assert.throws(
    () => claimLock(dir, "sub/dir"),
    (e: Error) =>
      /cannot create lock .*sub\/dir\.lock/.test(e.message) && (e.cause as NodeJS.ErrnoException).code === "ENOENT",
  );
});

test("releaseLock removes only this process's (or an unreadable) lock; touchLock refreshes the time and ignores a vanished lock", () => {
  const dir = tmp();
  const mine = claimLock(dir, "m");
  releaseLock(mine.file);
  assert.equal(fs.existsSync(mine.file), false);
  for (const holder of [
    { host: os.hostname(), pid: deadPid, startedAt: "s" },
    { host: "elsewhere", pid: process.pid, startedAt: "s" },
  ]) {
    const f = path.join(dir, `o${holder.pid}${holder.host.length}.lock`);
    writeLock(f, holder);
    releaseLock(f);
    assert.equal(fs.existsSync(f), true, `${holder.host}/${holder.pid}: another process's lock stays`);
  }
  const bad = path.join(dir, "bad.lock");
  writeLock(bad, "{");
  releaseLock(bad);
  assert.equal(fs.existsSync(bad), false);
  const old = path.join(dir, "old.lock");
  writeLock(old, { host: os.hostname(), pid: process.pid, startedAt: "s" }, 5 * HOUR);
  touchLock(old);
  assert.ok(Date.now() - fs.statSync(old).mtimeMs < 60e3, "touched now");
  assert.doesNotThrow(() => touchLock(path.join(dir, "gone.lock")));
  assert.doesNotThrow(
    () => releaseLock(path.join(dir, "gone.lock")),
    "releasing a lock that is already gone is not an error",
  );
});

const cell = makeCell({ experiment: "exp", codeVersion: "1", mode: "quick", seed: 3, params: { a: 1 } });
const timing = {
  startedAt: new Date("2026-01-01T00:00:00.000Z"),
  finishedAt: new Date("2026-01-01T00:00:02.500Z"),
  gitCommit: "abc",
};

test("a result file holds every field of the run, read back as written", () => {
  const store = new ResultStore(tmp());
  assert.throws(() => new ResultStore(""), /a directory is required/);
  const r = store.write(
    cell,
    { metrics: { m: 1, none: null }, rows: [{ x: 1 }], curves: { loss: [3, 2] }, backend: "wasm" },
    timing,
  );
  const back = store.readAll([cell])[0];
  assert.deepEqual(back, r);
  assert.equal(back.wallSeconds, 2.5);
  assert.equal(back.backend, "wasm");
  assert.deepEqual(back.curves, { loss: [3, 2] });
  assert.deepEqual(back.rows, [{ x: 1 }]);
  assert.equal(back.startedAt, "2026-01-01T00:00:00.000Z");
  assert.equal(back.finishedAt, "2026-01-01T00:00:02.500Z");
  assert.equal(back.host, os.hostname());
  const bare = makeCell({ ...cell, seed: 4 });
  const b = store.write(bare, { metrics: { m: 2 } }, timing);
  for (const k of ["rows", "curves", "backend"]) assert.equal(k in b, false, `${k} is absent when not given`);
  assert.throws(
    () => store.write(makeCell({ ...cell, seed: 5 }), { metrics: { m: Infinity } }, timing),
    /metric "m" is Infinity; use null/,
  );
  assert.throws(() => store.write(cell, { metrics: { m: 1 } }, timing), /already exists: results are immutable/);
  assert.ok(!fs.readdirSync(store.folder("exp")).some((n) => n.endsWith(".tmp")), "no temporary file is left");
  const q = store.quarantine(bare);
  assert.match(path.basename(q), /\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
  assert.deepEqual(
    store.partition([cell, bare]),
    { done: [cell], todo: [bare], corrupt: [] },
    "a quarantined result is missing, not corrupt",
  );
  fs.writeFileSync(store.file(bare), "{");
  const parts = store.partition([cell, bare]);
  assert.deepEqual(parts.todo, [bare]);
  assert.deepEqual(
    parts.corrupt.map((c) => c.cell),
    [bare],
  );
  assert.match(parts.corrupt[0].reason, /^not valid JSON/);
});

test("cleanTemporary removes this grid's runs' temporary files and those past the age limit, nothing else", () => {
  const store = new ResultStore(tmp());
  assert.deepEqual(store.cleanTemporary("exp"), [], "no folder yet");
  const dir = store.folder("exp");
  fs.mkdirSync(dir, { recursive: true });
  const mk = (name: string, ageMs: number) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, "x");
    const t = new Date(Date.now() - ageMs);
    fs.utimesSync(f, t, t);
    return f;
  };
  const mineFresh = mk(".run1.100.1.tmp", 0),
    otherFresh = mk(".run2.100.1.tmp", 0),
    otherOld = mk(".run3.100.1.tmp", 10 * HOUR),
    notTmp = mk("run4.json", 10 * HOUR);
  assert.deepEqual(store.cleanTemporary("exp"), [], "without ids or an age nothing is removed");
  assert.deepEqual(store.cleanTemporary("exp", { olderThanMs: 11 * HOUR }), []);
  assert.deepEqual(store.cleanTemporary("exp", { ids: new Set(["run1"]) }), [mineFresh]);
  assert.deepEqual(store.cleanTemporary("exp", { olderThanMs: HOUR }), [otherOld]);
  assert.ok(fs.existsSync(otherFresh) && fs.existsSync(notTmp));
});

test("verifyResultFile names each kind of damage; readAll says which run is missing or corrupt", () => {
  const store = new ResultStore(tmp());
  const r = store.write(cell, { metrics: { m: 1 } }, timing);
  const f = store.file(cell);
  const good = fs.readFileSync(f, "utf8");
  const expectCorrupt = (content: string, reason: RegExp, against = cell) => {
    fs.writeFileSync(f, content);
    const s = verifyResultFile(f, against);
    assert.equal(s.state, "corrupt", content.slice(0, 40));
    if (s.state === "corrupt") assert.match(s.reason, reason);
  };
  expectCorrupt("{\n  broken", /^not valid JSON \(\S/);
  expectCorrupt("null", /schema tag is not "crossbar-lab\/result@1"/);
  expectCorrupt("7", /schema tag is not/);
  expectCorrupt(JSON.stringify({ ...r, schema: "other" }), /schema tag is not/);
  expectCorrupt(JSON.stringify({ ...r, seed: 9 }), /checksum does not match the content/);
  const { checksum: _c, ...body } = { ...r, seed: 9 };
  expectCorrupt(
    JSON.stringify({ ...body, checksum: stableHash(body, 64) }),
    /id does not match the hash of its configuration/,
  );
  const other = makeCell({ ...cell, seed: 8 });
  const otherResult = new ResultStore(tmp()).write(other, { metrics: { m: 1 } }, timing);
  expectCorrupt(JSON.stringify(otherResult), new RegExp(`file holds run ${other.id}, expected ${cell.id}`));
  fs.writeFileSync(f, JSON.stringify(otherResult));
  assert.equal(verifyResultFile(f).state, "ok", "without a cell only the file itself is checked");
  assert.equal(RESULT_SCHEMA, "crossbar-lab/result@1");
  fs.writeFileSync(f, good);
  assert.equal(verifyResultFile(f, cell).state, "ok");
  fs.writeFileSync(f, "{");
  assert.throws(() => store.readAll([cell]), new RegExp(`result .*${cell.id}\\.json is corrupt: not valid JSON`));
  const missing = makeCell({ ...cell, seed: 11 });
  assert.throws(
    () => store.readAll([missing]),
    new RegExp(`no result for run ${missing.id} \\(\\{"a":1\\}, seed 11\\) in .*exp: run the grid first`),
  );
});

test("a lock survives pid reuse and reboots: a live but different process, or another boot, does not hold it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locks-reuse-"));
  const file = path.join(dir, "c.lock");
  const write = (info: object) => fs.writeFileSync(file, JSON.stringify(info));
  const me = { host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const start = processStart(process.pid);
  assert.ok(start !== undefined && /^\d+$/.test(start), `process start ${start}`);
  // field 22 of /proc/<pid>/stat, in clock ticks after boot: init started before this process, a gone pid has none
  const init = processStart(1);
  if (init !== undefined) assert.ok(Number(init) < Number(start), `init started at ${init}, this process at ${start}`);
  assert.equal(processStart(deadPid), undefined);
  assert.match(bootId() ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a boot id, trimmed");
  write({ ...me, bootId: bootId(), processStart: start });
  assert.equal(isStale(file, JSON.parse(fs.readFileSync(file, "utf8"))), false, "this very process holds it");
  // the same pid, alive, but a process that started at another time: the pid was reused
  write({ ...me, bootId: bootId(), processStart: String(Number(start) + 1) });
  assert.equal(isStale(file, JSON.parse(fs.readFileSync(file, "utf8"))), true, "a reused pid holds nothing");
  write({ ...me, bootId: "00000000-0000-0000-0000-000000000000", processStart: start });
  assert.equal(isStale(file, JSON.parse(fs.readFileSync(file, "utf8"))), true, "a lock from before a reboot");
  // an older lock without the new fields keeps the pid rule
  write(me);
  assert.equal(isStale(file, JSON.parse(fs.readFileSync(file, "utf8"))), false);
  // claimLock records both, and takes a reused-pid lock over
  write({ ...me, pid: process.ppid, bootId: bootId(), processStart: "1" });
  const c = claimLock(dir, "c");
  assert.equal(c.claimed, true);
  const held = JSON.parse(fs.readFileSync(file, "utf8")) as { bootId?: string; processStart?: string };
  assert.equal(held.processStart, start);
  assert.equal(held.bootId, bootId());
});

test("heldLocks lists each lock with holder, age and whether it is stale (what --status prints)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locks-held-"));
  assert.deepEqual(heldLocks(path.join(dir, "none")), []);
  claimLock(dir, "live");
  fs.writeFileSync(
    path.join(dir, "dead.lock"),
    JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 7, startedAt: "x" }),
  );
  const old = new Date(Date.now() - 3600e3);
  fs.utimesSync(path.join(dir, "dead.lock"), old, old);
  const locks = heldLocks(dir);
  assert.deepEqual(
    locks.map((l) => [l.id, l.stale]),
    [
      ["dead", true],
      ["live", false],
    ],
  );
  assert.equal(locks[1].holder?.pid, process.pid);
  // only *.lock files are locks, and only the final ".lock" is cut from the id
  fs.writeFileSync(path.join(dir, "notes.txt"), "x");
  fs.writeFileSync(path.join(dir, "live.lock.stale-1-2"), "x");
  fs.copyFileSync(path.join(dir, "live.lock"), path.join(dir, "v.locked.lock"));
  assert.deepEqual(
    heldLocks(dir).map((l) => l.id),
    ["dead", "live", "v.locked"],
  );
  assert.ok(locks[0].ageSecond > 3500 && locks[0].ageSecond < 3700, `${locks[0].ageSecond} s`);
});

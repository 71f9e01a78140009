/**
 * Run a grid: skip cells whose verified result exists, re-run missing and corrupt ones, in this
 * process (`workers: 0`) or in N worker processes. A worker that dies fails only its current run
 * (its temporary file is removed, a fresh worker takes over); `signal` stops the grid cleanly:
 * nothing more is dispatched, workers are terminated, no partial result is left. Each cell is
 * claimed through a lock file first (`locks.ts`), so grid processes sharing a results directory
 * never run a cell twice: a cell running elsewhere or finished meanwhile is reported as skipped.
 */
import { ChildProcess, fork } from "child_process";
import * as path from "path";
import type { Cell } from "./grid";
import { CellOutcome, executeCell } from "./execute";
import { gridExperiment } from "./registry";
import { ResultStore } from "./store";
import { claimLock, releaseLock, touchLock } from "./locks";
import { executeInThread } from "./thread";
import { withHugePages } from "../runtime/huge-pages";

export type GridEvent =
  | {
      readonly type: "start";
      readonly total: number;
      readonly skipped: number;
      readonly todo: number;
      readonly corrupt: ReadonlyArray<{ id: string; reason: string; movedTo: string }>;
      readonly cleaned: number;
    }
  | { readonly type: "run-start"; readonly cell: Cell; readonly worker: number }
  | { readonly type: "run-end"; readonly cell: Cell; readonly outcome: CellOutcome }
  /** A cell this process did not run: finished meanwhile, or running in another process (its lock). */
  | { readonly type: "run-skip"; readonly cell: Cell; readonly reason: string }
  | { readonly type: "end"; readonly summary: GridSummary };

export interface GridSummary {
  readonly total: number;
  /** Cells whose result was there: at the start, or written by another process meanwhile. */
  readonly skipped: number;
  /** Cells another live process was running (locked): neither done nor failed here. */
  readonly busyElsewhere: number;
  readonly done: number;
  readonly failed: ReadonlyArray<{ id: string; params: Cell["params"]; seed: number; error: string }>;
  readonly interrupted: boolean;
  readonly wallSeconds: number;
  /** Runs finished per minute in this invocation. */
  readonly runsPerMinute: number;
}

export interface GridRunOptions {
  readonly store: ResultStore;
  /** 0 runs in this process; N ≥ 1 forks N worker processes. Default 0. */
  readonly workers?: number;
  /**
   * With `workers: 0`, run each cell in a worker thread of this process, so that `signal` ends a
   * long run at once and cell locks are refreshed while it computes (the grid CLI does this).
   * Default false: the cell runs on the calling thread (notebooks, tests, debugging).
   */
  readonly thread?: boolean;
  readonly onEvent?: (e: GridEvent) => void;
  readonly signal?: AbortSignal;
}

export async function runCells(cells: readonly Cell[], opts: GridRunOptions): Promise<GridSummary> {
  const workers = opts.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0)
    throw new RangeError(`workers must be a non-negative integer, got ${workers}`);
  const ids = new Set<string>();
  for (const c of cells) {
    if (ids.has(c.id)) throw new Error(`grid has the run ${c.id} twice (${JSON.stringify(c.params)}, seed ${c.seed})`);
    ids.add(c.id);
  }
  const t0 = Date.now();
  const store = opts.store;
  const emit = opts.onEvent ?? (() => {});
  // temporary files of earlier killed runs of these cells (another process may be writing other cells' now)
  let cleaned = 0;
  const experiments = new Set(cells.map((c) => c.experiment));
  for (const e of experiments) cleaned += store.cleanTemporary(e, { ids }).length;
  const { done: already, todo, corrupt } = store.partition(cells);
  const moved = corrupt.map(({ cell, reason }) => ({ id: cell.id, reason, movedTo: store.quarantine(cell) }));
  emit({ type: "start", total: cells.length, skipped: already.length, todo: todo.length, corrupt: moved, cleaned });
  const failed: Array<{ id: string; params: Cell["params"]; seed: number; error: string }> = [];
  let done = 0,
    skippedLater = 0,
    busyElsewhere = 0;
  const locks = new Map<string, string>();
  // claim a cell before running it; false (and an event) when it is done or running elsewhere
  const claim = (cell: Cell): boolean => {
    const lockDir = path.join(store.folder(cell.experiment), "locks");
    const c = claimLock(lockDir, cell.id);
    if (!c.claimed) {
      busyElsewhere++;
      emit({
        type: "run-skip",
        cell,
        reason: `running in another process (host ${c.holder.host}, pid ${c.holder.pid}, since ${c.holder.startedAt})`,
      });
      return false;
    }
    if (store.check(cell).state === "ok") {
      releaseLock(c.file);
      skippedLater++;
      emit({ type: "run-skip", cell, reason: "finished by another process" });
      return false;
    }
    locks.set(cell.id, c.file);
    return true;
  };
  const release = (cell: Cell) => {
    const f = locks.get(cell.id);
    if (f) releaseLock(f);
    locks.delete(cell.id);
  };
  const finish = (cell: Cell, outcome: CellOutcome) => {
    release(cell);
    if (outcome.ok) done++;
    else failed.push({ id: cell.id, params: cell.params, seed: cell.seed, error: outcome.error ?? "unknown error" });
    emit({ type: "run-end", cell, outcome });
  };
  // refresh held locks while runs go on (not while a same-thread run blocks the event loop)
  const heartbeat = setInterval(() => locks.forEach((f) => touchLock(f)), 60e3);
  heartbeat.unref();
  let abandoned = 0;
  try {
    if (workers === 0) {
      for (const cell of todo) {
        // a same-thread cell computes synchronously: give pending signals their turn between cells
        await new Promise((r) => setImmediate(r));
        if (opts.signal?.aborted) break;
        if (!claim(cell)) continue;
        emit({ type: "run-start", cell, worker: 0 });
        const outcome = opts.thread ? await executeInThread(cell, store, opts.signal) : await executeCell(cell, store);
        if ("interrupted" in outcome && outcome.interrupted) {
          // stopped by the signal: not a failure, nothing kept; the next invocation runs it again
          release(cell);
          store.cleanTemporary(cell.experiment, { ids: new Set([cell.id]) });
          abandoned++;
          break;
        }
        finish(cell, outcome);
      }
    } else {
      const abandon = (cell: Cell) => {
        release(cell);
        abandoned++;
      };
      await runInWorkers(todo, workers, store, emit, finish, claim, abandon, opts.signal);
    }
  } finally {
    clearInterval(heartbeat);
  }
  for (const cell of todo) release(cell);
  const interrupted =
    abandoned > 0 || (!!opts.signal?.aborted && done + failed.length + skippedLater + busyElsewhere < todo.length);
  for (const e of experiments) store.cleanTemporary(e, { ids });
  const wallSeconds = (Date.now() - t0) / 1000;
  const summary: GridSummary = {
    total: cells.length,
    skipped: already.length + skippedLater,
    busyElsewhere,
    done,
    failed,
    interrupted,
    wallSeconds,
    runsPerMinute: wallSeconds > 0 ? (60 * done) / wallSeconds : 0,
  };
  emit({ type: "end", summary });
  return summary;
}

function workerEntry(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  return { file: path.join(__dirname, `worker${ext}`), execArgv: ext === ".ts" ? ["--import", "tsx"] : [] };
}

function runInWorkers(
  todo: readonly Cell[],
  n: number,
  store: ResultStore,
  emit: (e: GridEvent) => void,
  finish: (c: Cell, o: CellOutcome) => void,
  claim: (c: Cell) => boolean,
  abandon: (c: Cell) => void,
  signal?: AbortSignal,
): Promise<void> {
  const queue = [...todo];
  const entry = workerEntry();
  const busy = new Map<ChildProcess, Cell | null>();
  let slot = 0;
  return new Promise<void>((resolve) => {
    const maybeEnd = () => {
      if (busy.size === 0) resolve();
    };
    const next = (): Cell | undefined => {
      while (!signal?.aborted && queue.length) {
        const c = queue.shift()!;
        if (claim(c)) return c;
      }
      return undefined;
    };
    const dispatch = (w: ChildProcess, id: number) => {
      const cell = next();
      if (!cell) {
        busy.delete(w);
        w.kill("SIGTERM");
        return;
      }
      busy.set(w, cell);
      emit({ type: "run-start", cell, worker: id });
      w.send({ type: "run", cell, storeDir: store.dir, module: gridExperiment(cell.experiment).module });
    };
    const spawn = () => {
      const id = ++slot;
      const w = fork(entry.file, [], {
        execArgv: entry.execArgv,
        stdio: ["ignore", "ignore", "inherit", "ipc"],
        env: withHugePages(process.env),
      });
      busy.set(w, null);
      w.on("message", (m: { type: string; outcome?: CellOutcome }) => {
        if (m.type === "ready") dispatch(w, id);
        else if (m.type === "done" && m.outcome) {
          const cell = busy.get(w);
          if (cell) finish(cell, m.outcome);
          dispatch(w, id);
        }
      });
      w.on("exit", (code, sig) => {
        const cell = busy.get(w);
        busy.delete(w);
        if (cell) {
          store.cleanTemporary(cell.experiment, { ids: new Set([cell.id]) });
          // a run stopped by the interrupt is not a failure: nothing is kept and the next invocation runs it
          if (signal?.aborted) abandon(cell);
          else {
            finish(cell, {
              id: cell.id,
              ok: false,
              error: `worker ${id} (pid ${w.pid}) exited (${sig ?? `code ${code}`}) during the run`,
              seconds: 0,
            });
            if (queue.length) spawn();
          }
        }
        maybeEnd();
      });
    };
    signal?.addEventListener("abort", () => {
      for (const w of busy.keys()) w.kill("SIGTERM");
    });
    for (let i = 0; i < Math.min(n, queue.length); i++) spawn();
    maybeEnd();
  });
}

/** One-line progress: bar, counts, rate and ETA. */
export function progressLine(
  s: { total: number; skipped: number; done: number; failed: number; running: number; elapsedSeconds: number },
  width = 24,
): string {
  const finished = s.skipped + s.done + s.failed;
  const filled = s.total ? Math.round((width * finished) / s.total) : width;
  const rate = s.elapsedSeconds > 0 ? (s.done + s.failed) / s.elapsedSeconds : 0;
  const left = s.total - finished;
  const eta = rate > 0 ? left / rate : NaN;
  const fmt = (x: number) =>
    x < 90 ? `${x.toFixed(0)} s` : x < 5400 ? `${(x / 60).toFixed(1)} min` : `${(x / 3600).toFixed(1)} h`;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${finished}/${s.total} (${s.done} run, ${s.skipped} skipped, ${s.failed} failed, ${s.running} running)${left > 0 && Number.isFinite(eta) ? `, ETA ${fmt(eta)}` : ""}`;
}

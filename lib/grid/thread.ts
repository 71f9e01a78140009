/**
 * One grid cell in a worker thread of the grid process: the main thread stays free to answer
 * signals (Ctrl-C, SIGTERM at a Slurm time limit) and to refresh cell locks while a long run
 * computes, and an interrupt ends the run at once (`worker.terminate()`), leaving no result.
 */
import { isMainThread, parentPort, Worker, workerData } from "worker_threads";
import * as path from "path";
import type { Cell } from "./grid";
import { CellOutcome, executeCell } from "./execute";
import { gridExperiment } from "./registry";
import { ResultStore } from "./store";

interface ThreadInput {
  readonly cell: Cell;
  readonly storeDir: string;
  /** The module that registers the cell's experiment. */
  readonly module: string;
}

/** The thread's code: this module, compiled (dist/) or, from the TypeScript sources, through tsx's require hook. */
function threadSource(): { code: string; eval: boolean } {
  if (path.extname(__filename) !== ".ts") return { code: __filename, eval: false };
  return { code: `require("tsx/cjs"); require(${JSON.stringify(__filename)});`, eval: true };
}

/** Run `cell` in a fresh worker thread; resolves with its outcome, or `interrupted` when `signal` aborts it. */
export function executeInThread(
  cell: Cell,
  store: ResultStore,
  signal?: AbortSignal,
): Promise<CellOutcome & { interrupted?: boolean }> {
  const t0 = Date.now();
  const src = threadSource();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: CellOutcome & { interrupted?: boolean }) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      resolve(o);
    };
    const worker = new Worker(src.code, {
      eval: src.eval,
      workerData: { cell, storeDir: store.dir, module: gridExperiment(cell.experiment).module } satisfies ThreadInput,
    });
    let aborting = false;
    const interrupted = () =>
      settle({ id: cell.id, ok: false, interrupted: true, error: "interrupted", seconds: (Date.now() - t0) / 1000 });
    const onAbort = () => {
      aborting = true;
      void worker.terminate().then(interrupted);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort);
    worker.on("message", (o: CellOutcome) => settle(o));
    worker.on("error", (e) =>
      settle({ id: cell.id, ok: false, error: `thread failed: ${e.message}`, seconds: (Date.now() - t0) / 1000 }),
    );
    worker.on("exit", (code) =>
      aborting
        ? interrupted()
        : settle({
            id: cell.id,
            ok: false,
            error: `thread exited (code ${code}) before reporting`,
            seconds: (Date.now() - t0) / 1000,
          }),
    );
  });
}

if (!isMainThread && parentPort && (workerData as ThreadInput | undefined)?.cell) {
  const { cell, storeDir, module } = workerData as ThreadInput;
  executeCell(cell, new ResultStore(storeDir), module).then(
    (o) => parentPort!.postMessage(o),
    (e: unknown) =>
      parentPort!.postMessage({
        id: cell.id,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
        seconds: 0,
      }),
  );
}

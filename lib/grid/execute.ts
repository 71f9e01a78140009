/** Run one cell: log to its per-run log file, call the experiment, write the result atomically. */
import * as fs from "fs";
import * as path from "path";
import { gitCommit } from "../runtime/provenance";
import type { Cell } from "./grid";
import { gridExperiment } from "./registry";
import { ResultStore } from "./store";

export interface CellOutcome {
  readonly id: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly seconds: number;
}

let commit: string | null = null;

/** `module`: the file that registers the experiment, loaded first when it is not registered here (a worker). */
export async function executeCell(cell: Cell, store: ResultStore, module?: string): Promise<CellOutcome> {
  const exp = gridExperiment(cell.experiment, module);
  if (exp.version !== cell.codeVersion)
    throw new Error(
      `run ${cell.id} was declared for ${cell.experiment} version ${cell.codeVersion}, the code is version ${exp.version}`,
    );
  const logFile = store.logFile(cell);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = (line: string) => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const startedAt = new Date();
  log(
    `pid ${process.pid} started run ${cell.id}: ${cell.experiment} v${cell.codeVersion} ${cell.mode} seed ${cell.seed} ${JSON.stringify(cell.params)}`,
  );
  try {
    const output = await exp.run(cell, { log });
    commit ??= gitCommit();
    store.write(cell, output, { startedAt, finishedAt: new Date(), gitCommit: commit });
    const seconds = (Date.now() - startedAt.getTime()) / 1000;
    log(`finished in ${seconds.toFixed(2)} s`);
    return { id: cell.id, ok: true, seconds };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log(`FAILED: ${e instanceof Error ? (e.stack ?? msg) : msg}`);
    return { id: cell.id, ok: false, error: msg, seconds: (Date.now() - startedAt.getTime()) / 1000 };
  }
}

/**
 * The results store: one immutable JSON file per finished run, `<dir>/<experiment>/<id>.json`,
 * written atomically (temporary file in the same folder, fsync, rename). A file is trusted only if
 * it parses, carries the schema tag, its id matches the hash of its identity and its checksum matches
 * its content; anything else is reported as corrupt, moved aside (`*.corrupt-<time>`) and re-run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { canonicalJson, stableHash } from "./hash";
import { Cell, cellIdentity } from "./grid";

export const RESULT_SCHEMA = "crossbar-lab/result@1";

export type MetricValue = number | string | boolean | null;

/** What an experiment's run returns. */
export interface RunOutput {
  /** Scalar metrics (units in the names). */
  readonly metrics: Readonly<Record<string, MetricValue>>;
  /** Optional long-format table (one row per setup, repeat…), queryable with UNNEST in DuckDB. */
  readonly rows?: readonly Readonly<Record<string, MetricValue | number[]>>[];
  /** Optional curves (epoch series and the like). */
  readonly curves?: Readonly<Record<string, readonly number[]>>;
  /** Backend that ran tfjs code, if any. */
  readonly backend?: string;
}

export interface RunResult extends RunOutput {
  readonly schema: typeof RESULT_SCHEMA;
  readonly id: string;
  readonly experiment: string;
  readonly codeVersion: string;
  readonly mode: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly wallSeconds: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly gitCommit: string;
  readonly host: string;
  readonly checksum: string;
}

export type ResultState =
  | { readonly state: "missing" }
  | { readonly state: "ok"; readonly result: RunResult }
  | { readonly state: "corrupt"; readonly reason: string };

export class ResultStore {
  constructor(readonly dir: string) {
    if (!dir) throw new Error("results store: a directory is required");
  }

  folder(experiment: string): string {
    return path.join(this.dir, experiment);
  }

  file(cell: Pick<Cell, "experiment" | "id">): string {
    return path.join(this.folder(cell.experiment), `${cell.id}.json`);
  }

  logFile(cell: Pick<Cell, "experiment" | "id">): string {
    return path.join(this.folder(cell.experiment), "logs", `${cell.id}.log`);
  }

  /** Read and verify a cell's result file. */
  check(cell: Cell): ResultState {
    const f = this.file(cell);
    if (!fs.existsSync(f)) return { state: "missing" };
    return verifyResultFile(f, cell);
  }

  /** Write a finished run atomically; refuses to overwrite a valid result (results are immutable). */
  write(cell: Cell, output: RunOutput, timing: { startedAt: Date; finishedAt: Date; gitCommit: string }): RunResult {
    const body = {
      schema: RESULT_SCHEMA,
      id: cell.id,
      experiment: cell.experiment,
      codeVersion: cell.codeVersion,
      mode: cell.mode,
      seed: cell.seed,
      params: cell.params,
      metrics: output.metrics,
      ...(output.rows ? { rows: output.rows } : {}),
      ...(output.curves ? { curves: output.curves } : {}),
      ...(output.backend ? { backend: output.backend } : {}),
      wallSeconds: (timing.finishedAt.getTime() - timing.startedAt.getTime()) / 1000,
      startedAt: timing.startedAt.toISOString(),
      finishedAt: timing.finishedAt.toISOString(),
      gitCommit: timing.gitCommit,
      host: os.hostname(),
    };
    for (const [k, v] of Object.entries(output.metrics)) {
      if (typeof v === "number" && !Number.isFinite(v))
        throw new Error(`run ${cell.id}: metric "${k}" is ${v}; use null for a missing value`);
    }
    const result = { ...body, checksum: stableHash(body, 64) } as RunResult;
    const f = this.file(cell);
    const state = this.check(cell);
    if (state.state === "ok") throw new Error(`result ${f} already exists: results are immutable`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    const tmp = path.join(path.dirname(f), `.${cell.id}.${process.pid}.${Date.now()}.tmp`);
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, JSON.stringify(result));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, f);
    return result;
  }

  /** Move a corrupt file aside so the cell is re-run; returns the new name. */
  quarantine(cell: Cell): string {
    const f = this.file(cell);
    const to = `${f}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    fs.renameSync(f, to);
    return to;
  }

  /**
   * Remove temporary files left by killed runs: those older than `olderThanMs`, or (with `ids`) any
   * of these runs' (other processes sharing the store write their own runs' files only).
   */
  cleanTemporary(experiment: string, opts: { olderThanMs?: number; ids?: ReadonlySet<string> } = {}): string[] {
    const dir = this.folder(experiment);
    if (!fs.existsSync(dir)) return [];
    const now = Date.now();
    const removed: string[] = [];
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith(".tmp")) continue;
      const f = path.join(dir, name);
      const ours = opts.ids?.has(name.slice(1).split(".")[0]) ?? false;
      const old = opts.olderThanMs !== undefined && now - fs.statSync(f).mtimeMs >= opts.olderThanMs;
      if (ours || old) {
        fs.rmSync(f, { force: true });
        removed.push(f);
      }
    }
    return removed;
  }

  /** Valid result files of the given cells (in cell order) and the cells still to run. */
  partition(cells: readonly Cell[]): { done: Cell[]; todo: Cell[]; corrupt: Array<{ cell: Cell; reason: string }> } {
    const done: Cell[] = [],
      todo: Cell[] = [],
      corrupt: Array<{ cell: Cell; reason: string }> = [];
    for (const c of cells) {
      const s = this.check(c);
      if (s.state === "ok") done.push(c);
      else {
        if (s.state === "corrupt") corrupt.push({ cell: c, reason: s.reason });
        todo.push(c);
      }
    }
    return { done, todo, corrupt };
  }

  /** Read the verified results of the given cells; throws if any is missing or corrupt. */
  readAll(cells: readonly Cell[]): RunResult[] {
    return cells.map((c) => {
      const s = this.check(c);
      if (s.state === "missing")
        throw new Error(
          `no result for run ${c.id} (${JSON.stringify(c.params)}, seed ${c.seed}) in ${this.folder(c.experiment)}: run the grid first`,
        );
      if (s.state === "corrupt") throw new Error(`result ${this.file(c)} is corrupt: ${s.reason}`);
      return s.result;
    });
  }
}

/** Verify one result file (against its cell when given). */
export function verifyResultFile(file: string, cell?: Cell): ResultState {
  let r: RunResult;
  try {
    r = JSON.parse(fs.readFileSync(file, "utf8")) as RunResult;
  } catch (e) {
    return { state: "corrupt", reason: `not valid JSON (${(e as Error).message.replace(/\s+/g, " ").slice(0, 80)})` };
  }
  if (!r || typeof r !== "object" || r.schema !== RESULT_SCHEMA)
    return { state: "corrupt", reason: `schema tag is not "${RESULT_SCHEMA}"` };
  const { checksum, ...body } = r;
  if (checksum !== stableHash(body, 64)) return { state: "corrupt", reason: "checksum does not match the content" };
  const expectedId = stableHash(
    cellIdentity({
      experiment: r.experiment,
      codeVersion: r.codeVersion,
      mode: r.mode as Cell["mode"],
      seed: r.seed,
      params: r.params as Cell["params"],
    }),
  );
  if (r.id !== expectedId) return { state: "corrupt", reason: "id does not match the hash of its configuration" };
  if (cell && (r.id !== cell.id || canonicalJson(r.params) !== canonicalJson(cell.params)))
    return { state: "corrupt", reason: `file holds run ${r.id}, expected ${cell.id}` };
  return { state: "ok", result: r };
}

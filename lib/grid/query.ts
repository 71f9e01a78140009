/**
 * Query the results store with DuckDB straight over the verified result files, aggregate (medians,
 * IQRs, group-by), hand tables to notebooks as danfo.js DataFrames, export to Parquet / CSV.
 * Views: `runs` (one row per result file: id, seed, params.*, metrics.*, wallSeconds…) and, when the
 * experiment writes them, `rows` (its long-format table unnested, with id, seed and params).
 */
import * as fs from "fs";
import * as path from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { Cell } from "./grid";
import { ResultStore, verifyResultFile } from "./store";

export type Row = Record<string, unknown>;

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Verified result files of an experiment (or of the given cells), and the files that failed verification. */
export function resultFiles(
  store: ResultStore,
  experiment: string,
  cells?: readonly Cell[],
): { files: string[]; corrupt: Array<{ file: string; reason: string }> } {
  const files: string[] = [],
    corrupt: Array<{ file: string; reason: string }> = [];
  if (cells) {
    for (const c of cells) {
      const s = store.check(c);
      if (s.state === "ok") files.push(store.file(c));
      else if (s.state === "corrupt") corrupt.push({ file: store.file(c), reason: s.reason });
    }
    return { files, corrupt };
  }
  const dir = store.folder(experiment);
  if (!fs.existsSync(dir)) return { files, corrupt };
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith(".json")) continue;
    const f = path.join(dir, name);
    const s = verifyResultFile(f);
    if (s.state === "ok") files.push(f);
    else if (s.state === "corrupt") corrupt.push({ file: f, reason: s.reason });
  }
  return { files, corrupt };
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object" && !(v instanceof Date))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export interface AggregateOptions {
  /** Parameters to group by. */
  readonly by: readonly string[];
  readonly metrics: readonly string[];
  readonly table?: "runs" | "rows";
  /** Extra grouping columns of the rows table (e.g. "setup"). */
  readonly rowKeys?: readonly string[];
}

export class ResultsDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly files: readonly string[],
    readonly corrupt: ReadonlyArray<{ file: string; reason: string }>,
    readonly hasRows: boolean,
  ) {}

  /** Open an in-memory DuckDB with views over the experiment's verified results (optionally only `cells`). */
  static async open(store: ResultStore, experiment: string, cells?: readonly Cell[]): Promise<ResultsDb> {
    const { files, corrupt } = resultFiles(store, experiment, cells);
    if (!files.length)
      throw new Error(
        `no verified results for "${experiment}" in ${store.folder(experiment)}${corrupt.length ? ` (${corrupt.length} corrupt)` : ""}: run the grid first`,
      );
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    const list = `[${files.map(sqlString).join(", ")}]`;
    await conn.run(
      `CREATE VIEW runs AS SELECT * FROM read_json_auto(${list}, union_by_name = true, maximum_object_size = 268435456)`,
    );
    const cols = (await conn.runAndReadAll(`SELECT column_name FROM (DESCRIBE runs)`))
      .getRowObjectsJS()
      .map((r) => String(r.column_name));
    const hasRows = cols.includes("rows");
    if (hasRows)
      await conn.run(
        `CREATE VIEW rows AS SELECT id, seed, params, r.* FROM (SELECT id, seed, params, unnest(rows) AS r FROM runs)`,
      );
    return new ResultsDb(instance, conn, files, corrupt, hasRows);
  }

  /** Run SQL; BIGINTs come back as numbers, structs as objects, lists as arrays. */
  async query(sql: string): Promise<Row[]> {
    const r = await this.conn.runAndReadAll(sql);
    return r.getRowObjectsJS().map((row) => plain(row) as Row);
  }

  /**
   * Median, first and third quartile and count of each metric, grouped by the named parameters
   * (every other parameter and the seed are pooled). `table` "runs" uses metrics.*, "rows" the row fields.
   */
  async aggregate(opts: AggregateOptions): Promise<Row[]> {
    return this.query(this.aggregateSql(opts));
  }

  /** The SQL of `aggregate` (to export it, or to build on it). */
  aggregateSql(opts: AggregateOptions): string {
    const table = opts.table ?? "runs";
    if (table === "rows" && !this.hasRows) throw new Error("this experiment writes no rows table");
    if (!opts.metrics.length) throw new Error("aggregate: name at least one metric");
    const groups = [
      ...opts.by.map((p) => `params.${ident(p)} AS ${ident(p)}`),
      ...(opts.rowKeys ?? []).map((k) => `${ident(k)}`),
    ];
    const col = (m: string) => (table === "runs" ? `metrics.${ident(m)}` : ident(m));
    const stats = opts.metrics.flatMap((m) => [
      `median(${col(m)}) AS ${ident(`${m}_median`)}`,
      `quantile_cont(${col(m)}, 0.25) AS ${ident(`${m}_q1`)}`,
      `quantile_cont(${col(m)}, 0.75) AS ${ident(`${m}_q3`)}`,
    ]);
    const keys = groups.length ? groups.map((_, i) => String(i + 1)).join(", ") : "";
    return `SELECT ${[...groups, ...stats, "count(*) AS n"].join(", ")} FROM ${table}${keys ? ` GROUP BY ${keys} ORDER BY ${keys}` : ""}`;
  }

  /** Write a query's result to Parquet or CSV (by the file's extension). */
  async export(sql: string, file: string): Promise<void> {
    const ext = path.extname(file).toLowerCase();
    const format = ext === ".parquet" ? "parquet" : ext === ".csv" ? "csv, header true" : null;
    if (!format) throw new Error(`export: use a .parquet or .csv file name, got "${file}"`);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await this.conn.run(`COPY (${sql}) TO ${sqlString(path.resolve(file))} (FORMAT ${format})`);
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Numeric metric names of an experiment's results (from the first verified file). */
export function numericMetrics(files: readonly string[]): string[] {
  if (!files.length) return [];
  const r = JSON.parse(fs.readFileSync(files[0], "utf8")) as { metrics: Record<string, unknown> };
  return Object.entries(r.metrics)
    .filter(([, v]) => typeof v === "number")
    .map(([k]) => k);
}

/**
 * A danfo.js DataFrame of rows (danfojs is loaded with require: its ES-module import fails under
 * tslab). Nested objects are flattened to "a.b" columns.
 */
export interface DataFrameLike {
  readonly shape: number[];
  readonly columns: string[];
  toString(): string;
  print(): void;
}

export function toDataFrame(rows: readonly Row[]): DataFrameLike {
  if (!rows.length) throw new Error("toDataFrame: no rows");

  const dfd = require("danfojs") as { DataFrame: new (data: object[]) => DataFrameLike };
  const flat = rows.map((r) => flatten(r));
  return new dfd.DataFrame(flat);
}

function flatten(r: Row, prefix = "", out: Row = {}): Row {
  for (const [k, v] of Object.entries(r)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v as Row, key, out);
    else out[key] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return out;
}

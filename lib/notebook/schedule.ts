/**
 * Running notebooks on both cores: each notebook may name, in its metadata
 * (`crossbar_lab.after`, a list of notebook names), the notebooks whose results it reuses (trained
 * networks in the results store). `schedule` runs at most `jobs` at a time, each as soon as the
 * notebooks it comes after have succeeded, in the order given otherwise.
 */
import { readNotebook } from "./nbformat";

/** The notebooks a notebook file comes after (its `crossbar_lab.after` metadata; [] when none). */
export function notebookAfter(file: string): string[] {
  const meta = readNotebook(file).metadata as { crossbar_lab?: { after?: unknown } };
  const after = meta.crossbar_lab?.after;
  if (after === undefined) return [];
  if (!Array.isArray(after) || !after.every((a) => typeof a === "string")) {
    throw new Error(
      `${file}: metadata crossbar_lab.after must be a list of notebook names, got ${JSON.stringify(after)}`,
    );
  }
  return after;
}

/** A notebook that was not run because one it comes after failed. */
export class DependencyFailedError extends Error {
  constructor(
    readonly notebook: string,
    readonly dependency: string,
  ) {
    super(`${notebook} was not run: ${dependency}, whose results it reuses, failed`);
    this.name = "DependencyFailedError";
  }
}

/**
 * Start `run(name)` for every name, at most `jobs` at a time; a name waits for those of its `after`
 * names that are in `names` (others are ignored: not part of this run). Returns one promise per name,
 * at once. A cycle, an unknown `jobs` or a name listed twice is an error before anything starts.
 */
export function schedule<T>(
  names: readonly string[],
  after: (name: string) => readonly string[],
  jobs: number,
  run: (name: string) => Promise<T>,
): Map<string, Promise<T>> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be an integer >= 1, got ${jobs}`);
  if (new Set(names).size !== names.length) throw new Error(`a notebook is listed twice: ${names.join(", ")}`);
  const deps = new Map(names.map((n) => [n, after(n).filter((d) => names.includes(d))]));
  checkAcyclic(names, deps);
  const state = new Map<string, "waiting" | "running" | "ok" | "failed">(names.map((n) => [n, "waiting"]));
  const settle = new Map<string, { resolve: (v: T) => void; reject: (e: unknown) => void }>();
  const promises = new Map<string, Promise<T>>();
  for (const n of names) {
    const p = new Promise<T>((resolve, reject) => settle.set(n, { resolve, reject }));
    p.catch(() => undefined); // a failure is reported to whoever awaits it, never as an unhandled rejection
    promises.set(n, p);
  }
  let running = 0;
  const pump = (): void => {
    for (const n of names) {
      if (state.get(n) !== "waiting") continue;
      const failedDep = deps.get(n)!.find((d) => state.get(d) === "failed");
      if (failedDep) {
        state.set(n, "failed");
        settle.get(n)!.reject(new DependencyFailedError(n, failedDep));
        return pump();
      }
      if (running >= jobs || !deps.get(n)!.every((d) => state.get(d) === "ok")) continue;
      state.set(n, "running");
      running++;
      run(n).then(
        (v) => {
          state.set(n, "ok");
          running--;
          settle.get(n)!.resolve(v);
          pump();
        },
        (e: unknown) => {
          state.set(n, "failed");
          running--;
          settle.get(n)!.reject(e);
          pump();
        },
      );
    }
  };
  pump();
  return promises;
}

function checkAcyclic(names: readonly string[], deps: Map<string, string[]>): void {
  const mark = new Map<string, "visiting" | "done">();
  const visit = (n: string, path: string[]): void => {
    if (mark.get(n) === "done") return;
    if (mark.get(n) === "visiting")
      throw new Error(`notebooks come after each other in a cycle: ${[...path, n].join(" → ")}`);
    mark.set(n, "visiting");
    for (const d of deps.get(n) ?? []) visit(d, [...path, n]);
    mark.set(n, "done");
  };
  for (const n of names) visit(n, []);
}

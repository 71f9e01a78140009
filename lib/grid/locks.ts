/**
 * Cell claims: before a grid process runs a cell it creates `<store>/<experiment>/locks/<id>.lock`
 * exclusively (O_EXCL), holding its host, pid and start time, and removes it when the run ends. A
 * second process that finds the lock skips the cell, so concurrent grids on one results directory
 * (two shells, or Slurm array tasks on a shared file system) never compute a cell twice.
 *
 * A lock is stale, and taken over, when its process is gone: on the same host when its pid no longer
 * exists; on another host (a remote pid cannot be probed) when the lock file has not been touched for
 * `staleAfterMs` (default 7 days, `CROSSBAR_LAB_LOCK_STALE_HOURS`). Grid processes with workers touch
 * their locks every minute while runs go on.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface LockInfo {
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
}

export type ClaimResult =
  | { readonly claimed: true; readonly file: string; readonly tookOver?: LockInfo | "unreadable" }
  | { readonly claimed: false; readonly file: string; readonly holder: LockInfo };

export const DEFAULT_STALE_HOURS = 24 * 7;

export function staleAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CROSSBAR_LAB_LOCK_STALE_HOURS;
  if (raw === undefined || raw === "") return DEFAULT_STALE_HOURS * 3600e3;
  const h = Number(raw);
  if (!(h > 0))
    throw new Error(`CROSSBAR_LAB_LOCK_STALE_HOURS=${JSON.stringify(raw)} must be a positive number of hours`);
  return h * 3600e3;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    if (typeof j.host === "string" && Number.isInteger(j.pid) && typeof j.startedAt === "string") return j;
    return null;
  } catch {
    return null;
  }
}

/** Whether the lock at `file` (holding `info`, or unreadable when null) belongs to a process that is gone. */
export function isStale(
  file: string,
  info: LockInfo | null,
  opts: { staleAfterMs?: number; now?: number } = {},
): boolean {
  let mtime: number;
  try {
    mtime = fs.statSync(file).mtimeMs;
  } catch {
    return true; // vanished
  }
  const old = (opts.now ?? Date.now()) - mtime > (opts.staleAfterMs ?? staleAfterMs());
  if (info === null) return old || (opts.now ?? Date.now()) - mtime > 60e3; // a half-written lock older than a minute
  if (info.host === os.hostname()) return !pidAlive(info.pid) || old;
  return old;
}

/** Try to claim a cell: exclusive creation of its lock file, taking over a stale one. */
export function claimLock(dir: string, id: string, opts: { staleAfterMs?: number } = {}): ClaimResult {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}.lock`);
  const me: LockInfo = { host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  let tookOver: LockInfo | "unreadable" | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, "wx");
      try {
        fs.writeSync(fd, JSON.stringify(me));
      } finally {
        fs.closeSync(fd);
      }
      return tookOver ? { claimed: true, file, tookOver } : { claimed: true, file };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST")
        throw new Error(`cannot create lock ${file}: ${(e as Error).message}`, { cause: e });
    }
    const holder = readLock(file);
    if (!isStale(file, holder, opts))
      return { claimed: false, file, holder: holder ?? { host: "unknown", pid: -1, startedAt: "being written" } };
    // stale: move it aside under a unique name (only one taker succeeds), then retry the exclusive create
    const aside = `${file}.stale-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(file, aside);
      fs.rmSync(aside, { force: true });
      tookOver = holder ?? "unreadable";
    } catch {
      // another process took it over first; retry
    }
  }
  const holder = readLock(file);
  return { claimed: false, file, holder: holder ?? { host: "unknown", pid: -1, startedAt: "unknown" } };
}

/** Release a lock this process holds (a lock held by another process is left alone). */
export function releaseLock(file: string): void {
  const info = readLock(file);
  if (info && (info.host !== os.hostname() || info.pid !== process.pid)) return;
  fs.rmSync(file, { force: true });
}

/** Refresh a held lock's time, so other hosts do not take it over while the run is long. */
export function touchLock(file: string): void {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
  } catch {
    // gone: released or taken over; the result file's atomic write still guards the store
  }
}

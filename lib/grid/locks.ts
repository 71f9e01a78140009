/**
 * Cell claims: before a grid process runs a cell it creates `<store>/<experiment>/locks/<id>.lock`
 * exclusively (O_EXCL), holding its host, pid and start time, and removes it when the run ends. A
 * second process that finds the lock skips the cell, so concurrent grids on one results directory
 * (two shells, or Slurm array tasks on a shared file system) never compute a cell twice.
 *
 * A lock is stale, and taken over, when its process is gone: on the same host when its pid no longer
 * exists, or now names another process (the lock records the machine's boot id and the process's start
 * time, so a reused pid or a reboot does not keep a cell locked); on another host (a remote pid cannot be probed) when the lock file has not been touched for
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
  /** The kernel's boot id when the lock was made (Linux), to tell a lock from before a reboot. */
  readonly bootId?: string;
  /** The holder's start time in clock ticks after boot (Linux /proc), to tell a reused pid. */
  readonly processStart?: string;
}

/** This machine's boot id (Linux), or undefined elsewhere. */
export function bootId(): string | undefined {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** When process `pid` started, in clock ticks after boot (field 22 of /proc/<pid>/stat), or undefined. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder recorded in a same-host lock is still that process (same boot, same start). */
function holderAlive(info: LockInfo): boolean {
  if (!pidAlive(info.pid)) return false;
  const boot = bootId();
  if (info.bootId !== undefined && boot !== undefined && info.bootId !== boot) return false;
  const start = processStart(info.pid);
  if (info.processStart !== undefined && start !== undefined && info.processStart !== start) return false;
  return true;
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
  if (info.host === os.hostname()) return !holderAlive(info) || old;
  return old;
}

/** Try to claim a cell: exclusive creation of its lock file, taking over a stale one. */
export function claimLock(dir: string, id: string, opts: { staleAfterMs?: number } = {}): ClaimResult {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}.lock`);
  const me: LockInfo = {
    host: os.hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...(bootId() !== undefined ? { bootId: bootId() } : {}),
    ...(processStart(process.pid) !== undefined ? { processStart: processStart(process.pid) } : {}),
  };
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

/** A lock file found in a locks folder, with who holds it and for how long (s), or why it is stale. */
export interface HeldLock {
  readonly id: string;
  readonly file: string;
  readonly holder: LockInfo | null;
  readonly ageSecond: number;
  readonly stale: boolean;
}

/** Every lock in `dir` (a `<store>/<experiment>/locks` folder): what `--status` lists. */
export function heldLocks(dir: string, opts: { staleAfterMs?: number; now?: number } = {}): HeldLock[] {
  if (!fs.existsSync(dir)) return [];
  const now = opts.now ?? Date.now();
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".lock"))
    .sort()
    .map((f) => {
      const file = path.join(dir, f),
        holder = readLock(file);
      let mtime = now;
      try {
        mtime = fs.statSync(file).mtimeMs;
      } catch {
        // removed meanwhile
      }
      return {
        id: f.replace(/\.lock$/, ""),
        file,
        holder,
        ageSecond: (now - mtime) / 1000,
        stale: isStale(file, holder, opts),
      };
    });
}

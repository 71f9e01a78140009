/**
 * Transparent huge pages for large arrays. Writing fresh memory costs a page fault per 4 KiB page;
 * where the kernel gives huge pages only on request (THP mode "madvise", Debian's default), glibc's
 * malloc tunable `glibc.malloc.hugetlb=1` (glibc ≥ 2.35; older versions and other C libraries ignore
 * it) requests 2 MiB pages for large allocations, which makes the arrays of a many-input circuit
 * solve several times cheaper to write (`npm run bench -- --only crossbar` measures it). A tunable is
 * read when a process starts, so it goes into the environment of the processes this project starts:
 * notebook kernels, grid workers, the benchmarks. `CROSSBAR_LAB_HUGE_PAGES=0` leaves it out, and a
 * `glibc.malloc.hugetlb` setting already in GLIBC_TUNABLES is kept as it is.
 */
import * as fs from "fs";

export const HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1";

/** `env` with the huge-page tunable added to GLIBC_TUNABLES (unchanged when turned off or already set). */
export function withHugePages(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.CROSSBAR_LAB_HUGE_PAGES === "0") return env;
  const current = env.GLIBC_TUNABLES ?? "";
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(current)) return env;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}

/** `env` without the huge-page tunable (for measuring what it saves). */
export function withoutHugePages(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const rest = (env.GLIBC_TUNABLES ?? "").split(":").filter((t) => t && !t.startsWith("glibc.malloc.hugetlb="));
  const out: NodeJS.ProcessEnv = { ...env, CROSSBAR_LAB_HUGE_PAGES: "0" };
  if (rest.length) out.GLIBC_TUNABLES = rest.join(":");
  else delete out.GLIBC_TUNABLES;
  return out;
}

/** Whether a process with this environment asks glibc for huge pages. */
export function hugePagesRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return /(^|:)glibc\.malloc\.hugetlb=1(:|$)/.test(env.GLIBC_TUNABLES ?? "");
}

/** The kernel's transparent-huge-page mode ("always", "madvise", "never"), or null where it cannot be read (not Linux). */
export function transparentHugePageMode(file = "/sys/kernel/mm/transparent_hugepage/enabled"): string | null {
  try {
    return /\[(\w+)\]/.exec(fs.readFileSync(file, "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

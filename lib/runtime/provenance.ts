/** Provenance attached to every figure and result: what ran, with what, when. */
import { execFileSync } from "child_process";
import * as path from "path";

export interface Provenance {
  readonly experiment: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly seed: string | number | null;
  readonly gitCommit: string;
  readonly date: string;
  readonly backend?: string;
}

/** The repository root (the folder holding package.json above this module). */
export function repoRoot(): string {
  return path.resolve(__dirname, "..", "..");
}

/** The results directory: $CROSSBAR_LAB_RESULTS_DIR, or results/ in the repository. */
export function resultsDir(): string {
  return process.env.CROSSBAR_LAB_RESULTS_DIR ?? path.join(repoRoot(), "results");
}

/** The current git commit (with "+dirty" if the tree has changes), or "unknown" outside git. */
export function gitCommit(cwd: string = repoRoot()): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd,
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}

export function provenance(
  experiment: string,
  parameters: Record<string, unknown> = {},
  seed: string | number | null = null,
  extra: { backend?: string; date?: Date } = {},
): Provenance {
  if (!experiment || typeof experiment !== "string") throw new Error("provenance: experiment name is required");
  return Object.freeze({
    experiment,
    parameters: Object.freeze({ ...parameters }),
    seed,
    gitCommit: gitCommit(),
    date: (extra.date ?? new Date()).toISOString(),
    ...(extra.backend ? { backend: extra.backend } : {}),
  });
}

/**
 * Run mode: `quick` (reduced epochs/repeats, for CI and reviewers short of time) or `full`
 * (the paper's protocol). Set by `npm run reproduce -- --quick` through the environment
 * variable CROSSBAR_LAB_MODE, so it reaches notebooks run by any Jupyter front end.
 */
export type RunMode = "quick" | "full";

export const MODE_ENV = "CROSSBAR_LAB_MODE";

/** The current run mode (default `full`); an unknown value is an error, not a silent default. */
export function runMode(env: NodeJS.ProcessEnv = process.env): RunMode {
  const raw = env[MODE_ENV];
  if (raw === undefined || raw === "") return "full";
  const v = raw.trim().toLowerCase();
  if (v === "quick" || v === "full") return v;
  throw new Error(`${MODE_ENV}=${JSON.stringify(raw)} is not a run mode: use "quick" or "full"`);
}

/** Pick the quick or full value of a parameter: `byMode({ quick: 200, full: 10000 })`. */
export function byMode<T>(values: { quick: T; full: T }, mode: RunMode = runMode()): T {
  return values[mode];
}

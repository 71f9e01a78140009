/**
 * Run mode: `quick` (reduced epochs/repeats, minutes on a laptop) or `full` (the paper's protocol,
 * hours to days). Quick unless asked otherwise: a notebook opened and run with nothing set never
 * starts a multi-day protocol. The full protocol is asked for with CROSSBAR_LAB_MODE=full (in the
 * environment of Jupyter, `npm run lab -- --full`, or `npm run reproduce -- --full`).
 */
export type RunMode = "quick" | "full";

export const MODE_ENV = "CROSSBAR_LAB_MODE";
export const DEFAULT_RUN_MODE: RunMode = "quick";

/** The current run mode (default quick); an unknown value is an error, not a silent default. */
export function runMode(env: NodeJS.ProcessEnv = process.env): RunMode {
  const raw = env[MODE_ENV];
  if (raw === undefined || raw === "") return DEFAULT_RUN_MODE;
  const v = raw.trim().toLowerCase();
  if (v === "quick" || v === "full") return v;
  throw new Error(`${MODE_ENV}=${JSON.stringify(raw)} is not a run mode: use "quick" or "full"`);
}

/** Pick the quick or full value of a parameter: `byMode({ quick: 200, full: 10000 })`. */
export function byMode<T>(values: { quick: T; full: T }, mode: RunMode = runMode()): T {
  return values[mode];
}

/** Rough wall time of a notebook in each mode, as told to the reader before anything runs. */
export interface ModeDurations {
  readonly quick: string;
  readonly full: string;
}

/**
 * The first line a notebook prints: which mode runs, roughly how long it takes, and how to get
 * the other mode. Returns the mode.
 */
export function announceMode(durations: ModeDurations, env: NodeJS.ProcessEnv = process.env): RunMode {
  const mode = runMode(env);
  const explicit = env[MODE_ENV] !== undefined && env[MODE_ENV] !== "";
  if (mode === "quick") {
    console.log(
      `run mode: quick${explicit ? "" : " (the default)"}, roughly ${durations.quick} on this machine. The paper's protocol (full mode, ${durations.full}) runs with ${MODE_ENV}=full set before Jupyter starts (npm run lab -- --full).`,
    );
  } else {
    console.log(
      `run mode: full (the paper's protocol), roughly ${durations.full}. Unset ${MODE_ENV} (or set it to quick) for the quick run, roughly ${durations.quick}.`,
    );
  }
  return mode;
}

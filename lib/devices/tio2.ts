/**
 * The passive TiO2 ReRAM device model of Drolet et al. 2023 (arXiv 2305.18495): conductance-tuning
 * imprecision (CTI), biasing-scheme drift (BSE) resampled per programming position from measured
 * data, and stuck-at-LRS/HRS failures (SAF). Conductance-disturbing nonidealities: they act on
 * programmed conductances; inference is then an ideal product.
 * Constants: spec drolet-2023 §3.1 (the authors' code defaults).
 */
import type { DriftTable } from "./drift-table";
import { droletDriftTable } from "./drift-table";

export interface TuningImprecisionConfig {
  readonly enabled: boolean;
  /** Relative std law σ_rel[%] = slope·G + intercept; slope in % per siemens (−6.24e-4 %/µS = −624 %/S). */
  readonly relStdSlopePercentPerSiemens: number;
  readonly relStdInterceptPercent: number;
  /** Multiplicative offset o ~ N(mean, std) in % of G. */
  readonly offsetMeanPercent: number;
  readonly offsetStdPercent: number;
}

export interface BiasingDriftConfig {
  readonly enabled: boolean;
  /** Measured drift per programming key; `null` means the Drolet table shipped in data/. */
  readonly table: DriftTable | null;
}

export interface StuckFailureConfig {
  readonly enabled: boolean;
  readonly pStuckLrs: number;
  readonly pStuckHrs: number;
  /** Conductance of an LRS-stuck device ~ N(mean, std). */
  readonly lrsMeanSiemens: number;
  readonly lrsStdSiemens: number;
  /** Conductance of an HRS-stuck device ~ U(min, max). */
  readonly hrsMinSiemens: number;
  readonly hrsMaxSiemens: number;
}

/**
 * Double-column mapping: `code` is the authors' code (half-weights min–max scaled onto
 * [gMin − gMax, gMax − gMin], i.e. −400…+400 µS, span 800 µS); `physical` maps each device into
 * [gMin, gMax] (ΔG span 400 µS).
 */
export type DoubleColumnMapping = "code" | "physical";

export interface TiO2DeviceConfig {
  readonly name: string;
  readonly citation: string;
  /** The programmable window (S): G_off (high-resistance state) < G_on (low-resistance state). */
  readonly gOffSiemens: number;
  readonly gOnSiemens: number;
  readonly dcMapping: DoubleColumnMapping;
  readonly tuning: TuningImprecisionConfig;
  readonly drift: BiasingDriftConfig;
  readonly failures: StuckFailureConfig;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o) && !ArrayBuffer.isView(o) && !(o instanceof Map)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

/** Drolet et al. 2023 TiO2 passive crossbar, as in the authors' code (spec §3.1). */
export const DROLET_2023_TIO2: TiO2DeviceConfig = deepFreeze({
  name: "drolet-2023-tio2",
  citation:
    "P. Drolet et al., Hardware-aware training techniques for improving robustness of ex-situ neural network transfer onto passive TiO2 ReRAM crossbars, arXiv:2305.18495 (2023)",
  gOffSiemens: 100e-6,
  gOnSiemens: 500e-6,
  dcMapping: "code",
  tuning: {
    enabled: true,
    relStdSlopePercentPerSiemens: -6.24e-4 * 1e6,
    relStdInterceptPercent: 0.691,
    offsetMeanPercent: -0.589,
    offsetStdPercent: 0.339,
  },
  drift: { enabled: true, table: null },
  failures: {
    enabled: true,
    pStuckLrs: 0.005,
    pStuckHrs: 0.005,
    lrsMeanSiemens: 573e-6,
    lrsStdSiemens: 99e-6,
    hrsMinSiemens: 10e-6,
    hrsMaxSiemens: 100e-6,
  },
});

export type VariabilitySource = "tuning" | "drift" | "failures";

/** A copy of a config with changes (checked); nested objects merge one level deep. */
export function withDevice(
  base: TiO2DeviceConfig,
  change: {
    name?: string;
    dcMapping?: DoubleColumnMapping;
    tuning?: Partial<TuningImprecisionConfig>;
    drift?: Partial<BiasingDriftConfig>;
    failures?: Partial<StuckFailureConfig>;
    gOffSiemens?: number;
    gOnSiemens?: number;
  },
): TiO2DeviceConfig {
  const known = new Set(["name", "dcMapping", "tuning", "drift", "failures", "gOffSiemens", "gOnSiemens"]);
  for (const k of Object.keys(change)) if (!known.has(k)) throw new Error(`unknown device option "${k}"`);
  const cfg: TiO2DeviceConfig = {
    ...base,
    ...(change.name !== undefined ? { name: change.name } : {}),
    ...(change.dcMapping !== undefined ? { dcMapping: change.dcMapping } : {}),
    ...(change.gOffSiemens !== undefined ? { gOffSiemens: change.gOffSiemens } : {}),
    ...(change.gOnSiemens !== undefined ? { gOnSiemens: change.gOnSiemens } : {}),
    tuning: { ...base.tuning, ...(change.tuning ?? {}) },
    drift: { ...base.drift, ...(change.drift ?? {}) },
    failures: { ...base.failures, ...(change.failures ?? {}) },
  };
  validateDevice(cfg);
  return deepFreeze(cfg);
}

/** Switch variability sources off (for ablations and the noise-free limit). */
export function withoutSources(base: TiO2DeviceConfig, ...sources: VariabilitySource[]): TiO2DeviceConfig {
  return withDevice(base, {
    name: `${base.name} without ${sources.join("+")}`,
    tuning: sources.includes("tuning") ? { enabled: false } : {},
    drift: sources.includes("drift") ? { enabled: false } : {},
    failures: sources.includes("failures") ? { enabled: false } : {},
  });
}

export function validateDevice(c: TiO2DeviceConfig): void {
  const pos = (v: number, what: string) => {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${what} must be a positive number, got ${v}`);
  };
  pos(c.gOffSiemens, "gOffSiemens");
  pos(c.gOnSiemens, "gOnSiemens");
  if (!(c.gOnSiemens > c.gOffSiemens))
    throw new RangeError(`gOnSiemens (${c.gOnSiemens}) must exceed gOffSiemens (${c.gOffSiemens})`);
  if (c.dcMapping !== "code" && c.dcMapping !== "physical")
    throw new Error(`unknown dcMapping "${c.dcMapping}": use "code" or "physical"`);
  const f = c.failures;
  for (const [k, v] of [
    ["pStuckLrs", f.pStuckLrs],
    ["pStuckHrs", f.pStuckHrs],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`failures.${k} must be a probability in [0, 1], got ${v}`);
  }
  if (f.pStuckLrs + f.pStuckHrs > 1) throw new RangeError("failures.pStuckLrs + pStuckHrs must not exceed 1");
  if (!(f.lrsStdSiemens >= 0)) throw new RangeError(`failures.lrsStdSiemens must be >= 0, got ${f.lrsStdSiemens}`);
  if (!(f.hrsMaxSiemens >= f.hrsMinSiemens && f.hrsMinSiemens >= 0))
    throw new RangeError("failures: need 0 <= hrsMinSiemens <= hrsMaxSiemens");
  if (!(c.tuning.offsetStdPercent >= 0))
    throw new RangeError(`tuning.offsetStdPercent must be >= 0, got ${c.tuning.offsetStdPercent}`);
}

/** σ_rel(G) in percent, the CTI law (paper Fig. 2). */
export function tuningRelStdPercent(c: TiO2DeviceConfig, gSiemens: number): number {
  return c.tuning.relStdSlopePercentPerSiemens * gSiemens + c.tuning.relStdInterceptPercent;
}

/** The drift table a config uses. */
export function driftTableOf(c: TiO2DeviceConfig): DriftTable {
  return c.drift.table ?? droletDriftTable();
}

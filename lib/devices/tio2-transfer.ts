/**
 * One TiO₂ device through a Drolet et al. 2023 transfer (spec §3.3–§3.8): tuning offset → tuning
 * noise → biasing drift (by the device's drift key) → stuck failure. The array-level transfer that
 * programs whole tensors in word-line order is `tile/transfer.ts`.
 */
import type { Rng } from "../runtime/random";
import { sampleDrift } from "./drift-table";
import { driftTableOf, TiO2DeviceConfig } from "./tio2";

/** One device after a transfer: its conductance, whether it failed, its tuning variance, and dG'/dG. */
export interface PerturbedDevice {
  /** G' (S). */
  readonly g: number;
  readonly failed: boolean;
  /** Variance of the tuning step (S²), for the KL term's σ. */
  readonly tuneVar: number;
  /** dG'/dG for these draws: the tuning's slope (drift adds a constant), 0 for a stuck device. */
  readonly slope: number;
}

/**
 * Perturb one device conductance (siemens): CTI offset → CTI noise → drift (key 0: none) → SAF.
 * `offsetSign` is +1 for double-column tensors and −1 for single-column ones (the authors' code).
 */
export function perturbConductance(
  g: number,
  cfg: TiO2DeviceConfig,
  offsetSign: 1 | -1,
  key: number,
  rng: Rng,
): PerturbedDevice {
  let tuneVar = 0,
    slope = 1;
  if (cfg.tuning.enabled) {
    const t = cfg.tuning;
    const o = rng.normal(t.offsetMeanPercent, t.offsetStdPercent);
    const offsetStd = (t.offsetStdPercent * g) / 100;
    g += (offsetSign * o * g) / 100;
    slope *= 1 + (offsetSign * o) / 100;
    // s(G) = σ_rel(G)·G with σ_rel = (a·G + b)/100: ds/dG = (2a·G + b)/100
    const s = ((t.relStdSlopePercentPerSiemens * g + t.relStdInterceptPercent) / 100) * g;
    const z = rng.normal();
    slope *= 1 + (z * (2 * t.relStdSlopePercentPerSiemens * g + t.relStdInterceptPercent)) / 100;
    g += s * z;
    tuneVar = s * s + offsetStd * offsetStd;
  }
  if (cfg.drift.enabled && key > 0) g += sampleDrift(driftTableOf(cfg), key, rng);
  let failed = false;
  const f = cfg.failures;
  if (f.enabled) {
    const u1 = rng.next(),
      u2 = rng.next();
    const pFail = f.pStuckLrs + f.pStuckHrs;
    if (u2 < pFail) {
      failed = true;
      slope = 0;
      g =
        u1 < f.pStuckHrs / pFail
          ? rng.uniform(f.hrsMinSiemens, f.hrsMaxSiemens)
          : rng.normal(f.lrsMeanSiemens, f.lrsStdSiemens);
    }
  }
  return { g, failed, tuneVar, slope };
}

/** Devices of an array after a transfer, in the array's order. */
export interface PerturbedArray {
  readonly gSiemens: Float64Array;
  /** dG'/dG per device (0 where stuck). */
  readonly jacobian: Float64Array;
  readonly tuneVariance: Float64Array;
  /** 0 working, 1 stuck in the HRS range, 2 stuck at LRS. */
  readonly stuck: Int8Array;
}

/** Perturb devices g (S) programmed in index order, device d with drift key keys[d] (`perturbConductance` each). */
export function perturbConductances(
  g: ArrayLike<number>,
  keys: ArrayLike<number>,
  cfg: TiO2DeviceConfig,
  offsetSign: 1 | -1,
  rng: Rng,
): PerturbedArray {
  if (keys.length !== g.length) throw new RangeError(`transfer: ${keys.length} drift keys for ${g.length} devices`);
  const n = g.length;
  const out = {
    gSiemens: new Float64Array(n),
    jacobian: new Float64Array(n),
    tuneVariance: new Float64Array(n),
    stuck: new Int8Array(n),
  };
  for (let d = 0; d < n; d++) {
    const p = perturbConductance(g[d], cfg, offsetSign, keys[d], rng);
    out.gSiemens[d] = p.g;
    out.jacobian[d] = p.slope;
    out.tuneVariance[d] = p.tuneVar;
    if (p.failed) out.stuck[d] = p.g <= cfg.failures.hrsMaxSiemens ? 1 : 2;
  }
  return out;
}

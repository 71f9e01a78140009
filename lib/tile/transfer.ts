/**
 * One Monte Carlo "transfer" of network parameters onto TiO2 crossbars (Drolet et al. 2023, spec
 * §3.2–§3.8): per tensor, map weights to conductances with the tile's mapping (single- or
 * double-column), program the devices in word-line order (each device's drift key counts the devices
 * programmed after it), perturb each (devices/tio2-transfer.ts), map back.
 */
import type { Rng } from "../runtime/random";
import { TiO2DeviceConfig, validateDevice } from "../devices/tio2";
import { perturbConductances } from "../devices/tio2-transfer";
import {
  conductanceScale,
  maxAbs,
  offsetPairConductances,
  pairWeights,
  singleConductances,
  singleMapping,
  singleWeights,
} from "./mapping";

export type MappingScheme = "exact" | "single" | "double";

export interface TensorTransfer {
  /** Perturbed weights, same layout as the input. */
  readonly values: Float64Array;
  /** 1 where a device of that weight failed (DC: either device). */
  readonly failed: Uint8Array;
  readonly scheme: MappingScheme;
  /** Weight-space std implied by the hardware (for the optional KL term), when asked for. */
  readonly sigma?: Float64Array;
}

/** A parameter tensor: values (row-major) and shape ([n] or [out, in]). */
export interface ParamTensor {
  readonly values: ArrayLike<number>;
  readonly shape: readonly number[];
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Programming position of every element (row-major index → position): 2-D (out, in) with out > 1
 * is programmed column-major (p = x·out + y for element (y, x)); 1-D tensors and 1×n rows in order.
 */
export function programmingPositions(shape: readonly number[]): Int32Array {
  const n = sizeOf(shape);
  const pos = new Int32Array(n);
  if (shape.length === 2 && shape[0] > 1) {
    const [out, inn] = shape;
    for (let y = 0; y < out; y++) for (let x = 0; x < inn; x++) pos[y * inn + x] = x * out + y;
  } else if (shape.length <= 2) {
    for (let i = 0; i < n; i++) pos[i] = i;
  } else {
    throw new RangeError(`parameter tensors must be 1-D or 2-D, got shape [${shape.join(", ")}]`);
  }
  return pos;
}

/** Drift key per element: n − p (devices programmed after it, plus one), 0 for the last device. */
export function driftKeys(shape: readonly number[]): Int32Array {
  const n = sizeOf(shape);
  const pos = programmingPositions(shape);
  return Int32Array.from(pos, (p) => (p === n - 1 ? 0 : n - p));
}

/** The mapping scheme for a tensor: exact (1 element), single-column (one sign), double-column (mixed). */
export function mappingScheme(values: ArrayLike<number>): MappingScheme {
  if (values.length === 1) return "exact";
  let pos = false,
    neg = false;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > 0) pos = true;
    else if (values[i] < 0) neg = true;
  }
  return pos && neg ? "double" : "single";
}

/**
 * A TiO₂ transfer (Drolet et al. 2023) as a disturbance of a crossbar layer's differential pairs: the
 * devices are programmed pair by pair in array order, both devices of a pair with its weight's drift
 * key (the pairs programmed after it, plus one; none for the last), with the double-column offset sign.
 */
export interface TiO2Transfer {
  readonly kind: "tio2-transfer";
  readonly device: TiO2DeviceConfig;
}

/** Each weight's drift key repeated for its `perWeight` devices (all devices of a weight share it). */
function keysPerDevice(weightKeys: Int32Array, perWeight: number): Int32Array {
  return Int32Array.from({ length: weightKeys.length * perWeight }, (_, d) => weightKeys[Math.floor(d / perWeight)]);
}

/** Drift keys of `devices` conductances held as pairs [n][2], programmed in order. */
export function pairDriftKeys(devices: number): Int32Array {
  if (!Number.isInteger(devices) || devices < 2 || devices % 2 !== 0)
    throw new RangeError(`transfer: pairs need an even number of devices >= 2, got ${devices}`);
  return keysPerDevice(driftKeys([devices / 2]), 2);
}

/** One realisation of a TiO₂ transfer on pairs g [n][2] (S): G' and dG'/dG per device. */
export function transferPairs(
  g: ArrayLike<number>,
  t: TiO2Transfer,
  rng: Rng,
): { gSiemens: Float64Array; jacobian: Float64Array } {
  validateDevice(t.device);
  const p = perturbConductances(g, pairDriftKeys(g.length), t.device, 1, rng);
  return { gSiemens: p.gSiemens, jacobian: p.jacobian };
}

/**
 * A tensor's device conductances before any noise, in the tile's layouts (lib/tile/mapping.ts): one
 * device per weight for a single-column tensor, pairs [n][2] (G⁺ at 2i, G⁻ at 2i + 1) for a
 * double-column one; an exact tensor keeps its value. `unmap` reads weights back.
 */
export interface MappedTensor {
  readonly scheme: MappingScheme;
  readonly gSiemens: Float64Array;
  readonly unmap: (g: ArrayLike<number>) => Float64Array;
}

/**
 * Map a tensor to conductances (no noise): the device conductances a transfer starts from. Double
 * column: min-G pairs with k_G = (G_on − G_off)/max|w| ("physical"), or the authors' code's offset
 * G_off − G_on and doubled scale ("code").
 */
export function mapTensor(values: ArrayLike<number>, cfg: TiO2DeviceConfig): MappedTensor {
  const n = values.length;
  const scheme = mappingScheme(values);
  if (scheme === "exact") return { scheme, gSiemens: Float64Array.from(values), unmap: (g) => Float64Array.from(g) };
  if (scheme === "single") {
    const m = singleMapping(values, cfg);
    return { scheme, gSiemens: singleConductances(values, cfg, m), unmap: (g) => singleWeights(g, cfg, m) };
  }
  const code = cfg.dcMapping === "code";
  const kG = (code ? 2 : 1) * conductanceScale(cfg, maxAbs(values));
  const offset = code ? cfg.gOffSiemens - cfg.gOnSiemens : cfg.gOffSiemens;
  return { scheme, gSiemens: offsetPairConductances(values, n, 1, offset, kG), unmap: (g) => pairWeights(g, n, 1, kG) };
}

/**
 * Transfer one tensor: map, perturb every device, map back. `withSigma` also returns the
 * hardware weight std (spec §5.3 (b)) for the optional KL term.
 */
export function transferTensor(
  t: ParamTensor,
  cfg: TiO2DeviceConfig,
  rng: Rng,
  opts: { withSigma?: boolean } = {},
): TensorTransfer {
  const n = sizeOf(t.shape);
  if (t.values.length !== n)
    throw new RangeError(`tensor has ${t.values.length} values for shape [${t.shape.join(", ")}]`);
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(t.values[i])) throw new RangeError(`parameter value ${i} is ${t.values[i]}`);
  const mapped = mapTensor(t.values, cfg);
  const failed = new Uint8Array(n);
  if (mapped.scheme === "exact")
    return {
      values: Float64Array.from(t.values),
      failed,
      scheme: "exact",
      ...(opts.withSigma ? { sigma: new Float64Array(n) } : {}),
    };
  const perWeight = mapped.scheme === "double" ? 2 : 1;
  const sign: 1 | -1 = mapped.scheme === "double" ? 1 : -1; // the authors' SC offset sign is opposite (spec §3.3)
  const p = perturbConductances(mapped.gSiemens, keysPerDevice(driftKeys(t.shape), perWeight), cfg, sign, rng);
  const varSum = new Float64Array(n);
  const failType = new Int8Array(n * 2); // 0 none, 1 HRS, 2 LRS (per device)
  for (let d = 0; d < n * perWeight; d++) {
    const i = Math.floor(d / perWeight);
    varSum[i] += p.tuneVariance[d];
    failType[2 * i + (d % perWeight)] = p.stuck[d];
    if (p.stuck[d] !== 0) failed[i] = 1;
  }
  const values = mapped.unmap(p.gSiemens);
  const pairs = perWeight === 2;
  let sigma: Float64Array | undefined;
  if (opts.withSigma) {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, t.values[i]);
      hi = Math.max(hi, t.values[i]);
    }
    const perMicro = (hi - lo) / 400; // weight units per µS, as in the authors' code (spec §5.3)
    sigma = Float64Array.from(varSum, (v, i) => {
      const both = pairs ? failType[2 * i] !== 0 && failType[2 * i] === failType[2 * i + 1] : failType[2 * i] !== 0;
      if (both) return (failType[2 * i] === 2 ? 99.44 : 14) * perMicro;
      return Math.sqrt(v) * 1e6 * perMicro;
    });
  }
  return { values, failed, scheme: mapped.scheme, ...(sigma ? { sigma } : {}) };
}

/** Transfer every tensor of a network (one independent sample for all of them). */
export function transferNetwork(
  params: readonly ParamTensor[],
  cfg: TiO2DeviceConfig,
  rng: Rng,
  opts: { withSigma?: boolean } = {},
): TensorTransfer[] {
  validateDevice(cfg);
  return params.map((p) => transferTensor(p, cfg, rng, opts));
}

/**
 * The periphery around a tile's array, in the order hardware applies it:
 * inputs → (noise management) → DAC (quantise, clip) → array (read noise on every device, drawn per
 * batch) → output noise → ADC (quantise, clip) → digital sum of the tiles' partial outputs.
 *
 * Quantisers (one definition, for the DAC and the ADC):
 * - signed, range ±R, 2^bits − 1 levels with 0 among them: step Δ = 2R/(2^bits − 2) (aihwkit's
 *   `res = 1/(2^bits − 2)` with step res·2·bound);
 * - unsigned, range [0, R], 2^bits levels: Δ = R/(2^bits − 1) (CrossSim's quantizer_adc.py);
 * - `bits: Infinity` is the ideal converter (no rounding; the range still clips).
 * Rounding is to the nearest level, or stochastic: ⌊u/Δ + U[0, 1)⌋ (aihwkit's inp/out_sto_round).
 *
 * Gradients are straight-through: ∂q/∂u = 1 inside the range and 0 where the value is clipped. The
 * range R gets the LSQ/PACT surrogate (Esser et al. 2020; Choi et al. 2018): with Δ ∝ R,
 * ∂q/∂R = (round(u/Δ) − u/Δ)·Δ/R inside the range (0 for an ideal converter) and ±1 (the clipped
 * side's sign) outside it.
 */
import type { Rng } from "../runtime/random";
import type { ConductanceWindow } from "./mapping";

export type Rounding = "nearest" | "stochastic";

export interface DacConfig {
  /** Resolution: an integer ≥ 2 (signed inputs), or Infinity for an ideal DAC. */
  readonly bits: number;
  /** The largest |voltage| the DAC drives (V); inputs beyond it are clipped. */
  readonly inputRangeVolt: number;
  readonly rounding?: Rounding;
  /**
   * "abs-max" (aihwkit's noise management): each input vector is scaled so its largest |x| drives
   * the full range, and its outputs are scaled back digitally. "none" (default): V = k_V·x.
   */
  readonly noiseManagement?: "none" | "abs-max";
}

/** How the ADC's range is set: fixed (A); "max", the largest output the mapping allows; "calibrated" on a batch. */
export type AdcRange =
  | { readonly kind: "fixed"; readonly rangeAmpere: number }
  | { readonly kind: "max" }
  | { readonly kind: "calibrated"; readonly percentile: number };

export interface AdcConfig {
  /** Resolution: an integer (≥ 2 signed, ≥ 1 unsigned), or Infinity for an ideal ADC. */
  readonly bits: number;
  /**
   * true (default): one ADC per output on the differential current I⁺ − I⁻, range ±R. false: one
   * ADC per bit line on its current, range [0, R], the pair subtracted digitally.
   */
  readonly signed?: boolean;
  readonly range: AdcRange;
  readonly rounding?: Rounding;
}

export interface PeripheryConfig {
  readonly dac?: DacConfig;
  readonly adc?: AdcConfig;
  /** σ of Gaussian noise added to every ADC input (A), drawn per read. */
  readonly outputNoiseAmpere?: number;
  /** σ of read noise on every device, as a fraction of its conductance, drawn fresh per batch. */
  readonly readNoiseRelative?: number;
  /** Finite conductance states: targets snap to the nearest of n evenly spaced levels from G_off to G_on. */
  readonly conductanceLevels?: number;
}

/** An ideal periphery: every field at its ideal value. */
export const IDEAL_PERIPHERY: PeripheryConfig = Object.freeze({});

function bitsOk(bits: number, min: number): boolean {
  return bits === Infinity || (Number.isInteger(bits) && bits >= min && bits <= 32);
}

function rounding(r: Rounding | undefined, where: string): void {
  if (r !== undefined && r !== "nearest" && r !== "stochastic")
    throw new RangeError(`${where}: rounding must be "nearest" or "stochastic", got ${String(r)}`);
}

/** Validate every field; each error names the field, its unit and the value. */
export function checkPeriphery(p: PeripheryConfig, where = "periphery"): void {
  const { dac, adc } = p;
  if (dac) {
    if (!bitsOk(dac.bits, 2))
      throw new RangeError(
        `${where}: dac.bits must be an integer from 2 to 32 (bits; a signed DAC needs −V, 0, +V) or Infinity (ideal), got ${dac.bits}`,
      );
    if (!(dac.inputRangeVolt > 0 && Number.isFinite(dac.inputRangeVolt)))
      throw new RangeError(`${where}: dac.inputRangeVolt must be a finite number > 0 (V), got ${dac.inputRangeVolt}`);
    rounding(dac.rounding, `${where}: dac`);
    const nm = dac.noiseManagement;
    if (nm !== undefined && nm !== "none" && nm !== "abs-max")
      throw new RangeError(`${where}: dac.noiseManagement must be "none" or "abs-max", got ${String(nm)}`);
  }
  if (adc) {
    const signed = adc.signed ?? true;
    if (!bitsOk(adc.bits, signed ? 2 : 1))
      throw new RangeError(
        `${where}: adc.bits must be an integer from ${signed ? 2 : 1} to 32 (bits) or Infinity (ideal), got ${adc.bits}`,
      );
    rounding(adc.rounding, `${where}: adc`);
    const r = adc.range as AdcRange | undefined;
    if (!r)
      throw new RangeError(
        `${where}: adc.range is missing: give { kind: "fixed", rangeAmpere }, { kind: "max" } or { kind: "calibrated", percentile }`,
      );
    if (r.kind === "fixed") {
      if (!(r.rangeAmpere > 0 && Number.isFinite(r.rangeAmpere)))
        throw new RangeError(`${where}: adc.range.rangeAmpere must be a finite number > 0 (A), got ${r.rangeAmpere}`);
    } else if (r.kind === "calibrated") {
      if (!(r.percentile > 0 && r.percentile <= 100))
        throw new RangeError(`${where}: adc.range.percentile must be in (0, 100] (%), got ${r.percentile}`);
    } else if (r.kind !== "max") {
      throw new RangeError(
        `${where}: unknown adc.range.kind "${(r as { kind: string }).kind}": use "fixed", "max" or "calibrated"`,
      );
    }
  }
  for (const k of ["outputNoiseAmpere", "readNoiseRelative"] as const) {
    const v = p[k];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v)))
      throw new RangeError(
        `${where}: ${k} must be a finite number >= 0 (${k === "outputNoiseAmpere" ? "A" : "fraction of G"}), got ${v}`,
      );
  }
  const n = p.conductanceLevels;
  if (n !== undefined && !(Number.isInteger(n) && n >= 2))
    throw new RangeError(`${where}: conductanceLevels must be an integer >= 2 (levels from G_off to G_on), got ${n}`);
}

/** True when the periphery changes nothing: no converter, no noise, continuous conductances. */
export function isIdealPeriphery(p: PeripheryConfig | undefined): boolean {
  return !p || (!p.dac && !p.adc && !p.outputNoiseAmpere && !p.readNoiseRelative && p.conductanceLevels === undefined);
}

/** The quantiser step Δ for range R (signed: ±R; unsigned: [0, R]); 0 for an ideal converter. */
export function quantiserStep(bits: number, rangeValue: number, signed: boolean): number {
  if (bits === Infinity) return 0;
  return signed ? (2 * rangeValue) / (2 ** bits - 2) : rangeValue / (2 ** bits - 1);
}

export interface Quantised {
  readonly value: number;
  /** −1 clipped at the low end, +1 at the high end, 0 inside the range. */
  readonly clipped: -1 | 0 | 1;
  /** ∂q/∂R by the LSQ/PACT surrogate (see the module comment). */
  readonly dRange: number;
}

/**
 * The level u rounds to for a converter of step Δ (> 0) whose range is [lo, hi], before clipping:
 * n·Δ with n = round(u/Δ) or ⌊u/Δ + U[0, 1)⌋. The one rounding rule of every converter here.
 */
export function roundToLevel(u: number, step: number, stochastic: boolean, rng: Rng | undefined): number {
  if (!stochastic) return Math.round(u / step);
  if (!rng) throw new RangeError("quantise: stochastic rounding needs a generator");
  return Math.floor(u / step + rng.next());
}

/** Quantise u to the converter's levels and clip it to its range. */
export function quantise(
  u: number,
  bits: number,
  rangeValue: number,
  signed: boolean,
  mode: Rounding,
  rng?: Rng,
): Quantised {
  const lo = signed ? -rangeValue : 0;
  if (u > rangeValue) return { value: rangeValue, clipped: 1, dRange: 1 };
  if (u < lo) return { value: lo, clipped: -1, dRange: signed ? -1 : 0 };
  const step = quantiserStep(bits, rangeValue, signed);
  if (step === 0) return { value: u, clipped: 0, dRange: 0 };
  const n = roundToLevel(u, step, mode === "stochastic", rng);
  const value = Math.min(rangeValue, Math.max(lo, n * step));
  return { value, clipped: 0, dRange: ((n - u / step) * step) / rangeValue };
}

/** Snap conductances (S) in place to n evenly spaced levels from G_off to G_on (values outside go to the nearest end). */
export function snapToLevels(g: Float64Array, levels: number, window: ConductanceWindow): Float64Array {
  const { gOffSiemens: lo, gOnSiemens: hi } = window,
    step = (hi - lo) / (levels - 1);
  for (let k = 0; k < g.length; k++)
    g[k] = lo + Math.min(levels - 1, Math.max(0, Math.round((g[k] - lo) / step))) * step;
  return g;
}

/** The `p`-th percentile (0 < p ≤ 100) of values, by linear interpolation between order statistics. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new RangeError("percentile: no values");
  const s = Float64Array.from(values).sort();
  const r = (p / 100) * (s.length - 1),
    i = Math.floor(r);
  return i + 1 < s.length ? s[i] + (r - i) * (s[i + 1] - s[i]) : s[i];
}

/**
 * aihwkit's inference periphery defaults (IOParameters, src/aihwkit/simulator/parameters/io.py:
 * inp_bound 1, inp_res 1/(2^7 − 2), out_bound 12, out_res 1/(2^9 − 2), out_noise 0.06, noise
 * management ABS_MAX), converted to SI for a tile with this window and full-scale input voltage.
 * aihwkit's units are an input of 1 at the DAC's bound and a weight of 1 at the largest |w|, so one
 * output unit is the current of one fully programmed pair at full input, V·(G_on − G_off):
 * ADC range 12·V·(G_on − G_off) A, output noise σ 0.06·V·(G_on − G_off) A.
 * Bound management (aihwkit's iterative re-reads) is not modelled: outputs beyond the range clip.
 */
export function aihwkitInferencePeriphery(window: ConductanceWindow, inputRangeVolt: number): PeripheryConfig {
  const unitAmpere = inputRangeVolt * (window.gOnSiemens - window.gOffSiemens);
  const p: PeripheryConfig = Object.freeze({
    dac: Object.freeze({ bits: 7, inputRangeVolt, rounding: "nearest", noiseManagement: "abs-max" } as const),
    adc: Object.freeze({
      bits: 9,
      signed: true,
      range: Object.freeze({ kind: "fixed", rangeAmpere: 12 * unitAmpere } as const),
    }),
    outputNoiseAmpere: 0.06 * unitAmpere,
  });
  checkPeriphery(p, "aihwkitInferencePeriphery");
  return p;
}

export const AIHWKIT_PERIPHERY_SOURCE = "IBM aihwkit IOParameters defaults (src/aihwkit/simulator/parameters/io.py)";

/** Word-line drive of a batch: [x, 1] (the bias line is an input of 1) through noise management and the DAC. */
export interface EncodedInputs {
  /** Volts per weight row, [batch][in + 1] (the bias row last). */
  readonly volts: Float32Array | Float64Array;
  /** Volts that represent an input of 1, per input vector: k_V, or the DAC range / max|x| under noise management. */
  readonly unitVolt: Float64Array;
  /** ∂V/∂(unit·x) per entry: 1 inside the DAC's range, 0 where clipped (straight-through). */
  readonly pass: Uint8Array;
  readonly clipped: number;
}

/**
 * Encode inputs x [batch][in] (row k at k·stride; default stride `in`) as word-line volts, into
 * `opts.volts` when given (an engine's own buffer, [batch][in + 1]).
 */
export function encodeInputs(
  x: ArrayLike<number>,
  batch: number,
  inDim: number,
  readVoltageVolt: number,
  dac: DacConfig | undefined,
  rng: Rng | undefined,
  opts: { stride?: number; volts?: Float32Array | Float64Array } = {},
): EncodedInputs {
  const w = inDim + 1,
    stride = opts.stride ?? inDim,
    unitVolt = new Float64Array(batch),
    pass = new Uint8Array(batch * w);
  const volts = opts.volts ?? new Float64Array(batch * w);
  if (volts.length < batch * w)
    throw new RangeError(`encodeInputs: the volts buffer holds ${volts.length} values, a batch needs ${batch * w}`);
  const R = dac ? dac.inputRangeVolt : Infinity,
    step = dac ? quantiserStep(dac.bits, R, true) : 0;
  const stochastic = dac?.rounding === "stochastic",
    managed = dac?.noiseManagement === "abs-max";
  let clipped = 0;
  for (let k = 0; k < batch; k++) {
    const o = k * stride,
      ov = k * w;
    let unit = readVoltageVolt,
      m = 1; // m: the largest |input| of the row, the bias input's 1 included
    if (managed) {
      for (let i = 0; i < inDim; i++) m = Math.max(m, Math.abs(x[o + i]));
      unit = R / m;
    }
    unitVolt[k] = unit;
    for (let i = 0; i <= inDim; i++) {
      const xv = i < inDim ? x[o + i] : 1;
      pass[ov + i] = 1;
      if (xv === 0 && !stochastic) {
        volts[ov + i] = 0; // 0 V, a level of every signed DAC
        continue;
      }
      if (!Number.isFinite(xv)) throw new RangeError(`layer forward: input [${k}][${i}] is ${xv}, not a finite number`);
      // under noise management R·(x/m): the row's largest input lands exactly on ±R, never an ulp beyond
      const u = managed ? R * (xv / m) : unit * xv;
      if (u > R || u < -R) {
        volts[ov + i] = u > R ? R : -R;
        pass[ov + i] = 0;
        clipped++;
      } else if (step === 0) {
        volts[ov + i] = u;
      } else {
        // nearest rounding inlined (roundToLevel's rule), the stochastic rule through it
        const level = stochastic ? roundToLevel(u, step, true, rng) : Math.round(u / step);
        volts[ov + i] = Math.min(R, Math.max(-R, level * step));
      }
    }
  }
  return { volts, unitVolt, pass, clipped };
}

/** One tile's outputs through output noise and the ADC: the digital differential current of each pair. */
export interface DigitisedOutputs {
  /** Digital I⁺ − I⁻ per pair, [batch][pairs] (A). */
  readonly differenceAmpere: Float64Array;
  /** ∂(difference)/∂I per bit line, [batch][2·pairs] (straight-through: 0 where clipped). */
  readonly dCurrent: Float64Array;
  /** ∂(difference)/∂R per pair (LSQ/PACT surrogate). */
  readonly dRange: Float64Array;
  readonly clipped: number;
  readonly converters: number;
}

/**
 * Digitise a tile's bit-line currents [batch][2·pairs] with range R (A; ignored without an ADC).
 * `sink`, when given, receives every ADC input (for calibration: |I⁺ − I⁻|, or each I ≥ 0 unsigned).
 */
export function digitise(
  currents: Float64Array,
  batch: number,
  pairs: number,
  p: PeripheryConfig,
  rangeAmpere: number,
  rng: Rng | undefined,
  sink?: number[],
): DigitisedOutputs {
  const adc = sink ? undefined : p.adc,
    sigma = p.outputNoiseAmpere ?? 0,
    signed = p.adc?.signed ?? true;
  const n = batch * pairs,
    converters = signed ? n : 2 * n;
  // every ADC input: the differential current of each pair (signed), or each bit line's (unsigned), plus noise
  const u = new Float64Array(converters);
  for (let j = 0; j < n; j++) {
    if (signed) u[j] = currents[2 * j] - currents[2 * j + 1];
    else {
      u[2 * j] = currents[2 * j];
      u[2 * j + 1] = currents[2 * j + 1];
    }
  }
  if (sigma > 0) for (let c = 0; c < converters; c++) u[c] += sigma * rng!.normal();
  if (sink) for (let c = 0; c < converters; c++) sink.push(signed ? Math.abs(u[c]) : u[c]);
  const value = u,
    pass = new Uint8Array(converters).fill(1),
    dRange = new Float64Array(converters);
  let clipped = 0;
  if (adc) {
    const R = rangeAmpere,
      lo = signed ? -R : 0,
      step = quantiserStep(adc.bits, R, signed),
      stochastic = adc.rounding === "stochastic";
    for (let c = 0; c < converters; c++) {
      const x = u[c];
      if (x > R || x < lo) {
        clipped++;
        pass[c] = 0;
        value[c] = x > R ? R : lo;
        dRange[c] = x > R ? 1 : signed ? -1 : 0;
      } else if (step > 0) {
        const level = stochastic ? roundToLevel(x, step, true, rng) : Math.round(x / step);
        value[c] = Math.min(R, Math.max(lo, level * step));
        dRange[c] = ((level - x / step) * step) / R;
      }
    }
  }
  const diff = new Float64Array(n),
    dI = new Float64Array(2 * n),
    dR = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (signed) {
      diff[j] = value[j];
      dI[2 * j] = pass[j];
      dI[2 * j + 1] = -pass[j];
      dR[j] = dRange[j];
    } else {
      diff[j] = value[2 * j] - value[2 * j + 1];
      dI[2 * j] = pass[2 * j];
      dI[2 * j + 1] = -pass[2 * j + 1];
      dR[j] = dRange[2 * j] - dRange[2 * j + 1];
    }
  }
  return { differenceAmpere: diff, dCurrent: dI, dRange: dR, clipped, converters: adc ? converters : 0 };
}

/** The "max" ADC range of a tile with `rows` word lines driven at up to `fullScaleVolt` (A). */
export function maxAdcRangeAmpere(
  adc: AdcConfig,
  rows: number,
  fullScaleVolt: number,
  window: ConductanceWindow,
): number {
  return rows * fullScaleVolt * ((adc.signed ?? true) ? window.gOnSiemens - window.gOffSiemens : window.gOnSiemens);
}

/** Whether a pass of this periphery draws random numbers (and so needs a generator). */
export function peripheryDraws(p: PeripheryConfig): boolean {
  return !!(
    p.outputNoiseAmpere ||
    p.readNoiseRelative ||
    p.dac?.rounding === "stochastic" ||
    p.adc?.rounding === "stochastic"
  );
}

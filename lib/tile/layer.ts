/**
 * A dense layer y = [x, 1]·W on crossbar tiles solved exactly. W is [in + 1][out] (the tile's
 * layout: inputs on word lines; the last row is the bias, a word line held at k_V). Weights map to
 * differential pairs (mapping.ts), inputs to voltages V = k_V·x, and outputs back by
 * y = (I⁺ − I⁻)/(k_V·k_G). A layer larger than one array is split into tiles of at most
 * `tileRows` word lines × `tileCols` bit lines (an even number: whole pairs); the partial currents of
 * tiles that share outputs are summed digitally. Gradients (∂L/∂W, ∂L/∂x) come from each tile's
 * adjoint solve.
 */
import type { Engine } from "../crossbar/solver";
import type { DisturbanceDraws } from "../devices/draws";
import { disturbConductances } from "../devices/disturbance";
import { expressionLaw } from "../devices/expression-law";
import type { ConductanceDisturbance } from "../devices/joksas";
import { DeviceTimeDisturbance, checkTimeWindow, timeDisturbance } from "../devices/time";
import { TiO2Transfer, transferPairs } from "./transfer";
import type { Rng } from "../runtime/random";
import { CircuitTile, TileForward } from "./circuit-tile";
import { ConductanceWindow, LayerRule, checkWindow, mapLayer, mapLayerBackward, weightColumns } from "./mapping";
import {
  DigitisedOutputs,
  EncodedInputs,
  PeripheryConfig,
  checkPeriphery,
  digitise,
  encodeInputs,
  maxAdcRangeAmpere,
  percentile,
  peripheryDraws,
  snapToLevels,
} from "./periphery";

export interface CrossbarLayerConfig extends ConductanceWindow {
  /** k_V: the voltage that represents an input of 1 (V). */
  readonly readVoltageVolt: number;
  /**
   * Weight implementation: a pair rule ("min-G", the default, or "avg") on weights [in + 1][out], or
   * "double" (Joksas et al.'s double weights: [in + 1][2·out], one non-negative weight per device).
   */
  readonly rule?: LayerRule;
  readonly wordSegmentOhm: number;
  readonly bitSegmentOhm: number;
  readonly sourceOhm?: number;
  readonly outputOhm?: number;
  /** Largest array: word lines, and bit lines (even: one pair per output). */
  readonly tileRows: number;
  readonly tileCols: number;
  /**
   * Which weight row sits on each physical word line of the layer (before it is split into tiles):
   * entry k is the input index on word line k (`in` = the bias row). A permutation of 0…in; default
   * the natural order (input i on word line i, the bias last). With line resistance it matters.
   */
  readonly wordLineOrder?: readonly number[];
  readonly engine?: Engine;
  /**
   * Devices that are not ohmic: their current (A) as a mathjs expression in the device voltage `V`
   * (V), its mapped conductance `G` (S) and named parameters, e.g. a Poole–Frenkel law whose
   * prefactor follows G. Absent: ohmic, I = G·V. Gradients reach the weights through ∂I/∂G, which
   * the expression law derives symbolically.
   */
  readonly deviceLaw?: DeviceLawSpec;
  /**
   * A conductance disturbance acting on the mapped conductances before currents are computed: one of
   * devices/joksas.ts (stuck devices, stuck at KDE values, D2D lognormal variability), or a TiO₂
   * transfer (devices/transfer.ts: tuning imprecision, biasing drift, stuck devices; the layer's
   * window must be the device's, and the devices are programmed pair by pair in physical order).
   * Each layer is one realisation, drawn from the constructor's `devices.rng` over the whole
   * [in + 1][2·out] array by physical word line. Gradients to the weights pass through it (0 for a
   * stuck device).
   */
  readonly disturbance?: LayerDisturbance;
  /**
   * The converters and noise around the array (periphery.ts): DAC, read noise, output noise, ADC,
   * finite conductance states. Absent: ideal. A pass whose periphery draws (noise, stochastic
   * rounding) needs a generator in `forward`.
   */
  readonly periphery?: PeripheryConfig;
}

/** A disturbance of the mapped conductances: Joksas et al.'s, a TiO₂ transfer, or programming and a read at time t (time.ts). */
export type LayerDisturbance = ConductanceDisturbance | TiO2Transfer | DeviceTimeDisturbance;

/**
 * Where a layer's devices come from: a generator for fresh draws (or the draws of a realisation to
 * replay) of its disturbance; or the conductances they hold, given by physical word line
 * [in + 1][2·out] (S), e.g. programmed devices read at a time t, with dG/dG_mapped per device.
 */
export type LayerDevices =
  | { readonly rng: Rng | DisturbanceDraws }
  | { readonly conductancesSiemens: ArrayLike<number>; readonly jacobian?: ArrayLike<number> };

export interface DeviceLawSpec {
  readonly expression: string;
  readonly parameters?: Readonly<Record<string, number>>;
}

export function checkLayerConfig(c: CrossbarLayerConfig): void {
  checkWindow(c, "crossbar layer");
  if (!(c.readVoltageVolt > 0 && Number.isFinite(c.readVoltageVolt)))
    throw new RangeError(`readVoltageVolt must be a finite number > 0 (V), got ${c.readVoltageVolt}`);
  if (!Number.isInteger(c.tileRows) || c.tileRows < 1)
    throw new RangeError(`tileRows must be a positive integer, got ${c.tileRows}`);
  if (!Number.isInteger(c.tileCols) || c.tileCols < 2 || c.tileCols % 2 !== 0)
    throw new RangeError(`tileCols must be an even integer >= 2 (pairs of columns), got ${c.tileCols}`);
  if (c.deviceLaw) {
    if (!/\bG\b/.test(c.deviceLaw.expression))
      throw new RangeError(
        `deviceLaw "${c.deviceLaw.expression}" does not use G, the mapped conductance: the weights would not reach the currents`,
      );
    if (c.deviceLaw.parameters && "G" in c.deviceLaw.parameters)
      throw new RangeError(`deviceLaw: "G" is the mapped conductance of each device, not a parameter to give`);
  }
  if (c.periphery) checkPeriphery(c.periphery, "crossbar layer: periphery");
  if (c.periphery && c.deviceLaw && (c.periphery.readNoiseRelative ?? 0) > 0)
    throw new RangeError(
      "crossbar layer: read noise on the conductances is modelled for ohmic devices; with a deviceLaw, use outputNoiseAmpere",
    );
}

/** The word-line order of a layer with `rows` weight rows: the given permutation (checked) or the natural one. */
function wordLineOrder(order: readonly number[] | undefined, rows: number): Int32Array {
  if (order === undefined) return Int32Array.from({ length: rows }, (_, k) => k);
  const seen = new Uint8Array(rows);
  if (order.length !== rows)
    throw new RangeError(`wordLineOrder has ${order.length} entries for ${rows} word lines (inputs + bias)`);
  order.forEach((r, k) => {
    if (!Number.isInteger(r) || r < 0 || r >= rows || seen[r])
      throw new RangeError(
        `wordLineOrder must be a permutation of 0…${rows - 1}: entry ${k} is ${r}${seen[r] ? " (repeated)" : ""}`,
      );
    seen[r] = 1;
  });
  return Int32Array.from(order);
}

/** One realisation of a layer's disturbance on its pairs [rows][cols] (S). */
function disturbLayer(
  g: Float64Array,
  rows: number,
  cols: number,
  d: LayerDisturbance,
  window: ConductanceWindow,
  rng: Rng | DisturbanceDraws,
): { gSiemens: Float64Array; jacobian: Float64Array } {
  if (d.kind === "device-time") {
    if ("kind" in rng)
      throw new RangeError(
        "crossbar layer: programming and a read at time t draw from a generator; they cannot replay given draws",
      );
    checkTimeWindow(d.model, window);
    return timeDisturbance(g, d, rng);
  }
  if (d.kind !== "tio2-transfer") return disturbConductances(g, rows, cols, d, window, rng);
  if ("kind" in rng)
    throw new RangeError(
      "crossbar layer: a TiO₂ transfer draws its devices from a generator; it cannot replay given draws",
    );
  if (window.gOffSiemens !== d.device.gOffSiemens || window.gOnSiemens !== d.device.gOnSiemens) {
    throw new RangeError(
      `crossbar layer: the TiO₂ transfer "${d.device.name}" is modelled on ${d.device.gOffSiemens}–${d.device.gOnSiemens} S, but the layer maps onto ${window.gOffSiemens}–${window.gOnSiemens} S`,
    );
  }
  return transferPairs(g, d, rng);
}

interface Placed {
  readonly tile: CircuitTile;
  /** ∂I/∂G of every device at given voltages, for a device law (null: ohmic, ∂I/∂G = V). */
  readonly sensitivity: ((v: Float64Array, out: Float64Array) => void) | null;
  /** First weight row (word line) and first output of the tile. */
  readonly r0: number;
  readonly o0: number;
  readonly rows: number;
  readonly outs: number;
}

export interface LayerForward {
  readonly batch: number;
  /** Outputs [batch][out], in weight units. */
  readonly y: Float64Array;
  readonly tiles: readonly TileForward[];
  /** The arrays the pass ran on (with that batch's read noise, if any), one per tile. */
  readonly arrays: readonly CircuitTile[];
  /**
   * What the periphery clipped: shares of DAC inputs and of ADC conversions (0 without converters),
   * and of devices whose read-noise draw fell below 0 S and was read as 0 S.
   */
  readonly clipped: { readonly inputs: number; readonly outputs: number; readonly devices: number };
  /** The layer that made the pass (a pass is only valid for its own layer). */
  readonly layer: CrossbarDenseLayer;
  readonly inputs: EncodedInputs;
  /** The inputs the pass was given, [batch][in]. */
  readonly x: Float64Array;
  readonly outputs: readonly DigitisedOutputs[];
}

export interface LayerPower {
  /** Per input (W), all tiles: delivered by the sources, and its parts. */
  readonly sourcesWatt: Float64Array;
  readonly devicesWatt: Float64Array;
  readonly wiresWatt: Float64Array;
  readonly sourceResistorsWatt: Float64Array;
}

export class CrossbarDenseLayer {
  readonly inDim: number;
  readonly outDim: number;
  readonly config: CrossbarLayerConfig;
  /** W [in + 1][out] as mapped (own copy). */
  readonly weights: Float64Array;
  /** k_G (S per weight unit). */
  readonly kG: number;
  /** The mapped pair conductances of the whole layer by physical word line (see `wordLineOrder`), [in + 1][2·out] (S). */
  readonly conductancesSiemens: Float64Array;
  /** The conductances the devices have: the mapped ones, disturbed when the config names a disturbance (S). */
  readonly deviceConductancesSiemens: Float64Array;
  /** dG'/dG per device of the disturbance (null: none). */
  private readonly disturbanceJacobian: Float64Array | null;
  /** Weight row on each physical word line. */
  readonly order: Int32Array;
  private readonly placed: Placed[] = [];
  /** Each tile's ADC range (A): fixed, "max", or set by `calibrate` (NaN until then). */
  private readonly adcRanges: number[] = [];

  constructor(
    weights: ArrayLike<number>,
    inDim: number,
    outDim: number,
    config: CrossbarLayerConfig,
    devices?: LayerDevices,
  ) {
    checkLayerConfig(config);
    if (!Number.isInteger(inDim) || inDim < 1 || !Number.isInteger(outDim) || outDim < 1)
      throw new RangeError(`layer sizes must be positive integers, got ${inDim} → ${outDim}`);
    const rule = config.rule ?? "min-G",
      cols = weightColumns(rule, outDim);
    if (weights.length !== (inDim + 1) * cols)
      throw new RangeError(
        `weights have ${weights.length} entries, expected (in + 1) × ${rule === "double" ? "2·out" : "out"} = ${(inDim + 1) * cols} (the last row is the bias)`,
      );
    this.inDim = inDim;
    this.outDim = outDim;
    this.config = config;
    this.weights = Float64Array.from(weights);
    const rows = inDim + 1;
    this.order = wordLineOrder(config.wordLineOrder, rows);
    const mapped = mapLayer(this.physical(this.weights), rows, outDim, config, rule);
    this.kG = mapped.kG;
    this.conductancesSiemens = mapped.gSiemens;
    const levels = config.periphery?.conductanceLevels;
    // finite conductance states: the devices are programmed to the nearest level (gradients pass straight through)
    const targets =
      levels === undefined ? this.conductancesSiemens : snapToLevels(this.conductancesSiemens.slice(), levels, config);
    if (devices && "conductancesSiemens" in devices) {
      if (config.disturbance)
        throw new RangeError(
          `crossbar layer: devices' conductances were given, and the config also names a ${config.disturbance.kind} disturbance`,
        );
      this.deviceConductancesSiemens = givenConductances(
        devices.conductancesSiemens,
        rows * 2 * outDim,
        "conductancesSiemens",
        true,
      );
      this.disturbanceJacobian = devices.jacobian
        ? givenConductances(devices.jacobian, rows * 2 * outDim, "jacobian", false)
        : null;
    } else if (config.disturbance) {
      if (!devices)
        throw new RangeError(
          `crossbar layer: a ${config.disturbance.kind} disturbance needs devices.rng (a generator, or the draws of a realisation)`,
        );
      const d = disturbLayer(targets, rows, 2 * outDim, config.disturbance, config, devices.rng);
      this.deviceConductancesSiemens = d.gSiemens;
      this.disturbanceJacobian = d.jacobian;
    } else {
      if (devices) throw new RangeError("crossbar layer: devices were given but the config names no disturbance");
      this.deviceConductancesSiemens = targets;
      this.disturbanceJacobian = null;
    }
    const pairs = config.tileCols / 2;
    for (let r0 = 0; r0 < rows; r0 += config.tileRows) {
      const tr = Math.min(config.tileRows, rows - r0);
      for (let o0 = 0; o0 < outDim; o0 += pairs) {
        const to = Math.min(pairs, outDim - o0),
          tc = 2 * to;
        const g = new Float64Array(tr * tc);
        for (let r = 0; r < tr; r++)
          g.set(
            this.deviceConductancesSiemens.subarray(
              (r0 + r) * 2 * outDim + 2 * o0,
              (r0 + r) * 2 * outDim + 2 * o0 + tc,
            ),
            r * tc,
          );
        const law = config.deviceLaw
          ? expressionLaw(config.deviceLaw.expression, { ...config.deviceLaw.parameters, G: g }, tr * tc)
          : null;
        this.placed.push({
          tile: new CircuitTile(g, tr, tc, config, law ? { law } : {}),
          sensitivity: law ? law.parameterSensitivity("G") : null,
          r0,
          o0,
          rows: tr,
          outs: to,
        });
        this.adcRanges.push(this.initialRange(tr));
      }
    }
  }

  /** A weight matrix ([in + 1][out], or [in + 1][2·out] for double weights) by weight row → by physical word line. */
  private physical(w: Float64Array): Float64Array {
    const n = w.length / (this.inDim + 1),
      p = new Float64Array(w.length);
    this.order.forEach((row, k) => p.set(w.subarray(row * n, (row + 1) * n), k * n));
    return p;
  }

  get tileCount(): number {
    return this.placed.length;
  }

  /** Linear in its inputs: ohmic devices on ideal wires with no converters or noise, so y = [x, 1]·W read from the devices. */
  get linear(): boolean {
    const p = this.config.periphery ?? {};
    return (
      !p.dac && !p.adc && !p.outputNoiseAmpere && !p.readNoiseRelative && this.placed.every((pl) => pl.tile.idealOhmic)
    );
  }

  /** Each tile's ADC range (A); NaN for a calibrated range not yet calibrated, Infinity without an ADC. */
  get adcRangesAmpere(): readonly number[] {
    return [...this.adcRanges];
  }

  private initialRange(rows: number): number {
    const adc = this.config.periphery?.adc;
    if (!adc) return Infinity;
    if (adc.range.kind === "fixed") return adc.range.rangeAmpere;
    if (adc.range.kind === "calibrated") return NaN;
    const dac = this.config.periphery?.dac;
    return maxAdcRangeAmpere(adc, rows, dac ? dac.inputRangeVolt : this.config.readVoltageVolt, this.config);
  }

  /**
   * Set each tile's ADC range to the configured percentile of its ADC inputs over a calibration
   * batch (CrossSim's calibrated range); returns the ranges (A). Only for `range.kind: "calibrated"`.
   */
  calibrate(x: ArrayLike<number>, batch: number, rng?: Rng): readonly number[] {
    const range = this.config.periphery?.adc?.range;
    if (range?.kind !== "calibrated")
      throw new RangeError(
        `layer calibrate: the ADC range is ${range ? `"${range.kind}"` : "absent (no ADC)"}; calibration sets a "calibrated" range`,
      );
    const sinks = this.placed.map(() => [] as number[]);
    this.pass(x, batch, rng, sinks);
    sinks.forEach((values, t) => {
      const r = percentile(values, range.percentile);
      if (!(r > 0))
        throw new RangeError(
          `layer calibrate: tile ${t}'s ADC inputs have percentile ${range.percentile} = ${r} A; a range must be > 0 (calibrate on inputs that drive the array)`,
        );
      this.adcRanges[t] = r;
    });
    return this.adcRangesAmpere;
  }

  /** Set calibrated ADC ranges (A), one per tile, e.g. those another realisation of this layer was calibrated to. */
  useAdcRanges(ranges: readonly number[]): void {
    const kind = this.config.periphery?.adc?.range.kind;
    if (kind !== "calibrated")
      throw new RangeError(
        `layer useAdcRanges: the ADC range is ${kind ? `"${kind}"` : "absent (no ADC)"}; only a "calibrated" range is set`,
      );
    if (ranges.length !== this.placed.length)
      throw new RangeError(`layer useAdcRanges: ${ranges.length} ranges for ${this.placed.length} tiles`);
    const bad = ranges.findIndex((r) => !(r > 0 && Number.isFinite(r)));
    if (bad >= 0)
      throw new RangeError(`layer useAdcRanges: tile ${bad}'s range is ${ranges[bad]} A; it must be finite and > 0`);
    ranges.forEach((r, t) => (this.adcRanges[t] = r));
  }

  /** y for inputs x [batch][in]; `rng` draws the periphery's noise and stochastic rounding, when it has any. */
  forward(x: ArrayLike<number>, batch: number, rng?: Rng): LayerForward {
    return this.pass(x, batch, rng);
  }

  private pass(x: ArrayLike<number>, batch: number, rng: Rng | undefined, sinks?: number[][]): LayerForward {
    const { inDim, outDim } = this;
    if (!Number.isInteger(batch) || batch < 1)
      throw new RangeError(`layer forward: batch must be a positive integer, got ${batch}`);
    if (x.length !== batch * inDim)
      throw new RangeError(`layer forward: ${x.length} inputs for a batch of ${batch} × ${inDim} features`);
    const p = this.config.periphery ?? {};
    if (peripheryDraws(p) && !rng)
      throw new RangeError("layer forward: the periphery draws noise or rounds stochastically; pass a generator (rng)");
    if (!sinks && this.adcRanges.some(Number.isNaN))
      throw new RangeError(
        'layer forward: the ADC range is "calibrated" but the layer has not been calibrated; call calibrate(x, batch) first',
      );
    const inputs = encodeInputs(x, batch, inDim, this.config.readVoltageVolt, p.dac, rng);
    const y = new Float64Array(batch * outDim),
      w = inDim + 1;
    const arrays: CircuitTile[] = [],
      outputs: DigitisedOutputs[] = [];
    let clippedOut = 0,
      converters = 0;
    const read = { clamped: 0, devices: 0 };
    const tiles = this.placed.map((pl, t) => {
      const v = new Float64Array(batch * pl.rows);
      for (let k = 0; k < batch; k++)
        for (let r = 0; r < pl.rows; r++) v[k * pl.rows + r] = inputs.volts[k * w + this.order[pl.r0 + r]];
      const array = this.readArray(pl, p.readNoiseRelative ?? 0, rng, read);
      const f = array.forward(v, batch);
      const d = digitise(f.currents, batch, pl.outs, p, this.adcRanges[t], rng, sinks?.[t]);
      clippedOut += d.clipped;
      converters += d.converters;
      for (let k = 0; k < batch; k++) {
        const scale = 1 / (inputs.unitVolt[k] * this.kG);
        for (let o = 0; o < pl.outs; o++) y[k * outDim + pl.o0 + o] += scale * d.differenceAmpere[k * pl.outs + o];
      }
      arrays.push(array);
      outputs.push(d);
      return f;
    });
    const clipped = {
      inputs: p.dac ? inputs.clipped / (batch * w) : 0,
      outputs: converters ? clippedOut / converters : 0,
      devices: read.devices ? read.clamped / read.devices : 0,
    };
    return { batch, y, tiles, arrays, clipped, layer: this, inputs, outputs, x: Float64Array.from(x) };
  }

  /** The array a pass runs on: the tile itself, or a copy whose every device has this read's noise (relative σ). */
  private readArray(
    pl: Placed,
    sigma: number,
    rng: Rng | undefined,
    read: { clamped: number; devices: number },
  ): CircuitTile {
    if (!(sigma > 0)) return pl.tile;
    const g = Float64Array.from(pl.tile.conductancesSiemens, (gk) => gk * (1 + sigma * rng!.normal()));
    read.devices += g.length;
    g.forEach((gk, k) => {
      if (gk < 0) {
        g[k] = 0;
        read.clamped++;
      }
    });
    return new CircuitTile(g, pl.tile.rows, pl.tile.cols, this.config);
  }

  private own(f: LayerForward, what: string): void {
    if (f.layer !== this)
      throw new RangeError(
        `layer ${what}: the forward pass was made by another layer (${f.layer.inDim} → ${f.layer.outDim}); pass this layer's own forward pass`,
      );
  }

  /** Power per input of a forward pass, summed over tiles. */
  power(f: LayerForward): LayerPower {
    this.own(f, "power");
    const z = () => new Float64Array(f.batch);
    const out = { sourcesWatt: z(), devicesWatt: z(), wiresWatt: z(), sourceResistorsWatt: z() };
    f.arrays.forEach((array, t) => {
      const p = array.power(f.tiles[t]);
      for (const k of Object.keys(out) as (keyof LayerPower)[]) for (let b = 0; b < f.batch; b++) out[k][b] += p[k][b];
    });
    return out;
  }

  /**
   * From ∂L/∂y [batch][out]: ∂L/∂W (the weights' layout, k_G held fixed) and ∂L/∂x [batch][in]; also
   * ∂L/∂G of the mapped pairs [in + 1][2·out] by physical word line (through the disturbance, if any),
   * for device-level studies. Through the periphery: straight-through converters (0 where clipped),
   * the noise-management scale held fixed; `dAdcRangeAmpere` is ∂L/∂R for one range shared by every
   * tile (LSQ/PACT surrogate; a "max" range held fixed), and `dReadVoltageVolt` is ∂L/∂k_V, the input
   * scale (0 under noise management, where k_V does not act).
   */
  backward(
    f: LayerForward,
    dy: ArrayLike<number>,
  ): {
    dWeights: Float64Array;
    dInputs: Float64Array;
    dConductances: Float64Array;
    dAdcRangeAmpere: number;
    dReadVoltageVolt: number;
  } {
    this.own(f, "backward");
    const { inDim, outDim } = this;
    const batch = f.batch,
      w = inDim + 1,
      kV = this.config.readVoltageVolt;
    if (dy.length !== batch * outDim)
      throw new RangeError(`layer backward: ${dy.length} output gradients for a batch of ${batch} × ${outDim}`);
    const { unitVolt, pass } = f.inputs;
    const noiseManaged = this.config.periphery?.dac?.noiseManagement === "abs-max";
    const dG = new Float64Array((inDim + 1) * 2 * outDim);
    const dx = new Float64Array(batch * inDim);
    let dRange = 0,
      dkV = 0;
    this.placed.forEach((pl, t) => {
      const tc = 2 * pl.outs,
        d = f.outputs[t];
      const dI = new Float64Array(batch * tc);
      for (let k = 0; k < batch; k++) {
        const scale = 1 / (unitVolt[k] * this.kG);
        for (let o = 0; o < pl.outs; o++) {
          const g = scale * dy[k * outDim + pl.o0 + o],
            j = k * pl.outs + o;
          dI[k * tc + 2 * o] = g * d.dCurrent[2 * j];
          dI[k * tc + 2 * o + 1] = g * d.dCurrent[2 * j + 1];
          dRange += g * d.dRange[j];
        }
      }
      const b = f.arrays[t].backward(f.tiles[t], dI, pl.sensitivity ?? undefined);
      for (let r = 0; r < pl.rows; r++)
        for (let c = 0; c < tc; c++) dG[(pl.r0 + r) * 2 * outDim + 2 * pl.o0 + c] += b.dConductances[r * tc + c];
      for (let k = 0; k < batch; k++)
        for (let r = 0; r < pl.rows; r++) {
          const row = this.order[pl.r0 + r],
            q = k * w + row,
            dV = b.dVoltages[k * pl.rows + r] * pass[q];
          if (row < inDim) dx[k * inDim + row] += unitVolt[k] * dV;
          if (!noiseManaged) dkV += dV * (row < inDim ? f.x[k * inDim + row] : 1);
        }
    });
    if (!noiseManaged) for (let q = 0; q < f.y.length; q++) dkV -= (dy[q] * f.y[q]) / kV;
    const jac = this.disturbanceJacobian;
    if (jac) for (let k = 0; k < dG.length; k++) dG[k] *= jac[k];
    const rule = this.config.rule ?? "min-G",
      cols = weightColumns(rule, outDim);
    const dWp = mapLayerBackward(this.physical(this.weights), dG, inDim + 1, outDim, this.kG, rule);
    const dW = new Float64Array(dWp.length);
    this.order.forEach((row, k) => dW.set(dWp.subarray(k * cols, (k + 1) * cols), row * cols));
    const shared = this.config.periphery?.adc?.range.kind === "fixed" ? dRange : 0;
    return { dWeights: dW, dInputs: dx, dConductances: dG, dAdcRangeAmpere: shared, dReadVoltageVolt: dkV };
  }
}

/** Conductances (or a Jacobian) given for a layer's devices: the right count, finite, and ≥ 0 for conductances. */
function givenConductances(a: ArrayLike<number>, n: number, what: string, nonNegative: boolean): Float64Array {
  if (a.length !== n)
    throw new RangeError(
      `crossbar layer: devices.${what} has ${a.length} entries, the layer has ${n} devices ([in + 1][2·out])`,
    );
  const out = Float64Array.from(a);
  out.forEach((v, k) => {
    if (!Number.isFinite(v) || (nonNegative && v < 0))
      throw new RangeError(
        `crossbar layer: devices.${what}[${k}] is ${v}${nonNegative ? " S; a conductance must be finite and >= 0" : ", not a finite number"}`,
      );
  });
  return out;
}

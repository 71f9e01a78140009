/**
 * A tile over time: program once, read at any time t after programming, and compensate drift.
 *
 * - `programLayer(layer, model, rng)` realises every device of a layer once (devices/time.ts:
 *   programming noise and a drift exponent per device); `readAt(t, rng)` returns the same layer
 *   with the conductances its devices have t seconds after programming (drift, and read noise drawn
 *   afresh), on the same circuit and periphery.
 * - The `device-time` layer disturbance (devices/time.ts) does both at once for every realisation,
 *   with a read time that is fixed or drawn log-uniformly: drift-aware training draws a new time
 *   for every batch.
 * - Drift compensation (aihwkit's `GlobalDriftCompensation` / `PerColumnDriftCompensation`,
 *   src/aihwkit/inference/compensation/drift.py): at programming, read the layer's outputs for the
 *   one-hot inputs through the same noisy forward pass and keep their mean |y| (over all outputs, or
 *   per column). At time t, read again and scale the outputs digitally by reference / read.
 */
import { DeviceTimeModel, ProgrammedDevices, checkTimeWindow, conductancesAt, programDevices } from "../devices/time";
import type { Rng } from "../runtime/random";
import { CrossbarDenseLayer } from "./layer";

/** A layer whose devices were programmed once: read it at any time after programming. */
export class ProgrammedLayer {
  readonly layer: CrossbarDenseLayer;
  readonly devices: ProgrammedDevices;

  constructor(layer: CrossbarDenseLayer, model: DeviceTimeModel, rng: Rng) {
    if (layer.config.disturbance)
      throw new RangeError(
        `programLayer: the layer already has a ${layer.config.disturbance.kind} disturbance; program a layer without one (its devices are the programming targets)`,
      );
    checkTimeWindow(model, layer.config);
    this.layer = layer;
    this.devices = programDevices(layer.deviceConductancesSiemens, model, rng);
  }

  get model(): DeviceTimeModel {
    return this.devices.model;
  }

  /** The layer as read t seconds after programming (t ≥ the model's t₀); `rng` draws this read's noise. */
  readAt(tSecond: number, rng: Rng, opts: { readNoiseScale?: number } = {}): CrossbarDenseLayer {
    const read = conductancesAt(this.devices, tSecond, rng, opts);
    const { weights, inDim, outDim, config } = this.layer;
    return new CrossbarDenseLayer(weights, inDim, outDim, config, {
      conductancesSiemens: read.gSiemens,
      jacobian: read.jacobian,
    });
  }
}

export function programLayer(layer: CrossbarDenseLayer, model: DeviceTimeModel, rng: Rng): ProgrammedLayer {
  return new ProgrammedLayer(layer, model, rng);
}

export type DriftCompensation = "none" | "global" | "per-column";
export const DRIFT_COMPENSATIONS: readonly DriftCompensation[] = Object.freeze(["none", "global", "per-column"]);

/** Mean |y| of a layer's outputs for the one-hot inputs: over everything, and per output column. */
export interface CompensationReference {
  readonly globalMeanAbs: number;
  readonly columnMeanAbs: Float64Array;
}

/** Read the one-hot inputs through the layer (its periphery and noise included; `rng` when it draws). */
export function compensationReadout(layer: CrossbarDenseLayer, rng?: Rng): CompensationReference {
  const n = layer.inDim,
    m = layer.outDim,
    eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const y = layer.forward(eye, n, rng).y,
    col = new Float64Array(m);
  let all = 0;
  for (let k = 0; k < n; k++)
    for (let o = 0; o < m; o++) {
      const a = Math.abs(y[k * m + o]);
      col[o] += a / n;
      all += a;
    }
  return { globalMeanAbs: all / (n * m), columnMeanAbs: col };
}

/**
 * Digital output gains per column at time t: reference / read (1 for "none"). A reference or a read
 * of 0 (a column with no signal) is refused rather than turned into an infinite gain.
 */
export function compensationGains(
  kind: DriftCompensation,
  reference: CompensationReference | undefined,
  now: CompensationReference,
): Float64Array {
  if (!DRIFT_COMPENSATIONS.includes(kind))
    throw new RangeError(`drift compensation must be one of ${DRIFT_COMPENSATIONS.join(", ")}, got "${kind}"`);
  const m = now.columnMeanAbs.length;
  if (kind === "none") return new Float64Array(m).fill(1);
  if (!reference)
    throw new RangeError(
      `${kind} drift compensation needs a reference read at programming (compensationReadout of the layer at t₀)`,
    );
  if (reference.columnMeanAbs.length !== m)
    throw new RangeError(
      `drift compensation: the reference has ${reference.columnMeanAbs.length} columns, the layer ${m}`,
    );
  const ratio = (ref: number, read: number, what: string) => {
    if (!(ref > 0 && read > 0))
      throw new RangeError(
        `drift compensation: ${what} mean |y| is ${ref} at programming and ${read} now; both must be > 0`,
      );
    return ref / read;
  };
  if (kind === "global")
    return new Float64Array(m).fill(ratio(reference.globalMeanAbs, now.globalMeanAbs, "the global"));
  return Float64Array.from(reference.columnMeanAbs, (r, o) => ratio(r, now.columnMeanAbs[o], `column ${o}'s`));
}

/** Scale outputs y [batch][out] in place by per-column gains. */
export function applyGains(y: Float64Array, gains: Float64Array): Float64Array {
  const m = gains.length;
  if (y.length % m !== 0) throw new RangeError(`applyGains: ${y.length} outputs are not a whole batch of ${m} columns`);
  for (let q = 0; q < y.length; q++) y[q] *= gains[q % m];
  return y;
}

/**
 * Where the power of a memristive MLP goes (spec joksas-2022 §6): per layer, per device, per example,
 * and how the conductance window moves it.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/random";
import type { ImageSet } from "../data/mnist";
import { DeviceSetup, deviceSetup } from "../devices/joksas";
import { MemristiveMlp, T_READ_SECONDS, efficiencyTopsPerWatt } from "../training/memristive-mlp";
import { devicePowers, meanDevicePower } from "../training/memristive";

export interface PowerBreakdown {
  /** Mean power per example of each layer (W). */
  readonly layerWatts: number[];
  /** Power of every example (W), summed over layers. */
  readonly exampleWatts: Float64Array;
  /** Mean squared input (pixel intensity) of every example: the ohmic power of layer 1 grows with it. */
  readonly exampleMeanSquareInput: Float64Array;
  readonly totalWatts: number;
  /** Energy per inference t_read·ΣP_layer (J). */
  readonly energyJoule: number;
  readonly efficiencyTopsPerWatt: number;
}

/** Power per layer and per example over `data` under a setup (one device realisation per batch). */
export function powerBreakdown(
  model: MemristiveMlp,
  data: ImageSet,
  stage: DeviceSetup,
  rng: Rng,
  batchSize = 100,
): PowerBreakdown {
  if (stage.gOffSiemens === null && model.spec.weights.kind === "standard")
    throw new Error("a standard-weights network on the ideal setup runs in software: no power to break down");
  const L = model.layers.length;
  const layerSum = new Float64Array(L);
  const exampleWatts = new Float64Array(data.n),
    msq = new Float64Array(data.n);
  for (let s = 0; s < data.n; s += batchSize) {
    const e = Math.min(data.n, s + batchSize);
    tf.tidy(() => {
      const x = tf.tensor2d(data.x.subarray(s * data.features, e * data.features), [e - s, data.features]);
      msq.set(tf.mean(tf.square(x), 1).dataSync(), s);
      const perLayer: tf.Tensor1D[] = [];
      model.forward(x, stage, rng.fork(`batch/${s}`), {
        trace: (l, t) => {
          perLayer[l] = tf.sum(devicePowers(t), [1, 2]) as tf.Tensor1D;
        },
      });
      perLayer.forEach((p, l) => {
        const v = p.dataSync();
        for (let i = 0; i < v.length; i++) {
          layerSum[l] += v[i];
          exampleWatts[s + i] += v[i];
        }
      });
    });
  }
  const layerWatts = Array.from(layerSum, (v) => v / data.n);
  const total = layerWatts.reduce((a, b) => a + b, 0);
  return {
    layerWatts,
    exampleWatts,
    exampleMeanSquareInput: msq,
    totalWatts: total,
    energyJoule: T_READ_SECONDS * total,
    efficiencyTopsPerWatt: efficiencyTopsPerWatt(model.synapses(), total),
  };
}

export interface DevicePowerMap {
  readonly rows: number;
  /** 2·n_out columns in blocked order: positive devices of neurons 0…n−1, then negative ones. */
  readonly cols: number;
  /** Mean power per device (W), row-major. */
  readonly watts: Float64Array;
  /** Conductance of every device in the last realisation (S), row-major. */
  readonly conductancesSiemens: Float64Array;
}

/** Mean power of every device of one layer over `data` (W). */
export function devicePowerMap(
  model: MemristiveMlp,
  layer: number,
  data: ImageSet,
  stage: DeviceSetup,
  rng: Rng,
  batchSize = 50,
): DevicePowerMap {
  if (!Number.isInteger(layer) || layer < 0 || layer >= model.layers.length)
    throw new RangeError(`layer must be 0…${model.layers.length - 1}, got ${layer}`);
  let acc: Float64Array | null = null,
    gs: Float64Array | null = null,
    rows = 0,
    cols = 0;
  for (let s = 0; s < data.n; s += batchSize) {
    const e = Math.min(data.n, s + batchSize);
    tf.tidy(() => {
      const x = tf.tensor2d(data.x.subarray(s * data.features, e * data.features), [e - s, data.features]);
      model.forward(x, stage, rng.fork(`batch/${s}`), {
        trace: (l, t) => {
          if (l !== layer) return;
          [rows, cols] = t.g.shape;
          const p = meanDevicePower(t).dataSync();
          acc ??= new Float64Array(p.length);
          for (let i = 0; i < p.length; i++) acc[i] += (p[i] * (e - s)) / data.n;
          gs = Float64Array.from(t.g.dataSync());
        },
      });
    });
  }
  if (!acc || !gs)
    throw new Error(
      `layer ${layer} did not run on a crossbar (a standard network on the ideal setup runs in software)`,
    );
  return { rows, cols, watts: acc, conductancesSiemens: gs };
}

/** The same device setup with its conductance window scaled by `factor` (ohmic setups only: the PF fits belong to their window). */
export function scaledWindow(setup: DeviceSetup, factor: number): DeviceSetup {
  if (!(factor > 0)) throw new RangeError(`window scale factor must be > 0, got ${factor}`);
  if (setup.gOffSiemens === null || setup.gOnSiemens === null)
    throw new Error(`setup ${setup.id} has no conductance window`);
  if (setup.currentModel)
    throw new Error(
      `setup ${setup.id} has a Poole–Frenkel model fitted to its own window: scale an ohmic setup instead`,
    );
  return deviceSetup(
    {
      id: `${setup.id}×${factor}`,
      name: `${setup.name} (window ×${factor})`,
      gOffSiemens: setup.gOffSiemens * factor,
      gOnSiemens: setup.gOnSiemens * factor,
      readVoltageVolt: setup.readVoltageVolt,
      citation: setup.citation,
    },
    setup.disturbance ? [setup.disturbance] : [],
  );
}

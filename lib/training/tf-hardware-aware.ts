/**
 * Hardware-aware training as tfjs components, for any network whose parameters are tf.Variables
 * (dense layers, the crossbar layers of later experiments). One step:
 *  1. sample a transfer of the current parameter values (outside autodiff);
 *  2. forward with w + stopGradient(w̃ − w) (a constant delta, so ∂L/∂w = ∂L/∂w̃);
 *  3. loss + (λ/2)·Σw² (coupled L2), optimizer step;
 *  4. restore the values of parameters whose devices failed (dropout-like freezing).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/random";
import type { TiO2DeviceConfig } from "../devices/tio2";
import { TensorTransfer, transferNetwork } from "../tile/transfer";
import type { Mlp } from "./mlp";

/** w + stopGradient(w̃ − w) for every variable: forward value w̃, gradient to w. */
export function injectNoise(vars: readonly tf.Variable[], transfers: readonly TensorTransfer[]): tf.Tensor[] {
  if (vars.length !== transfers.length)
    throw new RangeError(`${vars.length} variables but ${transfers.length} transfers`);
  return vars.map((v, i) => {
    const w = v.dataSync();
    const delta = Float32Array.from(transfers[i].values, (x, j) => x - w[j]);
    // The delta is built from plain values, so it is a constant for autodiff: this is
    // w + stopGradient(w̃ − w) (tfjs has no stopGradient op; a constant needs none).
    return v.add(tf.tensor(delta, v.shape));
  });
}

/** Restore the entries of `vars` whose devices failed to their values in `before`. */
export function freezeFailed(
  vars: readonly tf.Variable[],
  before: readonly Float32Array[],
  transfers: readonly TensorTransfer[],
): number {
  let frozen = 0;
  vars.forEach((v, i) => {
    const f = transfers[i].failed;
    if (!f.some((x) => x === 1)) return;
    const now = v.dataSync().slice();
    for (let j = 0; j < f.length; j++)
      if (f[j]) {
        now[j] = before[i][j];
        frozen++;
      }
    v.assign(tf.tensor(now, v.shape));
  });
  return frozen;
}

/** (λ/2)·Σ w² over all variables. */
export function l2Penalty(vars: readonly tf.Variable[], lambda: number): tf.Scalar {
  return tf.mul(lambda / 2, tf.addN(vars.map((v) => tf.sum(tf.square(v))))) as tf.Scalar;
}

export interface TfStepOptions {
  readonly device: TiO2DeviceConfig | null;
  readonly noiseInjection: boolean;
  readonly freezeFailed: boolean;
  readonly l2: number;
}

/**
 * One training step. `lossOf(params)` computes the data loss from the (possibly noisy) parameter
 * tensors, in the same order as `vars`. Returns the loss value and the transfer used (or null).
 */
export function hardwareAwareStep(
  vars: readonly tf.Variable[],
  lossOf: (params: tf.Tensor[]) => tf.Scalar,
  optimizer: tf.Optimizer,
  opts: TfStepOptions,
  rng: Rng,
): { loss: number; transfers: TensorTransfer[] | null } {
  let transfers: TensorTransfer[] | null = null;
  if (opts.device && (opts.noiseInjection || opts.freezeFailed)) {
    transfers = transferNetwork(
      vars.map((v) => ({ values: v.dataSync(), shape: v.shape })),
      opts.device,
      rng,
    );
  }
  const before = opts.freezeFailed && transfers ? vars.map((v) => v.dataSync().slice() as Float32Array) : [];
  const lossT = optimizer.minimize(
    () => {
      const params = opts.noiseInjection && transfers ? injectNoise(vars, transfers) : [...vars];
      const data = lossOf(params);
      return opts.l2 > 0 ? (tf.add(data, l2Penalty(vars, opts.l2)) as tf.Scalar) : data;
    },
    true,
    [...vars],
  );
  const loss = lossT!.dataSync()[0];
  lossT!.dispose();
  if (opts.freezeFailed && transfers) freezeFailed(vars, before, transfers);
  return { loss, transfers };
}

/** tf.Variables holding an Mlp's parameters (W: [out, in], b: [out]). */
export function mlpVariables(m: Mlp): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (let l = 1; l < m.sizes.length; l++) {
    out.push(tf.variable(tf.tensor2d(Float32Array.from(m.params[2 * (l - 1)]), [m.sizes[l], m.sizes[l - 1]])));
    out.push(tf.variable(tf.tensor1d(Float32Array.from(m.params[2 * (l - 1) + 1]))));
  }
  return out;
}

/** Logits of a dense sigmoid network: x·Wᵀ + b per layer, sigmoid between layers. */
export function tfMlpLogits(params: readonly tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D {
  let a: tf.Tensor2D = x;
  for (let l = 0; l < params.length / 2; l++) {
    const z = tf.add(tf.matMul(a, params[2 * l] as tf.Tensor2D, false, true), params[2 * l + 1]) as tf.Tensor2D;
    a = l < params.length / 2 - 1 ? tf.sigmoid(z) : z;
  }
  return a;
}

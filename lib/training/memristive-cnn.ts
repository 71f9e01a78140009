/**
 * The CIFAR-10 network of Joksas et al. 2022 (spec §5.1): a digital convolutional front end
 * (Conv 32@3×3 ReLU → MaxPool 2×2 → Conv 64@3×3 ReLU → MaxPool 2×2 → Conv 64@3×3 ReLU capped at 1)
 * followed by two crossbar layers, 1024→25 (sigmoid) and 25→10 (softmax), as a `MemristiveMlp`.
 * Only the crossbar layers meet device nonidealities; the convolutions are ideal, as in the paper.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/random";
import type { DeviceSetup } from "../devices/joksas";
import type { LayerTrace } from "./memristive";
import {
  MemristiveMlp,
  MemristiveNetwork,
  WeightImplementation,
  restoreVariables,
  snapshotVariables,
} from "./memristive-mlp";

export const CIFAR_IMAGE: readonly [number, number, number] = Object.freeze([32, 32, 3] as [number, number, number]);
const CONVS = Object.freeze([
  { filters: 32, cap: Infinity },
  { filters: 64, cap: Infinity },
  { filters: 64, cap: 1 },
]);

/** Keras' default kernel initialiser: Glorot uniform, limit √(6 / (fan_in + fan_out)). */
function glorotKernel(k: number, inC: number, outC: number, rng: Rng): tf.Variable {
  const limit = Math.sqrt(6 / (k * k * inC + k * k * outC));
  return tf.variable(tf.randomUniform([k, k, inC, outC], -limit, limit, "float32", rng.tfSeed()));
}

/**
 * A 3×3 convolution, stride 1, valid padding, as one matrix product over the nine shifted views
 * (im2col). Equal to tf.conv2d, but differentiable with respect to the kernel on the wasm backend,
 * which has no Conv2DBackpropFilter kernel.
 */
export function conv3x3Valid(a: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, inC] = a.shape;
  const [kh, kw, kin, outC] = kernel.shape;
  if (kh !== 3 || kw !== 3 || kin !== inC)
    throw new RangeError(`conv3x3Valid: kernel [${kernel.shape.join(", ")}] does not fit input channels ${inC}`);
  const ho = h - 2,
    wo = w - 2;
  const views: tf.Tensor4D[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) views.push(tf.slice(a, [0, i, j, 0], [b, ho, wo, inC]));
  const cols = tf.reshape(tf.concat(views, 3), [b * ho * wo, 9 * inC]);
  return tf.reshape(tf.matMul(cols, tf.reshape(kernel, [9 * inC, outC])), [b, ho, wo, outC]) as tf.Tensor4D;
}

/** Sizes of the CNN's crossbar layers: 1024 features → 25 (sigmoid) → 10 (softmax) (Joksas et al. 2022, spec §5.1). */
export const CNN_HEAD_SIZES: readonly number[] = Object.freeze([1024, 25, 10]);

export class MemristiveCnn implements MemristiveNetwork {
  readonly convs: ReadonlyArray<{ kernel: tf.Variable; bias: tf.Variable; cap: number }>;
  /** The crossbar layers 1024 → 25 → 10. */
  readonly head: MemristiveMlp;

  constructor(
    readonly spec: { readonly weights: WeightImplementation },
    rng: Rng,
  ) {
    let inC = CIFAR_IMAGE[2];
    this.convs = CONVS.map((c) => {
      const layer = {
        kernel: glorotKernel(3, inC, c.filters, rng),
        bias: tf.variable(tf.zeros([c.filters])),
        cap: c.cap,
      };
      inC = c.filters;
      return layer;
    });
    this.head = new MemristiveMlp({ sizes: [...CNN_HEAD_SIZES], weights: spec.weights }, rng);
  }

  get trainingSetup(): DeviceSetup | null {
    return this.head.trainingSetup;
  }

  set trainingSetup(s: DeviceSetup | null) {
    this.head.trainingSetup = s;
  }

  variables(): tf.Variable[] {
    return [...this.convs.flatMap((c) => [c.kernel, c.bias]), ...this.head.variables()];
  }

  crossbarVariables(): tf.Variable[] {
    return this.head.variables();
  }

  synapses(): number {
    return this.head.synapses();
  }

  clipNonNegative(): void {
    this.head.clipNonNegative();
  }

  snapshot(): Float32Array[] {
    return snapshotVariables(this.variables());
  }

  restore(values: readonly Float32Array[]): void {
    restoreVariables(this.variables(), values);
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }

  /** The digital front end: images [batch, 32·32·3] (channels last, [0, 1]) → features [batch, 1024]. */
  features(x: tf.Tensor2D): tf.Tensor2D {
    const [b, f] = x.shape;
    if (f !== 32 * 32 * 3) throw new RangeError(`CIFAR-10 images have 3072 features (32×32×3), got ${f}`);
    let a = tf.reshape(x, [b, ...CIFAR_IMAGE]) as tf.Tensor4D;
    this.convs.forEach((c, i) => {
      a = tf.relu(tf.add(conv3x3Valid(a, c.kernel as tf.Tensor4D), c.bias)) as tf.Tensor4D;
      if (Number.isFinite(c.cap)) a = tf.minimum(a, c.cap) as tf.Tensor4D;
      if (i < this.convs.length - 1) a = tf.maxPool(a, 2, 2, "valid");
    });
    return tf.reshape(a, [b, -1]) as tf.Tensor2D;
  }

  forward(
    x: tf.Tensor2D,
    stage: DeviceSetup | null,
    rng: Rng,
    opts: { power?: boolean; trace?: (layer: number, t: LayerTrace) => void } = {},
  ): { probs: tf.Tensor2D; power: tf.Tensor1D | null } {
    // the crossbar head's input comes from the trainable convolutions: its first layer passes gradients on
    return this.head.forward(this.features(x), stage, rng, { ...opts, inputGradient: true });
  }
}

/**
 * The paper's CIFAR-10 augmentation, per image: a random horizontal flip and a random translation of
 * up to ±10 % of the height and width, filled by reflection (Keras RandomTranslation's default). Here
 * the shifts are whole pixels (round(±3.2)), where Keras interpolates bilinearly: a stated deviation.
 */
export function augmentCifarBatch(x: Float32Array, batch: number, rng: Rng, maxShift = 0.1): Float32Array {
  const [H, W, C] = CIFAR_IMAGE,
    size = H * W * C;
  if (x.length !== batch * size)
    throw new RangeError(`augmentCifarBatch: expected ${batch}×${size} values, got ${x.length}`);
  const out = new Float32Array(x.length);
  const reflect = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  for (let b = 0; b < batch; b++) {
    const flip = rng.next() < 0.5;
    const dy = Math.round(rng.uniform(-maxShift, maxShift) * H),
      dx = Math.round(rng.uniform(-maxShift, maxShift) * W);
    const base = b * size;
    for (let r = 0; r < H; r++) {
      const sr = reflect(r - dy, H);
      for (let c = 0; c < W; c++) {
        const sc0 = reflect(c - dx, W),
          sc = flip ? W - 1 - sc0 : sc0;
        for (let ch = 0; ch < C; ch++) out[base + (r * W + c) * C + ch] = x[base + (sr * W + sc) * C + ch];
      }
    }
  }
  return out;
}

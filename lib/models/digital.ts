/**
 * A network graph run digitally with tfjs ops: the reference every analog run is compared with.
 * `runOp` is also how an analog network runs the operations that stay digital.
 */
import * as tf from "@tensorflow/tfjs";
import type { ActivationFn, NetworkGraph, NetworkInput, Op } from "./graph";

/** A batch of flat inputs in the graph's input layout as a tensor [batch, …shape] in NHWC. */
export function inputTensor(input: NetworkInput, x: ArrayLike<number>, batch: number): tf.Tensor {
  const per = input.shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  if (x.length !== batch * per) {
    throw new RangeError(`inputs: ${x.length} values for a batch of ${batch} × ${per} ([${input.shape.join(", ")}])`);
  }
  const data = x instanceof Float32Array ? x : Float32Array.from(x);
  if (input.shape.length !== 3) return tf.tensor(data, [batch, ...input.shape]);
  const [h, w, c] = input.shape;
  if (input.layout === "nhwc") return tf.tensor4d(data, [batch, h, w, c]);
  return tf.tidy(() => tf.tensor4d(data, [batch, c, h, w]).transpose([0, 2, 3, 1]));
}

export function activate(fn: ActivationFn, x: tf.Tensor): tf.Tensor {
  switch (fn) {
    case "relu":
      return tf.relu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "tanh":
      return tf.tanh(x);
    case "softmax":
      return tf.softmax(x);
    case "linear":
      return x;
  }
}

/** One op on a batch (NHWC images); dense and convolution layers use the op's own weights. */
export function runOp(op: Op, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (op.kind) {
      case "dense": {
        const y = tf.matMul(x as tf.Tensor2D, tf.tensor2d(op.weight, [op.inFeatures, op.outFeatures]));
        return op.bias ? y.add(tf.tensor1d(op.bias)) : y;
      }
      case "conv2d": {
        const [kh, kw] = op.kernel,
          [t, l, b, r] = op.pads;
        const k = tf.tensor4d(op.weight, [kh, kw, op.inChannels, op.outChannels]);
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ];
        const y = tf.conv2d(x as tf.Tensor4D, k, op.strides as [number, number], pad);
        return op.bias ? y.add(tf.tensor1d(op.bias)) : y;
      }
      case "batchnorm":
        return tf.batchNorm(
          x,
          tf.tensor1d(op.mean),
          tf.tensor1d(op.variance),
          tf.tensor1d(op.beta),
          tf.tensor1d(op.gamma),
          op.epsilon,
        );
      case "activation":
        return activate(op.fn, x);
      case "pool": {
        const f = op.mode === "max" ? tf.maxPool : tf.avgPool;
        return f(x as tf.Tensor4D, op.size as [number, number], op.strides as [number, number], "valid");
      }
      case "global-avg-pool":
        return tf.mean(x, [1, 2]);
      case "flatten": {
        const src = x.rank === 4 && op.order === "nchw" ? x.transpose([0, 3, 1, 2]) : x;
        return src.reshape([x.shape[0], -1]);
      }
    }
  });
}

/** The network's outputs [batch][out] for flat inputs in its layout. */
export function runDigital(g: NetworkGraph, x: ArrayLike<number>, batch: number): Float32Array {
  return tf.tidy(() => {
    let t = inputTensor(g.input, x, batch);
    for (const op of g.ops) t = runOp(op, t);
    return t.dataSync() as Float32Array;
  });
}

/** Outputs in chunks of `chunk` examples (bounded memory for a large test set). */
export function predictDigital(g: NetworkGraph, x: ArrayLike<number>, n: number, chunk = 500): Float32Array {
  const per = g.input.shape.reduce((a, b) => a * b, 1);
  const xs = x instanceof Float32Array ? x : Float32Array.from(x);
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += chunk) {
    const b = Math.min(chunk, n - s);
    parts.push(runDigital(g, xs.subarray(s * per, (s + b) * per), b));
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Share of rows whose largest output is the label. */
export function accuracyOf(outputs: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = labels.length,
    k = outputs.length / n;
  if (!(n > 0) || !Number.isInteger(k)) throw new RangeError(`accuracy: ${outputs.length} outputs for ${n} labels`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < k)) {
      throw new RangeError(`accuracy: label ${i} is ${labels[i]}; labels are class indices 0…${k - 1}`);
    }
    let best = 0;
    for (let j = 1; j < k; j++) if (outputs[i * k + j] > outputs[i * k + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

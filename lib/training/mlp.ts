/**
 * A small dense network in plain TypeScript (float64): sigmoid hidden layers, one linear logit
 * output, binary cross-entropy with logits. Forward, backward and Adam without per-op overhead,
 * so the thousands of epochs that small-network experiments need run in seconds. Parameters are
 * PyTorch-shaped (W: [out, in], row-major), in the order [W1, b1, W2, b2, ...].
 * `test/unit/mlp-vs-tfjs.test.ts` checks forward, gradients and Adam steps against tfjs.
 */
import type { Rng } from "../runtime/random";
import type { ParamTensor } from "../tile/transfer";

export interface Mlp {
  readonly sizes: readonly number[];
  /** Parameter tensors [W1, b1, W2, b2, ...] (W row-major [out][in]). */
  readonly params: Float64Array[];
}

export function paramShapes(sizes: readonly number[]): number[][] {
  const s: number[][] = [];
  for (let l = 1; l < sizes.length; l++) s.push([sizes[l], sizes[l - 1]], [sizes[l]]);
  return s;
}

/** Xavier-uniform weights and constant biases (the Drolet recipe: biases 0.01). */
export function createMlp(sizes: readonly number[], rng: Rng, opts: { biasInit?: number } = {}): Mlp {
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new RangeError(`layer sizes must be >= 2 positive integers, got [${sizes.join(", ")}]`);
  if (sizes[sizes.length - 1] !== 1) throw new RangeError("the output layer must have one unit (a binary logit)");
  const params: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const a = Math.sqrt(6 / (sizes[l - 1] + sizes[l]));
    params.push(rng.uniforms(sizes[l] * sizes[l - 1], -a, a), new Float64Array(sizes[l]).fill(opts.biasInit ?? 0.01));
  }
  return { sizes: [...sizes], params };
}

export function cloneMlp(m: Mlp): Mlp {
  return { sizes: m.sizes, params: m.params.map((p) => p.slice()) };
}

export function asParamTensors(m: Mlp, params: readonly Float64Array[] = m.params): ParamTensor[] {
  const shapes = paramShapes(m.sizes);
  return params.map((values, i) => ({ values, shape: shapes[i] }));
}

/** The logistic function, evaluated without overflow for either sign (shared by the dense engines). */
export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Logits for a batch of points ([n][in]) with the given parameters. */
export function logits(
  sizes: readonly number[],
  params: readonly Float64Array[],
  x: readonly (readonly number[])[],
): Float64Array {
  const L = sizes.length - 1;
  const out = new Float64Array(x.length);
  let a = new Float64Array(Math.max(...sizes));
  let b = new Float64Array(Math.max(...sizes));
  for (let k = 0; k < x.length; k++) {
    const xk = x[k];
    if (xk.length !== sizes[0])
      throw new RangeError(`point ${k} has ${xk.length} features, the network expects ${sizes[0]}`);
    for (let i = 0; i < sizes[0]; i++) a[i] = xk[i];
    for (let l = 0; l < L; l++) {
      const W = params[2 * l],
        bias = params[2 * l + 1],
        nIn = sizes[l],
        nOut = sizes[l + 1];
      for (let o = 0; o < nOut; o++) {
        let s = bias[o];
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) s += W[row + i] * a[i];
        b[o] = l < L - 1 ? sigmoid(s) : s;
      }
      [a, b] = [b, a];
    }
    out[k] = a[0];
  }
  return out;
}

/** Mean BCE-with-logits loss and gradients w.r.t. the parameters used (at `params`). */
export function lossAndGrads(
  sizes: readonly number[],
  params: readonly Float64Array[],
  x: readonly (readonly number[])[],
  y: readonly number[],
  idx: ArrayLike<number>,
): { loss: number; grads: Float64Array[] } {
  const L = sizes.length - 1;
  const B = idx.length;
  const grads = params.map((p) => new Float64Array(p.length));
  const acts: Float64Array[] = sizes.map((n) => new Float64Array(n));
  const deltas: Float64Array[] = sizes.map((n) => new Float64Array(n));
  let loss = 0;
  for (let k = 0; k < B; k++) {
    const j = idx[k];
    const xj = x[j];
    for (let i = 0; i < sizes[0]; i++) acts[0][i] = xj[i];
    for (let l = 0; l < L; l++) {
      const W = params[2 * l],
        bias = params[2 * l + 1],
        nIn = sizes[l],
        nOut = sizes[l + 1];
      const a = acts[l],
        nxt = acts[l + 1];
      for (let o = 0; o < nOut; o++) {
        let s = bias[o];
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) s += W[row + i] * a[i];
        nxt[o] = l < L - 1 ? sigmoid(s) : s;
      }
    }
    const z = acts[L][0];
    const t = y[j];
    loss += bceWithLogit(z, t);
    deltas[L][0] = (sigmoid(z) - t) / B;
    for (let l = L - 1; l >= 0; l--) {
      const W = params[2 * l],
        nIn = sizes[l],
        nOut = sizes[l + 1];
      const gW = grads[2 * l],
        gb = grads[2 * l + 1];
      const d = deltas[l + 1],
        a = acts[l],
        dPrev = deltas[l];
      if (l > 0) dPrev.fill(0);
      for (let o = 0; o < nOut; o++) {
        const dv = d[o];
        gb[o] += dv;
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) {
          gW[row + i] += dv * a[i];
          if (l > 0) dPrev[i] += dv * W[row + i];
        }
      }
      if (l > 0) for (let i = 0; i < nIn; i++) dPrev[i] *= a[i] * (1 - a[i]);
    }
  }
  return { loss: loss / B, grads };
}

/** Binary cross-entropy of a logit z against a 0/1 label t, computed stably: log(1 + e^−|z|) + max(z, 0) − z·t. */
export function bceWithLogit(z: number, t: number): number {
  return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
}

/** Adam (PyTorch semantics: bias-corrected moments, ε added after the square root). */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  constructor(
    shapes: readonly Float64Array[],
    readonly lr = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    if (!(lr > 0)) throw new RangeError(`Adam learning rate must be > 0, got ${lr}`);
    this.m = shapes.map((p) => new Float64Array(p.length));
    this.v = shapes.map((p) => new Float64Array(p.length));
  }
  step(params: Float64Array[], grads: readonly Float64Array[]): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t,
      c2 = 1 - this.beta2 ** this.t;
    for (let p = 0; p < params.length; p++) {
      const w = params[p],
        g = grads[p],
        m = this.m[p],
        v = this.v[p];
      for (let i = 0; i < w.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * g[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * g[i] * g[i];
        w[i] -= (this.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.eps);
      }
    }
  }
}

/** Accuracy of logits against 0/1 labels (class 1 when the logit is > 0). */
export function accuracy(z: ArrayLike<number>, y: readonly number[]): number {
  let c = 0;
  for (let i = 0; i < y.length; i++) if ((z[i] > 0 ? 1 : 0) === y[i]) c++;
  return c / y.length;
}

/**
 * Memristive dense layers in tfjs (Joksas et al. 2022, spec §4–§6), differentiable end to end:
 * weights → conductances by the tile's mapping (lib/tile/mapping: standard signed weights with the
 * "min-G" or "avg" pair rule, or "double weights"), conductance disturbances by devices/disturbance
 * (both evaluated on the host in float64, as tfjs ops with their gradients), currents (ohmic V·G or
 * Poole–Frenkel, in tfjs), outputs (I₊ − I₋)/(k_V·k_G), per-device power |V|·|I|.
 * Crossbar layout: (n_in + 1) word lines (the last carries the bias at k_V) × 2·n_out bit lines,
 * interleaved in the paper (column 2j positive, 2j+1 negative); the forward pass uses the equivalent
 * blocked order [G₊ | G₋] (no line resistance here, so column order does not change any current).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/random";
import type { ConductanceDisturbance, DeviceSetup, PooleFrenkelModel } from "../devices/joksas";
import { residualCholesky } from "../devices/pf-residuals";
import { DisturbanceDraws, PF_SQRT_GUARD_VOLT, PfDraws, pfDraws, pfExponentScale, unpadded } from "../devices/draws";
import { disturbConductances } from "../devices/disturbance";
import { encodeInputs } from "../tile/periphery";
import { convertOutputs, layerAdcRange, outputGradients, stagePeriphery } from "./joksas-periphery";
import {
  ConductanceWindow,
  KinkSlope,
  PairRule,
  checkWindow,
  doubleConductances,
  doubleScaleGradient,
  pairConductances,
  pairConductancesBackward,
  pairScaleGradient,
} from "../tile/mapping";

export type { PairRule };

/**
 * Column layout of a layer's crossbar: "interleaved" (the tile's and the paper's: column 2j holds G₊
 * of output j, 2j+1 its G₋) or "blocked" ([G₊ | G₋], used for the matrix product: the same devices
 * and currents, split into I₊ and I₋ by one slice).
 */
export type ColumnLayout = "interleaved" | "blocked";

/** Pairs [rows][2·cols] from the tile's interleaved order into `layout` (`into`), or back from it. */
function reorderPairs(
  g: ArrayLike<number>,
  rows: number,
  cols: number,
  layout: ColumnLayout,
  into: boolean,
): Float32Array {
  if (layout !== "interleaved" && layout !== "blocked")
    throw new Error(`unknown column layout "${layout as string}": use "interleaved" or "blocked"`);
  if (layout === "interleaved") return Float32Array.from(g);
  const out = new Float32Array(rows * 2 * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      for (let side = 0; side < 2; side++) {
        const tile = r * 2 * cols + 2 * j + side,
          blocked = r * 2 * cols + side * cols + j;
        if (into) out[blocked] = g[tile];
        else out[tile] = g[blocked];
      }
    }
  }
  return out;
}

/**
 * A tfjs op computed on the host by the tile's and devices' float64 functions: `fn` gets its inputs'
 * values and returns the output's values and, for the backward pass, each input's gradient given the
 * output's. For tensors the size of a weight matrix (the mapping and the disturbance), not of a batch.
 */
function hostOp(
  inputs: tf.Tensor[],
  shape: number[],
  fn: (data: Float32Array[]) => { value: ArrayLike<number>; backward: (dy: Float32Array) => ArrayLike<number>[] },
): tf.Tensor {
  const f = tf.customGrad(((...args: tf.Tensor[]) => {
    const given = args.slice(0, inputs.length);
    const r = fn(given.map((t) => t.dataSync() as Float32Array));
    return {
      value: tf.tensor(Float32Array.from(r.value), shape),
      gradFunc: (dy: tf.Tensor) =>
        r.backward(dy.dataSync() as Float32Array).map((g, i) => tf.tensor(Float32Array.from(g), given[i].shape)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(...inputs) as tf.Tensor;
}

/**
 * The slope the min-G kink at w = 0 takes in the Joksas layers' gradients (both engines): TensorFlow's
 * relu convention, as in Joksas et al.'s code, where a zero-initialised bias of a min-G layer stays 0.
 */
export const JOKSAS_KINK: KinkSlope = "zero";

/** k_G read back from its tensor: finite and > 0 unless every weight is 0 (or one is not finite). */
function finiteScale(kG: number, rows: number, cols: number): number {
  if (!(kG > 0 && Number.isFinite(kG)))
    throw new RangeError(
      `memristive layer [${rows}×${cols}]: k_G is ${kG} S per weight unit (the largest |weight| is 0 or not finite), so the weights cannot be mapped to conductances`,
    );
  return kG;
}

/**
 * Standard signed weights (augmented with the bias row) → paired conductances and k_G, by the tile's
 * mapping (lib/tile/mapping: `pairConductances`; gradients `pairConductancesBackward` with
 * the kink's slope `JOKSAS_KINK`, and `pairScaleGradient`). k_G = (G_on − G_off)/max|W|
 * stays a tfjs scalar, so the gradient also reaches the largest weight through it, as in Joksas et
 * al.'s code.
 */
export function mapStandard(
  wAug: tf.Tensor2D,
  gOffSiemens: number,
  gOnSiemens: number,
  rule: PairRule = "min-G",
  layout: ColumnLayout = "interleaved",
): { g: tf.Tensor2D; kG: tf.Scalar } {
  const window = { gOffSiemens, gOnSiemens };
  checkWindow(window, "memristive layer");
  const [rows, cols] = wAug.shape;
  const kG = tf.div(gOnSiemens - gOffSiemens, maxOf(tf.abs(wAug))) as tf.Scalar;
  const g = hostOp([wAug, kG], [rows, 2 * cols], ([w, [k]]) => ({
    value: reorderPairs(
      pairConductances(w, rows, cols, window, finiteScale(k, rows, cols), rule),
      rows,
      cols,
      layout,
      true,
    ),
    backward: (dy) => {
      const dG = reorderPairs(dy, rows, cols, layout, false);
      return [
        pairConductancesBackward(w, dG, rows, cols, k, rule, JOKSAS_KINK),
        [pairScaleGradient(w, dG, rows, cols, rule)],
      ];
    },
  }));
  return { g: g as tf.Tensor2D, kG };
}

/**
 * Double weights (non-negative, in the layout of the devices [rows, 2·out]) → conductances by the
 * tile's `doubleConductances`: 0 ↦ G_off, the largest ↦ G_on.
 */
export function mapDouble(d: tf.Tensor2D, gOffSiemens: number, gOnSiemens: number): { g: tf.Tensor2D; kG: tf.Scalar } {
  const window = { gOffSiemens, gOnSiemens };
  checkWindow(window, "memristive layer");
  const kG = tf.div(gOnSiemens - gOffSiemens, maxOf(d)) as tf.Scalar;
  const g = hostOp([d, kG], d.shape, ([w, [k]]) => ({
    value: doubleConductances(w, window, finiteScale(k, d.shape[0], d.shape[1])),
    backward: (dy) => [dy.map((x) => k * x), [doubleScaleGradient(w, dy)]],
  }));
  return { g: g as tf.Tensor2D, kG };
}

/**
 * Apply a conductance disturbance by `devices/disturbance` (`disturbConductances`, float64) with the
 * draws of `devices/draws` (fresh from `rng`, or given); the gradient is its Jacobian dG'/dG (0 for a
 * stuck device).
 */
export function disturb(
  g: tf.Tensor2D,
  d: ConductanceDisturbance,
  window: ConductanceWindow,
  rng: Rng | DisturbanceDraws,
): tf.Tensor2D {
  const [rows, cols] = g.shape;
  return hostOp([g], [rows, cols], ([gd]) => {
    const { gSiemens, jacobian } = disturbConductances(gd, rows, cols, d, window, rng);
    return { value: gSiemens, backward: (dy) => [dy.map((x, k) => x * jacobian[k])] };
  }) as tf.Tensor2D;
}

/**
 * Per-device PF parameters from conductances: [ln c, ln dε] = slopes·ln R + intercepts + L·z with
 * L the Cholesky factor of the residual covariance and z the draws of `devices/draws` (fresh from
 * `rng`, or given; none when null). Returns ln c and ln dε (kept in logs for float32 safety, spec §10).
 */
export function pooleFrenkelLogParameters(
  g: tf.Tensor2D,
  m: PooleFrenkelModel,
  rng: Rng | PfDraws | null,
): { lnC: tf.Tensor2D; lnDEps: tf.Tensor2D } {
  const lnR = tf.neg(tf.log(g));
  let lnC = tf.add(tf.mul(m.lnC.slope, lnR), m.lnC.intercept) as tf.Tensor2D;
  let lnD = tf.add(tf.mul(m.lnDEps.slope, lnR), m.lnDEps.intercept) as tf.Tensor2D;
  const [rows, cols] = g.shape;
  const draws = rng && "z1" in rng ? rng : rng ? pfDraws(m, rows, cols, rng) : null;
  if (draws) {
    const { l11, l21, l22 } = residualCholesky(m.residualCovariance);
    // A rank-one Σ (residuals on a line, as for the calibrated SiOx defaults) needs one draw per device.
    const z1 = tf.tensor2d(unpadded(draws.z1, rows, cols), g.shape);
    lnC = tf.add(lnC, tf.mul(l11, z1)) as tf.Tensor2D;
    lnD = tf.add(lnD, tf.mul(l21, z1)) as tf.Tensor2D;
    if (l22 > 0) {
      if (!draws.z2) throw new Error("the PF residual covariance has rank two but only one draw per device was given");
      lnD = tf.add(lnD, tf.mul(l22, tf.tensor2d(unpadded(draws.z2, rows, cols), g.shape))) as tf.Tensor2D;
    }
  }
  return { lnC, lnDEps: lnD };
}

/** Per-device PF parameters c (S) and dε (F); see pooleFrenkelLogParameters. */
export function pooleFrenkelParameters(
  g: tf.Tensor2D,
  m: PooleFrenkelModel,
  rng: Rng | PfDraws | null,
): { c: tf.Tensor2D; dEps: tf.Tensor2D } {
  const { lnC, lnDEps } = pooleFrenkelLogParameters(g, m, rng);
  return { c: tf.exp(lnC) as tf.Tensor2D, dEps: tf.exp(lnDEps) as tf.Tensor2D };
}

/**
 * PF device coefficients for the current computation: c (S) and s = (q/kT)·√(q/(π·dε)) (V^-1/2),
 * so that I = sign(V)·c·|V|·exp(s·√|V|). s is formed as exp(−½·ln dε) (no float32 underflow).
 */
export function pooleFrenkelCoefficients(
  g: tf.Tensor2D,
  m: PooleFrenkelModel,
  rng: Rng | PfDraws | null,
): PfCoefficients {
  const { lnC, lnDEps } = pooleFrenkelLogParameters(g, m, rng);
  return { c: tf.exp(lnC) as tf.Tensor2D, s: tf.mul(pfExponentScale(m), tf.exp(tf.mul(-0.5, lnDEps))) as tf.Tensor2D };
}

export interface PfCoefficients {
  /** Scaling factor c per device (S) [rows, cols]. */
  readonly c: tf.Tensor2D;
  /** Exponent coefficient s per device (V^-1/2) [rows, cols]. */
  readonly s: tf.Tensor2D;
}

/** Relative truncation error allowed in the PF power series. */
export const PF_SERIES_TOLERANCE = 1e-7;
/** Beyond this many series terms the PF currents are evaluated device by device. */
export const PF_SERIES_MAX_TERMS = 40;

/**
 * Number of series terms K such that, for |y| <= yMax, the Taylor remainder of exp(y) after K terms
 * is below tol·exp(y): yMax^K/K!·e^(2·yMax) <= tol.
 */
export function pfSeriesTerms(yMax: number, tol = PF_SERIES_TOLERANCE): number {
  if (!(yMax >= 0) || !Number.isFinite(yMax))
    throw new RangeError(`PF exponent bound must be a finite number >= 0, got ${yMax}`);
  const growth = Math.exp(2 * yMax);
  let K = 1,
    term = yMax;
  while (term * growth > tol && K < 1000) {
    K++;
    term *= yMax / K;
  }
  return K;
}

/**
 * max(x) whose gradient goes to one maximal element (the first). tfjs's own max gradient builds an
 * equality mask with a broadcast comparison that costs ~5 ms per step for a 785×50 layer on wasm; the
 * two differ only when several elements tie for the maximum exactly.
 */
export function maxOf(x: tf.Tensor): tf.Scalar {
  const f = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([t]);
    return {
      value: tf.max(t) as tf.Scalar,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const st = saved[0];
        // int32 one-hot, then cast: tfjs-wasm's oneHot with dtype "float32" writes integer bit patterns
        const hot = tf.cast(tf.oneHot(tf.argMax(tf.reshape(st, [-1])), st.size), "float32");
        return tf.reshape(tf.mul(hot, dy), st.shape);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Scalar;
}

/**
 * Σ_k A_k·(c ⊙ y^k) as one matrix product [batch, K·rows]·[K·rows, cols], with a hand-written
 * gradient for c and y: with the stacked powers P = [1; y; …; y^(K−1)] and G = Aᵀ·dC (one matmul),
 * dc = Σ_k G_k ⊙ y^k and dy = c ⊙ Σ_k k·G_k ⊙ y^(k−1), each one product and one sum over the stack.
 * Aᵀ is built by `aT.build` from the tensors `aT.from` (cheaper than transposing A: tfjs-wasm's transposed matmul kernels
 * are ~6× slower than explicit transposes, and a [batch, K·rows] transpose costs more than forming
 * the K blocks in transposed layout). When `aIsInput` the gradient also flows to A (hidden layers).
 */
function seriesProduct(
  A: tf.Tensor2D,
  aT: { from: tf.Tensor[]; build: (from: tf.Tensor[]) => tf.Tensor2D },
  c: tf.Tensor2D,
  y: tf.Tensor2D,
  K: number,
  aIsInput: boolean,
): tf.Tensor2D {
  const [rows, cols] = c.shape;
  const powers = (yy: tf.Tensor2D): tf.Tensor2D => {
    const parts: tf.Tensor2D[] = [tf.onesLike(yy)];
    for (let k = 1; k < K; k++) parts.push(k === 1 ? yy : (tf.mul(parts[k - 1], yy) as tf.Tensor2D));
    return tf.concat(parts, 0) as tf.Tensor2D; // [K·rows, cols]
  };
  const weighted = (P: tf.Tensor2D, cc: tf.Tensor2D): tf.Tensor2D =>
    tf.reshape(tf.mul(tf.reshape(P, [K, rows * cols]), tf.reshape(cc, [1, rows * cols])), [K * rows, cols]);
  const nFrom = aT.from.length;
  const gradCY = (P: tf.Tensor2D, cc: tf.Tensor2D, from: tf.Tensor[], dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] => {
    const G = tf.reshape(tf.matMul(aT.build(from), dy), [K, rows * cols]); // G_k = A_kᵀ·dC
    const Pk = tf.reshape(P, [K, rows * cols]);
    const dc = tf.reshape(tf.sum(tf.mul(G, Pk), 0), [rows, cols]) as tf.Tensor2D;
    if (K === 1) return [dc, tf.zerosLike(cc)];
    const kw = tf.tensor2d(
      Array.from({ length: K - 1 }, (_, k) => k + 1),
      [K - 1, 1],
    );
    const hi = tf.slice(G, [1, 0], [K - 1, rows * cols]),
      lo = tf.slice(Pk, [0, 0], [K - 1, rows * cols]);
    const dyy = tf.mul(cc, tf.reshape(tf.sum(tf.mul(tf.mul(hi, lo), kw), 0), [rows, cols])) as tf.Tensor2D;
    return [dc, dyy];
  };
  // Tensors the gradient needs must go through `save` (tensors made during the forward pass are disposed
  // after it unless saved; save is a no-op when no gradient is being recorded).
  if (aIsInput) {
    const f = tf.customGrad(((a: tf.Tensor2D, cc: tf.Tensor2D, yy: tf.Tensor2D, save: tf.GradSaveFunc) => {
      const P = powers(yy),
        M = weighted(P, cc);
      save([P, cc, M, ...aT.from]);
      return {
        value: tf.matMul(a, M),
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
          const [sP, sc, sM] = saved as tf.Tensor2D[];
          const da = tf.matMul(dy, tf.transpose(sM));
          return [da, ...gradCY(sP, sc, saved.slice(3, 3 + nFrom), dy)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(A, c, y) as tf.Tensor2D;
  }
  const f = tf.customGrad(((cc: tf.Tensor2D, yy: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const P = powers(yy);
    save([P, cc, ...aT.from]);
    return {
      value: tf.matMul(A, weighted(P, cc)),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sP, sc] = saved as tf.Tensor2D[];
        return gradCY(sP, sc, saved.slice(2, 2 + nFrom), dy);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(c, y) as tf.Tensor2D;
}

/** Rows `rows` of x [n, cols] (formed on the host), with a gradient that scatters back into x's shape. */
function takeRows(x: tf.Tensor2D, rows: readonly number[]): tf.Tensor2D {
  const cols = x.shape[1];
  const f = tf.customGrad(((t: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const d = t.dataSync(),
      out = new Float32Array(rows.length * cols);
    for (let a = 0; a < rows.length; a++) out.set(d.subarray(rows[a] * cols, (rows[a] + 1) * cols), a * cols);
    const idx = tf.tensor2d(Int32Array.from(rows), [rows.length, 1], "int32");
    save([idx]); // kept for the gradient (tensors made in the forward pass are disposed after it otherwise)
    return {
      value: tf.tensor2d(out, [rows.length, cols]),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.scatterND(saved[0], dy, x.shape) as tf.Tensor2D,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor2D;
}

/** Indices of the word lines (columns of V [batch, rows], row-major data) with a non-zero voltage in some example. */
export function activeRows(v: ArrayLike<number>, batch: number, rows: number): number[] {
  const on = new Uint8Array(rows);
  for (let b = 0; b < batch; b++) for (let i = 0, o = b * rows; i < rows; i++) if (v[o + i] !== 0) on[i] = 1;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) if (on[i]) out.push(i);
  return out;
}

/**
 * Bit-line currents and power of a crossbar for voltages V [batch, rows] and conductances G
 * [rows, cols]. Ohmic: I = V·G. Poole–Frenkel: I_bij = sign(V)·c_ij·|V|·exp(s_ij·√|V|).
 *
 * PF evaluation without batch×rows×cols exponentials: with u = √|V| and a per-row centre s̄_i
 * (mid-range of s over the row, a constant), exp(s·u) = exp(s̄·u)·Σ_k (u^k/k!)·(s − s̄)^k, so
 *   I_bj = Σ_k Σ_i A_k,bi·M_k,ij,  A_k = V·exp(s̄u)·(h·u)^k/k!,  M_k = c ⊙ ((s − s̄)/h)^k,
 * one matrix product [batch, K·rows]·[K·rows, cols] built by running products. K is chosen from the
 * largest |s − s̄|·u (h = the largest |s − s̄|) so that the truncation error is below
 * PF_SERIES_TOLERANCE relative: 13–17 terms for a 785×50 layer of SiOx devices with the calibrated
 * residual covariance (s spreads over a factor ~10), 7–9 with the earlier assumed one; beyond
 * PF_SERIES_MAX_TERMS the devices are evaluated directly.
 * Gradients are exact derivatives of the evaluated series (custom gradient, see seriesProduct).
 * √|V| is guarded as √(|V| + PF_SQRT_GUARD_VOLT), the analogue of the spec's 1e-18 under the square
 * root: it keeps the gradient finite at V = 0 (a hidden sigmoid that underflows to 0) and changes
 * currents by < 1e-6 relative. Set `inputGradient: false` when V does not depend on trainable variables:
 * then no gradient flows to V, and word lines at 0 V in every example of the batch (blank pixels:
 * ~37 % of MNIST's 784 for a batch of 64) are left out of the series, which changes nothing but the
 * work (and the float32 rounding of the sums).
 * Returns currents [batch, cols] and power Σ_ij |V_i|·|I_ij| per example [batch] (W).
 */
export function crossbarCurrents(
  v: tf.Tensor2D,
  g: tf.Tensor2D,
  pf: PfCoefficients | null,
  opts: { power?: boolean; inputGradient?: boolean } = {},
): { currents: tf.Tensor2D; power: tf.Tensor1D | null } {
  const wantPower = opts.power ?? true;
  if (v.rank !== 2 || g.rank !== 2 || v.shape[1] !== g.shape[0])
    throw new RangeError(`voltages [batch, rows] and conductances [rows, cols] disagree: [${v.shape}] vs [${g.shape}]`);
  if (!pf) {
    const currents = tf.matMul(v, g) as tf.Tensor2D;
    // Σ_ij |V_i|·|V_i·G_ij| = Σ_i V_i²·Σ_j G_ij (G ≥ 0)
    const power = wantPower ? (tf.squeeze(tf.matMul(tf.square(v), tf.sum(g, 1, true)), [1]) as tf.Tensor1D) : null;
    return { currents, power };
  }
  for (const [name, t] of [
    ["c", pf.c],
    ["s", pf.s],
  ] as const) {
    if (t.shape[0] !== g.shape[0] || t.shape[1] !== g.shape[1])
      throw new RangeError(
        `Poole–Frenkel coefficients ${name} [${t.shape}] do not match the conductances [${g.shape}]`,
      );
  }
  const inputGradient = opts.inputGradient ?? true;
  if (inputGradient) return pfCurrents(v, pf, wantPower, true);
  const kept = withoutBlankRows(v, pf);
  if (!kept) return { currents: tf.zeros([v.shape[0], g.shape[1]]), power: wantPower ? tf.zeros([v.shape[0]]) : null };
  return pfCurrents(kept.v, kept.pf, wantPower, false);
}

/**
 * V and the PF coefficients without the word lines at 0 V in every example of the batch (blank
 * pixels), which carry no current; null when every line is blank. No gradient flows to the returned V.
 */
function withoutBlankRows(v: tf.Tensor2D, pf: PfCoefficients): { v: tf.Tensor2D; pf: PfCoefficients } | null {
  const [batch, rows] = v.shape,
    vData = v.dataSync();
  const active = activeRows(vData, batch, rows);
  if (active.length === rows) return { v, pf };
  if (active.length === 0) return null;
  const vSub = new Float32Array(batch * active.length);
  for (let b = 0; b < batch; b++)
    for (let a = 0; a < active.length; a++) vSub[b * active.length + a] = vData[b * rows + active[a]];
  return { v: tf.tensor2d(vSub, [batch, active.length]), pf: { c: takeRows(pf.c, active), s: takeRows(pf.s, active) } };
}

/** The Poole–Frenkel branch of crossbarCurrents (voltages [batch, rows], coefficients [rows, cols]). */
function pfCurrents(
  v: tf.Tensor2D,
  pf: PfCoefficients,
  wantPower: boolean,
  inputGradient: boolean,
): { currents: tf.Tensor2D; power: tf.Tensor1D | null } {
  const [rows, cols] = pf.c.shape;
  const u = tf.sqrt(tf.add(tf.abs(v), PF_SQRT_GUARD_VOLT)); // [batch, rows]
  const sData = pf.s.dataSync();
  const uMax = tf.tidy(() => tf.max(u).dataSync()[0]);
  const sBar = new Float32Array(rows);
  let half = 0;
  for (let i = 0; i < rows; i++) {
    let lo = Infinity,
      hi = -Infinity;
    for (let j = 0; j < cols; j++) {
      const x = sData[i * cols + j];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi))
      throw new RangeError(
        `Poole–Frenkel exponent coefficients are not finite in row ${i} (check the conductances and the PF model)`,
      );
    sBar[i] = (lo + hi) / 2;
    half = Math.max(half, (hi - lo) / 2);
  }
  const K = pfSeriesTerms(half * uMax * (1 + 1e-6));
  if (K > PF_SERIES_MAX_TERMS) {
    const arg = tf.mul(tf.expandDims(pf.s, 0), tf.expandDims(u, 2)); // [batch, rows, cols]
    const iDev = tf.mul(tf.mul(tf.expandDims(v, 2), tf.expandDims(pf.c, 0)), tf.exp(arg));
    return {
      currents: tf.sum(iDev, 1) as tf.Tensor2D,
      power: wantPower ? (tf.sum(tf.mul(iDev, tf.expandDims(v, 2)), [1, 2]) as tf.Tensor1D) : null,
    };
  }
  // y = (s − s̄)/h ∈ [−1, 1] and the powers of h go to the A side, (h·u)^k/k! ≤ e^(h·u): no term overflows
  // float32 however wide the spread (y^k alone would overflow beyond |s − s̄| ≈ 9.5 at 40 terms).
  const h = half > 0 ? half : 1;
  const sBarT = tf.tensor1d(sBar);
  const parts: tf.Tensor2D[] = [tf.mul(v, tf.exp(tf.mul(u, sBarT))) as tf.Tensor2D];
  for (let k = 1; k < K; k++) parts.push(tf.mul(parts[k - 1], tf.mul(u, h / k)) as tf.Tensor2D);
  const A = tf.concat(parts, 1) as tf.Tensor2D; // [batch, K·rows]
  // Aᵀ for the gradient, formed block by block in [rows, batch] layout (only when a gradient is taken)
  // from the forward pass's first block V·exp(s̄u) (its exponential is not computed twice)
  const transposedA = (from: tf.Tensor[]): tf.Tensor2D => {
    const [first, su] = from as [tf.Tensor2D, tf.Tensor2D];
    const uT = tf.transpose(su);
    const partsT: tf.Tensor2D[] = [tf.transpose(first)];
    for (let k = 1; k < K; k++) partsT.push(tf.mul(partsT[k - 1], tf.mul(uT, h / k)) as tf.Tensor2D);
    return tf.concat(partsT, 0) as tf.Tensor2D; // [K·rows, batch]
  };
  const y = tf.mul(tf.sub(pf.s, tf.expandDims(sBarT, 1)), 1 / h) as tf.Tensor2D;
  const currents = seriesProduct(A, { from: [parts[0], u], build: transposedA }, pf.c, y, K, inputGradient);
  if (!wantPower) return { currents, power: null };
  // |V_i|·|I_ij| = V_i·I_ij (a PF current has the sign of its voltage): P_b = Σ_k Σ_i V_i·A_k,bi·Σ_j M_k,ij
  const rowSums: tf.Tensor2D[] = [];
  let m: tf.Tensor2D = pf.c;
  for (let k = 0; k < K; k++) {
    if (k > 0) m = tf.mul(m, y) as tf.Tensor2D;
    rowSums.push(tf.reshape(tf.sum(m, 1), [1, rows]) as tf.Tensor2D);
  }
  const batch = v.shape[0];
  const w = tf.reshape(tf.concat(rowSums, 0), [1, K, rows]);
  const power = tf.sum(tf.mul(tf.mul(tf.reshape(A, [batch, K, rows]), tf.expandDims(v, 1)), w), [1, 2]) as tf.Tensor1D;
  return { currents, power };
}

/**
 * Spec §6 power from per-device currents: P_b = Σ_ij |V_bi|·|I_bij| for V [batch, rows] and
 * I [batch, rows, cols] (W per example). crossbarCurrents computes the same without forming I.
 */
export function powerFromDeviceCurrents(v: tf.Tensor2D, iDevice: tf.Tensor3D): tf.Tensor1D {
  if (iDevice.rank !== 3 || iDevice.shape[0] !== v.shape[0] || iDevice.shape[1] !== v.shape[1])
    throw new RangeError(
      `device currents [${iDevice.shape}] do not match voltages [${v.shape}] as [batch, rows, cols]`,
    );
  return tf.sum(tf.mul(tf.abs(iDevice), tf.expandDims(tf.abs(v), 2)), [1, 2]) as tf.Tensor1D;
}

/** What a layer's crossbar sees in one forward pass (blocked column layout [G₊ | G₋]). */
export interface LayerTrace {
  /** Word-line voltages [batch, rows] (V), bias row last. */
  readonly v: tf.Tensor2D;
  /** Device conductances after disturbances [rows, 2·out] (S). */
  readonly g: tf.Tensor2D;
  readonly pf: PfCoefficients | null;
  readonly kG: tf.Scalar;
}

/** Power of every device for every example, |V_bi|·|I_bij| [batch, rows, cols] (W), device by device (PF law or ohmic). */
export function devicePowers(t: LayerTrace): tf.Tensor3D {
  const absV = tf.expandDims(tf.abs(t.v), 2);
  if (!t.pf) return tf.mul(tf.square(absV), tf.expandDims(t.g, 0)) as tf.Tensor3D;
  const iDev = tf.mul(tf.mul(absV, tf.expandDims(t.pf.c, 0)), tf.exp(tf.mul(tf.expandDims(t.pf.s, 0), tf.sqrt(absV))));
  return tf.mul(iDev, absV) as tf.Tensor3D;
}

/** Per-device power averaged over the batch, E_b[|V_bi|·|I_bij|] [rows, cols] (W). */
export function meanDevicePower(t: LayerTrace): tf.Tensor2D {
  return tf.mean(devicePowers(t), 0) as tf.Tensor2D;
}

/**
 * One memristive layer's forward pass for a stage setup: outputs y = (I₊ − I₋)/(k_V·k_G) [batch, out]
 * and power per example [batch] (W).
 */
export function memristiveForward(
  x: tf.Tensor2D,
  weights:
    | { kind: "standard"; w: tf.Tensor2D; b: tf.Tensor1D; rule: PairRule }
    | { kind: "double"; wPlus: tf.Tensor2D; wMinus: tf.Tensor2D; bPlus: tf.Tensor1D; bMinus: tf.Tensor1D },
  setup: DeviceSetup,
  rng: Rng,
  opts: { power?: boolean; inputGradient?: boolean; trace?: (t: LayerTrace) => void } = {},
): { y: tf.Tensor2D; power: tf.Tensor1D | null } {
  if (setup.gOffSiemens === null || setup.gOnSiemens === null)
    throw new Error(`setup ${setup.id} has no conductance window: use the software layer for the ideal stage`);
  const window = { gOffSiemens: setup.gOffSiemens, gOnSiemens: setup.gOnSiemens };
  const kV = setup.readVoltageVolt;
  const xAug = tf.concat([x, tf.ones([x.shape[0], 1])], 1) as tf.Tensor2D;
  const periphery = stagePeriphery(setup);
  let mapped: { g: tf.Tensor2D; kG: tf.Scalar };
  if (weights.kind === "standard") {
    mapped = mapStandard(
      tf.concat([weights.w, tf.expandDims(weights.b, 0)], 0) as tf.Tensor2D,
      window.gOffSiemens,
      window.gOnSiemens,
      weights.rule,
      "blocked",
    );
  } else {
    const dp = tf.concat([weights.wPlus, tf.expandDims(weights.bPlus, 0)], 0) as tf.Tensor2D;
    const dm = tf.concat([weights.wMinus, tf.expandDims(weights.bMinus, 0)], 0) as tf.Tensor2D;
    mapped = mapDouble(tf.concat([dp, dm], 1) as tf.Tensor2D, window.gOffSiemens, window.gOnSiemens);
  }
  let g = mapped.g;
  if (setup.disturbance) g = disturb(g, setup.disturbance, window, rng);
  const pf = setup.currentModel ? pooleFrenkelCoefficients(g, setup.currentModel, rng) : null;
  // the DAC after the device draws (the fused engine's order): volts, and the volts per input unit of each row
  const [B, R] = xAug.shape;
  let unit: Float64Array = new Float64Array(B).fill(kV);
  const v = !periphery?.dac
    ? (tf.mul(kV, xAug) as tf.Tensor2D)
    : (hostOp([xAug], [B, R], ([xa]) => {
        const enc = encodeInputs(xa, B, R - 1, kV, periphery.dac, rng, { stride: R });
        unit = enc.unitVolt;
        return {
          value: enc.volts,
          backward: (dy) => [Float32Array.from(dy, (d, q) => d * enc.unitVolt[Math.floor(q / R)] * enc.pass[q])],
        };
      }) as tf.Tensor2D);
  opts.trace?.({ v, g, pf, kG: mapped.kG });
  const { currents, power } = crossbarCurrents(v, g, pf, opts);
  const out = currents.shape[1] / 2;
  if (periphery) {
    // output noise and the ADC on each output's I⁺ − I⁻ (straight-through), then y = (digital difference)/(unit·k_G)
    const range = layerAdcRange(periphery, R, kV, window);
    const y = hostOp([currents, mapped.kG], [B, out], ([cur, kg]) => {
      const c = convertOutputs(cur, 2 * out, B, out, periphery, range, unit, kg[0], rng);
      return {
        value: c.y,
        backward: (dy) => {
          const dI = new Float32Array(B * 2 * out);
          return [dI, [outputGradients(dy, c.y, B, out, 2 * out, c.dCurrent, unit, kg[0], dI)]];
        },
      };
    }) as tf.Tensor2D;
    return { y, power };
  }
  const [ip, im] = tf.split(currents, [out, out], 1);
  const y = tf.div(tf.sub(ip, im), tf.mul(kV, mapped.kG)) as tf.Tensor2D;
  return { y, power };
}

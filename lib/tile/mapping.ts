/**
 * Weights → conductances of differential pairs, in the tile's one layout convention: a weight matrix
 * is [in][out] (row i = word line i, the input; column j = output j), stored row-major; the
 * conductance matrix is [in][2·out] with output j's pair in columns 2j (G⁺) and 2j+1 (G⁻), so that
 * the output is proportional to I⁺ − I⁻. k_G = (G_on − G_off)/max|W| makes the largest weight use
 * the whole window.
 *
 * Rules (Joksas et al. 2022, §2.2 and its code):
 * - "min-G": G± = G_off + k_G·max(±w, 0) — one device of each pair at G_off (least power);
 * - "avg":   G± = G_avg ± k_G·w/2, G_avg = (G_off + G_on)/2 — both devices around the middle.
 * Both are the coefficients of G± = base + linear·(±w) + rectified·max(±w, 0) (`pairCoefficients`),
 * the form the fused engine's float32 kernels take, so the rules are defined here alone. Gradients:
 * `pairConductancesBackward` (fixed k_G; the min-G kink's slope is a choice, `KinkSlope`) and
 * `pairScaleGradient` (∂L/∂k_G). Joksas et al.'s double weights: `doubleConductances`.
 *
 * Drolet et al. (2023) map each parameter tensor on its own: a tensor of one sign onto one device per
 * weight, its range [min, max] spread over the window (`singleMapping`); a tensor of both signs onto
 * min-G pairs (`offsetPairConductances`, with their code's offset and scale when asked for).
 * `pairWeights` and `singleWeights` read weights back from (possibly disturbed) conductances.
 */

/** The conductance window of a device (S): G_off (high-resistance state) < G_on (low-resistance state). */
export interface ConductanceWindow {
  readonly gOffSiemens: number;
  readonly gOnSiemens: number;
}

export type PairRule = "min-G" | "avg";

export const PAIR_RULES: readonly PairRule[] = Object.freeze(["min-G", "avg"]);

export function checkWindow(w: ConductanceWindow, where = "conductance window"): void {
  if (!(w.gOffSiemens > 0 && Number.isFinite(w.gOnSiemens) && w.gOnSiemens > w.gOffSiemens)) {
    throw new RangeError(
      `${where}: need 0 < gOffSiemens < gOnSiemens (finite), got ${w.gOffSiemens} S and ${w.gOnSiemens} S`,
    );
  }
}

/**
 * k_G = (G_on − G_off)/max|W| (S per weight unit). All-zero weights have no scale (k_G would be infinite,
 * and the output's gradient would vanish with it): they are refused, as in every engine, and so is a
 * largest magnitude so small that k_G overflows.
 */
export function conductanceScale(window: ConductanceWindow, maxAbs: number): number {
  const kG = (window.gOnSiemens - window.gOffSiemens) / maxAbs;
  if (!(maxAbs > 0 && Number.isFinite(kG)))
    throw new RangeError(
      `k_G = (G_on − G_off)/max|W| is ${kG} S per weight unit for a largest |weight| of ${maxAbs}: ` +
        "weights that are all 0 (or all below ~1e-300) cannot be mapped to conductances",
    );
  return kG;
}

export function maxAbs(w: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]);
    if (!Number.isFinite(a)) throw new RangeError(`weights: entry ${i} is ${w[i]}, not a finite number`);
    if (a > m) m = a;
  }
  return m;
}

function checkCount(weights: ArrayLike<number>, rows: number, cols: number): void {
  if (weights.length !== rows * cols)
    throw new RangeError(`weights have ${weights.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
}

/**
 * A pair rule as the numbers every engine evaluates (this module in float64, the fused engine's
 * kernels in float32): G± = base + linear·(±w) + rectified·max(±w, 0). "min-G": base G_off,
 * rectified k_G; "avg": base G_avg, linear k_G/2.
 */
export interface PairCoefficients {
  readonly baseSiemens: number;
  /** S per weight unit. */
  readonly linear: number;
  /** S per weight unit. */
  readonly rectified: number;
}

/** The slopes of `rule` for scale kG (the base does not depend on k_G). */
export function pairSlopes(rule: PairRule, kG: number): { readonly linear: number; readonly rectified: number } {
  if (!PAIR_RULES.includes(rule)) throw new RangeError(`unknown pair rule "${rule}": use ${PAIR_RULES.join(" or ")}`);
  if (!Number.isFinite(kG))
    throw new RangeError(`pair mapping: the scale k_G must be finite, got ${kG} S per weight unit`);
  return rule === "min-G" ? { linear: 0, rectified: kG } : { linear: kG / 2, rectified: 0 };
}

/** The coefficients of `rule` in `window` with scale kG (S per weight unit). */
export function pairCoefficients(rule: PairRule, window: ConductanceWindow, kG: number): PairCoefficients {
  checkWindow(window);
  const base = rule === "min-G" ? window.gOffSiemens : (window.gOffSiemens + window.gOnSiemens) / 2;
  return { baseSiemens: base, ...pairSlopes(rule, kG) };
}

/** Conductances [rows][2·cols] of weights [rows][cols] by `rule`, with scale kG (S per weight unit). */
export function pairConductances(
  weights: ArrayLike<number>,
  rows: number,
  cols: number,
  window: ConductanceWindow,
  kG: number,
  rule: PairRule,
): Float64Array {
  if (kG < 0) throw new RangeError(`pair mapping: the scale k_G must be >= 0, got ${kG} S per weight unit`);
  const g = coefficientPairs(weights, rows, cols, pairCoefficients(rule, window, kG));
  // every device inside its window: a k_G too large for the weights (or weights past the mapping's
  // largest) would otherwise give conductances no device has; float32 scales are allowed their rounding
  const slack = 1e-6 * window.gOnSiemens;
  for (let k = 0; k < g.length; k++) {
    if (g[k] < window.gOffSiemens - slack || g[k] > window.gOnSiemens + slack) {
      const w = weights[k >> 1];
      throw new RangeError(
        `pair mapping (${rule}): weight ${w} at entry ${k >> 1} maps to ${g[k]} S, outside the window ` +
          `[${window.gOffSiemens}, ${window.gOnSiemens}] S: k_G = ${kG} S per weight unit is too large for it ` +
          `(at most (G_on − G_off)/max|w|${rule === "avg" ? ", as the avg rule also needs" : ""})`,
      );
    }
  }
  return g;
}

/** Pairs [rows][2·cols] of weights [rows][cols]: G± = base + linear·(±w) + rectified·max(±w, 0). */
export function coefficientPairs(
  weights: ArrayLike<number>,
  rows: number,
  cols: number,
  c: PairCoefficients,
): Float64Array {
  checkCount(weights, rows, cols);
  if (![c.baseSiemens, c.linear, c.rectified].every(Number.isFinite))
    throw new RangeError(
      `pair mapping: base ${c.baseSiemens} S and slopes ${c.linear}, ${c.rectified} S per weight unit must be finite`,
    );
  const g = new Float64Array(rows * 2 * cols);
  for (let k = 0; k < rows * cols; k++) {
    const w = weights[k];
    g[2 * k] = c.baseSiemens + c.linear * w + c.rectified * Math.max(w, 0);
    g[2 * k + 1] = c.baseSiemens - c.linear * w + c.rectified * Math.max(-w, 0);
  }
  return g;
}

/**
 * Min-G pairs [rows][2·cols] with any offset G₀ (S): G± = G₀ + k_G·max(±w, 0). The "min-G" rule is
 * G₀ = G_off. Drolet et al.'s code maps double-column tensors with G₀ = G_off − G_on and twice the
 * scale, which puts conductances below zero: not a device window, kept to reproduce their numbers.
 */
export function offsetPairConductances(
  weights: ArrayLike<number>,
  rows: number,
  cols: number,
  offsetSiemens: number,
  kG: number,
): Float64Array {
  return coefficientPairs(weights, rows, cols, { baseSiemens: offsetSiemens, linear: 0, rectified: kG });
}

/** Weights [rows][cols] read back from pairs [rows][2·cols] (either rule, any offset): w = (G⁺ − G⁻)/k_G. */
export function pairWeights(g: ArrayLike<number>, rows: number, cols: number, kG: number): Float64Array {
  if (g.length !== rows * 2 * cols)
    throw new RangeError(`pairs have ${g.length} conductances, expected ${rows}×${2 * cols}`);
  if (!(kG > 0 && Number.isFinite(kG)))
    throw new RangeError(`pair weights: the scale k_G must be finite and > 0, got ${kG} S per weight unit`);
  const w = new Float64Array(rows * cols);
  for (let k = 0; k < w.length; k++) w[k] = (g[2 * k] - g[2 * k + 1]) / kG;
  return w;
}

/**
 * One device per weight (Drolet et al. 2023's single-column mapping, for a tensor of one sign): the
 * weights' range [lowest, highest] spreads over the window, G = G_off + k_G·(w − lowest) with
 * k_G = (G_on − G_off)/(highest − lowest); a constant tensor takes k_G = G_on − G_off (all at G_off).
 */
export interface SingleMapping {
  readonly lowestWeight: number;
  readonly kG: number;
}

export function singleMapping(weights: ArrayLike<number>, window: ConductanceWindow): SingleMapping {
  checkWindow(window);
  if (weights.length === 0) throw new RangeError("single-column mapping: no weights");
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) throw new RangeError(`weights: entry ${i} is ${weights[i]}, not a finite number`);
    lo = Math.min(lo, weights[i]);
    hi = Math.max(hi, weights[i]);
  }
  return { lowestWeight: lo, kG: (window.gOnSiemens - window.gOffSiemens) / (hi - lo || 1) };
}

/** Conductances of weights under a single-column mapping (one per weight, same layout). */
export function singleConductances(
  weights: ArrayLike<number>,
  window: ConductanceWindow,
  m: SingleMapping,
): Float64Array {
  checkWindow(window);
  checkSingleMapping(m, "single-column mapping");
  return Float64Array.from(weights, (w, i) => {
    if (!Number.isFinite(w)) throw new RangeError(`single-column mapping: weight ${i} is ${w}, not a finite number`);
    return window.gOffSiemens + m.kG * (w - m.lowestWeight);
  });
}

function checkSingleMapping(m: SingleMapping, where: string): void {
  if (!(m.kG > 0 && Number.isFinite(m.kG)))
    throw new RangeError(`${where}: the scale k_G must be finite and > 0, got ${m.kG} S per weight unit`);
  if (!Number.isFinite(m.lowestWeight))
    throw new RangeError(`${where}: the lowest weight must be finite, got ${m.lowestWeight}`);
}

/** Weights read back from (possibly disturbed) single-column conductances: w = lowest + (G − G_off)/k_G. */
export function singleWeights(g: ArrayLike<number>, window: ConductanceWindow, m: SingleMapping): Float64Array {
  checkWindow(window);
  checkSingleMapping(m, "single-column weights");
  return Float64Array.from(g, (gi, i) => {
    if (!Number.isFinite(gi)) throw new RangeError(`single-column weights: conductance ${i} is ${gi} S, not finite`);
    return m.lowestWeight + (gi - window.gOffSiemens) / m.kG;
  });
}

/**
 * Which slope a rectified mapping's kink at w = 0 takes in the backward passes: "mean", the mean of
 * the one-sided slopes (the tile's default), or "zero", TensorFlow's relu convention (Joksas et al.'s
 * code, in which a min-G layer's zero-initialised biases receive no gradient and stay at 0).
 */
export type KinkSlope = "mean" | "zero";

export const KINK_SLOPES: readonly KinkSlope[] = Object.freeze(["mean", "zero"]);

/** The kink's slope as a multiple of the one-sided slopes' difference (for kernels that take a number): 1/2 or 0. */
export function kinkFactor(kink: KinkSlope): number {
  if (!KINK_SLOPES.includes(kink))
    throw new RangeError(`unknown kink slope "${kink as string}": use ${KINK_SLOPES.join(" or ")}`);
  return kink === "mean" ? 0.5 : 0;
}

/**
 * dL/dW from dL/dG of the pairs, for a fixed k_G (the scale is a constant of the mapping; its
 * dependence on max|W| is not differentiated here: `pairScaleGradient` gives ∂L/∂k_G). At w = 0 the
 * min-G rule takes the slope `kink` says.
 */
export function pairConductancesBackward(
  weights: ArrayLike<number>,
  dG: ArrayLike<number>,
  rows: number,
  cols: number,
  kG: number,
  rule: PairRule,
  kink: KinkSlope = "mean",
): Float64Array {
  checkCount(weights, rows, cols);
  if (dG.length !== rows * 2 * cols) throw new RangeError(`dG has ${dG.length} entries, expected ${rows}×${2 * cols}`);
  const atKink = kinkFactor(kink);
  const { linear, rectified } = pairSlopes(rule, kG);
  const dW = new Float64Array(rows * cols);
  for (let k = 0; k < dW.length; k++) {
    const w = weights[k],
      up = dG[2 * k],
      down = dG[2 * k + 1];
    const side = w > 0 ? up : w < 0 ? -down : atKink > 0 ? atKink * (up - down) : 0;
    dW[k] = linear * (up - down) + rectified * side;
  }
  return dW;
}

/**
 * ∂L/∂k_G through the pairs at fixed weights: Σ ∂L/∂G·∂G/∂k_G, with ∂G±/∂k_G = max(±w, 0) ("min-G")
 * or ±w/2 ("avg"): the slopes at k_G = 1. With `pairConductancesBackward` it gives the whole gradient
 * when k_G depends on the weights (Joksas et al.'s k_G = (G_on − G_off)/max|W|, differentiated as
 * TensorFlow does).
 */
export function pairScaleGradient(
  weights: ArrayLike<number>,
  dG: ArrayLike<number>,
  rows: number,
  cols: number,
  rule: PairRule,
): number {
  checkCount(weights, rows, cols);
  if (dG.length !== rows * 2 * cols) throw new RangeError(`dG has ${dG.length} entries, expected ${rows}×${2 * cols}`);
  const { linear, rectified } = pairSlopes(rule, 1);
  let s = 0;
  for (let k = 0; k < rows * cols; k++) {
    const w = weights[k],
      up = dG[2 * k],
      down = dG[2 * k + 1];
    s += linear * w * (up - down) + rectified * (up * Math.max(w, 0) + down * Math.max(-w, 0));
  }
  return s;
}

/**
 * Joksas et al.'s "double weights": one device per non-negative weight (the network trains both
 * columns of each pair, [in][2·out] in the pair layout), G = G_off + k_G·d, so 0 ↦ G_off and, with
 * k_G = (G_on − G_off)/max d, the largest ↦ G_on. A negative weight has no device state: refused.
 * The gradients are ∂L/∂d = k_G·∂L/∂G and ∂L/∂k_G = Σ ∂L/∂G·d (`doubleScaleGradient`).
 */
export function doubleConductances(weights: ArrayLike<number>, window: ConductanceWindow, kG: number): Float64Array {
  checkWindow(window);
  if (!(kG >= 0 && Number.isFinite(kG)))
    throw new RangeError(`double weights: the scale k_G must be finite and ≥ 0, got ${kG} S per weight unit`);
  const g = new Float64Array(weights.length);
  for (let k = 0; k < g.length; k++) {
    const d = weights[k];
    if (!(d >= 0 && Number.isFinite(d)))
      throw new RangeError(`double weights: entry ${k} is ${d}; each must be a finite number ≥ 0 (one device each)`);
    g[k] = window.gOffSiemens + kG * d;
  }
  return g;
}

/** ∂L/∂k_G of `doubleConductances` at fixed weights: Σ ∂L/∂G·d. */
export function doubleScaleGradient(weights: ArrayLike<number>, dG: ArrayLike<number>): number {
  if (dG.length !== weights.length)
    throw new RangeError(`dG has ${dG.length} entries for ${weights.length} double weights`);
  let s = 0;
  for (let k = 0; k < dG.length; k++) s += dG[k] * weights[k];
  return s;
}

/** W[out][in] (PyTorch's layout, used by lib/training/mlp) → the tile's [in][out]. */
export function fromOutIn(w: ArrayLike<number>, outDim: number, inDim: number): Float64Array {
  if (w.length !== outDim * inDim)
    throw new RangeError(`weights have ${w.length} entries, expected ${outDim}×${inDim}`);
  const t = new Float64Array(inDim * outDim);
  for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) t[i * outDim + o] = w[o * inDim + i];
  return t;
}

/** How a tile layer implements its weights: differential pairs by a pair rule, or Joksas et al.'s double weights. */
export type LayerRule = PairRule | "double";

/**
 * Weights per word line of a layer of `outDim` outputs: one per output for pairs; two for double
 * weights ([in + 1][2·out], output j's w⁺ in column 2j and w⁻ in 2j + 1: the pair layout), each ≥ 0.
 */
export function weightColumns(rule: LayerRule, outDim: number): number {
  return rule === "double" ? 2 * outDim : outDim;
}

/** A layer's weights (by physical word line) → k_G and its conductances [rows][2·out] (S). */
export function mapLayer(
  w: Float64Array,
  rows: number,
  outDim: number,
  window: ConductanceWindow,
  rule: LayerRule,
): { kG: number; gSiemens: Float64Array } {
  const kG = conductanceScale(window, maxAbs(w));
  return {
    kG,
    gSiemens:
      rule === "double" ? doubleConductances(w, window, kG) : pairConductances(w, rows, outDim, window, kG, rule),
  };
}

/** ∂L/∂W of `mapLayer` for a fixed k_G from ∂L/∂G: the pair rule's backward, or k_G·∂L/∂G for double weights. */
export function mapLayerBackward(
  w: Float64Array,
  dG: Float64Array,
  rows: number,
  outDim: number,
  kG: number,
  rule: LayerRule,
): Float64Array {
  if (rule !== "double") return pairConductancesBackward(w, dG, rows, outDim, kG, rule);
  if (dG.length !== w.length) throw new RangeError(`dG has ${dG.length} entries for ${w.length} double weights`);
  return Float64Array.from(dG, (g) => kG * g);
}

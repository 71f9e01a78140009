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
    throw new RangeError(`${where}: need 0 < gOffSiemens < gOnSiemens (finite), got ${w.gOffSiemens} S and ${w.gOnSiemens} S`);
  }
}

/** k_G (S per weight unit) for weights whose largest magnitude is maxAbs; 0 for all-zero weights. */
export function conductanceScale(window: ConductanceWindow, maxAbs: number): number {
  return maxAbs > 0 ? (window.gOnSiemens - window.gOffSiemens) / maxAbs : 0;
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
  if (weights.length !== rows * cols) throw new RangeError(`weights have ${weights.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
}

/** Conductances [rows][2·cols] of weights [rows][cols] by `rule`, with scale kG (S per weight unit). */
export function pairConductances(weights: ArrayLike<number>, rows: number, cols: number, window: ConductanceWindow, kG: number, rule: PairRule): Float64Array {
  checkWindow(window);
  if (!PAIR_RULES.includes(rule)) throw new RangeError(`unknown pair rule "${rule}": use ${PAIR_RULES.join(" or ")}`);
  if (rule === "min-G") return offsetPairConductances(weights, rows, cols, window.gOffSiemens, kG);
  checkCount(weights, rows, cols);
  const g = new Float64Array(rows * 2 * cols);
  const mid = (window.gOffSiemens + window.gOnSiemens) / 2;
  for (let k = 0; k < rows * cols; k++) {
    g[2 * k] = mid + (kG * weights[k]) / 2;
    g[2 * k + 1] = mid - (kG * weights[k]) / 2;
  }
  return g;
}

/**
 * Min-G pairs [rows][2·cols] with any offset G₀ (S): G± = G₀ + k_G·max(±w, 0). The "min-G" rule is
 * G₀ = G_off. Drolet et al.'s code maps double-column tensors with G₀ = G_off − G_on and twice the
 * scale, which puts conductances below zero: not a device window, kept to reproduce their numbers.
 */
export function offsetPairConductances(weights: ArrayLike<number>, rows: number, cols: number, offsetSiemens: number, kG: number): Float64Array {
  checkCount(weights, rows, cols);
  if (!Number.isFinite(offsetSiemens) || !Number.isFinite(kG)) throw new RangeError(`pair mapping: offset ${offsetSiemens} S and scale ${kG} S per weight unit must be finite`);
  const g = new Float64Array(rows * 2 * cols);
  for (let k = 0; k < rows * cols; k++) {
    g[2 * k] = offsetSiemens + kG * Math.max(weights[k], 0);
    g[2 * k + 1] = offsetSiemens + kG * Math.max(-weights[k], 0);
  }
  return g;
}

/** Weights [rows][cols] read back from pairs [rows][2·cols] (either rule, any offset): w = (G⁺ − G⁻)/k_G. */
export function pairWeights(g: ArrayLike<number>, rows: number, cols: number, kG: number): Float64Array {
  if (g.length !== rows * 2 * cols) throw new RangeError(`pairs have ${g.length} conductances, expected ${rows}×${2 * cols}`);
  if (!(kG > 0 && Number.isFinite(kG))) throw new RangeError(`pair weights: the scale k_G must be finite and > 0, got ${kG} S per weight unit`);
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
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) throw new RangeError(`weights: entry ${i} is ${weights[i]}, not a finite number`);
    lo = Math.min(lo, weights[i]);
    hi = Math.max(hi, weights[i]);
  }
  return { lowestWeight: lo, kG: (window.gOnSiemens - window.gOffSiemens) / (hi - lo || 1) };
}

/** Conductances of weights under a single-column mapping (one per weight, same layout). */
export function singleConductances(weights: ArrayLike<number>, window: ConductanceWindow, m: SingleMapping): Float64Array {
  return Float64Array.from(weights, (w) => window.gOffSiemens + m.kG * (w - m.lowestWeight));
}

/** Weights read back from (possibly disturbed) single-column conductances: w = lowest + (G − G_off)/k_G. */
export function singleWeights(g: ArrayLike<number>, window: ConductanceWindow, m: SingleMapping): Float64Array {
  return Float64Array.from(g, (gi) => m.lowestWeight + (gi - window.gOffSiemens) / m.kG);
}

/**
 * dL/dW from dL/dG of the pairs, for a fixed k_G (the scale is a constant of the mapping; its
 * dependence on max|W| is not differentiated). At w = 0 the min-G rule takes the mean of the one-sided
 * slopes.
 */
export function pairConductancesBackward(weights: ArrayLike<number>, dG: ArrayLike<number>, rows: number, cols: number, kG: number, rule: PairRule): Float64Array {
  if (dG.length !== rows * 2 * cols) throw new RangeError(`dG has ${dG.length} entries, expected ${rows}×${2 * cols}`);
  const dW = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const w = weights[r * cols + c], q = r * 2 * cols + 2 * c;
      if (rule === "min-G") dW[r * cols + c] = kG * (w > 0 ? dG[q] : w < 0 ? -dG[q + 1] : (dG[q] - dG[q + 1]) / 2);
      else dW[r * cols + c] = (kG / 2) * (dG[q] - dG[q + 1]);
    }
  }
  return dW;
}

/** W[out][in] (PyTorch's layout, used by lib/training/mlp) → the tile's [in][out]. */
export function fromOutIn(w: ArrayLike<number>, outDim: number, inDim: number): Float64Array {
  if (w.length !== outDim * inDim) throw new RangeError(`weights have ${w.length} entries, expected ${outDim}×${inDim}`);
  const t = new Float64Array(inDim * outDim);
  for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) t[i * outDim + o] = w[o * inDim + i];
  return t;
}

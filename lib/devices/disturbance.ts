/**
 * Conductance disturbances on float64 arrays: one realisation of a `ConductanceDisturbance`
 * (joksas.ts) for a [rows][cols] array, with the draws of `draws.ts`. The tile's layer applies it,
 * the tfjs layers run it as a tfjs op (`training/memristive.ts` `disturb`), and the fused engine's
 * float32 kernels consume the same draws in the same order, so a seed gives the same devices on
 * every path. Also returns the diagonal Jacobian dG'/dG, which gradients through a disturbed array
 * need (0 for a stuck device).
 */
import type { Rng } from "../runtime/random";
import { checkDisturbance } from "./disturbance-check";
import { DisturbanceDraws, disturbanceDraws, unpadded } from "./draws";
import type { ConductanceDisturbance } from "./joksas";

export interface DisturbedConductances {
  /** G' (S), [rows][cols] row-major. */
  readonly gSiemens: Float64Array;
  /** dG'_k/dG_k per device (the disturbance acts on each device alone). */
  readonly jacobian: Float64Array;
}

/**
 * Apply `d` to conductances g [rows][cols] (S) in the window G_off…G_on. `rng` gives fresh draws;
 * given draws (from `disturbanceDraws`) replay a realisation. D2D lognormal variability needs g > 0.
 */
export function disturbConductances(
  g: ArrayLike<number>,
  rows: number,
  cols: number,
  d: ConductanceDisturbance,
  window: { readonly gOffSiemens: number; readonly gOnSiemens: number },
  rng: Rng | DisturbanceDraws,
): DisturbedConductances {
  if (g.length !== rows * cols)
    throw new RangeError(`disturbance: ${g.length} conductances for a ${rows}×${cols} array`);
  checkDisturbance(d);
  const { gOffSiemens: gOff, gOnSiemens: gOn } = window;
  if (!(gOff > 0 && gOn > gOff && Number.isFinite(gOn)))
    throw new RangeError(`disturbance: the window needs 0 < G_off < G_on (finite), got ${gOff} S and ${gOn} S`);
  const draws = "kind" in rng ? rng : disturbanceDraws(d, rows, cols, rng);
  if (draws.kind !== d.kind)
    throw new RangeError(`disturbance: draws of a ${draws.kind} disturbance given for a ${d.kind} one`);
  const out = new Float64Array(rows * cols),
    jac = new Float64Array(rows * cols);
  if (d.kind === "d2d-lognormal") {
    const z = unpadded((draws as Extract<DisturbanceDraws, { z: Float32Array }>).z, rows, cols);
    const rOn = 1 / gOn,
      rOff = 1 / gOff,
      span = d.sigmaOff - d.sigmaOn;
    for (let k = 0; k < out.length; k++) {
      const gk = g[k];
      if (!(gk > 0 && Number.isFinite(gk)))
        throw new RangeError(
          `disturbance: device [${Math.floor(k / cols)}][${k % cols}] has conductance ${gk} S; lognormal variability needs a finite G > 0`,
        );
      const r = 1 / gk,
        t = (r - rOn) / (rOff - rOn);
      const inside = t > 0 && t < 1;
      const sigma = d.sigmaOn + (inside ? t : t <= 0 ? 0 : 1) * span;
      const gd = Math.exp(-(Math.log(r) - (sigma * sigma) / 2 + sigma * z[k]));
      out[k] = gd;
      // ln G' = ln G + σ²/2 − σz, σ = σ(ln R): d ln G'/d ln G = 1 + (z − σ)·dσ/d ln R
      const dSigmaDLnR = inside ? (r * span) / (rOff - rOn) : 0;
      jac[k] = (gd / gk) * (1 + (z[k] - sigma) * dSigmaDLnR);
    }
    return { gSiemens: out, jacobian: jac };
  }
  if (d.kind === "stuck" || d.kind === "stuck-distribution") {
    const { u, values } = draws as Extract<DisturbanceDraws, { u: Float32Array }>;
    const stuckU = unpadded(u, rows, cols);
    const stuckValues = values ? unpadded(values, rows, cols) : null;
    const stuckAt = d.kind === "stuck" ? (d.at === "gOff" ? gOff : gOn) : NaN;
    for (let k = 0; k < out.length; k++) {
      const stuck = stuckU[k] < d.probability;
      out[k] = stuck ? (stuckValues ? stuckValues[k] : stuckAt) : g[k];
      jac[k] = stuck ? 0 : 1;
    }
    return { gSiemens: out, jacobian: jac };
  }
  throw new RangeError(`disturbance: unknown kind ${(d as { kind: string }).kind}`);
}

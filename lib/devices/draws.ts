/**
 * The random draws of one crossbar realisation (Joksas et al. 2022, spec §5.4: fresh at every forward
 * call), defined once for every engine: the tfjs layers and the fused kernels consume the same draws
 * from the same `Rng` in the same order, so a fixed seed gives the same devices in both.
 *
 * Layout: one draw per device slot of a [rows, pad4(cols)] matrix (rows padded to whole SIMD vectors,
 * the padding's draws unused), row-major. Order: the conductance disturbance's draws, then the
 * Poole–Frenkel residuals (z₁, then z₂ when the covariance has rank two).
 */
import type { Rng } from "../runtime/random";
import { normalCdf, normalQuantile } from "../runtime/normal";
import { normalsFloat32, pad4, uniformsFloat32 } from "../kernels";
import type { ConductanceDisturbance, PooleFrenkelModel } from "./joksas";
import { checkDisturbance } from "./disturbance-check";
import { residualCholesky } from "./pf-residuals";
import { BOLTZMANN_JOULE_PER_KELVIN, ELEMENTARY_CHARGE_COULOMB } from "./poole-frenkel";

export type DisturbanceDraws =
  /** stuck: a device is stuck where u < p; stuck-distribution: then at `values` (S, 0 elsewhere). */
  | { readonly kind: "stuck" | "stuck-distribution"; readonly u: Float32Array; readonly values: Float32Array | null }
  | { readonly kind: "d2d-lognormal"; readonly z: Float32Array };

export interface PfDraws {
  readonly z1: Float32Array;
  readonly z2: Float32Array | null;
}

/**
 * Where draws are made: n uniforms or normals from `rng` (lib/kernels' generator). The default makes
 * fresh arrays; an engine may pass one that fills its own buffers (the same numbers either way).
 */
export type Draw = (kind: "uniforms" | "normals", n: number, rng: Rng) => Float32Array;

const freshDraw: Draw = (kind, n, rng) => (kind === "uniforms" ? uniformsFloat32(n, rng) : normalsFloat32(n, rng));

/** Draws of a conductance disturbance for a [rows, cols] crossbar (layout above). */
export function disturbanceDraws(
  d: ConductanceDisturbance,
  rows: number,
  cols: number,
  rng: Rng,
  draw: Draw = freshDraw,
): DisturbanceDraws {
  checkDisturbance(d, "disturbance draws");
  const n = rows * pad4(cols);
  switch (d.kind) {
    case "stuck":
      return { kind: "stuck", u: draw("uniforms", n, rng), values: null };
    case "stuck-distribution": {
      const u = draw("uniforms", n, rng);
      const idx: number[] = [];
      for (let k = 0; k < n; k++) if (u[k] < d.probability) idx.push(k);
      const values = new Float32Array(n);
      sampleKde(d.centresSiemens, d.bandwidthSiemens, idx.length, rng).forEach((v, k) => (values[idx[k]] = v));
      return { kind: "stuck-distribution", u, values };
    }
    case "d2d-lognormal":
      return { kind: "d2d-lognormal", z: draw("normals", n, rng) };
    default:
      throw new Error(`unknown conductance disturbance ${(d as { kind: string }).kind}`);
  }
}

/** Residual draws of the PF parameters for a [rows, cols] crossbar; null when the covariance is zero (no draw is made). */
export function pfDraws(
  m: PooleFrenkelModel,
  rows: number,
  cols: number,
  rng: Rng,
  draw: Draw = freshDraw,
): PfDraws | null {
  const { l11, l21, l22 } = residualCholesky(m.residualCovariance);
  if (l11 === 0 && l21 === 0 && l22 === 0) return null;
  const n = rows * pad4(cols);
  const z1 = draw("normals", n, rng);
  return { z1, z2: l22 > 0 ? draw("normals", n, rng) : null };
}

/** The logical [rows, cols] entries of a draw array in the padded layout (for engines without padding). */
export function unpadded(a: Float32Array, rows: number, cols: number): Float32Array {
  const cp = pad4(cols);
  if (cp === cols) return a.subarray(0, rows * cols);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(a.subarray(i * cp, i * cp + cols), i * cols);
  return out;
}

/**
 * The constant of the PF exponent: s = (q/kT)·√(q/(π·dε)) = scale·exp(−½·ln dε) with
 * scale = (q/kT)·√(q/π) (V^-1/2 F^1/2).
 */
export function pfExponentScale(m: PooleFrenkelModel): number {
  return (
    (ELEMENTARY_CHARGE_COULOMB / (BOLTZMANN_JOULE_PER_KELVIN * m.temperatureKelvin)) *
    Math.sqrt(ELEMENTARY_CHARGE_COULOMB / Math.PI)
  );
}

/** Guard added to |V| under the square root of the PF exponent (V): finite gradients at V = 0, currents changed by < 1e-6 relative. */
export const PF_SQRT_GUARD_VOLT = 1e-12;

/** Draw from the reflected Gaussian KDE (kernels truncated to [0, ∞), mirrored where mass < 0 exceeds 1e-8). */
export function sampleKde(centres: readonly number[], bandwidth: number, count: number, rng: Rng): Float64Array {
  // each component: its mean, weight and the mass below 0 of its normal (the truncation point's CDF)
  const comps: Array<{ mean: number; w: number; below: number }> = [];
  for (const m of centres) {
    const below = normalCdf(-m / bandwidth);
    if (below > 1e-8)
      comps.push({ mean: m, w: 1 - below, below }, { mean: -m, w: below, below: normalCdf(m / bandwidth) });
    else comps.push({ mean: m, w: 1, below });
  }
  const cum = new Float64Array(comps.length);
  let acc = 0;
  comps.forEach((c, i) => (cum[i] = acc += c.w));
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const u = rng.next() * acc;
    let lo = 0,
      hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] <= u) lo = mid + 1;
      else hi = mid;
    }
    const c = comps[lo];
    // truncated normal on [0, ∞) by inverse CDF
    const v = c.below + rng.next() * (1 - c.below);
    out[k] = Math.max(0, c.mean + bandwidth * normalQuantile(Math.min(Math.max(v, 1e-300), 1 - 1e-16)));
  }
  return out;
}

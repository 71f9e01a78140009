/**
 * The Poole–Frenkel residual covariance Σ_res that Joksas et al. 2022 did not publish (spec §3.1),
 * pinned down as far as published numbers allow.
 *
 * Structure. The paper regresses each device's fitted (ln c, ln dε) on the *measured* R = 0.1 V / I(0.1 V).
 * For a curve that follows the PF law, 1/R = c·exp(s(dε)·√0.1 V) with s = (q/kT)·√(q/(π·dε)), so at a
 * given measured R the two residuals are tied: δln c = β·δln dε with β = s(dε)·√0.1 V / 2 > 0 (a
 * *positive* correlation; notebook 02's extraction demo recovers it from synthetic sweeps). The
 * tied covariance is rank one: Σ = σ²·[[β², β], [β, 1]].
 *
 * Scale. The paper's first version (arXiv 2112.06887v1, spec §3.2) reports, for the same SiOx
 * sweeps, the device-to-device spread of the nonlinearity n = I(0.5 V)/I(0.25 V): 2.99 ± 0.369 in the
 * high-resistance regime and 2.13 ± 0.0953 in the low one. σ is chosen so that the PF model with the
 * tied Σ reproduces that standard deviation over devices spread uniformly in G across the window.
 *
 * Everything here is deterministic (quadrature on equal-probability normal quantiles, no sampling).
 */
import { normalQuantile } from "../runtime/normal";
import type { PooleFrenkelModel } from "./poole-frenkel";
import { BOLTZMANN_JOULE_PER_KELVIN, ELEMENTARY_CHARGE_COULOMB, pooleFrenkelCurrent } from "./poole-frenkel";

type Covariance = PooleFrenkelModel["residualCovariance"];

/**
 * Lower Cholesky factor [[l11, 0], [l21, l22]] of a residual covariance; l22 is exactly 0 when the
 * covariance is rank one up to rounding (then one normal draw per device suffices).
 */
export function residualCholesky(cov: Covariance): { l11: number; l21: number; l22: number } {
  const [[s11, s12], [, s22]] = cov;
  const l11 = Math.sqrt(s11),
    l21 = l11 > 0 ? s12 / l11 : 0,
    rest = s22 - l21 * l21;
  return { l11, l21, l22: rest > 1e-12 * s22 ? Math.sqrt(rest) : 0 };
}

/** Spread of n = I(0.5 V)/I(0.25 V) over the SiOx devices, paper v1 (spec §3.2; sample sd, N−1). */
export const SIOX_V1_NONLINEARITY = Object.freeze({
  low: Object.freeze({ nMean: 2.13, nStd: 0.0953 }),
  high: Object.freeze({ nMean: 2.99, nStd: 0.369 }),
  source: "D. Joksas et al., arXiv:2112.06887v1 (Dec 2021), nonlinearity parameters of the SiOx devices (spec §3.2)",
});

/** Voltage at which the paper measures R (spec §3.1, index 20 of the 0–0.5 V sweep). */
export const PF_R_READ_VOLT = 0.1;

/**
 * β = ∂ln c/∂ln dε at fixed measured R: s(dε̄)·√V_R / 2, with dε̄ from the regression at the window's
 * geometric-mean resistance.
 */
export function tiedResidualSlope(
  model: PooleFrenkelModel,
  window: { gOffSiemens: number; gOnSiemens: number },
  readVoltageVolt = PF_R_READ_VOLT,
): number {
  checkWindow(window);
  const lnR = -0.5 * (Math.log(window.gOffSiemens) + Math.log(window.gOnSiemens));
  const dEps = Math.exp(model.lnDEps.slope * lnR + model.lnDEps.intercept);
  const q = ELEMENTARY_CHARGE_COULOMB;
  const s = (q / (BOLTZMANN_JOULE_PER_KELVIN * model.temperatureKelvin)) * Math.sqrt(q / (Math.PI * dEps));
  return (s * Math.sqrt(readVoltageVolt)) / 2;
}

/** Σ = σ²·[[β², β], [β, 1]]: residuals on the line δln c = β·δln dε, sd σ in ln dε. */
export function tiedResidualCovariance(beta: number, sigmaLnDEps: number): Covariance {
  if (!(Number.isFinite(beta) && sigmaLnDEps >= 0 && Number.isFinite(sigmaLnDEps)))
    throw new RangeError(`tied residual covariance needs a finite β and σ >= 0, got β = ${beta}, σ = ${sigmaLnDEps}`);
  const v = sigmaLnDEps * sigmaLnDEps;
  return Object.freeze([
    Object.freeze([beta * beta * v, beta * v] as const),
    Object.freeze([beta * v, v] as const),
  ]) as unknown as Covariance;
}

/**
 * Mean and standard deviation over devices of n = I(vHigh)/I(vLow) under a PF model with covariance
 * `cov`, devices uniform in G over the window (`gPoints` midpoints) and residuals on a grid of
 * equal-probability normal quantiles (`zPoints` per dimension).
 */
export function nonlinearitySpread(
  model: PooleFrenkelModel,
  window: { gOffSiemens: number; gOnSiemens: number },
  cov: Covariance = model.residualCovariance,
  opts: { vLowVolt?: number; vHighVolt?: number; gPoints?: number; zPoints?: number } = {},
): { nMean: number; nStd: number } {
  checkWindow(window);
  const vLow = opts.vLowVolt ?? 0.25,
    vHigh = opts.vHighVolt ?? 0.5,
    nG = opts.gPoints ?? 24,
    nZ = opts.zPoints ?? 200;
  const [[s11, s12], [, s22]] = cov;
  if (!(s11 >= 0 && s22 >= 0 && s11 * s22 - s12 * s12 >= -1e-15))
    throw new RangeError("residual covariance must be positive semi-definite");
  const { l11, l21, l22 } = residualCholesky(cov);
  const z = Array.from({ length: nZ }, (_, k) => normalQuantile((k + 0.5) / nZ));
  const z2 = l22 > 0 ? z : [0];
  let sum = 0,
    sumSq = 0,
    count = 0;
  for (let g = 0; g < nG; g++) {
    const G = window.gOffSiemens + ((g + 0.5) / nG) * (window.gOnSiemens - window.gOffSiemens);
    const lnR = -Math.log(G);
    const lnC0 = model.lnC.slope * lnR + model.lnC.intercept,
      lnD0 = model.lnDEps.slope * lnR + model.lnDEps.intercept;
    for (const a of z) {
      for (const b of z2) {
        const c = Math.exp(lnC0 + l11 * a),
          d = Math.exp(lnD0 + l21 * a + l22 * b);
        const n =
          pooleFrenkelCurrent(vHigh, c, d, model.temperatureKelvin) /
          pooleFrenkelCurrent(vLow, c, d, model.temperatureKelvin);
        sum += n;
        sumSq += n * n;
        count++;
      }
    }
  }
  const mean = sum / count;
  return { nMean: mean, nStd: Math.sqrt(Math.max(0, sumSq / count - mean * mean)) };
}

/**
 * The tied residual covariance whose nonlinearity spread std(n) equals `targetNStd` (bisection on σ).
 * Throws when the target is below the spread the regression alone gives (σ = 0).
 */
export function calibrateResidualCovariance(
  model: PooleFrenkelModel,
  window: { gOffSiemens: number; gOnSiemens: number },
  targetNStd: number,
  opts: { sigmaMax?: number; tolerance?: number } = {},
): { covariance: Covariance; beta: number; sigmaLnDEps: number; nMean: number; nStd: number } {
  if (!(targetNStd > 0)) throw new RangeError(`target std of I(0.5 V)/I(0.25 V) must be > 0, got ${targetNStd}`);
  const beta = tiedResidualSlope(model, window);
  const spread = (sigma: number) => nonlinearitySpread(model, window, tiedResidualCovariance(beta, sigma));
  const floor = spread(0).nStd;
  if (targetNStd <= floor)
    throw new RangeError(
      `target std ${targetNStd} is at or below the spread without residuals (${floor.toPrecision(3)}): no residual covariance is needed`,
    );
  let lo = 0,
    hi = opts.sigmaMax ?? 3;
  if (spread(hi).nStd < targetNStd)
    throw new RangeError(`target std ${targetNStd} not reached with σ(ln dε) up to ${hi}`);
  const tol = opts.tolerance ?? 1e-4;
  while (hi - lo > tol) {
    const mid = (lo + hi) / 2;
    if (spread(mid).nStd < targetNStd) lo = mid;
    else hi = mid;
  }
  const sigma = (lo + hi) / 2;
  const s = spread(sigma);
  return { covariance: tiedResidualCovariance(beta, sigma), beta, sigmaLnDEps: sigma, nMean: s.nMean, nStd: s.nStd };
}

function checkWindow(w: { gOffSiemens: number; gOnSiemens: number }): void {
  if (!(w.gOffSiemens > 0 && w.gOnSiemens > w.gOffSiemens))
    throw new RangeError(`need 0 < gOffSiemens < gOnSiemens, got ${w.gOffSiemens}, ${w.gOnSiemens}`);
}

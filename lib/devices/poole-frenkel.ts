/**
 * Poole–Frenkel I–V law of Joksas et al. 2022 (spec joksas-2022 §3.1), a current-computing
 * nonideality: I(V) = sign(V)·c·|V|·exp((q/kT)·√(q|V|/(π·dε) + 1e-18)).
 */
export const ELEMENTARY_CHARGE_COULOMB = 1.602176634e-19;
export const BOLTZMANN_JOULE_PER_KELVIN = 1.380649e-23;
export const ROOM_TEMPERATURE_KELVIN = 293.15;

/** Current (A) through a PF device with scaling c (S) and dε (F) at voltage v (V). */
export function pooleFrenkelCurrent(
  v: number,
  cSiemens: number,
  dEpsFarad: number,
  temperatureKelvin = ROOM_TEMPERATURE_KELVIN,
): number {
  const a = ELEMENTARY_CHARGE_COULOMB / (BOLTZMANN_JOULE_PER_KELVIN * temperatureKelvin);
  const av = Math.abs(v);
  return (
    Math.sign(v) *
    cSiemens *
    av *
    Math.exp(a * Math.sqrt((ELEMENTARY_CHARGE_COULOMB * av) / (Math.PI * dEpsFarad) + 1e-18))
  );
}

/** Differential conductance dI/dV (S) of the PF law at v (even in v, > 0). */
export function pooleFrenkelConductance(
  v: number,
  cSiemens: number,
  dEpsFarad: number,
  temperatureKelvin = ROOM_TEMPERATURE_KELVIN,
): number {
  const a = ELEMENTARY_CHARGE_COULOMB / (BOLTZMANN_JOULE_PER_KELVIN * temperatureKelvin);
  const b = ELEMENTARY_CHARGE_COULOMB / (Math.PI * dEpsFarad);
  const av = Math.abs(v);
  const s = Math.sqrt(b * av + 1e-18);
  return cSiemens * Math.exp(a * s) * (1 + (av * a * b) / (2 * s));
}

/** A Poole–Frenkel device family: c and dε regressed on ln R, with correlated residuals (Joksas et al. 2022). */
export interface PooleFrenkelModel {
  readonly kind: "poole-frenkel";
  /** ln c = slope·ln R + intercept (c in S, R in Ω). */
  readonly lnC: { readonly slope: number; readonly intercept: number };
  /** ln dε = slope·ln R + intercept (dε in F). */
  readonly lnDEps: { readonly slope: number; readonly intercept: number };
  /** Covariance of the (ln c, ln dε) regression residuals; not published, see PF_RESIDUAL_CALIBRATION. */
  readonly residualCovariance: readonly [readonly [number, number], readonly [number, number]];
  readonly temperatureKelvin: number;
}

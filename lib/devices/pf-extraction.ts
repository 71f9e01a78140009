/**
 * Poole–Frenkel parameter extraction from measured I–V sweeps (Joksas et al. 2022, spec §3.1
 * pipeline): clean the sweeps, fit I = c·V·exp((q/kT)·√(qV/(π·dε))) to each by Levenberg–Marquardt,
 * split the devices at the resistance quantum, regress ln c and ln dε on ln R per group, take the
 * residual covariance (divisor N), and derive the conductance windows (G_on/G_off = 5).
 * The result plugs into the device setups: `toPooleFrenkelModel(group)` → `PooleFrenkelModel`.
 */
import {
  BOLTZMANN_JOULE_PER_KELVIN,
  ELEMENTARY_CHARGE_COULOMB,
  ROOM_TEMPERATURE_KELVIN,
  pooleFrenkelCurrent,
} from "./poole-frenkel";
import type { PooleFrenkelModel } from "./poole-frenkel";

/** h / (2e²) (Ω). */
export const RESISTANCE_QUANTUM_OHM = 6.62607015e-34 / (2 * ELEMENTARY_CHARGE_COULOMB ** 2);

export interface IvCurve {
  readonly voltageVolt: readonly number[];
  readonly currentAmp: readonly number[];
}

export interface PfFit {
  readonly cSiemens: number;
  readonly dEpsFarad: number;
  /** R = V/I at the read voltage (Ω). */
  readonly resistanceOhm: number;
  /** RMS residual relative to the largest current. */
  readonly rmsRelative: number;
  readonly iterations: number;
}

export interface PfGroup {
  readonly n: number;
  readonly lnC: { readonly slope: number; readonly intercept: number };
  readonly lnDEps: { readonly slope: number; readonly intercept: number };
  /** Covariance of the (ln c, ln dε) residuals, divisor N. */
  readonly residualCovariance: readonly [readonly [number, number], readonly [number, number]];
  readonly gOffSiemens: number;
  readonly gOnSiemens: number;
}

export interface PfExtraction {
  readonly fits: readonly PfFit[];
  readonly dropped: ReadonlyArray<{ index: number; reason: string }>;
  /** Devices with R < R₀ ("low I–V nonlinearity") and R ≥ R₀ ("high"); null when fewer than 3 curves. */
  readonly low: PfGroup | null;
  readonly high: PfGroup | null;
}

function checkCurve(c: IvCurve, i: number, points: number): void {
  const { voltageVolt: v, currentAmp: I } = c;
  if (v.length !== I.length) throw new RangeError(`curve ${i}: ${v.length} voltages but ${I.length} currents`);
  if (v.length < points) throw new RangeError(`curve ${i}: needs at least ${points} points, has ${v.length}`);
  for (let k = 0; k < points; k++)
    if (!Number.isFinite(v[k]) || !Number.isFinite(I[k]))
      throw new RangeError(`curve ${i}: non-finite value at point ${k}`);
}

/** numpy.gradient with unit spacing (central inside, first-order one-sided at the ends). */
export function gradient(y: readonly number[]): number[] {
  const n = y.length;
  if (n < 2) throw new RangeError("gradient needs at least 2 points");
  return y.map((_, k) => (k === 0 ? y[1] - y[0] : k === n - 1 ? y[n - 1] - y[n - 2] : (y[k + 1] - y[k - 1]) / 2));
}

/** Spike measure of a curve: max of (second derivative w.r.t. sample index) / mean current. */
export function spikeRatio(currentAmp: readonly number[]): number {
  const d2 = gradient(gradient(currentAmp));
  const mean = currentAmp.reduce((a, b) => a + b, 0) / currentAmp.length;
  if (!(mean > 0)) return Infinity;
  return Math.max(...d2) / mean;
}

/** Levenberg–Marquardt fit of the PF law in (ln c, ln dε); unweighted least squares on the currents. */
export function fitPooleFrenkel(
  curve: IvCurve,
  opts: { start?: { cSiemens: number; dEpsFarad: number }; temperatureKelvin?: number; maxIterations?: number } = {},
): { cSiemens: number; dEpsFarad: number; rmsRelative: number; iterations: number } {
  const T = opts.temperatureKelvin ?? ROOM_TEMPERATURE_KELVIN;
  const a = ELEMENTARY_CHARGE_COULOMB / (BOLTZMANN_JOULE_PER_KELVIN * T);
  const V = curve.voltageVolt,
    I = curve.currentAmp,
    n = V.length;
  const scale = Math.max(...I.map(Math.abs));
  if (!(scale > 0)) throw new RangeError("fitPooleFrenkel: the curve carries no current");
  let th = [Math.log(opts.start?.cSiemens ?? 1e-5), Math.log(opts.start?.dEpsFarad ?? 1e-16)];
  const evalAt = (t: number[]) => {
    const c = Math.exp(t[0]),
      d = Math.exp(t[1]);
    const r = new Float64Array(n),
      j0 = new Float64Array(n),
      j1 = new Float64Array(n);
    let cost = 0;
    for (let k = 0; k < n; k++) {
      const av = Math.abs(V[k]);
      const u = (ELEMENTARY_CHARGE_COULOMB * av) / (Math.PI * d) + 1e-18;
      const model = pooleFrenkelCurrent(V[k], c, d, T);
      r[k] = (model - I[k]) / scale;
      j0[k] = model / scale; // ∂I/∂ln c
      j1[k] = ((model / scale) * -a * (u - 1e-18)) / (2 * Math.sqrt(u)); // ∂I/∂ln dε
      cost += r[k] * r[k];
    }
    return { r, j0, j1, cost };
  };
  let cur = evalAt(th),
    lambda = 1e-3,
    it = 0;
  const maxIt = opts.maxIterations ?? 500;
  for (; it < maxIt; it++) {
    let a00 = 0,
      a01 = 0,
      a11 = 0,
      g0 = 0,
      g1 = 0;
    for (let k = 0; k < n; k++) {
      a00 += cur.j0[k] ** 2;
      a01 += cur.j0[k] * cur.j1[k];
      a11 += cur.j1[k] ** 2;
      g0 += cur.j0[k] * cur.r[k];
      g1 += cur.j1[k] * cur.r[k];
    }
    let improved = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const m00 = a00 * (1 + lambda),
        m11 = a11 * (1 + lambda),
        det = m00 * m11 - a01 * a01;
      const d0 = -(m11 * g0 - a01 * g1) / det,
        d1 = -(m00 * g1 - a01 * g0) / det;
      const next = [th[0] + d0, th[1] + d1];
      const trial = evalAt(next);
      if (Number.isFinite(trial.cost) && trial.cost < cur.cost) {
        const rel = (cur.cost - trial.cost) / Math.max(cur.cost, 1e-300);
        th = next;
        cur = trial;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (rel < 1e-14 || Math.hypot(d0, d1) < 1e-12) return done();
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  return done();
  function done() {
    return {
      cSiemens: Math.exp(th[0]),
      dEpsFarad: Math.exp(th[1]),
      rmsRelative: Math.sqrt(cur.cost / n),
      iterations: it,
    };
  }
}

/** Ordinary least-squares line y = slope·x + intercept, and its residuals. */
function ols(x: readonly number[], y: readonly number[]): { slope: number; intercept: number; residuals: number[] } {
  const n = x.length,
    mx = x.reduce((p, q) => p + q, 0) / n,
    my = y.reduce((p, q) => p + q, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (x[k] - mx) * (y[k] - my);
    sxx += (x[k] - mx) ** 2;
  }
  if (!(sxx > 0)) throw new RangeError("regression needs at least two different resistances");
  const slope = sxy / sxx,
    intercept = my - slope * mx;
  return { slope, intercept, residuals: y.map((v, k) => v - (slope * x[k] + intercept)) };
}

function group(fits: readonly PfFit[], window: { gOffSiemens: number; gOnSiemens: number }): PfGroup | null {
  if (fits.length < 3) return null;
  const lnR = fits.map((f) => Math.log(f.resistanceOhm));
  const c = ols(
    lnR,
    fits.map((f) => Math.log(f.cSiemens)),
  );
  const d = ols(
    lnR,
    fits.map((f) => Math.log(f.dEpsFarad)),
  );
  const n = fits.length;
  const mean = (r: number[]) => r.reduce((p, q) => p + q, 0) / n;
  const mc = mean(c.residuals),
    md = mean(d.residuals);
  let s00 = 0,
    s01 = 0,
    s11 = 0;
  for (let k = 0; k < n; k++) {
    const u = c.residuals[k] - mc,
      v = d.residuals[k] - md;
    {
      s00 += u * u;
      s01 += u * v;
      s11 += v * v;
    }
  }
  return {
    n,
    lnC: { slope: c.slope, intercept: c.intercept },
    lnDEps: { slope: d.slope, intercept: d.intercept },
    residualCovariance: [
      [s00 / n, s01 / n],
      [s01 / n, s11 / n],
    ],
    ...window,
  };
}

/**
 * The whole pipeline on raw sweeps sampled from 0 V upwards. `points` (default 101: 0–0.5 V at 5 mV)
 * are kept; `readIndex` (default 20: 0.1 V) gives R = V/I; curves whose spike ratio is ≥
 * `spikeThreshold` (default 0.1) are dropped, as are curves whose fit fails.
 */
export function extractPooleFrenkel(
  curves: readonly IvCurve[],
  opts: { points?: number; readIndex?: number; spikeThreshold?: number; temperatureKelvin?: number } = {},
): PfExtraction {
  const points = opts.points ?? 101,
    readIndex = opts.readIndex ?? 20,
    thr = opts.spikeThreshold ?? 0.1;
  if (!curves.length) throw new RangeError("extractPooleFrenkel: no curves");
  if (readIndex <= 0 || readIndex >= points)
    throw new RangeError(`readIndex must be in 1..${points - 1}, got ${readIndex}`);
  const fits: PfFit[] = [];
  const dropped: Array<{ index: number; reason: string }> = [];
  curves.forEach((c, i) => {
    checkCurve(c, i, points);
    const cut = { voltageVolt: c.voltageVolt.slice(0, points), currentAmp: c.currentAmp.slice(0, points) };
    const spike = spikeRatio(cut.currentAmp);
    if (!(spike < thr)) return void dropped.push({ index: i, reason: `spike ratio ${spike.toPrecision(3)} ≥ ${thr}` });
    const r = cut.voltageVolt[readIndex] / cut.currentAmp[readIndex];
    if (!(r > 0) || !Number.isFinite(r))
      return void dropped.push({ index: i, reason: `R = V/I at point ${readIndex} is ${r}` });
    const f = fitPooleFrenkel(cut, { temperatureKelvin: opts.temperatureKelvin });
    if (!Number.isFinite(f.cSiemens) || !Number.isFinite(f.dEpsFarad) || f.rmsRelative > 0.05)
      return void dropped.push({ index: i, reason: `PF fit failed (relative RMS ${f.rmsRelative.toPrecision(3)})` });
    fits.push({ ...f, resistanceOhm: r });
  });
  fits.sort((p, q) => p.resistanceOhm - q.resistanceOhm);
  if (!fits.length) return { fits, dropped, low: null, high: null };
  const rMin = fits[0].resistanceOhm,
    rMax = fits[fits.length - 1].resistanceOhm;
  const low = fits.filter((f) => f.resistanceOhm < RESISTANCE_QUANTUM_OHM),
    high = fits.filter((f) => f.resistanceOhm >= RESISTANCE_QUANTUM_OHM);
  return {
    fits,
    dropped,
    low: group(low, { gOnSiemens: 1 / rMin, gOffSiemens: 1 / rMin / 5 }),
    high: group(high, { gOffSiemens: 1 / rMax, gOnSiemens: 5 / rMax }),
  };
}

/** A fitted group as the current model of a device setup. */
export function toPooleFrenkelModel(g: PfGroup, temperatureKelvin = ROOM_TEMPERATURE_KELVIN): PooleFrenkelModel {
  return Object.freeze({
    kind: "poole-frenkel",
    lnC: g.lnC,
    lnDEps: g.lnDEps,
    residualCovariance: g.residualCovariance,
    temperatureKelvin,
  });
}

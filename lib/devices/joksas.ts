/**
 * Device setups of Joksas et al. 2022 (Adv. Sci., arXiv 2112.06887; spec joksas-2022 §3), in two
 * families, composed by explicit rules:
 * - conductance disturbances (linearity-preserving): stuck at G_off/G_on, stuck at values drawn from
 *   a kernel density estimate, device-to-device lognormal variability;
 * - current models (linearity-nonpreserving): the Poole–Frenkel I–V law with parameters regressed on
 *   ln R plus correlated residuals.
 * At most one of each; the disturbance acts on G first, then currents are computed (PF or ohmic).
 */
import { tiedResidualCovariance } from "./pf-residuals";
import type { PooleFrenkelModel } from "./poole-frenkel";

export type { PooleFrenkelModel };

export type ConductanceDisturbance =
  | { readonly kind: "stuck"; readonly at: "gOff" | "gOn"; readonly probability: number }
  | {
      readonly kind: "stuck-distribution";
      readonly probability: number;
      /** KDE kernel centres (S): the stuck values. */
      readonly centresSiemens: readonly number[];
      readonly bandwidthSiemens: number;
      /** Where the centres come from. */
      readonly centresSource: string;
    }
  | { readonly kind: "d2d-lognormal"; readonly sigmaOn: number; readonly sigmaOff: number };

export type CurrentModel = PooleFrenkelModel;
export type Nonideality = ConductanceDisturbance | CurrentModel;

export interface DeviceSetup {
  readonly id: string;
  readonly name: string;
  readonly citation: string;
  /** null for the ideal setup (software dense layers). */
  readonly gOffSiemens: number | null;
  readonly gOnSiemens: number | null;
  /** k_V: voltage representing an input of 1 (V). */
  readonly readVoltageVolt: number;
  readonly disturbance: ConductanceDisturbance | null;
  readonly currentModel: CurrentModel | null;
}

export const JOKSAS_CITATION =
  "D. Joksas et al., Nonideality-aware training for accurate and robust low-power memristive neural networks, Adv. Sci. 9, 2105784 (2022), arXiv:2112.06887";

/**
 * PF residual covariances, one per regime, calibrated (lib/devices/pf-residuals.ts): the paper does not
 * publish Σ_res (spec §3.1). Structure from the regression identity (at a measured R the residuals lie
 * on δln c = β·δln dε, β > 0: rank one), scale from the paper's v1 device statistics (the std of
 * I(0.5 V)/I(0.25 V) over the SiOx devices, 0.369 high / 0.0953 low, is reproduced). β and σ(ln dε) are
 * the outputs of `calibrateResidualCovariance` to 4 s.f. (a unit test recomputes them).
 */
export const PF_RESIDUAL_CALIBRATION = Object.freeze({
  high: Object.freeze({ beta: 0.2976, sigmaLnDEps: 0.5682 }),
  low: Object.freeze({ beta: 0.04552, sigmaLnDEps: 1.082 }),
});
export const PF_RESIDUAL_COVARIANCE_HIGH = tiedResidualCovariance(
  PF_RESIDUAL_CALIBRATION.high.beta,
  PF_RESIDUAL_CALIBRATION.high.sigmaLnDEps,
);
export const PF_RESIDUAL_COVARIANCE_LOW = tiedResidualCovariance(
  PF_RESIDUAL_CALIBRATION.low.beta,
  PF_RESIDUAL_CALIBRATION.low.sigmaLnDEps,
);

/**
 * The residual covariance crossbar-lab assumed before the calibration (sd 0.2 in ln c and ln dε,
 * correlation −0.5, both regimes): kept to compare with (notebook 02). It scatters the conductance at
 * 0.1 V by ~±24 % (the regression identity says it should hardly scatter) and gives only a third of the
 * measured spread of the nonlinearity in the high-resistance regime.
 */
export const PF_RESIDUAL_COVARIANCE_ASSUMED_2026: readonly [readonly [number, number], readonly [number, number]] =
  Object.freeze([Object.freeze([0.04, -0.02] as const), Object.freeze([-0.02, 0.04] as const)]) as never;

const SIOX_LOW = { gOffSiemens: 6.9e-4, gOnSiemens: 3.45e-3 };
const SIOX_HIGH = { gOffSiemens: 5.25e-7, gOnSiemens: 2.62e-6 };

export const PF_LOW: PooleFrenkelModel = Object.freeze({
  kind: "poole-frenkel",
  lnC: { slope: -1.12, intercept: 0.628 },
  lnDEps: { slope: -1.34, intercept: -25.9 },
  residualCovariance: PF_RESIDUAL_COVARIANCE_LOW,
  temperatureKelvin: 293.15,
});
export const PF_HIGH: PooleFrenkelModel = Object.freeze({
  kind: "poole-frenkel",
  lnC: { slope: -1.03, intercept: -0.251 },
  lnDEps: { slope: -0.0901, intercept: -37.1 },
  residualCovariance: PF_RESIDUAL_COVARIANCE_HIGH,
  temperatureKelvin: 293.15,
});

/** A device's Poole–Frenkel parameters on the model's regression lines at conductance `gSiemens` (R = 1/G): no residual. */
export function pfParametersAt(model: PooleFrenkelModel, gSiemens: number): { cSiemens: number; dEpsFarad: number } {
  if (!(gSiemens > 0 && Number.isFinite(gSiemens)))
    throw new RangeError(`pfParametersAt: conductance must be a positive number of siemens, got ${gSiemens}`);
  const lnR = -Math.log(gSiemens);
  return {
    cSiemens: Math.exp(model.lnC.slope * lnR + model.lnC.intercept),
    dEpsFarad: Math.exp(model.lnDEps.slope * lnR + model.lnDEps.intercept),
  };
}

/**
 * Synthetic kernel centres for the Ta/HfO2 stuck distribution (D8). The measured stuck values are
 * not public; this deterministic set of 200 values has most devices stuck near G_off and a tail up
 * to G_on (43.6–978 µS), a documented assumption.
 */
export function syntheticTaHfO2StuckCentres(): number[] {
  const out: number[] = [];
  let s = 12345;
  const u = () => ((s = (1103515245 * s + 12345) % 2147483648), s / 2147483648);
  for (let i = 0; i < 200; i++) out.push(i < 130 ? 43.6e-6 + u() * 100e-6 : 143.6e-6 + u() * (978e-6 - 143.6e-6));
  return out;
}

/**
 * Build a setup from a list of nonidealities, enforcing the composition rules: at most one
 * conductance disturbance and at most one current model.
 */
export function deviceSetup(
  base: {
    id: string;
    name: string;
    gOffSiemens: number;
    gOnSiemens: number;
    readVoltageVolt?: number;
    citation?: string;
  },
  nonidealities: readonly Nonideality[],
): DeviceSetup {
  const disturbances = nonidealities.filter((n): n is ConductanceDisturbance => n.kind !== "poole-frenkel");
  const currents = nonidealities.filter((n): n is CurrentModel => n.kind === "poole-frenkel");
  if (disturbances.length > 1)
    throw new Error(
      `setup ${base.id}: at most one conductance disturbance is allowed, got ${disturbances.map((d) => d.kind).join(" + ")}`,
    );
  if (currents.length > 1)
    throw new Error(`setup ${base.id}: at most one current-computing nonideality is allowed, got ${currents.length}`);
  if (!(base.gOffSiemens > 0 && base.gOnSiemens > base.gOffSiemens))
    throw new RangeError(
      `setup ${base.id}: need 0 < gOffSiemens < gOnSiemens, got ${base.gOffSiemens}, ${base.gOnSiemens}`,
    );
  for (const d of disturbances) {
    if ("probability" in d && !(d.probability >= 0 && d.probability <= 1))
      throw new RangeError(`setup ${base.id}: probability ${d.probability} is not in [0, 1]`);
    if (d.kind === "d2d-lognormal" && !(d.sigmaOn >= 0 && d.sigmaOff >= 0))
      throw new RangeError(`setup ${base.id}: lognormal σ must be >= 0`);
    if (d.kind === "stuck-distribution") {
      if (!(d.bandwidthSiemens > 0)) throw new RangeError(`setup ${base.id}: KDE bandwidth must be > 0`);
      if (d.centresSiemens.length === 0 || d.centresSiemens.some((c) => !(c >= 0)))
        throw new RangeError(`setup ${base.id}: KDE centres must be a non-empty list of conductances >= 0`);
    }
  }
  for (const c of currents) {
    const [[a, b], [b2, d]] = c.residualCovariance;
    if (!(a >= 0 && d >= 0 && Math.abs(b - b2) < 1e-15 && a * d - b * b >= -1e-15))
      throw new RangeError(`setup ${base.id}: PF residual covariance must be symmetric positive semi-definite`);
  }
  return Object.freeze({
    id: base.id,
    name: base.name,
    citation: base.citation ?? JOKSAS_CITATION,
    gOffSiemens: base.gOffSiemens,
    gOnSiemens: base.gOnSiemens,
    readVoltageVolt: base.readVoltageVolt ?? 0.5,
    disturbance: disturbances[0] ?? null,
    currentModel: currents[0] ?? null,
  });
}

/** A conductance disturbance in words, with its parameters, for tables and logs. */
export function describeDisturbance(d: ConductanceDisturbance): string {
  switch (d.kind) {
    case "stuck":
      return `stuck at ${d.at === "gOff" ? "G_off" : "G_on"} with probability ${+(100 * d.probability).toPrecision(3)} %`;
    case "stuck-distribution":
      return `stuck with probability ${+(100 * d.probability).toPrecision(3)} % at values drawn from a KDE of ${d.centresSiemens.length} conductances (${d.centresSource})`;
    case "d2d-lognormal":
      return `device-to-device lognormal variability of R, σ ${d.sigmaOn} at G_on to ${d.sigmaOff} at G_off`;
    default:
      throw new RangeError(`unknown conductance disturbance ${(d as { kind: string }).kind}`);
  }
}

/** Replace the PF residual covariance of a setup (to study its effect). */
export function withResidualCovariance(s: DeviceSetup, cov: PooleFrenkelModel["residualCovariance"]): DeviceSetup {
  if (!s.currentModel) throw new Error(`setup ${s.id} has no Poole–Frenkel model`);
  return deviceSetup(
    {
      id: s.id,
      name: s.name,
      gOffSiemens: s.gOffSiemens!,
      gOnSiemens: s.gOnSiemens!,
      readVoltageVolt: s.readVoltageVolt,
      citation: s.citation,
    },
    [...(s.disturbance ? [s.disturbance] : []), { ...s.currentModel, residualCovariance: cov }],
  );
}

const D0: DeviceSetup = Object.freeze({
  id: "D0",
  name: "Ideal",
  citation: JOKSAS_CITATION,
  gOffSiemens: null,
  gOnSiemens: null,
  readVoltageVolt: 0.5,
  disturbance: null,
  currentModel: null,
});

/** The device setups D0–D8 of Joksas et al. 2022 (spec §3.7). */
export const JOKSAS_SETUPS: Readonly<
  Record<"D0" | "D1" | "D2" | "D3" | "D4" | "D5" | "D6" | "D7" | "D8", DeviceSetup>
> = Object.freeze({
  D0,
  D1: deviceSetup({ id: "D1", name: "Low I–V nonlin. [SiOx]", ...SIOX_LOW }, [PF_LOW]),
  D2: deviceSetup({ id: "D2", name: "High I–V nonlin. [SiOx]", ...SIOX_HIGH }, [PF_HIGH]),
  D3: deviceSetup({ id: "D3", name: "Stuck at G_off", ...SIOX_HIGH }, [
    { kind: "stuck", at: "gOff", probability: 0.05 },
  ]),
  D4: deviceSetup({ id: "D4", name: "High I–V nonlin. + stuck at G_on", ...SIOX_HIGH }, [
    { kind: "stuck", at: "gOn", probability: 0.05 },
    PF_HIGH,
  ]),
  D5: deviceSetup({ id: "D5", name: "More uniform D2D var.", ...SIOX_HIGH }, [
    { kind: "d2d-lognormal", sigmaOn: 0.25, sigmaOff: 0.25 },
  ]),
  D6: deviceSetup({ id: "D6", name: "Less uniform D2D var.", ...SIOX_HIGH }, [
    { kind: "d2d-lognormal", sigmaOn: 0.05, sigmaOff: 0.5 },
  ]),
  D7: deviceSetup({ id: "D7", name: "High D2D var.", ...SIOX_HIGH }, [
    { kind: "d2d-lognormal", sigmaOn: 0.5, sigmaOff: 0.5 },
  ]),
  D8: deviceSetup({ id: "D8", name: "Stuck [Ta/HfO2]", gOffSiemens: 4.36e-5, gOnSiemens: 9.78e-4 }, [
    {
      kind: "stuck-distribution",
      probability: 0.101,
      centresSiemens: syntheticTaHfO2StuckCentres(),
      bandwidthSiemens: 1.77e-5,
      centresSource: "synthetic (measured Ta/HfO2 stuck values are not public); see syntheticTaHfO2StuckCentres",
    },
  ]),
});

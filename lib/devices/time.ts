/**
 * Device-time models: what a device holds after it is programmed and how that changes with time.
 * Each model is data (a preset that cites its source) and three pure functions of conductances and
 * an explicit `Rng`:
 * - `programDevices`: one realisation of programming (noise around the target, a drift exponent ν
 *   per device where the model drifts);
 * - `conductancesAt`: the conductances read t seconds after programming (drift, relaxation and the
 *   read noise accumulated up to t), with dG(t)/dG_prog for gradients;
 * - `programmingSigmaSiemens`, `driftExponentMoments`, `readNoiseSigmaSiemens`: the published laws.
 *
 * Time is counted from the end of programming; t₀ is the first read (the drift reference), and a
 * read before t₀ is refused. aihwkit counts its t_inference from t₀ instead: its t_inference is our
 * t − t₀, so its (t_inference + t₀)/t₀ is our t/t₀. All conductances are in siemens; the fits that
 * were published in µS are converted here, and so stated in each preset.
 */
import type { Rng } from "../runtime/random";

/** aihwkit's PCM-like model (Nandakumar et al., ICECS 2019), `aihwkit/inference/noise/pcm.py`. */
export interface PcmLikeModel {
  readonly kind: "pcm-like";
  readonly name: string;
  readonly source: string;
  /** g_max (S): the conductance the largest weight maps to; ĝ = G/g_max in every law. */
  readonly gMaxSiemens: number;
  /** σ_prog = c0 + c1·ĝ + c2·ĝ² (S), for this g_max. */
  readonly programmingSigmaSiemens: readonly number[];
  /** μ_ν = clamp(slope·ln ĝ + intercept, min, max); σ_ν likewise. */
  readonly nuMean: LogLaw;
  readonly nuSd: LogLaw;
  /** Q_s = min(coefficient / max(ĝ^exponent, floor), max), the 1/f read-noise amplitude. */
  readonly readNoise: {
    readonly coefficient: number;
    readonly exponent: number;
    readonly floor: number;
    readonly max: number;
  };
  readonly t0Second: number;
  readonly tReadSecond: number;
}

/** aihwkit's CMO/HfOx ReRAM model (`ReRamCMONoiseModel`, `aihwkit/inference/noise/reram.py`). */
export interface CmoReramModel {
  readonly kind: "reram-cmo";
  readonly name: string;
  readonly source: string;
  /** The window the fit covers; every result is clamped to it, as in aihwkit (S). */
  readonly gMinSiemens: number;
  readonly gMaxSiemens: number;
  /** σ_prog = offset + slope·G (offset in S, slope dimensionless). */
  readonly programmingSigma: { readonly offsetSiemens: number; readonly slope: number };
  /** Relaxation: mean shift meanPerLn·ln(t/1 s) (S), spread sdPerLn·ln(t/1 s) + sdOffset (S). */
  readonly relaxation: {
    readonly meanPerLnSiemens: number;
    readonly sdPerLnSiemens: number;
    readonly sdOffsetSiemens: number;
  };
  /** Read noise σ = K·log10(G/1 µS)·√ln((t + t_read)/(2·t_read)) µS (the fit's units). */
  readonly readNoise: { readonly kMicroSiemens: number; readonly tReadSecond: number };
  readonly t0Second: number;
}

/** A plain power law G(t) = G_prog·(t/t₀)^−ν with ν = |N(mean, sd)| per device (MemTorch's retention, default ν 0.1). */
export interface PowerLawModel {
  readonly kind: "power-law";
  readonly name: string;
  readonly source: string;
  readonly nuMean: number;
  readonly nuSd: number;
  /** Programming noise σ as a fraction of the target (0: exact programming). */
  readonly programmingSigmaRelative: number;
  readonly t0Second: number;
}

export type DeviceTimeModel = PcmLikeModel | CmoReramModel | PowerLawModel;

export interface LogLaw {
  readonly slope: number;
  readonly intercept: number;
  readonly min: number;
  readonly max: number;
}

const PCM_SOURCE = "IBM aihwkit PCMLikeNoiseModel (src/aihwkit/inference/noise/pcm.py; Nandakumar et al., ICECS 2019)";
/** aihwkit's programming polynomial, fitted in µS at g_max = 25 µS. */
const PCM_PROG_MICROSIEMENS = Object.freeze([0.26348, 1.965, -1.1731]);
const PCM_REFERENCE_GMAX_SIEMENS = 25e-6;

/**
 * aihwkit's PCM-like model for devices whose largest weight maps to `gMaxSiemens` (default 25 µS, the
 * fit's own g_max). As aihwkit does, the programming σ scales with g_max/25 µS; ν and the read-noise
 * amplitude depend on ĝ = G/g_max only. Defaults t₀ = 20 s and t_read = 250 ns are aihwkit's.
 */
export function pcmLikeModel(gMaxSiemens = PCM_REFERENCE_GMAX_SIEMENS): PcmLikeModel {
  positive(gMaxSiemens, "pcmLikeModel: gMaxSiemens", "S");
  const scale = (gMaxSiemens / PCM_REFERENCE_GMAX_SIEMENS) * 1e-6;
  return Object.freeze({
    kind: "pcm-like",
    name: `PCM-like (aihwkit), g_max ${+(gMaxSiemens * 1e6).toPrecision(4)} µS`,
    source: PCM_SOURCE,
    gMaxSiemens,
    programmingSigmaSiemens: Object.freeze(PCM_PROG_MICROSIEMENS.map((c) => c * scale)),
    nuMean: Object.freeze({ slope: -0.0155, intercept: 0.0244, min: 0.049, max: 0.1 }),
    nuSd: Object.freeze({ slope: -0.0125, intercept: -0.0059, min: 0.008, max: 0.045 }),
    readNoise: Object.freeze({ coefficient: 0.0088, exponent: 0.65, floor: 1e-3, max: 0.2 }),
    t0Second: 20,
    tReadSecond: 250e-9,
  });
}

/** aihwkit's PCM-like model at its own g_max of 25 µS. */
export const PCM_LIKE_AIHWKIT: PcmLikeModel = pcmLikeModel();

/**
 * aihwkit's CMO/HfOx ReRAM model with its 2 % acceptance range (σ_prog = 0.0112 µS + 0.0113·G),
 * relaxation −0.0890 µS per ln(t/s) with spread 0.0420 µS·ln(t/s) + 0.412 µS, read-noise K = 0.0277,
 * t_read = 1 µs; window 9–88.2 µS. Times t in seconds enter ln t directly, as in the fit.
 */
export const CMO_RERAM_AIHWKIT: CmoReramModel = Object.freeze({
  kind: "reram-cmo",
  name: "CMO/HfOx ReRAM (aihwkit), 2 % acceptance",
  source: "IBM aihwkit ReRamCMONoiseModel (src/aihwkit/inference/noise/reram.py; Falcone et al.)",
  gMinSiemens: 9e-6,
  gMaxSiemens: 88.2e-6,
  programmingSigma: Object.freeze({ offsetSiemens: 0.0112185391e-6, slope: 0.01129027418 }),
  relaxation: Object.freeze({
    meanPerLnSiemens: -0.08900206e-6,
    sdPerLnSiemens: 0.04201137e-6,
    sdOffsetSiemens: 0.41183342e-6,
  }),
  readNoise: Object.freeze({ kMicroSiemens: 0.0277316483, tReadSecond: 1e-6 }),
  t0Second: 1,
});

/** A power law with MemTorch's default exponent ν = 0.1 (no spread, exact programming), t₀ = 1 s. */
export const POWER_LAW_MEMTORCH: PowerLawModel = powerLawModel({ nuMean: 0.1, nuSd: 0 });

/** A power-law model with a user-given ν distribution. */
export function powerLawModel(p: {
  nuMean: number;
  nuSd: number;
  programmingSigmaRelative?: number;
  t0Second?: number;
  name?: string;
}): PowerLawModel {
  finiteAtLeast(p.nuMean, 0, "powerLawModel: nuMean", "1");
  finiteAtLeast(p.nuSd, 0, "powerLawModel: nuSd", "1");
  finiteAtLeast(p.programmingSigmaRelative ?? 0, 0, "powerLawModel: programmingSigmaRelative", "fraction of G");
  positive(p.t0Second ?? 1, "powerLawModel: t0Second", "s");
  return Object.freeze({
    kind: "power-law",
    name: p.name ?? `power law, ν ~ |N(${p.nuMean}, ${p.nuSd})|`,
    source: "G(t) = G₀·(t/t₀)^−ν (MemTorch retention, memtorch/bh/nonideality; default ν = 0.1)",
    nuMean: p.nuMean,
    nuSd: p.nuSd,
    programmingSigmaRelative: p.programmingSigmaRelative ?? 0,
    t0Second: p.t0Second ?? 1,
  });
}

function positive(v: number, what: string, unit: string): void {
  if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${what} must be a finite number > 0 (${unit}), got ${v}`);
}

function finiteAtLeast(v: number, low: number, what: string, unit: string): void {
  if (!(v >= low && Number.isFinite(v)))
    throw new RangeError(`${what} must be a finite number >= ${low} (${unit}), got ${v}`);
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Programming σ (S) of a device whose target is g (S). */
export function programmingSigmaSiemens(m: DeviceTimeModel, g: number): number {
  if (m.kind === "pcm-like") {
    const gh = g / m.gMaxSiemens;
    return m.programmingSigmaSiemens.reduceRight((acc, c) => acc * gh + c, 0);
  }
  if (m.kind === "reram-cmo") return m.programmingSigma.offsetSiemens + m.programmingSigma.slope * g;
  return m.programmingSigmaRelative * g;
}

/** Mean and spread of the drift exponent ν at target g (S); ν = |mean + sd·N(0, 1)|. The CMO model does not drift (0, 0). */
export function driftExponentMoments(m: DeviceTimeModel, g: number): { mean: number; sd: number } {
  if (m.kind === "power-law") return { mean: m.nuMean, sd: m.nuSd };
  if (m.kind === "reram-cmo") return { mean: 0, sd: 0 };
  const ln = Math.log(Math.max(Math.abs(g / m.gMaxSiemens), 1e-7));
  const law = (l: LogLaw) => clamp(l.slope * ln + l.intercept, l.min, l.max);
  return { mean: law(m.nuMean), sd: law(m.nuSd) };
}

/** σ of the read noise (S) accumulated up to t (s) for a device at g (S), before it is drawn; 0 for the power law. */
export function readNoiseSigmaSiemens(m: DeviceTimeModel, gProgrammed: number, gNow: number, tSecond: number): number {
  if (m.kind === "power-law") return 0;
  if (m.kind === "pcm-like") {
    const r = m.readNoise;
    const qs = Math.min(r.coefficient / Math.max(Math.abs(gProgrammed / m.gMaxSiemens) ** r.exponent, r.floor), r.max);
    return Math.abs(gNow) * qs * Math.sqrt(Math.log((tSecond + m.tReadSecond) / (2 * m.tReadSecond)));
  }
  const tr = m.readNoise.tReadSecond;
  return 1e-6 * m.readNoise.kMicroSiemens * Math.log10(gNow * 1e6) * Math.sqrt(Math.log((tSecond + tr) / (2 * tr)));
}

export function checkTimeModel(m: DeviceTimeModel): void {
  if (m.kind === "pcm-like") {
    positive(m.gMaxSiemens, `${m.name}: gMaxSiemens`, "S");
    positive(m.tReadSecond, `${m.name}: tReadSecond`, "s");
  } else if (m.kind === "reram-cmo") {
    positive(m.gMinSiemens, `${m.name}: gMinSiemens`, "S");
    if (!(m.gMaxSiemens > m.gMinSiemens))
      throw new RangeError(
        `${m.name}: gMaxSiemens must exceed gMinSiemens, got ${m.gMaxSiemens} S and ${m.gMinSiemens} S`,
      );
  } else if (m.kind !== "power-law") {
    throw new RangeError(
      `unknown device-time model kind "${(m as { kind: string }).kind}": use pcm-like, reram-cmo or power-law`,
    );
  }
  positive(m.t0Second, `${m.name}: t0Second`, "s");
}

/** Devices after programming: the conductances they hold at t₀ and each one's drift exponent. */
export interface ProgrammedDevices {
  readonly model: DeviceTimeModel;
  /** The targets (S). */
  readonly targetSiemens: Float64Array;
  /** G_prog (S): the target plus one draw of programming noise (≥ 0; inside the window for CMO). */
  readonly programmedSiemens: Float64Array;
  /** ν per device (0 where the model does not drift). */
  readonly driftExponent: Float64Array;
}

/** Program every device once: targets (S) → one realisation of programming noise and drift exponents. */
export function programDevices(targetSiemens: ArrayLike<number>, model: DeviceTimeModel, rng: Rng): ProgrammedDevices {
  checkTimeModel(model);
  const n = targetSiemens.length,
    target = Float64Array.from(targetSiemens);
  const prog = new Float64Array(n),
    nu = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const g = target[k];
    if (!(g >= 0 && Number.isFinite(g)))
      throw new RangeError(`programDevices: target ${k} is ${g} S; a target conductance must be finite and >= 0`);
    let p = g + programmingSigmaSiemens(model, g) * rng.normal();
    p = model.kind === "reram-cmo" ? clamp(p, model.gMinSiemens, model.gMaxSiemens) : Math.max(p, 0);
    prog[k] = p;
    const { mean, sd } = driftExponentMoments(model, g);
    nu[k] = Math.abs(mean + sd * rng.normal());
  }
  return Object.freeze({ model, targetSiemens: target, programmedSiemens: prog, driftExponent: nu });
}

export interface ReadConductances {
  /** G(t) (S), read noise included. */
  readonly gSiemens: Float64Array;
  /** dG(t)/dG_prog per device: the multiplicative drift (and noise) factor; 0 where a bound clamps it. */
  readonly jacobian: Float64Array;
}

/**
 * The conductances t seconds after programming (t ≥ t₀), read noise drawn from `rng` (a fresh read).
 * `readNoiseScale` scales the read noise (0: drift alone; 1: the model's).
 */
export function conductancesAt(
  p: ProgrammedDevices,
  tSecond: number,
  rng: Rng,
  opts: { readNoiseScale?: number } = {},
): ReadConductances {
  const m = p.model,
    scale = opts.readNoiseScale ?? 1;
  if (!(Number.isFinite(tSecond) && tSecond >= m.t0Second)) {
    throw new RangeError(
      `conductancesAt: tSecond must be a finite time >= t0 = ${m.t0Second} s after programming (${m.name}), got ${tSecond} s`,
    );
  }
  finiteAtLeast(scale, 0, "conductancesAt: readNoiseScale", "1");
  const n = p.programmedSiemens.length,
    out = new Float64Array(n),
    jac = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const gp = p.programmedSiemens[k];
    let g: number;
    if (m.kind === "reram-cmo") {
      const ln = Math.log(tSecond),
        r = m.relaxation;
      g = gp + r.meanPerLnSiemens * ln + (r.sdPerLnSiemens * ln + r.sdOffsetSiemens) * rng.normal();
      if (scale > 0) g += scale * readNoiseSigmaSiemens(m, gp, g, tSecond) * rng.normal();
      const inside = g > m.gMinSiemens && g < m.gMaxSiemens;
      out[k] = clamp(g, m.gMinSiemens, m.gMaxSiemens);
      jac[k] = inside ? 1 : 0;
      continue;
    }
    const drift = (tSecond / m.t0Second) ** -p.driftExponent[k];
    g = gp * drift;
    if (scale > 0 && m.kind === "pcm-like") g += scale * readNoiseSigmaSiemens(m, gp, g, tSecond) * rng.normal();
    out[k] = Math.max(g, 0);
    jac[k] = g > 0 && gp > 0 ? g / gp : 0;
  }
  return { gSiemens: out, jacobian: jac };
}

/** A drift-aware training draw: a read time log-uniform on [fromSecond, toSecond]. */
export function logUniformTime(fromSecond: number, toSecond: number, rng: Rng): number {
  positive(fromSecond, "logUniformTime: fromSecond", "s");
  if (!(toSecond >= fromSecond && Number.isFinite(toSecond)))
    throw new RangeError(
      `logUniformTime: toSecond must be finite and >= fromSecond = ${fromSecond} s, got ${toSecond} s`,
    );
  return Math.exp(rng.uniform(Math.log(fromSecond), Math.log(toSecond)));
}

export interface DeviceTimeDisturbance {
  readonly kind: "device-time";
  readonly model: DeviceTimeModel;
  /** Read time after programming (s): fixed, or log-uniform on [from, to] per realisation. */
  readonly readTime: { readonly second: number } | { readonly logUniformSecond: readonly [number, number] };
  /** Scale of the model's read noise (default 1; 0: drift alone). */
  readonly readNoiseScale?: number;
}

/** The device-time model must cover the layer's window. */
export function checkTimeWindow(
  m: DeviceTimeModel,
  w: { readonly gOffSiemens: number; readonly gOnSiemens: number },
): void {
  checkTimeModel(m);
  if (m.kind === "pcm-like" && w.gOnSiemens > m.gMaxSiemens * (1 + 1e-12)) {
    throw new RangeError(
      `${m.name}: the layer's G_on ${w.gOnSiemens} S is above the model's g_max ${m.gMaxSiemens} S; use pcmLikeModel(gOnSiemens)`,
    );
  }
  if (m.kind === "reram-cmo" && (w.gOffSiemens < m.gMinSiemens || w.gOnSiemens > m.gMaxSiemens)) {
    throw new RangeError(
      `${m.name}: the layer's window ${w.gOffSiemens}–${w.gOnSiemens} S is outside the model's ${m.gMinSiemens}–${m.gMaxSiemens} S`,
    );
  }
}

function readTimeOf(d: DeviceTimeDisturbance, rng: Rng): number {
  const t = d.readTime;
  if ("second" in t) return t.second;
  if (!("logUniformSecond" in t) || t.logUniformSecond.length !== 2)
    throw new RangeError(
      "device-time disturbance: readTime must be { second } or { logUniformSecond: [from, to] } (s)",
    );
  return logUniformTime(t.logUniformSecond[0], t.logUniformSecond[1], rng);
}

/**
 * One realisation of a `device-time` disturbance: program the targets g (S), then read them at its
 * time. Its gradient passes through dG(t)/dG_prog, the programming noise taken as additive.
 */
export function timeDisturbance(
  g: Float64Array,
  d: DeviceTimeDisturbance,
  rng: Rng,
): { gSiemens: Float64Array; jacobian: Float64Array } {
  const programmed = programDevices(g, d.model, rng);
  const read = conductancesAt(programmed, readTimeOf(d, rng), rng, { readNoiseScale: d.readNoiseScale });
  const jac = read.jacobian;
  for (let k = 0; k < jac.length; k++) if (programmed.programmedSiemens[k] === 0 && g[k] > 0) jac[k] = 0;
  return { gSiemens: read.gSiemens, jacobian: jac };
}

export const SECONDS = Object.freeze({ minute: 60, hour: 3600, day: 86400, month: 86400 * 30, year: 86400 * 365 });

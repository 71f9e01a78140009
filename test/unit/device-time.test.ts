// Device-time models (aihwkit's PCM-like and CMO ReRAM laws, a power law), programming and reading a
// tile at time t, drift-aware draws, and drift compensation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, Rng } from "../../lib/runtime/random";
import {
  CMO_RERAM_AIHWKIT,
  PCM_LIKE_AIHWKIT,
  SECONDS,
  conductancesAt,
  driftExponentMoments,
  logUniformTime,
  pcmLikeModel,
  powerLawModel,
  programDevices,
  programmingSigmaSiemens,
  readNoiseSigmaSiemens,
} from "../../lib/devices/time";
import { CrossbarDenseLayer, CrossbarLayerConfig } from "../../lib/tile/layer";
import { applyGains, compensationGains, compensationReadout, programLayer } from "../../lib/tile/time";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);
const stats = (xs: ArrayLike<number>) => {
  const a = Array.from(xs),
    m = a.reduce((s, v) => s + v, 0) / a.length;
  return { mean: m, sd: Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1)) };
};
const CFG: CrossbarLayerConfig = Object.freeze({
  gOffSiemens: 1e-6,
  gOnSiemens: 25e-6,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 8,
  tileCols: 8,
});
const weights = (r: Rng, n: number) => Float64Array.from({ length: n }, () => r.uniform(-1, 1));

test("PCM-like (aihwkit): programming σ polynomial, ν mean and spread, 1/f read-noise amplitude, at worked points", () => {
  const m = PCM_LIKE_AIHWKIT;
  // σ = 0.26348 + 1.9650·ĝ − 1.1731·ĝ² µS at g_max 25 µS
  close(
    programmingSigmaSiemens(m, 12.5e-6),
    (0.26348 + 1.965 * 0.5 - 1.1731 * 0.25) * 1e-6,
    1e-12,
    "σ_prog at ĝ = 0.5",
  );
  close(programmingSigmaSiemens(m, 0), 0.26348e-6, 1e-12, "σ_prog at ĝ = 0");
  // at g_max = 50 µS aihwkit scales σ by g_max/25 µS, with ĝ = G/g_max
  close(
    programmingSigmaSiemens(pcmLikeModel(50e-6), 25e-6),
    2 * (0.26348 + 1.965 * 0.5 - 1.1731 * 0.25) * 1e-6,
    1e-12,
    "σ_prog at g_max 50 µS",
  );
  // ν: ĝ = 0.01 → μ = −0.0155·ln 0.01 + 0.0244 = 0.09578, σ = −0.0125·ln 0.01 − 0.0059 = 0.05166 → clamped to 0.045
  const a = driftExponentMoments(m, 0.25e-6);
  close(a.mean, -0.0155 * Math.log(0.01) + 0.0244, 1e-12, "μ_ν at ĝ = 0.01");
  assert.equal(a.sd, 0.045);
  assert.deepEqual(driftExponentMoments(m, 25e-6), { mean: 0.049, sd: 0.008 }, "ĝ = 1: both clamped at their floors");
  // Q_s = 0.0088/ĝ^0.65, capped at 0.2; σ = |g|·Q_s·√ln((t + t_read)/(2·t_read))
  const root = Math.sqrt(Math.log((20 + 250e-9) / 500e-9));
  close(readNoiseSigmaSiemens(m, 25e-6, 25e-6, 20), 25e-6 * 0.0088 * root, 1e-12, "read noise at ĝ = 1, t = t₀");
  close(
    readNoiseSigmaSiemens(m, 0.25e-6, 0.2e-6, 20),
    0.2e-6 * (0.0088 / 0.01 ** 0.65) * root,
    1e-12,
    "read noise at ĝ = 0.01",
  );
  close(
    readNoiseSigmaSiemens(m, 0.025e-6, 0.025e-6, 20),
    0.025e-6 * 0.2 * root,
    1e-12,
    "read noise capped at Q_s = 0.2",
  );
});

test("CMO ReRAM (aihwkit): programming σ linear in G, log-time relaxation, clamped to the model's window", () => {
  const m = CMO_RERAM_AIHWKIT;
  close(programmingSigmaSiemens(m, 50e-6), 0.0112185391e-6 + 0.01129027418 * 50e-6, 1e-12, "σ_prog at 50 µS");
  assert.deepEqual(driftExponentMoments(m, 50e-6), { mean: 0, sd: 0 });
  const n = 20000,
    target = new Float64Array(n).fill(50e-6),
    t = Math.exp(4);
  const p = programDevices(target, m, rng(1));
  const g = conductancesAt(p, t, rng(2), { readNoiseScale: 0 }).gSiemens;
  const d = stats(Float64Array.from(g, (v, k) => v - p.programmedSiemens[k]));
  close(d.mean, -0.08900206e-6 * 4, 0.03, "mean relaxation at ln t = 4");
  close(d.sd, 0.04201137e-6 * 4 + 0.41183342e-6, 0.03, "spread at ln t = 4");
  const low = conductancesAt(
    programDevices(new Float64Array(100).fill(9e-6), m, rng(3)),
    SECONDS.year,
    rng(4),
  ).gSiemens;
  assert.ok(
    low.every((v) => v >= 9e-6 && v <= 88.2e-6),
    "every read is inside 9–88.2 µS",
  );
});

test("programming: the draws' mean and spread match the model's σ; ν = |μ + σ·N|", () => {
  const m = PCM_LIKE_AIHWKIT,
    n = 20000,
    target = new Float64Array(n).fill(20e-6);
  const p = programDevices(target, m, rng(5));
  const s = stats(p.programmedSiemens);
  const sigma = programmingSigmaSiemens(m, 20e-6);
  assert.ok(Math.abs(s.mean - 20e-6) < (4 * sigma) / Math.sqrt(n), `mean ${s.mean}`);
  close(s.sd, sigma, 0.03, "programming sd");
  const nu = driftExponentMoments(m, 20e-6),
    sn = stats(p.driftExponent);
  close(sn.mean, nu.mean, 0.02, "mean ν (μ ≫ σ, so |·| rarely folds)");
  close(sn.sd, nu.sd, 0.05, "sd of ν");
});

test("reading at t: t = t₀ without read noise gives the programmed conductances; drift follows (t/t₀)^−ν; t < t₀ is refused", () => {
  const m = powerLawModel({ nuMean: 0.1, nuSd: 0 });
  const target = Float64Array.from([1e-6, 5e-6, 2e-5]);
  const p = programDevices(target, m, rng(1));
  assert.deepEqual(p.programmedSiemens, target, "exact programming");
  assert.deepEqual(conductancesAt(p, m.t0Second, rng(2)).gSiemens, target);
  const year = conductancesAt(p, SECONDS.year, rng(2));
  const f = SECONDS.year ** -0.1;
  year.gSiemens.forEach((g, k) => close(g, target[k] * f, 1e-12, `G(1 year) of device ${k}`));
  year.jacobian.forEach((j) => close(j, f, 1e-12, "dG(t)/dG_prog"));
  const pcm = programDevices(target, PCM_LIKE_AIHWKIT, rng(3));
  assert.deepEqual(conductancesAt(pcm, 20, rng(4), { readNoiseScale: 0 }).gSiemens, pcm.programmedSiemens);
  assert.throws(
    () => conductancesAt(pcm, 19, rng(4)),
    /tSecond must be a finite time >= t0 = 20 s after programming \(PCM-like.*got 19 s/,
  );
  assert.throws(() => conductancesAt(pcm, NaN, rng(4)), /got NaN s/);
  assert.throws(
    () => programDevices([-1e-6], m, rng(1)),
    /target 0 is -0\.000001 S; a target conductance must be finite and >= 0/,
  );
});

test("read noise grows with time: its spread at a year is √(ln ratio) times that at t₀", () => {
  const m = PCM_LIKE_AIHWKIT,
    n = 20000,
    target = new Float64Array(n).fill(25e-6);
  const p = programDevices(target, { ...m, programmingSigmaSiemens: [0, 0, 0] }, rng(6));
  const rel = (t: number) => {
    const g = conductancesAt(p, t, rng(7)).gSiemens;
    return stats(Float64Array.from(g, (v, k) => v / (p.programmedSiemens[k] * (t / 20) ** -p.driftExponent[k]) - 1)).sd;
  };
  const ratio = Math.sqrt(Math.log((SECONDS.year + 250e-9) / 500e-9) / Math.log((20 + 250e-9) / 500e-9));
  close(rel(SECONDS.year) / rel(20), ratio, 0.04, "growth of the read noise");
  close(rel(20), 0.0088 * Math.sqrt(Math.log((20 + 250e-9) / 500e-9)), 0.03, "relative read noise at t₀, ĝ = 1");
});

test("a programmed layer read at t: drift lowers every output; global compensation restores the reference mean |y|, and exactly so for uniform drift", () => {
  const r = rng(9),
    inDim = 6,
    outDim = 3,
    w = weights(r, (inDim + 1) * outDim),
    x = weights(r, 4 * inDim);
  const uniformDrift = powerLawModel({ nuMean: 0.05, nuSd: 0 });
  const layer = new CrossbarDenseLayer(w, inDim, outDim, CFG);
  const prog = programLayer(layer, uniformDrift, rng(10));
  const ref = compensationReadout(prog.readAt(1, rng(11)));
  const later = prog.readAt(SECONDS.year, rng(12));
  const y0 = layer.forward(x, 4).y,
    y1 = later.forward(x, 4).y;
  y1.forEach((v, q) => close(v, y0[q] * SECONDS.year ** -0.05, 1e-9, `uniform drift of output ${q}`));
  const gains = compensationGains("global", ref, compensationReadout(later));
  applyGains(y1, gains).forEach((v, q) => close(v, y0[q], 1e-9, `compensated output ${q}`));
  // with line resistance and PCM drift (ν per device), compensation restores the reference read exactly
  const wired = new CrossbarDenseLayer(w, inDim, outDim, { ...CFG, wordSegmentOhm: 5, bitSegmentOhm: 5 });
  const pcm = programLayer(wired, PCM_LIKE_AIHWKIT, rng(13));
  const r0 = compensationReadout(pcm.readAt(20, rng(14)));
  const month = pcm.readAt(SECONDS.month, rng(15));
  const now = compensationReadout(month);
  assert.ok(now.globalMeanAbs < r0.globalMeanAbs, "drift lowers the outputs");
  for (const kind of ["global", "per-column"] as const) {
    const g = compensationGains(kind, r0, now);
    const cols = Float64Array.from(now.columnMeanAbs, (v, o) => v * g[o]);
    if (kind === "per-column") cols.forEach((v, o) => close(v, r0.columnMeanAbs[o], 1e-12, `column ${o}`));
    else close(cols.reduce((a, b) => a + b, 0) / outDim, r0.globalMeanAbs, 1e-12, "global mean |y|");
  }
  assert.deepEqual(Array.from(compensationGains("none", undefined, now)), [1, 1, 1]);
  assert.throws(
    () => compensationGains("global", undefined, now),
    /global drift compensation needs a reference read at programming/,
  );
  assert.throws(
    () => compensationGains("column" as never, r0, now),
    /drift compensation must be one of none, global, per-column, got "column"/,
  );
});

test("device-time disturbance: a fresh programming and read time per realisation, and ∂L/∂W through dG(t)/dG_prog matches finite differences", () => {
  const r = rng(20),
    inDim = 4,
    outDim = 2,
    w = weights(r, (inDim + 1) * outDim),
    x = weights(r, 3 * inDim),
    c = weights(r, 3 * outDim);
  const d = {
    kind: "device-time" as const,
    model: powerLawModel({ nuMean: 0.06, nuSd: 0.02 }),
    readTime: { second: SECONDS.day },
  };
  const cfg = { ...CFG, wordSegmentOhm: 2, bitSegmentOhm: 2, disturbance: d };
  const loss = (v: Float64Array) =>
    new CrossbarDenseLayer(v, inDim, outDim, cfg, { rng: rng(21) })
      .forward(x, 3)
      .y.reduce((s, y, q) => s + c[q] * y, 0);
  const layer = new CrossbarDenseLayer(w, inDim, outDim, cfg, { rng: rng(21) });
  const b = layer.backward(layer.forward(x, 3), c);
  const big = w.reduce((m, v, i) => (Math.abs(v) > Math.abs(w[m]) ? i : m), 0);
  for (const q of [0, 3, 7].filter((i) => i !== big)) {
    const wp = Float64Array.from(w),
      wm = Float64Array.from(w),
      e = 1e-6;
    wp[q] += e;
    wm[q] -= e;
    close(b.dWeights[q], (loss(wp) - loss(wm)) / (2 * e), 1e-6, `∂L/∂W[${q}]`);
  }
  const drawn = { ...d, readTime: { logUniformSecond: [1, SECONDS.year] as const } };
  const gen = rng(22);
  const a1 = new CrossbarDenseLayer(w, inDim, outDim, { ...CFG, disturbance: drawn }, { rng: gen })
    .deviceConductancesSiemens;
  const a2 = new CrossbarDenseLayer(w, inDim, outDim, { ...CFG, disturbance: drawn }, { rng: gen })
    .deviceConductancesSiemens;
  assert.notDeepEqual(a1, a2, "each realisation draws its own devices and time");
  const ts = Array.from({ length: 4000 }, () => Math.log10(logUniformTime(1, 1e6, gen)));
  close(stats(ts).mean, 3, 0.03, "mean log10 t of log-uniform draws on 1 s – 10⁶ s");
  assert.throws(
    () =>
      new CrossbarDenseLayer(
        w,
        inDim,
        outDim,
        { ...CFG, gOnSiemens: 30e-6, disturbance: { ...d, model: PCM_LIKE_AIHWKIT } },
        { rng: gen },
      ),
    /G_on 0\.00003 S is above the model's g_max 0\.000025 S/,
  );
  assert.throws(
    () => programLayer(new CrossbarDenseLayer(w, inDim, outDim, CFG), CMO_RERAM_AIHWKIT, gen),
    /outside the model's 0\.000009–0\.0000882 S/,
  );
});

test("bad time-model input names the field, its unit and the value", () => {
  assert.throws(() => pcmLikeModel(0), /pcmLikeModel: gMaxSiemens must be a finite number > 0 \(S\), got 0/);
  assert.throws(() => powerLawModel({ nuMean: -0.1, nuSd: 0 }), /nuMean must be a finite number >= 0 \(1\), got -0\.1/);
  assert.throws(
    () => powerLawModel({ nuMean: 0.1, nuSd: 0, t0Second: 0 }),
    /t0Second must be a finite number > 0 \(s\), got 0/,
  );
  assert.throws(() => logUniformTime(10, 1, rng(1)), /toSecond must be finite and >= fromSecond = 10 s, got 1 s/);
  const p = programDevices([1e-6], powerLawModel({ nuMean: 0.1, nuSd: 0.01 }), rng(1));
  assert.throws(
    () => conductancesAt(p, 2, rng(1), { readNoiseScale: -1 }),
    /readNoiseScale must be a finite number >= 0/,
  );
});

test("worked points off the clamps: σ_ν at ĝ = 0.3, the power law's programming σ, the CMO read-noise amplitude", () => {
  const sd = driftExponentMoments(PCM_LIKE_AIHWKIT, 0.3 * 25e-6).sd;
  close(sd, -0.0125 * Math.log(0.3) - 0.0059, 1e-12, "σ_ν at ĝ = 0.3 (inside 0.008–0.045)");
  close(
    programmingSigmaSiemens(powerLawModel({ nuMean: 0.1, nuSd: 0, programmingSigmaRelative: 0.02 }), 5e-6),
    0.02 * 5e-6,
    1e-12,
    "power-law σ_prog",
  );
  const t = 3600,
    root = Math.sqrt(Math.log((t + 1e-6) / 2e-6));
  close(
    readNoiseSigmaSiemens(CMO_RERAM_AIHWKIT, 50e-6, 40e-6, t),
    1e-6 * 0.0277316483 * Math.log10(40) * root,
    1e-12,
    "CMO read noise at 40 µS, 1 h",
  );
  assert.equal(readNoiseSigmaSiemens(powerLawModel({ nuMean: 0.1, nuSd: 0 }), 1e-6, 1e-6, t), 0);
});

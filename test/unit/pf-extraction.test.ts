// Poole–Frenkel parameter extraction (spec joksas-2022 §3.1): LM fits recover known parameters from
// noisy synthetic sweeps; the grouping, regressions, residual covariance and windows match an
// independent computation on the true parameters; spiky curves are dropped; bad input is named.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  IvCurve,
  RESISTANCE_QUANTUM_OHM,
  extractPooleFrenkel,
  fitPooleFrenkel,
  pooleFrenkelCurrent,
  spikeRatio,
  toPooleFrenkelModel,
  PF_HIGH,
  PF_LOW,
} from "../../lib/devices";
import { rng } from "../../lib/runtime/random";

const VOLTS = Array.from({ length: 101 }, (_, k) => 0.005 * k);
const sweep = (c: number, d: number, noise = 0, r = rng("n")): IvCurve => ({
  voltageVolt: VOLTS,
  currentAmp: VOLTS.map((v) => pooleFrenkelCurrent(v, c, d) * (1 + noise * r.normal())),
});

test("resistance quantum h/(2e²) = 12 906.40 Ω", () => {
  assert.ok(Math.abs(RESISTANCE_QUANTUM_OHM - 12906.4) < 0.01);
});

test("LM from the paper's start (c = 1e-5 S, dε = 1e-16 F) recovers the sanity-table devices", () => {
  for (const [c, d] of [
    [3.27e-3, 2.83e-15],
    [5.4e-4, 3.28e-16],
    [1.39e-6, 2.43e-17],
    [2.65e-7, 2.1e-17],
  ]) {
    const f = fitPooleFrenkel(sweep(c, d));
    assert.ok(Math.abs(f.cSiemens / c - 1) < 1e-5, `c ${f.cSiemens} vs ${c}`);
    assert.ok(Math.abs(f.dEpsFarad / d - 1) < 1e-4, `dε ${f.dEpsFarad} vs ${d}`);
    const noisy = fitPooleFrenkel(sweep(c, d, 0.002, rng(`noise/${c}`)));
    assert.ok(
      Math.abs(noisy.cSiemens / c - 1) < 0.02 && Math.abs(noisy.dEpsFarad / d - 1) < 0.05,
      `noisy fit ${noisy.cSiemens}, ${noisy.dEpsFarad} vs ${c}, ${d}`,
    );
  }
  assert.throws(() => fitPooleFrenkel({ voltageVolt: VOLTS, currentAmp: VOLTS.map(() => 0) }), /no current/);
});

test("pipeline on synthetic devices: groups, regressions, covariance and windows as computed from the true parameters", () => {
  const r = rng("pf-extraction");
  const curves: IvCurve[] = [];
  const truth: Array<{ c: number; d: number }> = [];
  for (const [model, lo, hi, n] of [
    [PF_LOW, 290, 1450, 25],
    [PF_HIGH, 3.82e5, 1.905e6, 25],
  ] as const) {
    const L = [
      [0.2, 0],
      [-0.1, 0.173],
    ]; // residual sd 0.2, correlation −0.5
    for (let k = 0; k < n; k++) {
      const lnR = Math.log(lo) + (Math.log(hi) - Math.log(lo)) * r.uniform(0, 1);
      const z1 = r.normal(),
        z2 = r.normal();
      const c = Math.exp(model.lnC.slope * lnR + model.lnC.intercept + L[0][0] * z1);
      const d = Math.exp(model.lnDEps.slope * lnR + model.lnDEps.intercept + L[1][0] * z1 + L[1][1] * z2);
      truth.push({ c, d });
      curves.push(sweep(c, d, 0.001, r.fork(`noise/${k}`)));
    }
  }
  // one curve with a current spike, which cleaning must drop
  const spiky = sweep(1e-3, 1e-15);
  const spikyI = [...spiky.currentAmp];
  spikyI[60] *= 1.8;
  curves.push({ voltageVolt: VOLTS, currentAmp: spikyI });
  assert.ok(spikeRatio(spikyI) >= 0.1 && spikeRatio(curves[0].currentAmp) < 0.1);

  const ex = extractPooleFrenkel(curves);
  assert.deepEqual(
    ex.dropped.map((x) => x.index),
    [50],
  );
  assert.equal(ex.fits.length, 50);
  assert.ok(ex.low && ex.high);
  // independent computation on the true parameters with the measured R = 0.1 V / I(0.1 V)
  const Rs = curves.slice(0, 50).map((c) => c.voltageVolt[20] / c.currentAmp[20]);
  for (const [g, idx] of [
    [ex.low!, truth.map((_, i) => i).filter((i) => Rs[i] < RESISTANCE_QUANTUM_OHM)],
    [ex.high!, truth.map((_, i) => i).filter((i) => Rs[i] >= RESISTANCE_QUANTUM_OHM)],
  ] as const) {
    assert.equal(g.n, idx.length);
    const x = idx.map((i) => Math.log(Rs[i]));
    const fit = (y: number[]) => {
      const mx = x.reduce((a, b) => a + b) / x.length,
        my = y.reduce((a, b) => a + b) / y.length;
      const slope = x.reduce((a, xi, k) => a + (xi - mx) * (y[k] - my), 0) / x.reduce((a, xi) => a + (xi - mx) ** 2, 0);
      return { slope, intercept: my - slope * mx, res: y.map((yi, k) => yi - (slope * x[k] + my - slope * mx)) };
    };
    const c = fit(idx.map((i) => Math.log(truth[i].c))),
      d = fit(idx.map((i) => Math.log(truth[i].d)));
    assert.ok(Math.abs(g.lnC.slope - c.slope) < 0.02, `ln c slope ${g.lnC.slope} vs ${c.slope}`);
    assert.ok(Math.abs(g.lnDEps.slope - d.slope) < 0.05, `ln dε slope ${g.lnDEps.slope} vs ${d.slope}`);
    const cov = (u: number[], v: number[]) => u.reduce((a, ui, k) => a + ui * v[k], 0) / u.length;
    assert.ok(Math.abs(g.residualCovariance[0][0] - cov(c.res, c.res)) < 0.01 * cov(c.res, c.res) + 1e-4);
    assert.ok(Math.abs(g.residualCovariance[1][1] - cov(d.res, d.res)) < 0.05 * cov(d.res, d.res) + 1e-3);
    assert.ok(Math.abs(g.residualCovariance[0][1] - cov(c.res, d.res)) < 0.05 * Math.abs(cov(c.res, d.res)) + 1e-3);
    assert.deepEqual(g.residualCovariance[0][1], g.residualCovariance[1][0]);
  }
  const rMin = Math.min(...Rs),
    rMax = Math.max(...Rs);
  assert.ok(
    Math.abs(ex.low!.gOnSiemens * rMin - 1) < 1e-12 && Math.abs(ex.low!.gOnSiemens / ex.low!.gOffSiemens - 5) < 1e-12,
  );
  assert.ok(
    Math.abs(ex.high!.gOffSiemens * rMax - 1) < 1e-12 &&
      Math.abs(ex.high!.gOnSiemens / ex.high!.gOffSiemens - 5) < 1e-12,
  );
  const m = toPooleFrenkelModel(ex.high!);
  assert.equal(m.kind, "poole-frenkel");
  assert.deepEqual(m.lnC, ex.high!.lnC);
});

test("bad input is named", () => {
  assert.throws(() => extractPooleFrenkel([]), /no curves/);
  assert.throws(
    () => extractPooleFrenkel([{ voltageVolt: VOLTS, currentAmp: VOLTS.slice(1) }]),
    /curve 0: 101 voltages but 100 currents/,
  );
  assert.throws(
    () => extractPooleFrenkel([{ voltageVolt: VOLTS.slice(0, 50), currentAmp: VOLTS.slice(0, 50) }]),
    /at least 101 points/,
  );
  assert.throws(
    () => extractPooleFrenkel([{ voltageVolt: VOLTS, currentAmp: VOLTS.map((v, k) => (k === 3 ? NaN : v)) }]),
    /non-finite value at point 3/,
  );
});

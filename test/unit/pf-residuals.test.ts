// PF residual covariance (spec joksas-2022 §3.1 leaves Σ_res unpublished): the tie between the residuals
// that the regression on the measured R imposes, the calibration of its scale to the paper's v1 spread of
// I(0.5 V)/I(0.25 V), the stored defaults, and the bulk normal generator the layers draw residuals from.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  IvCurve,
  PF_HIGH,
  PF_LOW,
  PF_RESIDUAL_CALIBRATION,
  PF_RESIDUAL_COVARIANCE_ASSUMED_2026,
  SIOX_V1_NONLINEARITY,
  calibrateResidualCovariance,
  extractPooleFrenkel,
  nonlinearitySpread,
  pooleFrenkelCurrent,
  residualCholesky,
  tiedResidualCovariance,
  tiedResidualSlope,
} from "../../lib/devices";
import { rng } from "../../lib/runtime/random";
import { normalsFloat32 } from "../../lib/kernels";

const HIGH = { gOffSiemens: 5.25e-7, gOnSiemens: 2.62e-6 };
const LOW = { gOffSiemens: 6.9e-4, gOnSiemens: 3.45e-3 };

test("regressing on the measured R ties the residuals: extraction of sweeps with independent scatter gives δln c ≈ β·δln dε", () => {
  const r = rng("tie");
  const volts = Array.from({ length: 101 }, (_, k) => 0.005 * k);
  const curves: IvCurve[] = [];
  for (let k = 0; k < 40; k++) {
    // latent resistance in the high-R window, independent scatter (sd 0.2 and 0.4) of ln c and ln dε around it
    const lnR = Math.log(1 / HIGH.gOnSiemens) + Math.log(HIGH.gOnSiemens / HIGH.gOffSiemens) * r.next();
    const c = Math.exp(PF_HIGH.lnC.slope * lnR + PF_HIGH.lnC.intercept + 0.2 * r.normal());
    const d = Math.exp(PF_HIGH.lnDEps.slope * lnR + PF_HIGH.lnDEps.intercept + 0.4 * r.normal());
    curves.push({ voltageVolt: volts, currentAmp: volts.map((v) => pooleFrenkelCurrent(v, c, d)) });
  }
  const g = extractPooleFrenkel(curves).high!;
  const [[scc, scd], [, sdd]] = g.residualCovariance;
  const corr = scd / Math.sqrt(scc * sdd);
  assert.ok(corr > 0.95, `residual correlation ${corr} (generated independent)`);
  const beta = tiedResidualSlope(PF_HIGH, HIGH);
  assert.ok(Math.abs(scd / sdd / beta - 1) < 0.25, `slope of the tie ${scd / sdd} vs β ${beta}`);
});

test("tied covariance is rank one with correlation +1; bad arguments are named", () => {
  const [[a, b], [, d]] = tiedResidualCovariance(0.3, 0.5);
  assert.ok(Math.abs(a - 0.0225) < 1e-15 && Math.abs(b - 0.075) < 1e-15 && Math.abs(d - 0.25) < 1e-15);
  assert.ok(Math.abs(a * d - b * b) < 1e-15);
  assert.throws(() => tiedResidualCovariance(0.3, -1), /σ >= 0/);
  assert.throws(() => tiedResidualSlope(PF_HIGH, { gOffSiemens: 2e-6, gOnSiemens: 1e-6 }), /gOffSiemens < gOnSiemens/);
  assert.throws(() => calibrateResidualCovariance(PF_HIGH, HIGH, 0.01), /no residual covariance is needed/);
  assert.throws(() => calibrateResidualCovariance(PF_HIGH, HIGH, -1), /must be > 0/);
});

test("calibration reproduces the stored defaults and the paper's v1 nonlinearity spread; its mean n (not fitted) matches v1 too", () => {
  for (const [name, model, window] of [
    ["high", PF_HIGH, HIGH],
    ["low", PF_LOW, LOW],
  ] as const) {
    const target = SIOX_V1_NONLINEARITY[name];
    const cal = calibrateResidualCovariance(model, window, target.nStd);
    const stored = PF_RESIDUAL_CALIBRATION[name];
    assert.ok(Math.abs(cal.beta / stored.beta - 1) < 5e-4, `${name}: β ${cal.beta} vs stored ${stored.beta}`);
    assert.ok(
      Math.abs(cal.sigmaLnDEps / stored.sigmaLnDEps - 1) < 2e-3,
      `${name}: σ ${cal.sigmaLnDEps} vs stored ${stored.sigmaLnDEps}`,
    );
    const s = nonlinearitySpread(model, window); // the preset's own covariance
    assert.ok(Math.abs(s.nStd / target.nStd - 1) < 0.01, `${name}: std n ${s.nStd} vs v1 ${target.nStd}`);
    assert.ok(Math.abs(s.nMean / target.nMean - 1) < 0.02, `${name}: mean n ${s.nMean} vs v1 ${target.nMean}`);
  }
  // the earlier assumption gives a third of the measured spread in the high regime
  const old = nonlinearitySpread(PF_HIGH, HIGH, PF_RESIDUAL_COVARIANCE_ASSUMED_2026);
  assert.ok(old.nStd < 0.5 * SIOX_V1_NONLINEARITY.high.nStd, `old assumption std n ${old.nStd}`);
});

test("with the calibrated covariance the conductance at the 0.1 V read point hardly scatters (it defines R)", () => {
  const r = rng("read");
  const spreadAt01 = (cov: typeof PF_HIGH.residualCovariance): number => {
    const { l11, l21, l22 } = residualCholesky(cov);
    const x: number[] = [];
    for (let k = 0; k < 4000; k++) {
      const G = HIGH.gOffSiemens + (HIGH.gOnSiemens - HIGH.gOffSiemens) * r.next(),
        lnR = -Math.log(G),
        z1 = r.normal(),
        z2 = r.normal();
      const c = Math.exp(PF_HIGH.lnC.slope * lnR + PF_HIGH.lnC.intercept + l11 * z1),
        d = Math.exp(PF_HIGH.lnDEps.slope * lnR + PF_HIGH.lnDEps.intercept + l21 * z1 + l22 * z2);
      x.push(Math.log(pooleFrenkelCurrent(0.1, c, d) / (0.1 * G)));
    }
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length);
  };
  const calibrated = spreadAt01(PF_HIGH.residualCovariance),
    old = spreadAt01(PF_RESIDUAL_COVARIANCE_ASSUMED_2026);
  assert.ok(calibrated < 0.06, `sd of ln(G_0.1V / G) ${calibrated}`);
  assert.ok(old > 0.2, `old assumption: sd ${old}`);
});

test("bulk float32 normals (lib/kernels): right mean, std and tails, reproducible, the stream advances by sixteen draws", () => {
  const x = normalsFloat32(100001, rng(3));
  const n = x.length;
  let m = 0;
  for (const v of x) m += v;
  m /= n;
  let v2 = 0,
    tail = 0;
  for (const v of x) {
    v2 += (v - m) ** 2;
    tail += Math.abs(v) > 3 ? 1 : 0;
  }
  const sd = Math.sqrt(v2 / (n - 1));
  assert.ok(Math.abs(m) < 5 / Math.sqrt(n), `mean ${m}`);
  assert.ok(Math.abs(sd - 1) < 0.01, `sd ${sd}`);
  assert.ok(Math.abs(tail / n - 0.0027) < 0.0006, `P(|z| > 3) ${tail / n}`);
  assert.deepEqual(normalsFloat32(7, rng(3)), normalsFloat32(7, rng(3)));
  const a = rng(9),
    b = rng(9);
  normalsFloat32(1000, a);
  for (let k = 0; k < 16; k++) b.next();
  assert.equal(a.next(), b.next());
  assert.throws(() => normalsFloat32(-1, rng(1)), /non-negative integer/);
});

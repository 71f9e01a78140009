// Stuck-device and high-variability studies (spec §7.1 T5–T8): which network meets which setup, and the D8 density.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { JOKSAS_SETUPS } from "../../lib/devices/joksas";
import { JOKSAS_TRAININGS } from "../../lib/experiments/joksas";
import { STUCK_STUDIES, densityHistogram, stuckDensityFigure } from "../../lib/experiments/joksas-stuck";

test("each study pairs its setup with the network trained aware of it, and T0 is inferred on it", () => {
  assert.deepEqual(
    STUCK_STUDIES.map((s) => `${s.aware}→${s.setup}`),
    ["T6→D3", "T5→D4", "T7→D8", "T8→D7"],
  );
  for (const s of STUCK_STUDIES) {
    const cfg = JOKSAS_TRAININGS[s.aware];
    assert.equal(cfg.setup, s.setup);
    assert.deepEqual(cfg.inference, [s.setup]);
    assert.equal(cfg.weights.kind, "double");
    assert.ok(JOKSAS_TRAININGS.T0.inference.includes(s.setup), `T0 is inferred on ${s.setup}`);
  }
  assert.equal(JOKSAS_SETUPS.D8.disturbance?.kind, "stuck-distribution");
});

test("D8 stuck-value density: samples are conductances >= 0 in mS, centres ticked, only D8 has one", () => {
  const fig = stuckDensityFigure(JOKSAS_SETUPS.D8, 5000, rng(0), null);
  const bars = fig.data[0] as { x: number[]; y: number[]; width: number };
  assert.ok(
    bars.x.every((g) => g > 0 && g < 2),
    "bin centres in mS, above 0",
  );
  assert.ok(Math.abs(bars.y.reduce((a, b) => a + b, 0) * bars.width - 1) < 1e-9, "a probability density (per mS)");
  const h = densityHistogram([0, 0.01, 0.05, 0.05], 0.02);
  assert.deepEqual(
    h.centres.map((b) => +b.toFixed(3)),
    [0.01, 0.03, 0.05],
  );
  assert.deepEqual(
    h.density.map((d) => +d.toFixed(6)),
    [25, 0, 25],
  );
  assert.throws(() => densityHistogram([-1], 0.02), /values must be >= 0/);
  const d = JOKSAS_SETUPS.D8.disturbance as { centresSiemens: readonly number[] };
  assert.equal((fig.data[1] as { x: number[] }).x.length, d.centresSiemens.length);
  assert.deepEqual(stuckDensityFigure(JOKSAS_SETUPS.D8, 5000, rng(0), null).data, fig.data, "reproducible per seed");
  assert.throws(() => stuckDensityFigure(JOKSAS_SETUPS.D3, 5000, rng(0), null), /D3 .* has no stuck distribution/);
  assert.throws(() => stuckDensityFigure(JOKSAS_SETUPS.D8, 10, rng(0), null), /samples must be an integer >= 100/);
});

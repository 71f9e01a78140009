/**
 * Notebook 13's study: the setups are the configs they name, the claims' rules decide on the rows
 * they are given (and can fail), and the grid experiment "analog-inference" runs a model file.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/runtime/backend";
import { gridExperiment } from "../../lib/grid/registry";
import { SETUPS, setupConfig, TIO2_WITHOUT_DRIFT, yourNetworkProtocol } from "../../lib/experiments/your-network";
import { YourNetworkRow, yourNetworkClaims } from "../../lib/experiments/your-network-study";
import { JOKSAS_SETUPS } from "../../lib/devices/joksas";
import { MNIST_CIRCUIT_LAYER } from "../../lib/experiments/circuit-aware-mnist";

before(async () => {
  await initBackend();
});

test("setups: the configs they name", () => {
  assert.deepEqual([...SETUPS], ["ideal", "stuck", "variability", "tio2", "wired"]);
  assert.equal(setupConfig("ideal").tileRows, 512);
  assert.equal(setupConfig("ideal").disturbance, undefined);
  assert.deepEqual(setupConfig("variability").disturbance, JOKSAS_SETUPS.D5.disturbance);
  assert.deepEqual(setupConfig("stuck").disturbance, JOKSAS_SETUPS.D3.disturbance);
  const t = setupConfig("tio2");
  assert.equal(t.disturbance?.kind, "tio2-transfer");
  assert.equal(TIO2_WITHOUT_DRIFT.drift.enabled, false);
  const w = setupConfig("wired", 3);
  assert.equal(w.wordSegmentOhm, 3);
  assert.equal(w.tileRows, MNIST_CIRCUIT_LAYER.tileRows);
  assert.throws(() => setupConfig("wired", -1), /segmentOhm must be a finite number ≥ 0 \(Ω\), got -1/);
});

const base = { bits: 0, tSecond: 0, compensation: "" as const, segmentOhm: 0, images: 100, clippedOutputs: 0 };
function rows(o: {
  ideal: number;
  before: number;
  after: number;
  adc8: number;
  none: number;
  global: number;
}): YourNetworkRow[] {
  return [0, 1].flatMap((seed) => [
    ...(seed === 0
      ? [
          { ...base, model: "m", seed, setup: "ideal" as const, stage: "tiles" as const, accuracy: o.ideal },
          { ...base, model: "m", seed, setup: "ideal" as const, stage: "adc" as const, bits: 8, accuracy: o.adc8 },
        ]
      : []),
    { ...base, model: "m", seed, setup: "variability" as const, stage: "tiles" as const, accuracy: o.before },
    { ...base, model: "m", seed, setup: "variability" as const, stage: "fine-tuned" as const, accuracy: o.after },
    {
      ...base,
      model: "m",
      seed,
      setup: "ideal" as const,
      stage: "time" as const,
      tSecond: 3e7,
      compensation: "none" as const,
      accuracy: o.none,
    },
    {
      ...base,
      model: "m",
      seed,
      setup: "ideal" as const,
      stage: "time" as const,
      tSecond: 3e7,
      compensation: "global" as const,
      accuracy: o.global,
    },
  ]);
}

test("claims: each rule decides, and fails when its measure is on the wrong side", () => {
  const digital = new Map([["m", 0.8]]),
    onnx = new Map([["m", 1e-7]]);
  const good = yourNetworkClaims(
    rows({ ideal: 0.8, before: 0.6, after: 0.75, adc8: 0.795, none: 0.6, global: 0.7 }),
    digital,
    onnx,
    [0, 1],
  );
  assert.deepEqual(
    good.map((c) => c.verdict),
    ["reproduced", "reproduced", "reproduced", "reproduced", "reproduced"],
  );
  const bad = yourNetworkClaims(
    rows({ ideal: 0.79, before: 0.6, after: 0.65, adc8: 0.77, none: 0.7, global: 0.6 }),
    digital,
    new Map([["m", 1e-3]]),
    [0, 1],
  );
  assert.deepEqual(
    bad.map((c) => c.verdict),
    ["not reproduced", "not reproduced", "not reproduced", "not reproduced", "not reproduced"],
  );
  assert.match(bad[2].measured, /recovered share 0\.25/);
  assert.equal(
    yourNetworkClaims(
      rows({ ideal: 0.8, before: 0.6, after: 0.75, adc8: 0.8, none: 0.6, global: 0.7 }),
      digital,
      new Map(),
      [0, 1],
    )[1].verdict,
    "not tested",
  );
});

test("grid: analog-inference is registered and runs a model file on a setup", async () => {
  const e = gridExperiment("analog-inference");
  const g = e.defaultGrid("quick");
  assert.deepEqual(g.seeds, [...yourNetworkProtocol("quick").seeds]);
  const cell = {
    id: "x",
    experiment: e.name,
    codeVersion: e.version,
    mode: "quick" as const,
    seed: 0,
    params: { model: "test/fixtures/onnx/fashion-mlp.onnx", setup: "ideal", tSecond: 0 },
  };
  const out = await e.run(cell, { log: () => undefined });
  assert.equal(out.metrics.analogAccuracy, out.metrics.digitalAccuracy);
  await assert.rejects(
    e.run({ ...cell, params: { ...cell.params, setup: "nope" } }, { log: () => undefined }),
    /unknown setup "nope"/,
  );
  await assert.rejects(
    e.run({ ...cell, params: { ...cell.params, setup: "stuck", tSecond: 10 } }, { log: () => undefined }),
    /tSecond > 0 reads drifted devices programmed on the "ideal" setup/,
  );
  await assert.rejects(
    e.run({ ...cell, params: { ...cell.params, model: "nothing.bin" } }, { log: () => undefined }),
    /not a fixture name .* an \.onnx file, or a folder holding model\.json/,
  );
});

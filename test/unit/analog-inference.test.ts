// Analog inference of a trained network on tiles (lib/training/analog-inference.ts) against its
// definitions: the tile weights, which configs it refuses, calibration layer by layer, the error and
// clipped shares it reports, and the gains of each compensation at a read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { createMlp } from "../../lib/training/mlp";
import { circuitForward, circuitLayers, classifyWithLayers, pointsOf } from "../../lib/training/circuit-aware";
import {
  calibrateLayers,
  evaluateLayers,
  programNetwork,
  readNetworkAt,
  tileLayers,
  tileNetwork,
} from "../../lib/training/analog-inference";
import { CrossbarLayerConfig } from "../../lib/tile/layer";
import { IDEAL_LAYER } from "../support/layers";
import { withBiasRow } from "../../lib/tile/network";
import { powerLawModel } from "../../lib/devices/time";
import { MemristiveMlp } from "../../lib/training/memristive-mlp";

const LAYER = IDEAL_LAYER;

function points(n: number, seed: number) {
  const r = rng(seed);
  const x = Array.from({ length: n }, () => [r.uniform(-1, 1), r.uniform(-1, 1)]);
  return { x, y: x.map(([a, b]) => (a * b > 0 ? 1 : 0)) };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

test("tileNetwork: an MLP's layers as [in + 1][out] tile weights, bias last; tileLayers refuses configs it cannot honour", () => {
  const m = createMlp([2, 3, 1], rng(1));
  const n = tileNetwork(m);
  assert.deepEqual(n.sizes, [2, 3, 1]);
  assert.equal(n.double, false);
  assert.deepEqual(Array.from(n.weights[1]), Array.from(withBiasRow(m.params[2], m.params[3], 1, 3)));
  const layers = tileLayers(n, LAYER);
  assert.deepEqual(
    layers.map((l) => [l.inDim, l.outDim]),
    [
      [2, 3],
      [3, 1],
    ],
  );
  assert.throws(
    () => tileLayers(n, { ...LAYER, disturbance: { kind: "stuck", probability: 0.1, stuckAtSiemens: 1e-5 } as never }),
    /tile layers: a disturbance draws devices per realisation; use circuitLayers/,
  );
  assert.throws(() => tileLayers(n, { ...LAYER, rule: "double" }), /the config asks for double weights/);
  const double = { ...n, double: true, weights: n.weights.map((w, l) => new Float64Array(2 * w.length).fill(l + 1)) };
  assert.throws(() => tileLayers(double, { ...LAYER, rule: "avg" }), /cannot map by the pair rule "avg"/);
  assert.equal(tileLayers(double, LAYER)[0].config.rule, "double");
  assert.equal(tileLayers(double, { ...LAYER, rule: "double" })[1].config.rule, "double");
});

test("calibrateLayers: each calibrated layer on what the layer before it passes on; other ranges untouched; points checked", () => {
  const m = createMlp([2, 5, 1], rng(2));
  const data = points(30, 3);
  const cal: CrossbarLayerConfig = {
    ...LAYER,
    periphery: { adc: { bits: 6, range: { kind: "calibrated", percentile: 90 } } },
  };
  const layers = calibrateLayers(circuitLayers(m, cal), data, 20);
  // by hand: layer 0 on the first 20 points, layer 1 on their sigmoid outputs through calibrated layer 0
  const [a, b] = circuitLayers(m, cal);
  const x = pointsOf(
    data,
    Array.from({ length: 20 }, (_, i) => i),
    2,
  ).x;
  a.calibrate(x, 20);
  b.calibrate(Float64Array.from(a.forward(x, 20).y, sigmoid), 20);
  assert.deepEqual(layers[0].adcRangesAmpere, a.adcRangesAmpere);
  assert.deepEqual(layers[1].adcRangesAmpere, b.adcRangesAmpere);
  const fixed: CrossbarLayerConfig = {
    ...LAYER,
    periphery: { adc: { bits: 6, range: { kind: "fixed", rangeAmpere: 3e-6 } } },
  };
  const kept = calibrateLayers(circuitLayers(m, [fixed, cal]), data, 30);
  assert.deepEqual(kept[0].adcRangesAmpere, circuitLayers(m, fixed)[0].adcRangesAmpere, "a fixed range stays");
  assert.notDeepEqual(kept[1].adcRangesAmpere, layers[1].adcRangesAmpere, "30 points calibrate differently from 20");
  for (const bad of [0, 31, 2.5])
    assert.throws(
      () => calibrateLayers(circuitLayers(m, cal), data, bad),
      new RegExp(`calibration points must be a whole number from 1 to 30, got ${bad}`),
    );
  assert.ok(calibrateLayers(circuitLayers(m, cal), data, 30).length === 2);
});

test("evaluateLayers: the error is the share misclassified; the clipped shares are the layers' mean over the first 64 points", () => {
  const m = createMlp([2, 6, 1], rng(4));
  for (const n of [40, 100]) {
    const data = points(n, 5);
    const ideal = circuitLayers(m, LAYER);
    const e = evaluateLayers(ideal, data);
    const correct = classifyWithLayers(ideal, data).correct;
    assert.equal(e.error, 1 - correct.reduce((s, c) => s + c, 0) / n);
    assert.deepEqual([e.clippedInputs, e.clippedOutputs], [0, 0], "no converters: nothing clipped");
    const tight: CrossbarLayerConfig = {
      ...LAYER,
      periphery: {
        dac: { bits: 6, inputRangeVolt: 0.1 },
        adc: { bits: 6, range: { kind: "fixed", rangeAmpere: 2e-6 } },
      },
    };
    const layers = circuitLayers(m, tight);
    const got = evaluateLayers(layers, data);
    const k = Math.min(64, n);
    const { passes } = circuitForward(
      layers,
      pointsOf(
        data,
        Array.from({ length: k }, (_, i) => i),
        2,
      ).x,
      k,
    );
    const mean = (f: (p: (typeof passes)[number]) => number) => passes.reduce((s, p) => s + f(p), 0) / passes.length;
    assert.equal(
      got.clippedOutputs,
      mean((p) => p.f.clipped.outputs),
      `${n} points: outputs`,
    );
    assert.equal(
      got.clippedInputs,
      mean((p) => p.f.clipped.inputs),
      `${n} points: inputs`,
    );
    assert.ok(got.clippedOutputs > 0 && got.clippedInputs > 0, `${n} points: the tight converters clip`);
  }
});

test("readNetworkAt: no compensation asked reads nothing more; per-column gains have one entry per output", () => {
  const m = createMlp([2, 4, 1], rng(6));
  const drift = powerLawModel({ nuMean: 0.05, nuSd: 0 });
  const prog = programNetwork(tileNetwork(m), LAYER, drift, rng(7));
  assert.equal(prog.layers.length, 2);
  assert.equal(prog.references.length, 2);
  const none = readNetworkAt(prog, 1e4, [], rng(8));
  assert.equal(none.gains.size, 0);
  assert.equal(none.layers.length, 2);
  const both = readNetworkAt(prog, 1e4, ["none", "per-column", "global"], rng(8));
  assert.deepEqual(both.gains.get("none"), [null, null]);
  assert.deepEqual(
    both.gains.get("per-column")!.map((g) => g!.length),
    [4, 1],
  );
  // uniform drift on ideal wires: every gain is (t/t0)^ν
  for (const c of ["per-column", "global"] as const)
    for (const g of both.gains.get(c)!)
      for (const v of g!) assert.ok(Math.abs(v - (1e4 / drift.t0Second) ** 0.05) < 1e-9 * v, `${c}: gain ${v}`);
});

test("tileNetwork of double weights keeps each sign's bias; tileLayers takes one config per layer", () => {
  const model = new MemristiveMlp({ sizes: [3, 2, 2], weights: { kind: "double" }, engine: "tfjs" }, rng(9));
  // distinct positive and negative biases, so that the bias row counts
  const v = model.snapshot().map((a, q) => Float32Array.from(a, (x, i) => x + 0.1 * ((q % 4) + 1) + 0.01 * i));
  model.restore(v);
  const n = tileNetwork(model);
  assert.equal(n.double, true);
  const layers = tileLayers(n, LAYER);
  const x = Float64Array.from([0.3, -0.6, 0.9]);
  const y = layers[0].forward(x, 1).y;
  const [wP, wM, bP, bM] = v.slice(0, 4);
  for (let o = 0; o < 2; o++) {
    let want = bP[o] - bM[o];
    for (let i = 0; i < 3; i++) want += x[i] * (wP[i * 2 + o] - wM[i * 2 + o]);
    assert.ok(Math.abs(y[o] - want) < 1e-6 * Math.max(1, Math.abs(want)), `y[${o}] ${y[o]} vs ${want}`);
  }
  model.dispose();
  const m = createMlp([2, 3, 1], rng(10));
  const per = tileLayers(tileNetwork(m), [LAYER, { ...LAYER, readVoltageVolt: 0.1 }]);
  assert.deepEqual(
    per.map((l) => l.config.readVoltageVolt),
    [0.2, 0.1],
  );
});

test("calibration and clipped shares with mixed periphery: layers without one are left alone, noise draws from the generator given", () => {
  const m = createMlp([2, 4, 1], rng(11));
  const data = points(70, 12);
  const noisy: CrossbarLayerConfig = {
    ...LAYER,
    periphery: { outputNoiseAmpere: 1e-8, adc: { bits: 6, range: { kind: "calibrated", percentile: 99 } } },
  };
  const dacOnly: CrossbarLayerConfig = { ...LAYER, periphery: { dac: { bits: 6, inputRangeVolt: 0.1 } } };
  // a noisy layer needs the generator in every pass the calibration makes
  const cal = calibrateLayers(circuitLayers(m, [noisy, LAYER]), data, 1, rng(13));
  assert.ok(
    cal[0].adcRangesAmpere.every((r) => r > 0),
    "one point calibrates",
  );
  calibrateLayers(circuitLayers(m, [dacOnly, noisy]), data, 70, rng(13));
  assert.throws(() => calibrateLayers(circuitLayers(m, [noisy, LAYER]), data, 5), /generator|rng/i);
  // only the first layer has converters: the shares are still the mean over both layers
  const adcOnly: CrossbarLayerConfig = {
    ...LAYER,
    periphery: { adc: { bits: 6, range: { kind: "fixed", rangeAmpere: 2e-6 } } },
  };
  const mixed = circuitLayers(m, [adcOnly, LAYER]);
  const e = evaluateLayers(mixed, data);
  const { passes } = circuitForward(
    mixed,
    pointsOf(
      data,
      Array.from({ length: 64 }, (_, i) => i),
      2,
    ).x,
    64,
  );
  assert.ok(e.clippedOutputs > 0, `ADC alone clips (${e.clippedOutputs})`);
  assert.equal(passes[1].f.clipped.outputs, 0, "the layer without an ADC clips nothing");
  assert.equal(e.clippedOutputs, passes[0].f.clipped.outputs / 2);
  assert.equal(e.clippedInputs, 0);
  // with output noise, the clipped shares draw from the generator given too
  const noisyFixed: CrossbarLayerConfig = { ...adcOnly, periphery: { ...adcOnly.periphery, outputNoiseAmpere: 1e-8 } };
  assert.ok(evaluateLayers(circuitLayers(m, [noisyFixed, LAYER]), data, { rng: rng(14) }).clippedOutputs > 0);
});

test("readNetworkAt: asking for no compensation draws nothing beyond the read itself", () => {
  const m = createMlp([2, 4, 1], rng(16));
  const noisy: CrossbarLayerConfig = { ...LAYER, periphery: { outputNoiseAmpere: 1e-8 } };
  const prog = programNetwork(tileNetwork(m), noisy, powerLawModel({ nuMean: 0.05, nuSd: 0 }), rng(17));
  const after = (c: readonly ("none" | "global")[]) => {
    const r = rng(18);
    readNetworkAt(prog, 1e3, c, r);
    return r.next();
  };
  assert.equal(after(["none"]), after([]));
  assert.notEqual(after(["global"]), after([]), "a compensation reads the layers once more");
});

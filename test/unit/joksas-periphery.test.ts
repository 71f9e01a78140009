/**
 * The periphery in the Joksas engines: one training step of the fused WebAssembly engine with a DAC,
 * an ADC and output noise agrees with the tfjs layers (loss and every gradient, same seed), the
 * converters act (they change the loss, and infinite bits without noise change nothing), and what the
 * engines do not model is refused.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/runtime/backend";
import { rng } from "../../lib/runtime/random";
import { JOKSAS_SETUPS } from "../../lib/devices/joksas";
import { mnistSplits, subset } from "../../lib/data/mnist";
import { FusedMlp } from "../../lib/training/fused-mlp";
import { MemristiveMlp, crossEntropy } from "../../lib/training/memristive-mlp";
import { HardwareStage } from "../../lib/training/joksas-periphery";
import { PeripheryConfig, encodeInputs, quantiserStep } from "../../lib/tile/periphery";
import { Kernels } from "../../lib/kernels";
import { tileLayers, tileNetwork } from "../../lib/training/analog-inference";
import { circuitForward } from "../../lib/training/circuit-aware";

before(async () => {
  await initBackend();
});

const data = mnistSplits("package", rng(0));
const batch = subset(
  data.train,
  Array.from({ length: 32 }, (_, i) => i),
);

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

function tfjsStep(model: MemristiveMlp, stage: HardwareStage, seed: string) {
  const x = tf.tensor2d(batch.x, [batch.n, batch.features]);
  const y = tf.tensor1d(Int32Array.from(batch.labels), "int32");
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(model.forward(x, stage, rng(seed), { power: false }).probs, y),
    model.variables(),
  );
  return { loss: value.dataSync()[0], grads: model.variables().map((v) => grads[v.name].dataSync() as Float32Array) };
}

function fusedStep(model: MemristiveMlp, stage: HardwareStage, seed: string) {
  const f = new FusedMlp([784, 25, 10], model.spec.weights, 64);
  f.importParams(model.snapshot());
  const fw = f.forward(batch.x, batch.n, stage, JOKSAS_SETUPS.D2, rng(seed), { grad: true, power: false });
  const { loss } = f.score(batch.labels);
  f.backward(batch.labels);
  return { loss, grads: f.exportParams("grads"), clipped: fw.clippedOutputs };
}

/** A periphery for setup s: a 6-bit DAC over ±k_V, a 7-bit ADC whose range clips the largest outputs, output noise. */
function periphery(s: HardwareStage, extra: Partial<PeripheryConfig> = {}): PeripheryConfig {
  const unit = s.readVoltageVolt * (s.gOnSiemens! - s.gOffSiemens!);
  return {
    dac: { bits: 6, inputRangeVolt: s.readVoltageVolt },
    adc: { bits: 7, range: { kind: "fixed", rangeAmpere: 3 * unit } },
    outputNoiseAmpere: 0.02 * unit,
    ...extra,
  };
}

for (const id of ["D2", "D3"] as const) {
  for (const weights of [{ kind: "standard", rule: "min-G" }, { kind: "double" }] as const) {
    test(`fused engine = tfjs layers with DAC, ADC and output noise on ${id}, ${weights.kind} weights: loss and every gradient`, () => {
      const setup = JOKSAS_SETUPS[id];
      const model = new MemristiveMlp(
        { sizes: [784, 25, 10], weights, engine: "tfjs" },
        rng(`init/${id}/${weights.kind}`),
      );
      model.trainingSetup = JOKSAS_SETUPS.D2;
      const stage: HardwareStage = { ...setup, periphery: periphery(setup) };
      const ref = tfjsStep(model, stage, `step/${id}`);
      const fused = fusedStep(model, stage, `step/${id}`);
      assert.ok(fused.clipped > 0 && fused.clipped < 1, `the ADC clips some outputs (${fused.clipped})`);
      assert.ok(Math.abs(fused.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${fused.loss} vs ${ref.loss}`);
      ref.grads.forEach((g, i) => {
        const e = relErr(fused.grads[i], g);
        assert.ok(e < 2e-3, `gradient of tensor ${i}: max error ${e.toExponential(2)} of its largest entry`);
      });
      const plain = tfjsStep(model, setup, `step/${id}`);
      assert.ok(Math.abs(plain.loss - ref.loss) > 1e-3 * plain.loss, "the converters change the loss");
    });
  }
}

test("ideal converters without noise change neither engine's loss; unsupported periphery is refused with its reason", () => {
  const setup = JOKSAS_SETUPS.D3;
  const model = new MemristiveMlp(
    { sizes: [784, 25, 10], weights: { kind: "standard", rule: "min-G" }, engine: "tfjs" },
    rng("init/ideal"),
  );
  const ideal: HardwareStage = {
    ...setup,
    periphery: {
      dac: { bits: Infinity, inputRangeVolt: 10 },
      adc: { bits: Infinity, range: { kind: "fixed", rangeAmpere: 1 } },
    },
  };
  for (const step of [tfjsStep, fusedStep]) {
    const a = step(model, setup, "s"),
      b = step(model, ideal, "s");
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * a.loss, `${step.name}: ${a.loss} vs ${b.loss}`);
  }
  const f = new FusedMlp([784, 25, 10], model.spec.weights, 64);
  f.importParams(model.snapshot());
  const run = (s: HardwareStage) => f.forward(batch.x, batch.n, s, null, rng(1));
  assert.throws(
    () => run({ ...setup, periphery: { readNoiseRelative: 0.01 } }),
    /read noise and conductance levels are modelled on the tile's layer/,
  );
  assert.throws(
    () => run({ ...setup, periphery: { adc: { bits: 6, range: { kind: "calibrated", percentile: 99 } } } }),
    /a calibrated ADC range needs a calibration pass/,
  );
  assert.throws(
    () => run({ ...JOKSAS_SETUPS.D0, periphery: { adc: { bits: 6, range: { kind: "max" } } } }),
    /converters need a crossbar stage with a conductance window/,
  );
  assert.throws(
    () => run({ ...setup, periphery: { adc: { bits: 1, range: { kind: "max" } } } }),
    /adc\.bits must be an integer from 2 to 32/,
  );
});

test("the fused engine's DAC kernel = the tile's encodeInputs: volts, straight-through mask and unit per row, with and without noise management", () => {
  const K = new Kernels(),
    B = 7,
    inDim = 37,
    R = inDim + 1,
    r = rng(5);
  const x = Float32Array.from({ length: B * R }, (_, q) =>
    q % R === inDim ? 1 : q % 5 === 0 ? 0 : Math.fround(r.uniform(-2.5, 2.5)),
  );
  for (const managed of [false, true])
    for (const bits of [3, 8, Infinity]) {
      const dac = { bits, inputRangeVolt: 0.4, noiseManagement: managed ? ("abs-max" as const) : ("none" as const) };
      const want = encodeInputs(x, B, inDim, 0.3, dac, undefined, { stride: R });
      const px = K.alloc(B * R),
        pv = K.alloc(B * R),
        pp = K.alloc(B * R),
        pu = K.alloc(B);
      K.f32(px, B * R).set(x);
      const clipped = K.k.dacEncode(px, pv, pp, pu, B, R, 0.3, 0.4, quantiserStep(bits, 0.4, true), managed ? 1 : 0);
      const what = `${bits} bits, noise management ${managed}`;
      assert.equal(clipped, want.clipped, `${what}: clipped count`);
      assert.ok(want.clipped > 0 || managed, `${what}: some inputs clip`);
      assert.deepEqual(Array.from(K.f32(pp, B * R)), Array.from(want.pass), `${what}: mask`);
      K.f32(pu, B).forEach((u, k) =>
        assert.ok(Math.abs(u - want.unitVolt[k]) <= 1e-6 * want.unitVolt[k], `${what}: unit of row ${k}`),
      );
      K.f32(pv, B * R).forEach((v, q) =>
        assert.ok(Math.abs(v - want.volts[q]) <= 1e-6, `${what}: volt ${q}: ${v} vs ${want.volts[q]}`),
      );
    }
});

test("a Joksas network as tile weights: on ideal tiles its class probabilities equal the tfjs model's on the ideal stage, for double and standard weights", () => {
  for (const weights of [{ kind: "double" }, { kind: "standard", rule: "min-G" }] as const) {
    const model = new MemristiveMlp({ sizes: [784, 25, 10], weights, engine: "tfjs" }, rng(`tiles/${weights.kind}`));
    model.trainingSetup = JOKSAS_SETUPS.D2;
    const n = tileNetwork(model);
    assert.equal(n.double, weights.kind === "double");
    const s = JOKSAS_SETUPS.D2,
      few = subset(
        batch,
        Array.from({ length: 8 }, (_, i) => i),
      );
    const cfg = {
      gOffSiemens: s.gOffSiemens!,
      gOnSiemens: s.gOnSiemens!,
      readVoltageVolt: s.readVoltageVolt,
      wordSegmentOhm: 0,
      bitSegmentOhm: 0,
      tileRows: 128,
      tileCols: 128,
    };
    const { logits } = circuitForward(tileLayers(n, cfg), Float64Array.from(few.x), few.n);
    const probs = model.forward(tf.tensor2d(few.x, [few.n, few.features]), null, rng(1)).probs.dataSync();
    for (let k = 0; k < few.n; k++) {
      const z = logits.subarray(k * 10, (k + 1) * 10),
        m = Math.max(...z),
        e = Array.from(z, (v) => Math.exp(v - m)),
        sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, c) =>
        assert.ok(
          Math.abs(v / sum - probs[k * 10 + c]) < 2e-5,
          `${weights.kind}: p[${k}][${c}] ${v / sum} vs ${probs[k * 10 + c]}`,
        ),
      );
    }
    if (n.double)
      assert.throws(
        () => tileLayers(n, { ...cfg, rule: "avg" }),
        /a double-weights network cannot map by the pair rule "avg"/,
      );
  }
});

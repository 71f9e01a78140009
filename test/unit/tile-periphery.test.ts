// The tile's periphery: quantisers' levels and clipping, ideal limits, noise statistics, calibration,
// straight-through gradients against finite differences, and bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, Rng } from "../../lib/runtime/random";
import { CircuitTile } from "../../lib/tile/circuit-tile";
import { CrossbarDenseLayer, CrossbarLayerConfig } from "../../lib/tile/layer";
import {
  PeripheryConfig,
  aihwkitInferencePeriphery,
  encodeInputs,
  checkPeriphery,
  maxAdcRangeAmpere,
  percentile,
  quantise,
  quantiserStep,
  snapToLevels,
} from "../../lib/tile/periphery";

const BASE: CrossbarLayerConfig = Object.freeze({
  gOffSiemens: 1e-6,
  gOnSiemens: 1e-5,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 4,
  tileCols: 4,
});
const uniform = (r: Rng, n: number, lo: number, hi: number) =>
  Float64Array.from({ length: n }, () => r.uniform(lo, hi));
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);

function layerWith(
  periphery: PeripheryConfig | undefined,
  opts: { seg?: number; inDim?: number; outDim?: number; seed?: number } = {},
) {
  const inDim = opts.inDim ?? 5,
    outDim = opts.outDim ?? 3,
    r = rng(opts.seed ?? 7);
  const w = uniform(r, (inDim + 1) * outDim, -1, 1);
  const seg = opts.seg ?? 0;
  return {
    w,
    inDim,
    outDim,
    layer: new CrossbarDenseLayer(w, inDim, outDim, { ...BASE, wordSegmentOhm: seg, bitSegmentOhm: seg, periphery }),
  };
}

test("quantiser: worked levels, clipping and the range surrogate, signed (aihwkit's step) and unsigned (CrossSim's)", () => {
  // signed, 3 bits, range ±1: 7 levels, step 2/(2³ − 2) = 1/3
  assert.equal(quantiserStep(3, 1, true), 1 / 3);
  const q = quantise(0.4, 3, 1, true, "nearest");
  close(q.value, 1 / 3, 1e-15, "q(0.4)");
  assert.equal(q.clipped, 0);
  close(q.dRange, (1 - 1.2) / 3, 1e-12, "∂q/∂R at 0.4: (round(u/Δ) − u/Δ)·Δ/R");
  close(quantise(0.5, 3, 1, true, "nearest").value, 2 / 3, 1e-15, "q(0.5)");
  assert.deepEqual(quantise(1.2, 3, 1, true, "nearest"), { value: 1, clipped: 1, dRange: 1 });
  assert.deepEqual(quantise(-1.5, 3, 1, true, "nearest"), { value: -1, clipped: -1, dRange: -1 });
  // unsigned, 2 bits, range [0, 3]: 4 levels 0, 1, 2, 3
  assert.equal(quantiserStep(2, 3, false), 1);
  assert.equal(quantise(1.4, 2, 3, false, "nearest").value, 1);
  assert.deepEqual(quantise(-0.2, 2, 3, false, "nearest"), { value: 0, clipped: -1, dRange: 0 });
  assert.deepEqual(quantise(3.5, 2, 3, false, "nearest"), { value: 3, clipped: 1, dRange: 1 });
  // an ideal converter only clips
  assert.deepEqual(quantise(0.123, Infinity, 1, true, "nearest"), { value: 0.123, clipped: 0, dRange: 0 });
});

test("stochastic rounding is unbiased and lands only on the two neighbouring levels", () => {
  const r = rng(3),
    u = 0.4,
    step = 1 / 3;
  let sum = 0;
  const seen = new Set<number>();
  const n = 20000;
  for (let k = 0; k < n; k++) {
    const v = quantise(u, 3, 1, true, "stochastic", r).value;
    sum += v;
    seen.add(Math.round(v / step));
  }
  assert.deepEqual([...seen].sort(), [1, 2]);
  // the mean of n draws of a two-point variable with sd ≤ step/2: within 4 standard errors
  assert.ok(Math.abs(sum / n - u) < (4 * step) / 2 / Math.sqrt(n), `mean ${sum / n}`);
});

test("ideal limit: infinite bits and no noise give exactly the tile without periphery, on ideal and wired arrays", () => {
  const x = uniform(rng(1), 4 * 5, -1, 1);
  for (const seg of [0, 2]) {
    const ideal = layerWith(undefined, { seg }).layer.forward(x, 4);
    const p: PeripheryConfig = {
      dac: { bits: Infinity, inputRangeVolt: 10 },
      adc: { bits: Infinity, range: { kind: "fixed", rangeAmpere: 1 } },
      outputNoiseAmpere: 0,
      readNoiseRelative: 0,
    };
    const f = layerWith(p, { seg }).layer.forward(x, 4);
    assert.deepEqual(f.y, ideal.y, `segments ${seg} Ω`);
    assert.deepEqual(f.clipped, { inputs: 0, outputs: 0, devices: 0 });
  }
});

test("DAC: inputs quantised to its levels and clipped at its range, the share clipped reported; noise management rescales exactly", () => {
  const { layer } = layerWith({ dac: { bits: 3, inputRangeVolt: 0.2 } });
  const x = Float64Array.from([0.3, -0.55, 2, 0.01, -3]);
  const f = layer.forward(x, 1);
  // k_V = 0.2 V, step 0.4/6 V: 0.06 → 1 step, −0.11 → −2 steps, 0.4 → clipped to 0.2, 0.002 → 0, −0.6 → −0.2; bias 0.2
  const step = 0.4 / 6;
  assert.deepEqual(
    Array.from(f.inputs.volts, (v) => +(v / step).toFixed(9)),
    [1, -2, 3, 0, -3, 3],
  );
  assert.equal(f.clipped.inputs, 2 / 6);
  const nm = layerWith({ dac: { bits: Infinity, inputRangeVolt: 0.2, noiseManagement: "abs-max" } }).layer.forward(
    x,
    1,
  );
  const ideal = layerWith(undefined).layer.forward(x, 1);
  for (let o = 0; o < 3; o++) close(nm.y[o], ideal.y[o], 1e-12, `noise-managed output ${o}`);
  assert.equal(nm.clipped.inputs, 0);
});

test("ADC: a fixed range clips and bounds the outputs; 'max' never clips inputs within ±1 and has the worked value", () => {
  const x = uniform(rng(2), 50 * 5, -1, 1);
  const { layer } = layerWith({ adc: { bits: 6, range: { kind: "fixed", rangeAmpere: 2e-7 } } });
  const f = layer.forward(x, 50);
  assert.ok(f.clipped.outputs > 0.2 && f.clipped.outputs < 1, `clipped ${f.clipped.outputs}`);
  // two tiles of rows share each output: |y| ≤ 2 tiles × R/(k_V·k_G)
  const bound = (2 * 2e-7) / (0.2 * layer.kG);
  assert.ok(f.y.every((v) => Math.abs(v) <= bound * (1 + 1e-12)));
  const m = layerWith({ adc: { bits: 8, range: { kind: "max" } } }).layer;
  assert.equal(m.forward(x, 50).clipped.outputs, 0);
  // 6 weight rows in tiles of 4 and 2 word lines (× 2 column tiles): R = rows·k_V·(G_on − G_off)
  const want = [4, 4, 2, 2].map((rows) => +(rows * 0.2 * 9e-6).toExponential(9));
  assert.deepEqual(
    m.adcRangesAmpere.map((r) => +r.toExponential(9)),
    want,
  );
  assert.equal(maxAdcRangeAmpere({ bits: 4, signed: false, range: { kind: "max" } }, 10, 0.5, BASE), 10 * 0.5 * 1e-5);
  // unsigned ADCs digitise each bit line; negative inputs drive negative currents that clip at 0
  const u = layerWith({ adc: { bits: Infinity, signed: false, range: { kind: "max" } } }).layer.forward(x, 50);
  assert.ok(u.clipped.outputs > 0);
});

test("ADC resolution: the error of a 'max'-range ADC falls as bits grow, and every output is a whole number of steps", () => {
  const x = uniform(rng(4), 40 * 5, 0, 1);
  const ideal = layerWith(undefined, { inDim: 5, outDim: 3 }).layer.forward(x, 40).y;
  const err = [3, 5, 7, 9].map((bits) => {
    const l = new CrossbarDenseLayer(layerWith(undefined).w, 5, 3, {
      ...BASE,
      tileRows: 8,
      periphery: { adc: { bits, range: { kind: "max" } } },
    });
    const y = l.forward(x, 40).y;
    const stepY = quantiserStep(bits, l.adcRangesAmpere[0], true) / (0.2 * l.kG);
    y.forEach((v) => close(Math.round(v / stepY) * stepY, v, 1e-9, `${bits}-bit output on the grid`));
    return Math.sqrt(y.reduce((s, v, q) => s + (v - ideal[q]) ** 2, 0) / y.length);
  });
  for (let i = 1; i < err.length; i++) assert.ok(err[i] < err[i - 1], `rms error ${err.join(", ")}`);
});

test("calibrated range: refused before calibration; the percentile of the calibration batch sets each tile's range", () => {
  const x = uniform(rng(5), 80 * 5, -1, 1);
  const { layer } = layerWith({ adc: { bits: Infinity, range: { kind: "calibrated", percentile: 100 } } });
  assert.throws(() => layer.forward(x, 80), /has not been calibrated; call calibrate/);
  const ranges = layer.calibrate(x, 80);
  assert.equal(ranges.length, 4);
  assert.equal(layer.forward(x, 80).clipped.outputs, 0);
  const half = layerWith({ adc: { bits: Infinity, range: { kind: "calibrated", percentile: 50 } } }).layer;
  half.calibrate(x, 80);
  close(half.forward(x, 80).clipped.outputs, 0.5, 0.05, "share clipped at the median range");
  assert.throws(
    () => layerWith({ adc: { bits: 4, range: { kind: "max" } } }).layer.calibrate(x, 80),
    /the ADC range is "max"; calibration sets a "calibrated" range/,
  );
  assert.equal(percentile([3, 1, 2, 4], 50), 2.5);
  assert.equal(percentile([3, 1, 2, 4], 100), 4);
});

test("output noise: the outputs' spread matches σ/(k_V·k_G) per ADC summed over the tiles of an output; drawn fresh each pass", () => {
  const sigma = 1e-8,
    x = new Float64Array(5).fill(0.5);
  const { layer } = layerWith({ outputNoiseAmpere: sigma });
  assert.throws(() => layer.forward(x, 1), /pass a generator \(rng\)/);
  const ideal = layerWith(undefined).layer.forward(x, 1).y[0];
  const r = rng(6),
    n = 4000,
    d: number[] = [];
  for (let k = 0; k < n; k++) d.push(layer.forward(x, 1, r).y[0] - ideal);
  const mean = d.reduce((a, b) => a + b, 0) / n,
    sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const want = (Math.SQRT2 * sigma) / (0.2 * layer.kG); // two tiles share each output
  close(sd, want, 0.05, "sd of the output");
  assert.ok(Math.abs(mean) < (4 * want) / Math.sqrt(n), `mean ${mean}`);
});

test("read noise: each pass reads every device with a fresh relative deviation of the given σ; the mean output is the ideal one", () => {
  const sigma = 0.05,
    x = Float64Array.from([1, 0, 0, 0, 0]);
  const { layer } = layerWith({ readNoiseRelative: sigma }, { inDim: 5, outDim: 1 });
  const r = rng(8),
    n = 3000;
  const g0 = layer.deviceConductancesSiemens;
  const devs: number[] = [];
  let ySum = 0;
  for (let k = 0; k < n; k++) {
    const f = layer.forward(x, 1, r);
    ySum += f.y[0];
    devs.push(f.arrays[0].conductancesSiemens[0] / g0[0] - 1);
  }
  const m = devs.reduce((a, b) => a + b, 0) / n,
    sd = Math.sqrt(devs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  close(sd, sigma, 0.05, "relative sd of device [0][0]");
  const ideal = layerWith(undefined, { inDim: 5, outDim: 1 }).layer.forward(x, 1).y[0];
  assert.ok(Math.abs(ySum / n - ideal) < 0.02 * Math.abs(ideal) + 1e-3, `mean ${ySum / n} vs ${ideal}`);
  assert.deepEqual(layer.deviceConductancesSiemens, g0, "the programmed devices are untouched by reads");
  // a σ so large that some draws fall below 0 S: they read as 0 S, and the pass says how many
  const wide = layerWith({ readNoiseRelative: 0.6 }, { inDim: 5, outDim: 1 }).layer.forward(x, 1, r);
  assert.ok(wide.clipped.devices > 0 && wide.clipped.devices < 0.2, `share clamped ${wide.clipped.devices}`);
  assert.ok(wide.arrays.every((a) => a.conductancesSiemens.every((g) => g >= 0)));
});

test("finite conductance states: devices sit on n levels from G_off to G_on", () => {
  const { layer } = layerWith({ conductanceLevels: 4 });
  const step = (BASE.gOnSiemens - BASE.gOffSiemens) / 3;
  for (const g of layer.deviceConductancesSiemens)
    close(Math.round((g - BASE.gOffSiemens) / step) * step + BASE.gOffSiemens, g, 1e-12, "level");
  assert.deepEqual(
    Array.from(snapToLevels(Float64Array.from([0, 4e-6, 6e-6, 2e-5]), 2, BASE)),
    [1e-6, 1e-6, 1e-5, 1e-5],
  );
});

/** L = Σ c·y over a batch, its adjoint gradients, and central differences of the same loss. */
function lossOf(layer: CrossbarDenseLayer, x: Float64Array, batch: number, c: Float64Array) {
  return layer.forward(x, batch).y.reduce((s, v, q) => s + c[q] * v, 0);
}

test("straight-through gradients: with ideal converters that clip, ∂L/∂W, ∂L/∂x, ∂L/∂R and ∂L/∂k_V match finite differences, with and without line resistance", () => {
  const r = rng(11),
    batch = 6,
    x = uniform(r, batch * 5, -1.4, 1.4),
    c = uniform(r, batch * 3, -1, 1);
  for (const seg of [0, 3]) {
    const rangeAmpere = 1.2e-6;
    const p = (R: number): PeripheryConfig => ({
      dac: { bits: Infinity, inputRangeVolt: 0.25 },
      adc: { bits: Infinity, range: { kind: "fixed", rangeAmpere: R } },
    });
    const { w, layer } = layerWith(p(rangeAmpere), { seg });
    const f = layer.forward(x, batch);
    assert.ok(
      f.clipped.outputs > 0 && f.clipped.outputs < 1 && f.clipped.inputs > 0,
      `both converters clip some values (${JSON.stringify(f.clipped)})`,
    );
    const b = layer.backward(f, c);
    const make = (cfg: Partial<CrossbarLayerConfig>, weights = w) =>
      new CrossbarDenseLayer(weights, 5, 3, { ...layer.config, ...cfg });
    const h = 1e-7;
    const dR =
      (lossOf(make({ periphery: p(rangeAmpere * (1 + h)) }), x, batch, c) -
        lossOf(make({ periphery: p(rangeAmpere * (1 - h)) }), x, batch, c)) /
      (2 * h * rangeAmpere);
    close(b.dAdcRangeAmpere, dR, 1e-5, `∂L/∂R at ${seg} Ω`);
    const kV = BASE.readVoltageVolt;
    const dkV =
      (lossOf(make({ readVoltageVolt: kV * (1 + h) }), x, batch, c) -
        lossOf(make({ readVoltageVolt: kV * (1 - h) }), x, batch, c)) /
      (2 * h * kV);
    close(b.dReadVoltageVolt, dkV, 1e-5, `∂L/∂k_V at ${seg} Ω`);
    for (const q of [1, 4, 9]) {
      const xp = Float64Array.from(x),
        xm = Float64Array.from(x),
        e = 1e-6;
      xp[q] += e;
      xm[q] -= e;
      close(
        b.dInputs[q],
        (lossOf(layer, xp, batch, c) - lossOf(layer, xm, batch, c)) / (2 * e),
        1e-5,
        `∂L/∂x[${q}] at ${seg} Ω`,
      );
    }
    const big = w.reduce((m, v, i) => (Math.abs(v) > Math.abs(w[m]) ? i : m), 0);
    for (const q of [0, 5, 13].filter((i) => i !== big)) {
      const wp = Float64Array.from(w),
        wm = Float64Array.from(w),
        e = 1e-6;
      wp[q] += e;
      wm[q] -= e;
      close(
        b.dWeights[q],
        (lossOf(make({}, wp), x, batch, c) - lossOf(make({}, wm), x, batch, c)) / (2 * e),
        1e-5,
        `∂L/∂W[${q}] at ${seg} Ω`,
      );
    }
  }
});

test("straight-through gradients: a clipped output passes no gradient, an unclipped one passes it unchanged", () => {
  const x = Float64Array.from([1, 1, 1, 1, 1, -1, -1, -1, -1, -1, 0.01, 0, 0, 0, 0]);
  const { layer } = layerWith({ adc: { bits: 5, range: { kind: "fixed", rangeAmpere: 4e-7 } } }, { outDim: 1 });
  const ideal = layerWith(undefined, { outDim: 1 }).layer;
  const f = layer.forward(x, 3),
    g = ideal.forward(x, 3);
  const clippedRows = f.outputs.map((d) => Array.from(d.dCurrent).filter((v) => v === 0).length);
  assert.ok(
    clippedRows.some((n) => n > 0),
    "some conversions clip",
  );
  const b = layer.backward(f, [0, 0, 1]),
    bi = ideal.backward(g, [0, 0, 1]);
  // the third input's outputs are small: nothing clips, so the straight-through gradient equals the ideal one
  for (let i = 0; i < 5; i++) close(b.dInputs[10 + i], bi.dInputs[10 + i], 1e-12, `dx[2][${i}]`);
});

test("a forward pass is only valid for the layer that made it", () => {
  const a = layerWith(undefined).layer,
    b = layerWith(undefined, { seed: 9 }).layer;
  const f = a.forward(new Float64Array(5), 1);
  assert.throws(() => b.backward(f, [1, 1, 1]), /made by another layer/);
  assert.throws(() => b.power(f), /made by another layer/);
});

test("aihwkit's inference defaults converted to SI: 7-bit DAC, 9-bit ADC at 12 output units, σ 0.06 units", () => {
  const p = aihwkitInferencePeriphery(BASE, 0.2);
  const unit = 0.2 * 9e-6;
  assert.equal(p.dac!.bits, 7);
  assert.equal(p.dac!.noiseManagement, "abs-max");
  assert.equal(p.adc!.bits, 9);
  close((p.adc!.range as { rangeAmpere: number }).rangeAmpere, 12 * unit, 1e-12, "ADC range");
  close(p.outputNoiseAmpere!, 0.06 * unit, 1e-12, "output noise");
  // aihwkit's resolution 1/(2⁷ − 2) of the full span 2·bound
  close(quantiserStep(7, 1, true), 2 / 126, 1e-15, "DAC step in bound units");
});

test("bad periphery input: each error names the field, its unit and the value", () => {
  const bad: Array<[PeripheryConfig, RegExp]> = [
    [{ dac: { bits: 1, inputRangeVolt: 1 } }, /dac\.bits must be an integer from 2 to 32 \(bits.*got 1/],
    [{ dac: { bits: 2.5, inputRangeVolt: 1 } }, /dac\.bits .*got 2\.5/],
    [{ dac: { bits: 4, inputRangeVolt: 0 } }, /dac\.inputRangeVolt must be a finite number > 0 \(V\), got 0/],
    [
      { dac: { bits: 4, inputRangeVolt: 1, rounding: "up" as never } },
      /rounding must be "nearest" or "stochastic", got up/,
    ],
    [
      { dac: { bits: 4, inputRangeVolt: 1, noiseManagement: "max" as never } },
      /noiseManagement must be "none" or "abs-max", got max/,
    ],
    [{ adc: { bits: 0, range: { kind: "max" } } }, /adc\.bits must be an integer from 2 to 32 \(bits\).*got 0/],
    [{ adc: { bits: 0, signed: false, range: { kind: "max" } } }, /adc\.bits must be an integer from 1 to 32/],
    [
      { adc: { bits: 4, range: { kind: "fixed", rangeAmpere: -1 } } },
      /adc\.range\.rangeAmpere must be a finite number > 0 \(A\), got -1/,
    ],
    [
      { adc: { bits: 4, range: { kind: "calibrated", percentile: 0 } } },
      /adc\.range\.percentile must be in \(0, 100\] \(%\), got 0/,
    ],
    [{ adc: { bits: 4, range: { kind: "auto" } as never } }, /unknown adc\.range\.kind "auto"/],
    [{ adc: { bits: 4 } as never }, /adc\.range is missing/],
    [{ outputNoiseAmpere: -1e-9 }, /outputNoiseAmpere must be a finite number >= 0 \(A\), got -1e-9/],
    [{ readNoiseRelative: NaN }, /readNoiseRelative must be a finite number >= 0 \(fraction of G\), got NaN/],
    [{ conductanceLevels: 1 }, /conductanceLevels must be an integer >= 2 \(levels from G_off to G_on\), got 1/],
  ];
  for (const [p, re] of bad) {
    assert.throws(() => checkPeriphery(p), re, JSON.stringify(p));
    assert.throws(() => new CrossbarDenseLayer(new Float64Array(6), 1, 3, { ...BASE, periphery: p }), re);
  }
  assert.throws(
    () =>
      new CrossbarDenseLayer(new Float64Array(6), 1, 3, {
        ...BASE,
        deviceLaw: { expression: "G*V" },
        periphery: { readNoiseRelative: 0.01 },
      }),
    /read noise on the conductances is modelled for ohmic devices/,
  );
});

test("ideal wires, ohmic devices: the closed form's currents, power and adjoint equal the full solve's", () => {
  const r = rng(30),
    rows = 5,
    cols = 4,
    batch = 3;
  const g = uniform(r, rows * cols, 1e-6, 1e-5),
    v = uniform(r, batch * rows, -0.3, 0.3),
    dI = uniform(r, batch * cols, -1, 1);
  const t = new CircuitTile(g, rows, cols, { wordSegmentOhm: 0, bitSegmentOhm: 0 });
  assert.ok(t.idealOhmic);
  const f = t.forward(v, batch);
  const full = f.solution; // the full nodal solve, built on demand
  f.currents.forEach((c, q) => close(c, full.outputCurrents[q], 1e-12, `current ${q}`));
  const p = t.power(f),
    pf = t.system.power(full, {
      wordLeftVolt: Array.from({ length: batch }, (_, k) => v.subarray(k * rows, (k + 1) * rows)),
    });
  p.sourcesWatt.forEach((w, k) => close(w, pf[k].sourcesWatt, 1e-12, `source power ${k}`));
  p.devicesWatt.forEach((w, k) => close(w, pf[k].devicesWatt, 1e-12, `device power ${k}`));
  const b = t.backward(f, dI);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let want = 0;
      for (let k = 0; k < batch; k++) want += v[k * rows + i] * dI[k * cols + j];
      close(b.dConductances[i * cols + j], want, 1e-12, `∂L/∂G[${i}][${j}]`);
    }
  for (let k = 0; k < batch; k++)
    for (let i = 0; i < rows; i++) {
      let want = 0;
      for (let j = 0; j < cols; j++) want += g[i * cols + j] * dI[k * cols + j];
      close(b.dVoltages[k * rows + i], want, 1e-12, `∂L/∂V[${k}][${i}]`);
    }
  assert.ok(!new CircuitTile(g, rows, cols, { wordSegmentOhm: 1, bitSegmentOhm: 0 }).idealOhmic);
});

test("noise management puts each row's largest input exactly on the DAC's bound and clips nothing", () => {
  const r = rng(40),
    B = 400,
    inDim = 9,
    R = 0.37;
  const x = uniform(r, B * inDim, -3, 3);
  const e = encodeInputs(
    x,
    B,
    inDim,
    0.2,
    { bits: Infinity, inputRangeVolt: R, noiseManagement: "abs-max" },
    undefined,
  );
  assert.equal(e.clipped, 0);
  for (let k = 0; k < B; k++) {
    let big = 0;
    for (let i = 1; i < inDim; i++) if (Math.abs(x[k * inDim + i]) > Math.abs(x[k * inDim + big])) big = i;
    if (Math.abs(x[k * inDim + big]) > 1) assert.equal(Math.abs(e.volts[k * (inDim + 1) + big]), R, `row ${k}`);
  }
});

test("double weights on tiles (Joksas et al.): y = [x, 1]·(W⁺ − W⁻) on ideal wires, ∂L/∂W against finite differences on wired tiles", () => {
  const r = rng(50),
    inDim = 5,
    outDim = 3,
    batch = 4;
  const w = uniform(r, (inDim + 1) * 2 * outDim, 0, 1),
    x = uniform(r, batch * inDim, -1, 1),
    c = uniform(r, batch * outDim, -1, 1);
  const ideal = new CrossbarDenseLayer(w, inDim, outDim, { ...BASE, rule: "double" });
  const y = ideal.forward(x, batch).y;
  for (let k = 0; k < batch; k++)
    for (let o = 0; o < outDim; o++) {
      let want = 0;
      for (let i = 0; i <= inDim; i++)
        want += (i < inDim ? x[k * inDim + i] : 1) * (w[(i * outDim + o) * 2] - w[(i * outDim + o) * 2 + 1]);
      close(y[k * outDim + o], want, 1e-12, `y[${k}][${o}]`);
    }
  const cfg = { ...BASE, rule: "double" as const, wordSegmentOhm: 2, bitSegmentOhm: 2 };
  const layer = new CrossbarDenseLayer(w, inDim, outDim, cfg);
  const b = layer.backward(layer.forward(x, batch), c);
  assert.equal(b.dWeights.length, w.length);
  const big = w.reduce((m, v, i) => (v > w[m] ? i : m), 0);
  for (const q of [0, 7, 20, 33].filter((i) => i !== big)) {
    const wp = Float64Array.from(w),
      wm = Float64Array.from(w),
      e = 1e-6;
    wp[q] += e;
    wm[q] -= e;
    const fd =
      (lossOf(new CrossbarDenseLayer(wp, inDim, outDim, cfg), x, batch, c) -
        lossOf(new CrossbarDenseLayer(wm, inDim, outDim, cfg), x, batch, c)) /
      (2 * e);
    close(b.dWeights[q], fd, 1e-6, `∂L/∂W[${q}]`);
  }
  assert.throws(
    () =>
      new CrossbarDenseLayer(
        Float64Array.from(w, (v, i) => (i === 3 ? -0.1 : v)),
        inDim,
        outDim,
        { ...BASE, rule: "double" },
      ),
    /double weights: entry \d+ is -0\.1; each must be a finite number ≥ 0/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(new Float64Array((inDim + 1) * outDim), inDim, outDim, { ...BASE, rule: "double" }),
    /expected \(in \+ 1\) × 2·out = 36/,
  );
});

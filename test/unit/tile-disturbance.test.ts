/**
 * Conductance disturbances on the tile: the float64 pipeline equals the tfjs layers' `disturb` for the
 * same draws, its Jacobian matches finite differences, and a disturbed dense layer computes with the
 * disturbed devices while its gradients to the weights pass through the disturbance.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rng, Rng } from "../../lib/runtime/random";
import { disturbanceDraws } from "../../lib/devices/draws";
import { disturbConductances } from "../../lib/devices/disturbance";
import { ConductanceDisturbance, JOKSAS_SETUPS, describeDisturbance } from "../../lib/devices/joksas";
import { disturb } from "../../lib/training/memristive";
import { CrossbarDenseLayer, CrossbarLayerConfig, LayerDevices } from "../../lib/tile/layer";
import { transferPairs } from "../../lib/tile/transfer";
import { DROLET_2023_TIO2 } from "../../lib/devices/tio2";

const WINDOW = { gOffSiemens: 1e-5, gOnSiemens: 1e-4 };
const D2D: ConductanceDisturbance = { kind: "d2d-lognormal", sigmaOn: 0.05, sigmaOff: 0.5 };
const uniform = (r: Rng, n: number, lo: number, hi: number) =>
  Float64Array.from({ length: n }, () => r.uniform(lo, hi));

before(async () => {
  await tf.setBackend("cpu");
});

/**
 * ∂L/∂W of a disturbed layer against central differences of L = Σ c·y + y², each layer built with
 * the same devices (`devices()` gives the same realisation every call); `skip` is the weight that sets
 * k_G (held fixed in the gradient).
 */
function checkWeightGradients(
  w: Float64Array,
  inDim: number,
  outDim: number,
  cfg: CrossbarLayerConfig,
  devices: () => LayerDevices,
  x: Float64Array,
  c: Float64Array,
  skip: number,
  what: string,
): void {
  const batch = x.length / inDim;
  const lossOf = (ww: Float64Array) =>
    new CrossbarDenseLayer(ww, inDim, outDim, cfg, devices())
      .forward(x, batch)
      .y.reduce((s, v, q) => s + c[q] * v + v * v, 0);
  const L = new CrossbarDenseLayer(w, inDim, outDim, cfg, devices());
  const f = L.forward(x, batch);
  const b = L.backward(
    f,
    Float64Array.from(f.y, (v, q) => c[q] + 2 * v),
  );
  for (let q = 0; q < w.length; q++) {
    if (q === skip) continue;
    const h = 1e-5 * Math.max(Math.abs(w[q]), 1e-3);
    const a = Float64Array.from(w),
      bb = Float64Array.from(w);
    a[q] += h;
    bb[q] -= h;
    const want = (lossOf(a) - lossOf(bb)) / (2 * h);
    assert.ok(
      Math.abs(b.dWeights[q] - want) <= 1e-5 * Math.max(Math.abs(want), 1e-6),
      `${what} ∂L/∂W[${q}]: ${b.dWeights[q]} vs ${want}`,
    );
  }
}

test("the tfjs layers' disturb is the float64 disturbance as a tfjs op (values to float32, gradient through the Jacobian), and fresh draws from a seed replay: D2D, stuck at G_off / G_on, stuck at KDE values (D8)", () => {
  const rows = 5,
    cols = 6; // cols not a multiple of 4: the draws' padded layout is exercised
  const d8 = JOKSAS_SETUPS.D8;
  const cases: Array<[ConductanceDisturbance, { gOffSiemens: number; gOnSiemens: number }]> = [
    [D2D, WINDOW],
    [{ kind: "stuck", at: "gOff", probability: 0.3 }, WINDOW],
    [{ kind: "stuck", at: "gOn", probability: 0.3 }, WINDOW],
    [d8.disturbance!, { gOffSiemens: d8.gOffSiemens!, gOnSiemens: d8.gOnSiemens! }],
  ];
  for (const [d, w] of cases) {
    const g = uniform(rng(1), rows * cols, w.gOffSiemens, w.gOnSiemens);
    // beyond either end of the window D2D's σ is clipped to σ_on / σ_off
    g[0] = 1.5 * w.gOnSiemens;
    g[1] = 0.5 * w.gOffSiemens;
    const draws = disturbanceDraws(d, rows, cols, rng(2));
    const mine = disturbConductances(g, rows, cols, d, w, draws);
    const theirs = tf.tidy(() => disturb(tf.tensor2d(Float32Array.from(g), [rows, cols]), d, w, draws).dataSync());
    mine.gSiemens.forEach((x, k) =>
      assert.ok(Math.abs(x - theirs[k]) <= 2e-6 * Math.abs(x), `${d.kind} device ${k}: ${x} vs tfjs ${theirs[k]}`),
    );
    const c = uniform(rng(4), rows * cols, -1, 1);
    const grad = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) =>
          tf.sum(tf.mul(disturb(x as tf.Tensor2D, d, w, draws), tf.tensor2d(Float32Array.from(c), [rows, cols]))),
        )(tf.tensor2d(Float32Array.from(g), [rows, cols]))
        .dataSync(),
    );
    grad.forEach((x, k) =>
      assert.ok(
        Math.abs(x - c[k] * mine.jacobian[k]) <= 1e-5 * Math.max(Math.abs(c[k] * mine.jacobian[k]), 1e-3),
        `${d.kind} ∂L/∂G[${k}]: tfjs ${x}, Jacobian ${c[k] * mine.jacobian[k]}`,
      ),
    );
    // fresh draws from a seed are the same realisation as the draws made from that seed
    assert.deepEqual(
      Array.from(disturbConductances(g, rows, cols, d, w, rng(2)).gSiemens),
      Array.from(mine.gSiemens),
      `${d.kind}: seeded`,
    );
    if (d.kind !== "d2d-lognormal") {
      const stuck = mine.jacobian.reduce((s, j) => s + (j === 0 ? 1 : 0), 0);
      assert.ok(stuck > 0 && stuck < rows * cols, `${d.kind}: some devices stuck, not all (${stuck})`);
      mine.gSiemens.forEach((x, k) =>
        mine.jacobian[k] === 1
          ? assert.equal(x, g[k])
          : d.kind === "stuck" && assert.equal(x, d.at === "gOff" ? w.gOffSiemens : w.gOnSiemens),
      );
    }
  }
});

test("the D2D Jacobian dG'/dG matches finite differences inside the window and is G'/G where σ is clipped", () => {
  const rows = 3,
    cols = 4;
  const g = uniform(rng(3), rows * cols, 1.2e-5, 0.9e-4);
  g[0] = WINDOW.gOnSiemens * 1.5; // beyond G_on: σ = σ_on, constant
  g[1] = WINDOW.gOffSiemens * 0.5; // below G_off: σ = σ_off
  const draws = disturbanceDraws(D2D, rows, cols, rng(4));
  const { gSiemens, jacobian } = disturbConductances(g, rows, cols, D2D, WINDOW, draws);
  for (let k = 0; k < g.length; k++) {
    const h = 1e-6 * g[k];
    const at = (x: number) => {
      const gg = Float64Array.from(g);
      gg[k] = x;
      return disturbConductances(gg, rows, cols, D2D, WINDOW, draws).gSiemens[k];
    };
    const want = (at(g[k] + h) - at(g[k] - h)) / (2 * h);
    assert.ok(Math.abs(jacobian[k] - want) <= 1e-6 * Math.abs(want), `device ${k}: ${jacobian[k]} vs ${want}`);
  }
  for (const k of [0, 1])
    assert.ok(Math.abs(jacobian[k] - gSiemens[k] / g[k]) < 1e-12 * jacobian[k], `device ${k} outside the window`);
});

test("disturbance errors name the problem", () => {
  const g = new Float64Array(4).fill(5e-5);
  assert.throws(() => disturbConductances(g, 2, 3, D2D, WINDOW, rng(0)), /4 conductances for a 2×3 array/);
  assert.throws(
    () => disturbConductances(g, 2, 2, D2D, { gOffSiemens: 0, gOnSiemens: 1e-4 }, rng(0)),
    /0 < G_off < G_on/,
  );
  assert.throws(
    () =>
      disturbConductances(
        g,
        2,
        2,
        D2D,
        WINDOW,
        disturbanceDraws({ kind: "stuck", at: "gOn", probability: 0.1 }, 2, 2, rng(0)),
      ),
    /draws of a stuck disturbance given for a d2d-lognormal one/,
  );
  const zero = Float64Array.from([5e-5, 0, 5e-5, 5e-5]);
  assert.throws(
    () => disturbConductances(zero, 2, 2, D2D, WINDOW, rng(0)),
    /device \[0\]\[1\] has conductance 0 S; lognormal variability needs a finite G > 0/,
  );
});

test("a disturbed dense layer computes with its disturbed devices; ∂L/∂W through the disturbance matches finite differences with line resistance", () => {
  const inDim = 4,
    outDim = 3,
    batch = 2;
  const r = rng(5);
  const w = uniform(r, (inDim + 1) * outDim, -1, 1);
  w[2] = 1.5; // the unique largest weight sets k_G, held fixed in the gradient
  const x = uniform(r, batch * inDim, -1, 1),
    c = uniform(r, batch * outDim, -1, 1);
  const ideal: CrossbarLayerConfig = {
    ...WINDOW,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 3,
    tileCols: 4,
  };
  for (const d of [D2D, { kind: "stuck", at: "gOn", probability: 0.2 } as const]) {
    const cfg = { ...ideal, disturbance: d };
    const draws = disturbanceDraws(d, inDim + 1, 2 * outDim, rng(6));
    const layer = new CrossbarDenseLayer(w, inDim, outDim, cfg, { rng: draws });
    assert.deepEqual(
      Array.from(layer.deviceConductancesSiemens),
      Array.from(disturbConductances(layer.conductancesSiemens, inDim + 1, 2 * outDim, d, WINDOW, draws).gSiemens),
    );
    // ideal wires: y = Σ_i V_i (G'⁺ − G'⁻) / (k_V k_G) with the disturbed conductances
    const y = layer.forward(x, batch).y;
    const G = layer.deviceConductancesSiemens;
    for (let k = 0; k < batch; k++)
      for (let o = 0; o < outDim; o++) {
        let want = 0;
        for (let i = 0; i <= inDim; i++)
          want += (i < inDim ? x[k * inDim + i] : 1) * (G[i * 2 * outDim + 2 * o] - G[i * 2 * outDim + 2 * o + 1]);
        want /= layer.kG;
        assert.ok(Math.abs(y[k * outDim + o] - want) <= 1e-10 * Math.abs(want), `${d.kind} y[${k}][${o}]`);
      }
    const clean = new CrossbarDenseLayer(w, inDim, outDim, ideal).forward(x, batch).y;
    assert.ok(
      y.some((v, q) => Math.abs(v - clean[q]) > 1e-3),
      `${d.kind}: the disturbance moves the outputs`,
    );
    const wired = { ...cfg, wordSegmentOhm: 200, bitSegmentOhm: 200 };
    checkWeightGradients(w, inDim, outDim, wired, () => ({ rng: draws }), x, c, 2, d.kind);
  }
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, { ...ideal, disturbance: D2D }),
    /a d2d-lognormal disturbance needs devices.rng/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, ideal, { rng: rng(0) }),
    /devices were given but the config names no disturbance/,
  );
});

test("disturbances are described with their parameters", () => {
  assert.equal(
    describeDisturbance(JOKSAS_SETUPS.D5.disturbance!),
    "device-to-device lognormal variability of R, σ 0.25 at G_on to 0.25 at G_off",
  );
  assert.equal(describeDisturbance(JOKSAS_SETUPS.D3.disturbance!), "stuck at G_off with probability 5 %");
  assert.equal(
    describeDisturbance({ kind: "stuck", at: "gOn", probability: 0.101 }),
    "stuck at G_on with probability 10.1 %",
  );
  assert.match(
    describeDisturbance(JOKSAS_SETUPS.D8.disturbance!),
    /^stuck with probability 10.1 % at values drawn from a KDE of \d+ conductances \(.+\)$/,
  );
});

test("a TiO₂ transfer on a dense layer: outputs from the perturbed devices; ∂L/∂W through it matches finite differences with line resistance; bad combinations are named", () => {
  const inDim = 3,
    outDim = 2,
    batch = 2;
  const r = rng(9);
  const w = uniform(r, (inDim + 1) * outDim, -1, 1);
  w[1] = 1.5;
  const x = uniform(r, batch * inDim, -1, 1),
    c = uniform(r, batch * outDim, -1, 1);
  const device = DROLET_2023_TIO2;
  const window = { gOffSiemens: device.gOffSiemens, gOnSiemens: device.gOnSiemens };
  const t = { kind: "tio2-transfer", device } as const;
  const cfg: CrossbarLayerConfig = {
    ...window,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 5,
    bitSegmentOhm: 5,
    tileRows: 3,
    tileCols: 2,
    disturbance: t,
  };
  const layer = new CrossbarDenseLayer(w, inDim, outDim, cfg, { rng: rng(10) });
  assert.deepEqual(
    Array.from(layer.deviceConductancesSiemens),
    Array.from(transferPairs(layer.conductancesSiemens, t, rng(10)).gSiemens),
  );
  const clean = new CrossbarDenseLayer(w, inDim, outDim, { ...cfg, disturbance: undefined }).forward(x, batch).y;
  const y = layer.forward(x, batch).y;
  assert.ok(
    y.some((v, q) => Math.abs(v - clean[q]) > 1e-4),
    "the transfer moves the outputs",
  );
  checkWeightGradients(w, inDim, outDim, cfg, () => ({ rng: rng(10) }), x, c, 1, "TiO₂ transfer");
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, { ...cfg, gOnSiemens: 1e-3 }, { rng: rng(0) }),
    /modelled on 0.0001–0.0005 S, but the layer maps onto 0.0001–0.001 S/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, cfg, { rng: disturbanceDraws(D2D, inDim + 1, 2 * outDim, rng(0)) }),
    /cannot replay given draws/,
  );
  assert.throws(() => new CrossbarDenseLayer(w, inDim, outDim, cfg), /a tio2-transfer disturbance needs devices.rng/);
});

test("the tile's disturbances are checked where they are used: probabilities, KDE widths and centres, spreads", () => {
  const cfg: CrossbarLayerConfig = {
    ...WINDOW,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 4,
    tileCols: 4,
  };
  const w = new Float64Array(3 * 2).fill(0.5);
  const layer = (d: ConductanceDisturbance) =>
    new CrossbarDenseLayer(w, 2, 2, { ...cfg, disturbance: d }, { rng: rng(0) });
  for (const p of [NaN, -0.5, 1.5]) {
    assert.throws(
      () => layer({ kind: "stuck", at: "gOff", probability: p }),
      /stuck probability must be in \[0, 1\], got/,
    );
  }
  const kde = {
    kind: "stuck-distribution",
    probability: 0.1,
    centresSiemens: [2e-6],
    bandwidthSiemens: 1e-7,
    centresSource: "t",
  } as const;
  assert.throws(
    () => layer({ ...kde, bandwidthSiemens: -1e-7 }),
    /bandwidthSiemens must be a finite conductance > 0 S, got -1e-7/,
  );
  assert.throws(() => layer({ ...kde, centresSiemens: [] }), /must list at least one stuck conductance/);
  assert.throws(
    () => layer({ ...kde, centresSiemens: [1e-6, NaN] }),
    /centresSiemens\[1\] must be a finite conductance/,
  );
  assert.throws(
    () => layer({ kind: "d2d-lognormal", sigmaOn: -0.1, sigmaOff: 0.2 }),
    /sigmaOn must be a finite spread >= 0/,
  );
  assert.throws(
    () => layer({ kind: "stuck", at: "middle" as never, probability: 0.1 }),
    /stuck at must be "gOff" or "gOn"/,
  );
  assert.throws(
    () => disturbConductances(new Float64Array(4).fill(2e-6), 2, 2, { ...kde, bandwidthSiemens: 0 }, WINDOW, rng(0)),
    /bandwidthSiemens must be/,
  );
  // a valid KDE layer still builds, every stuck device inside what the kernel allows
  assert.ok(layer(kde).deviceConductancesSiemens.every((g) => g >= 0));
});

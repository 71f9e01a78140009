// The crossbar tile: mapping, currents on the exact circuit, and adjoint gradients against finite differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, Rng } from "../../lib/runtime/random";
import { CircuitTile, TileCircuit } from "../../lib/tile/circuit-tile";
import { CrossbarDenseLayer, CrossbarLayerConfig } from "../../lib/tile/layer";
import {
  checkWindow,
  coefficientPairs,
  conductanceScale,
  doubleConductances,
  kinkFactor,
  pairCoefficients,
  doubleScaleGradient,
  fromOutIn,
  maxAbs,
  offsetPairConductances,
  pairConductances,
  pairConductancesBackward,
  pairScaleGradient,
  pairWeights,
  singleConductances,
  singleMapping,
  singleWeights,
} from "../../lib/tile/mapping";
import { idealCurrents } from "../../lib/crossbar/ideal";
import { expressionLaw } from "../../lib/devices/expression-law";
import {
  BOLTZMANN_JOULE_PER_KELVIN,
  ELEMENTARY_CHARGE_COULOMB,
  ROOM_TEMPERATURE_KELVIN,
} from "../../lib/devices/poole-frenkel";

const WINDOW = { gOffSiemens: 1e-5, gOnSiemens: 1e-4 };
const uniform = (r: Rng, n: number, lo: number, hi: number) =>
  Float64Array.from({ length: n }, () => r.uniform(lo, hi));

/** Central difference of f at x along coordinate i with a relative step. */
function fd(f: (x: Float64Array) => number, x: Float64Array, i: number, rel = 1e-5): number {
  const h = rel * Math.max(Math.abs(x[i]), 1e-12);
  const a = Float64Array.from(x),
    b = Float64Array.from(x);
  a[i] += h;
  b[i] -= h;
  return (f(a) - f(b)) / (2 * h);
}

function assertClose(got: number, want: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(got - want) <= tol * Math.max(Math.abs(want), 1e-30),
    `${what}: adjoint ${got}, finite difference ${want}`,
  );
}

test("pair mapping: min-G keeps one device of each pair at G_off, avg centres the pair; the largest weight spans the window; backward matches finite differences", () => {
  const w = Float64Array.from([0.5, -1, 0.25, 0]);
  const kG = conductanceScale(WINDOW, 1);
  const g = pairConductances(w, 2, 2, WINDOW, kG, "min-G");
  assert.deepEqual(
    Array.from(g, (x) => +(x * 1e6).toFixed(6)),
    [55, 10, 10, 100, 32.5, 10, 10, 10],
  );
  const a = pairConductances(w, 2, 2, WINDOW, kG, "avg");
  for (let q = 0; q < 4; q++) assertClose(a[2 * q] - a[2 * q + 1], kG * w[q], 1e-12, `avg pair ${q}`);
  for (let q = 0; q < 4; q++)
    assertClose(a[2 * q] + a[2 * q + 1], WINDOW.gOffSiemens + WINDOW.gOnSiemens, 1e-12, `avg sum ${q}`);
  const r = rng(1);
  const w2 = uniform(r, 6, -1, 1),
    c = uniform(r, 12, -1, 1);
  for (const rule of ["min-G", "avg"] as const) {
    const loss = (x: Float64Array) => pairConductances(x, 2, 3, WINDOW, kG, rule).reduce((s, v, q) => s + c[q] * v, 0);
    const dW = pairConductancesBackward(w2, c, 2, 3, kG, rule);
    for (let i = 0; i < 6; i++) assertClose(dW[i], fd(loss, w2, i), 1e-6, `${rule} dW[${i}]`);
  }
  assert.throws(
    () => pairConductances(w, 2, 2, { gOffSiemens: 1e-4, gOnSiemens: 1e-5 }, kG, "min-G"),
    /need 0 < gOffSiemens < gOnSiemens/,
  );
  assert.throws(() => pairConductances(w, 2, 2, WINDOW, kG, "max" as never), /unknown pair rule "max"/);
  assert.throws(() => pairConductances(w, 3, 2, WINDOW, kG, "min-G"), /weights have 4 entries, expected 3×2/);
});

test("scale gradient: with k_G = (G_on − G_off)/max|W|, pairConductancesBackward + pairScaleGradient·∂k_G/∂W match finite differences of both rules; double weights likewise", () => {
  const r = rng(2);
  const w = uniform(r, 12, -1, 1),
    c = uniform(r, 24, -1, 1),
    c1 = uniform(r, 12, -1, 1);
  const top = w.reduce((m, x, i) => (Math.abs(x) > Math.abs(w[m]) ? i : m), 0);
  for (const rule of ["min-G", "avg"] as const) {
    const loss = (x: Float64Array) =>
      pairConductances(x, 3, 4, WINDOW, conductanceScale(WINDOW, maxAbs(x)), rule).reduce((s, v, q) => s + c[q] * v, 0);
    const kG = conductanceScale(WINDOW, maxAbs(w));
    const dW = pairConductancesBackward(w, c, 3, 4, kG, rule);
    dW[top] += pairScaleGradient(w, c, 3, 4, rule) * (-kG / Math.abs(w[top])) * Math.sign(w[top]);
    for (let i = 0; i < 12; i++) assertClose(dW[i], fd(loss, w, i), 1e-6, `${rule} dW[${i}]`);
  }
  const d = Float64Array.from(w, Math.abs);
  const lossD = (x: Float64Array) =>
    doubleConductances(x, WINDOW, conductanceScale(WINDOW, maxAbs(x))).reduce((s, v, q) => s + c1[q] * v, 0);
  const kD = conductanceScale(WINDOW, maxAbs(d));
  const dD = Float64Array.from(c1, (x) => kD * x);
  dD[top] += doubleScaleGradient(d, c1) * (-kD / d[top]);
  for (let i = 0; i < 12; i++) assertClose(dD[i], fd(lossD, d, i), 1e-6, `double dD[${i}]`);
  // 0 ↦ G_off, the largest ↦ G_on; negative or non-finite weights have no device state
  assert.deepEqual(
    Array.from(doubleConductances([0, 2, 1], WINDOW, conductanceScale(WINDOW, 2)), (x) => +(x * 1e6).toFixed(6)),
    [10, 100, 55],
  );
  assert.throws(() => doubleConductances([0, -0.5], WINDOW, 1), /entry 1 is -0.5; each must be a finite number ≥ 0/);
  assert.throws(() => doubleConductances([0, NaN], WINDOW, 1), /entry 1 is NaN/);
  assert.throws(() => doubleConductances([1], WINDOW, -1), /k_G must be finite and ≥ 0, got -1/);
  assert.deepEqual(Array.from(doubleConductances([0, 0], WINDOW, 0)), [1e-5, 1e-5], "k_G = 0: every device at G_off");
  assert.throws(() => doubleScaleGradient([1, 2], [1]), /dG has 1 entries for 2 double weights/);
});

test("per-tensor mappings: min-G pairs with any offset, weights read back from pairs; single column spreads [lowest, highest] over the window and back; checks name the problem", () => {
  const w = Float64Array.from([0.5, -1, 0.25, 0]);
  const kG = conductanceScale(WINDOW, 1);
  assert.deepEqual(
    offsetPairConductances(w, 2, 2, WINDOW.gOffSiemens, kG),
    pairConductances(w, 2, 2, WINDOW, kG, "min-G"),
    "min-G is the offset G_off",
  );
  const code = offsetPairConductances(w, 4, 1, -9e-5, 2 * kG);
  assert.deepEqual(
    Array.from(code, (x) => +(x * 1e6).toFixed(6)),
    [0, -90, -90, 90, -45, -90, -90, -90],
    "an offset below zero, as Drolet et al.'s code maps",
  );
  for (const g of [code, pairConductances(w, 2, 2, WINDOW, kG, "avg")]) {
    const back = pairWeights(g, 2, 2, g === code ? 2 * kG : kG);
    assert.equal(back.length, 4);
    back.forEach((x, i) => assertClose(x, w[i], 1e-12, `pair weight ${i}`));
  }
  const m = singleMapping([1, 3, 2, 1.5], WINDOW);
  assert.deepEqual(m, { lowestWeight: 1, kG: (WINDOW.gOnSiemens - WINDOW.gOffSiemens) / 2 });
  const g = singleConductances([1, 3, 2, 1.5], WINDOW, m);
  assert.deepEqual(
    Array.from(g, (x) => +(x * 1e6).toFixed(6)),
    [10, 100, 55, 32.5],
  );
  assert.deepEqual(
    Array.from(singleWeights([1e-5, 5.5e-5], WINDOW, m), (x) => +x.toFixed(12)),
    [1, 2],
  );
  assert.deepEqual(
    singleMapping([-2, -2], WINDOW),
    { lowestWeight: -2, kG: WINDOW.gOnSiemens - WINDOW.gOffSiemens },
    "a constant tensor: all at G_off",
  );
  assert.throws(
    () => offsetPairConductances(w, 2, 2, NaN, kG),
    /pair mapping: base NaN S and slopes .* must be finite/,
  );
  assert.throws(() => offsetPairConductances(w, 3, 1, 0, kG), /weights have 4 entries, expected 3×1/);
  assert.throws(() => pairWeights(code, 2, 1, kG), /pairs have 8 conductances, expected 2×2/);
  assert.throws(() => pairWeights(code, 4, 1, 0), /k_G must be finite and > 0, got 0/);
  assert.throws(() => singleMapping([], WINDOW), /no weights/);
  assert.throws(() => singleMapping([1, Infinity], WINDOW), /entry 1 is Infinity/);
  assert.throws(() => singleMapping([1, 2], { gOffSiemens: 0, gOnSiemens: 1e-4 }), /need 0 < gOffSiemens < gOnSiemens/);
  // a given mapping whose scale is 0 or not finite is refused both ways (before: NaN/∞ weights, or all at G_off)
  for (const kG of [0, -1e-4, NaN, Infinity]) {
    assert.throws(() => singleWeights([1e-5], WINDOW, { lowestWeight: 0, kG }), /single-column weights: the scale k_G/);
    assert.throws(
      () => singleConductances([1], WINDOW, { lowestWeight: 0, kG }),
      /single-column mapping: the scale k_G/,
    );
  }
  assert.throws(() => singleWeights([1e-5], WINDOW, { lowestWeight: NaN, kG: 1 }), /the lowest weight must be finite/);
  assert.throws(() => singleWeights([NaN], WINDOW, m), /single-column weights: conductance 0 is NaN S/);
});

test("mapping helpers with worked numbers: ∂L/∂W of each rule (at w = 0 min-G takes the mean of its one-sided slopes), the [out][in] → [in][out] transpose, the scale of all-zero weights, window and entry checks", () => {
  const kG = 2;
  const dG = [1, 10, 2, 20, 3, 30];
  assert.deepEqual(Array.from(pairConductancesBackward([0.5, -1, 0], dG, 1, 3, kG, "min-G")), [2, -40, -27]);
  assert.deepEqual(Array.from(pairConductancesBackward([0.5, -1, 0], dG, 1, 3, kG, "avg")), [-9, -18, -27]);
  assert.deepEqual(
    Array.from(pairConductancesBackward([0.5, -1, 0], dG, 1, 3, kG, "min-G", "zero")),
    [2, -40, 0],
    "TensorFlow's relu slope at the kink",
  );
  assert.deepEqual(
    Array.from(pairConductancesBackward([0.5, -1, 0], dG, 1, 3, kG, "avg", "zero")),
    [-9, -18, -27],
    "avg has no kink",
  );
  assert.throws(
    () => pairConductancesBackward([0.5, -1, 0], dG, 1, 3, kG, "min-G", "half" as never),
    /unknown kink slope "half"/,
  );
  assert.throws(
    () => pairConductancesBackward([0.5, -1, 0], dG.slice(1), 1, 3, kG, "min-G"),
    /dG has 5 entries, expected 1×6/,
  );
  // the rules as coefficients G± = base + linear·(±w) + rectified·max(±w, 0), the form the kernels evaluate
  assert.deepEqual(pairCoefficients("min-G", WINDOW, 2), { baseSiemens: 1e-5, linear: 0, rectified: 2 });
  assert.deepEqual(pairCoefficients("avg", WINDOW, 2), { baseSiemens: 5.5e-5, linear: 1, rectified: 0 });
  assert.deepEqual(Array.from(coefficientPairs([0.5, -1], 1, 2, { baseSiemens: 1, linear: 2, rectified: 4 })), [
    1 + 1 + 2,
    1 - 1,
    1 - 2,
    1 + 2 + 4,
  ]);
  assert.throws(() => pairCoefficients("max" as never, WINDOW, 2), /unknown pair rule "max"/);
  assert.deepEqual([kinkFactor("mean"), kinkFactor("zero")], [0.5, 0]);
  assert.throws(() => kinkFactor("half" as never), /unknown kink slope "half": use mean or zero/);
  // ∂L/∂k_G: min-G 1·0.5 + 20·1 + 0 = 20.5; avg ((1 − 10)·0.5 + (2 − 20)·(−1) + 0)/2 = 6.75
  assert.equal(pairScaleGradient([0.5, -1, 0], dG, 1, 3, "min-G"), 20.5);
  assert.equal(pairScaleGradient([0.5, -1, 0], dG, 1, 3, "avg"), 6.75);
  assert.throws(() => pairScaleGradient([0.5, -1], dG, 1, 3, "avg"), /weights have 2 entries, expected 1×3/);
  assert.throws(() => pairScaleGradient([0.5, -1, 0], dG.slice(1), 1, 3, "min-G"), /dG has 5 entries, expected 1×6/);
  assert.throws(() => pairConductances([1], 1, 1, WINDOW, Infinity, "avg"), /k_G must be finite, got Infinity/);
  assert.deepEqual(Array.from(fromOutIn([1, 2, 3, 4, 5, 6], 2, 3)), [1, 4, 2, 5, 3, 6]);
  assert.throws(() => fromOutIn([1, 2, 3], 2, 3), /weights have 3 entries, expected 2×3/);
  // all-zero weights have no scale: refused (as the tfjs and fused Joksas engines refuse them), not k_G = 0
  assert.throws(() => conductanceScale(WINDOW, 0), /k_G = \(G_on − G_off\)\/max\|W\| is Infinity .* of 0: .* all 0/);
  assert.throws(
    () => conductanceScale(WINDOW, 1e-320),
    /is Infinity S per weight unit for a largest \|weight\| of 1e-320/,
  );
  assert.equal(conductanceScale(WINDOW, 1e-300), (WINDOW.gOnSiemens - WINDOW.gOffSiemens) / 1e-300);
  assert.equal(maxAbs([-3, 2]), 3);
  assert.throws(() => maxAbs([1, NaN]), /entry 1 is NaN, not a finite number/);
  assert.throws(() => checkWindow({ gOffSiemens: 1e-5, gOnSiemens: 1e-5 }), /need 0 < gOffSiemens < gOnSiemens/);
  checkWindow(WINDOW);
});

const CIRCUITS: Array<[string, TileCircuit]> = [
  ["ideal wires", { wordSegmentOhm: 0, bitSegmentOhm: 0 }],
  ["word-line resistance only", { wordSegmentOhm: 20, bitSegmentOhm: 0 }],
  ["bit-line resistance only", { wordSegmentOhm: 0, bitSegmentOhm: 20 }],
  [
    "wires, driver and sensing resistance (Gauss–Seidel)",
    { wordSegmentOhm: 15, bitSegmentOhm: 25, sourceOhm: 40, outputOhm: 30 },
  ],
  [
    "wires, driver and sensing resistance (direct)",
    { wordSegmentOhm: 15, bitSegmentOhm: 25, sourceOhm: 40, outputOhm: 30, engine: "direct" },
  ],
];

test("circuit tile: currents equal V·G with ideal wires; adjoint ∂L/∂G and ∂L/∂V match finite differences with and without line resistance", () => {
  const r = rng(2);
  const m = 5,
    n = 4,
    batch = 3;
  const g = uniform(r, m * n, 1e-5, 1e-4),
    v = uniform(r, batch * m, -0.3, 0.3),
    c = uniform(r, batch * n, -1, 1);
  const ideal = new CircuitTile(g, m, n, CIRCUITS[0][1]).forward(v, batch).currents;
  const vg = idealCurrents(
    Array.from({ length: batch }, (_, k) => Array.from(v.subarray(k * m, (k + 1) * m))),
    Array.from({ length: m }, (_, i) => Array.from(g.subarray(i * n, (i + 1) * n))),
  );
  for (let k = 0; k < batch; k++)
    for (let j = 0; j < n; j++) assertClose(ideal[k * n + j], vg[k][j], 1e-12, `ideal current [${k}][${j}]`);
  for (const [name, circuit] of CIRCUITS) {
    // a loss with curvature in I, so that ∂L/∂I differs per input
    const lossOf = (gg: Float64Array, vv: Float64Array) =>
      new CircuitTile(gg, m, n, circuit)
        .forward(vv, batch)
        .currents.reduce((s, i, q) => s + c[q] * i * 1e4 + (i * 1e4) ** 2, 0);
    const tile = new CircuitTile(g, m, n, circuit);
    const f = tile.forward(v, batch);
    const dI = Float64Array.from(f.currents, (i, q) => c[q] * 1e4 + 2 * 1e8 * i);
    const b = tile.backward(f, dI);
    for (let q = 0; q < m * n; q++)
      assertClose(
        b.dConductances[q],
        fd((x) => lossOf(x, v), g, q),
        1e-6,
        `${name}: ∂L/∂G[${q}]`,
      );
    for (let q = 0; q < batch * m; q++)
      assertClose(
        b.dVoltages[q],
        fd((x) => lossOf(g, x), v, q),
        1e-6,
        `${name}: ∂L/∂V[${q}]`,
      );
  }
});

test("Poole–Frenkel tile: Newton forward; adjoint through the converged Jacobian gives ∂L/∂c and ∂L/∂V that match finite differences, with and without line resistance", () => {
  const r = rng(5);
  const m = 3,
    n = 4,
    batch = 2,
    N = m * n;
  const c = uniform(r, N, 2e-6, 8e-6),
    deps = uniform(r, N, 2e-19, 6e-19);
  const v = uniform(r, batch * m, 0.05, 0.5),
    w = uniform(r, batch * n, -1, 1);
  const a = ELEMENTARY_CHARGE_COULOMB / (BOLTZMANN_JOULE_PER_KELVIN * ROOM_TEMPERATURE_KELVIN);
  const lawOf = (cc: Float64Array) =>
    expressionLaw(
      "c * V * exp(a * sqrt(q * abs(V) / (pi * deps)))",
      { c: cc, deps, a, q: ELEMENTARY_CHARGE_COULOMB },
      N,
    );
  for (const [name, circuit] of [CIRCUITS[0], CIRCUITS[3], CIRCUITS[4]]) {
    const tileOf = (cc: Float64Array) => new CircuitTile(cc, m, n, circuit, { law: lawOf(cc) });
    const lossOf = (cc: Float64Array, vv: Float64Array) =>
      tileOf(cc)
        .forward(vv, batch)
        .currents.reduce((s, i, q) => s + w[q] * i * 1e5 + (i * 1e5) ** 2, 0);
    const tile = tileOf(c);
    const f = tile.forward(v, batch);
    const b = tile.backward(
      f,
      Float64Array.from(f.currents, (i, q) => w[q] * 1e5 + 2e10 * i),
      lawOf(c).parameterSensitivity("c"),
    );
    for (let q = 0; q < N; q++)
      assertClose(
        b.dConductances[q],
        fd((x) => lossOf(x, v), c, q),
        1e-5,
        `${name}: ∂L/∂c[${q}]`,
      );
    for (let q = 0; q < batch * m; q++)
      assertClose(
        b.dVoltages[q],
        fd((x) => lossOf(c, x), v, q),
        1e-5,
        `${name}: ∂L/∂V[${q}]`,
      );
  }
  assert.throws(
    () => new CircuitTile(c, m, n, CIRCUITS[0][1], { law: expressionLaw("c * V", { c: 1 }, 5) }),
    /the current law describes 5 devices, the tile has 3 × 4/,
  );
  assert.throws(() => lawOf(c).parameterSensitivity("x"), /no parameter "x"/);
});

test("circuit tile: power balances (sources = devices + wires + driver/sensing resistors) and wire losses vanish with ideal wires", () => {
  const r = rng(3);
  const g = uniform(r, 12, 1e-5, 1e-4),
    v = uniform(r, 8, 0, 0.5);
  for (const [name, circuit] of CIRCUITS) {
    const tile = new CircuitTile(g, 4, 3, circuit);
    const p = tile.power(tile.forward(v, 2));
    for (let k = 0; k < 2; k++) {
      const parts = p.devicesWatt[k] + p.wiresWatt[k] + p.sourceResistorsWatt[k];
      assertClose(p.sourcesWatt[k], parts, 1e-9, `${name}: power balance, input ${k}`);
    }
    if (name === "ideal wires") assert.deepEqual(Array.from(p.wiresWatt), [0, 0]);
  }
  assert.throws(
    () => new CircuitTile(g, 4, 3, { wordSegmentOhm: -1, bitSegmentOhm: 0 }),
    /wordSegmentOhm must be a finite number >= 0/,
  );
  assert.throws(
    () => new CircuitTile(g, 4, 3, { wordSegmentOhm: 0, bitSegmentOhm: 0 }).forward(v, 3),
    /8 voltages for a batch of 3 × 4 word lines/,
  );
});

test("dense layer on tiles: ideal wires give [x, 1]·W exactly for any tiling; ∂L/∂W and ∂L/∂x match finite differences across tiles, both pair rules", () => {
  const r = rng(4);
  const inDim = 5,
    outDim = 3,
    batch = 2;
  const w = uniform(r, (inDim + 1) * outDim, -1, 1);
  // a unique largest weight, left out of the finite differences (k_G follows max|W| and is held fixed in the gradient)
  w[4] = 1.5;
  const x = uniform(r, batch * inDim, -1, 1),
    c = uniform(r, batch * outDim, -1, 1);
  const base: CrossbarLayerConfig = {
    ...WINDOW,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 4,
    tileCols: 4,
  };
  const ideal = new CrossbarDenseLayer(w, inDim, outDim, base);
  assert.equal(ideal.tileCount, 4, "6 word lines in tiles of 4 × 3 outputs in pairs of 2 → 2 × 2 tiles");
  const y = ideal.forward(x, batch).y;
  for (let k = 0; k < batch; k++)
    for (let o = 0; o < outDim; o++) {
      let want = w[inDim * outDim + o];
      for (let i = 0; i < inDim; i++) want += x[k * inDim + i] * w[i * outDim + o];
      assertClose(y[k * outDim + o], want, 1e-10, `ideal y[${k}][${o}]`);
    }
  const shuffled = [5, 2, 0, 4, 1, 3];
  const ys = new CrossbarDenseLayer(w, inDim, outDim, { ...base, wordLineOrder: shuffled }).forward(x, batch).y;
  ys.forEach((v, q) => assertClose(v, y[q], 1e-10, `ideal wires: the word-line order changes nothing (y[${q}])`));
  for (const [rule, order] of [
    ["min-G", undefined],
    ["avg", undefined],
    ["min-G", shuffled],
  ] as const) {
    const cfg: CrossbarLayerConfig = {
      ...base,
      rule,
      wordSegmentOhm: 30,
      bitSegmentOhm: 30,
      sourceOhm: 50,
      wordLineOrder: order,
    };
    const lossOf = (ww: Float64Array, xx: Float64Array) =>
      new CrossbarDenseLayer(ww, inDim, outDim, cfg).forward(xx, batch).y.reduce((s, v, q) => s + c[q] * v + v * v, 0);
    const layer = new CrossbarDenseLayer(w, inDim, outDim, cfg);
    const f = layer.forward(x, batch);
    const b = layer.backward(
      f,
      Float64Array.from(f.y, (v, q) => c[q] + 2 * v),
    );
    for (let q = 0; q < w.length; q++)
      if (q !== 4)
        assertClose(
          b.dWeights[q],
          fd((ww) => lossOf(ww, x), w, q),
          1e-5,
          `${rule}: ∂L/∂W[${q}]`,
        );
    for (let q = 0; q < x.length; q++)
      assertClose(
        b.dInputs[q],
        fd((xx) => lossOf(w, xx), x, q),
        1e-5,
        `${rule}: ∂L/∂x[${q}]`,
      );
    // line resistance costs accuracy: the outputs move away from the ideal ones
    assert.ok(
      f.y.some((v, q) => Math.abs(v - y[q]) > 1e-3),
      `${rule}: 30 Ω segments change the outputs`,
    );
    if (order) {
      const natural = new CrossbarDenseLayer(w, inDim, outDim, { ...cfg, wordLineOrder: undefined }).forward(
        x,
        batch,
      ).y;
      assert.ok(
        f.y.some((v, q) => Math.abs(v - natural[q]) > 1e-6),
        "with line resistance the word-line order matters",
      );
      assert.deepEqual(Array.from(layer.order), shuffled);
    }
  }
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, { ...base, wordLineOrder: [0, 1, 2, 3, 4] }),
    /wordLineOrder has 5 entries for 6 word lines/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, { ...base, wordLineOrder: [0, 1, 2, 3, 4, 4] }),
    /permutation of 0…5: entry 5 is 4 \(repeated\)/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, { ...base, wordLineOrder: [0, 1, 2, 3, 4, 6] }),
    /entry 5 is 6/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(w, inDim, outDim, { ...base, tileCols: 3 }),
    /tileCols must be an even integer/,
  );
  assert.throws(
    () => new CrossbarDenseLayer(w.subarray(1), inDim, outDim, base),
    /expected \(in \+ 1\) × out = 18 \(the last row is the bias\)/,
  );
  assert.throws(() => ideal.forward(Float64Array.from([NaN, 0, 0, 0, 0]), 1), /input \[0\]\[0\] is NaN/);
});

test("a dense layer's scale at W → 0: a tiny largest weight keeps the true gradient xᵀ·dy, all-zero weights are refused", () => {
  const inDim = 2,
    outDim = 2,
    batch = 1;
  const cfg: CrossbarLayerConfig = {
    ...WINDOW,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 8,
    tileCols: 8,
  };
  const x = [0.3, -0.7],
    dy = [1, -2];
  const tiny = new Float64Array((inDim + 1) * outDim);
  tiny[0] = 1e-300;
  const layer = new CrossbarDenseLayer(tiny, inDim, outDim, cfg);
  const dW = layer.backward(layer.forward(x, batch), dy).dWeights;
  const want = [x[0] * dy[0], x[0] * dy[1], x[1] * dy[0], x[1] * dy[1], dy[0], dy[1]];
  dW.forEach((g, q) => assertClose(g, want[q], 1e-9, `∂L/∂W[${q}] at W ≈ 0`));
  // before, all-zero weights took k_G = 0 and returned ∂L/∂W = 0 everywhere: the gradient jumped at W = 0
  assert.throws(
    () => new CrossbarDenseLayer(new Float64Array((inDim + 1) * outDim), inDim, outDim, cfg),
    /k_G = \(G_on − G_off\)\/max\|W\| is Infinity S per weight unit for a largest \|weight\| of 0/,
  );
});

test("dense layer with a device law in G: G·V is the ohmic layer; a Poole–Frenkel-like law gives ∂L/∂W and ∂L/∂x through ∂I/∂G that match finite differences across tiles", () => {
  const r = rng(14);
  const inDim = 5,
    outDim = 3,
    batch = 2;
  const w = uniform(r, (inDim + 1) * outDim, -1, 1);
  w[7] = -1.5; // the unique largest weight sets k_G (held fixed in the gradient)
  const x = uniform(r, batch * inDim, 0, 1),
    c = uniform(r, batch * outDim, -1, 1);
  const cfg: CrossbarLayerConfig = {
    ...WINDOW,
    readVoltageVolt: 0.3,
    wordSegmentOhm: 40,
    bitSegmentOhm: 40,
    tileRows: 4,
    tileCols: 4,
  };
  const ohmic = new CrossbarDenseLayer(w, inDim, outDim, cfg);
  const linear = new CrossbarDenseLayer(w, inDim, outDim, { ...cfg, deviceLaw: { expression: "G * V" } });
  const fo = ohmic.forward(x, batch),
    fl = linear.forward(x, batch);
  fl.y.forEach((v, q) => assertClose(v, fo.y[q], 1e-9, `G·V law: y[${q}]`));
  const dy = Float64Array.from(fo.y, (_, q) => c[q]);
  const bo = ohmic.backward(fo, dy),
    bl = linear.backward(fl, dy);
  bl.dWeights.forEach((v, q) => assertClose(v, bo.dWeights[q], 1e-7, `G·V law: ∂L/∂W[${q}]`));
  const pf: CrossbarLayerConfig = {
    ...cfg,
    deviceLaw: { expression: "G * V * exp(a * sqrt(abs(V)))", parameters: { a: 1.5 } },
  };
  const lossOf = (ww: Float64Array, xx: Float64Array) =>
    new CrossbarDenseLayer(ww, inDim, outDim, pf).forward(xx, batch).y.reduce((s, v, q) => s + c[q] * v + v * v, 0);
  const layer = new CrossbarDenseLayer(w, inDim, outDim, pf);
  const f = layer.forward(x, batch);
  assert.ok(
    f.y.some((v, q) => Math.abs(v - fo.y[q]) > 1e-3),
    "the nonlinear law changes the outputs",
  );
  const b = layer.backward(
    f,
    Float64Array.from(f.y, (v, q) => c[q] + 2 * v),
  );
  for (let q = 0; q < w.length; q++)
    if (q !== 7)
      assertClose(
        b.dWeights[q],
        fd((ww) => lossOf(ww, x), w, q),
        1e-5,
        `law: ∂L/∂W[${q}]`,
      );
  for (let q = 0; q < x.length; q++)
    assertClose(
      b.dInputs[q],
      fd((xx) => lossOf(w, xx), x, q),
      1e-5,
      `law: ∂L/∂x[${q}]`,
    );
  assert.throws(
    () =>
      new CrossbarDenseLayer(w, inDim, outDim, { ...cfg, deviceLaw: { expression: "c * V", parameters: { c: 1e-5 } } }),
    /does not use G, the mapped conductance/,
  );
  assert.throws(
    () =>
      new CrossbarDenseLayer(w, inDim, outDim, { ...cfg, deviceLaw: { expression: "G * V", parameters: { G: 1 } } }),
    /"G" is the mapped conductance of each device/,
  );
});

test("a tile takes only its own forward passes: another tile's, even of another shape, is refused", () => {
  const circuit = { wordSegmentOhm: 1, bitSegmentOhm: 1 };
  const a = new CircuitTile(new Float64Array(9).fill(1e-5), 3, 3, circuit);
  const b = new CircuitTile(new Float64Array(4).fill(1e-5), 2, 2, circuit);
  const fa = a.forward(new Float64Array(3).fill(0.1), 1);
  assert.throws(
    () => b.power(fa),
    /tile power: this forward pass was made by another tile \(3 × 3; this one is 2 × 2\)/,
  );
  assert.throws(() => b.backward(fa, new Float64Array(2)), /tile backward: this forward pass was made by another tile/);
  const twin = new CircuitTile(new Float64Array(9).fill(1e-5), 3, 3, circuit);
  assert.throws(() => twin.power(fa), /made by another tile/, "same shape and values, still another array");
  assert.ok(a.power(fa).wiresWatt[0] > 0);
  assert.equal(a.backward(fa, new Float64Array(3).fill(1)).dVoltages.length, 3);
});

test("pair and single mappings never leave the window quietly: k_G too large or negative, weights past the maximum, NaN", () => {
  const win = { gOffSiemens: 1e-6, gOnSiemens: 1e-5 };
  const w = [0.5, -1, 0.25];
  const kG = conductanceScale(win, 1);
  for (const rule of ["min-G", "avg"] as const) {
    const g = pairConductances(w, 1, 3, win, kG, rule);
    assert.ok(
      g.every((x) => x >= win.gOffSiemens * (1 - 1e-12) && x <= win.gOnSiemens * (1 + 1e-12)),
      rule,
    );
    assert.throws(() => pairConductances(w, 1, 3, win, 2 * kG, rule), /maps to .* S, outside the window .* too large/);
    assert.throws(() => pairConductances([0.5, -2, 0], 1, 3, win, kG, rule), /weight -2 at entry 1 maps to/);
    assert.throws(() => pairConductances(w, 1, 3, win, -kG, rule), /k_G must be >= 0, got -/);
  }
  const m = singleMapping([0, 1], win);
  assert.throws(() => singleConductances([0.5, NaN], win, m), /weight 1 is NaN, not a finite number/);
});

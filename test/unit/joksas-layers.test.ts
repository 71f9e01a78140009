import { test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/runtime/backend";
import { rng } from "../../lib/runtime/random";
import { JOKSAS_SETUPS, PF_HIGH, PF_LOW, deviceSetup } from "../../lib/devices/joksas";
import { pooleFrenkelCurrent } from "../../lib/devices/poole-frenkel";
import { sampleKde } from "../../lib/devices/draws";
import {
  activeRows,
  crossbarCurrents,
  disturb,
  powerFromDeviceCurrents,
  mapDouble,
  mapStandard,
  maxOf,
  memristiveForward,
  pfSeriesTerms,
  pooleFrenkelCoefficients,
  pooleFrenkelLogParameters,
} from "../../lib/training/memristive";
import { conductanceScale, maxAbs, pairConductances } from "../../lib/tile/mapping";
import {
  MemristiveMlp,
  crossEntropy,
  efficiencyTopsPerWatt,
  evaluate,
  trainMemristiveMlp,
  joksasTraining,
} from "../../lib/training/memristive-mlp";
import { mnistSplits, parseIdx, readIdxPair, idxMnist } from "../../lib/data/mnist";

before(async () => {
  await initBackend();
});

const arr = (t: tf.Tensor) => Array.from(t.dataSync());
const close = (a: number[], b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  a.forEach((x, i) =>
    assert.ok(Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${x} vs ${b[i]}`),
  );
};

test("§4.7 standard mapping (min-G rule): worked examples", () => {
  const a = mapStandard(
    tf.tensor2d([
      [3.75, 2.5, -5],
      [-2.5, 0, 1.25],
    ]),
    2,
    10,
  );
  close(arr(a.kG), [1.6], 1e-6, "k_G");
  close(arr(a.g), [8, 2, 6, 2, 2, 10, 2, 6, 2, 2, 4, 2], 1e-6, "G");
  const b = mapStandard(tf.tensor2d([[4], [-2]]), 3, 5);
  close(arr(b.g), [5, 3, 3, 4], 1e-6, "G");
  // blocked layout holds the same devices, positive block first
  const c = mapStandard(tf.tensor2d([[4], [-2]]), 3, 5, "min-G", "blocked");
  close(arr(c.g), [5, 3, 3, 4], 1e-6, "G blocked (one neuron: same order)");
  assert.throws(() => mapStandard(tf.tensor2d([[1]]), 1, 2, "median" as never), /unknown pair rule "median"/);
  assert.throws(
    () => mapStandard(tf.tensor2d([[0, 0]]), 1, 2),
    /memristive layer \[1×2\]: k_G is Infinity .*the largest \|weight\| is 0/,
  );
  assert.throws(() => mapDouble(tf.tensor2d([[0, 0]]), 1, 2), /memristive layer \[1×2\]: k_G is Infinity/);
  assert.throws(
    () => mapDouble(tf.tensor2d([[1, -1]]), 1, 2),
    /double weights: entry 1 is -1; each must be a finite number ≥ 0/,
  );
  assert.throws(() => mapStandard(tf.tensor2d([[1]]), 2, 1), /memristive layer: need 0 < gOffSiemens < gOnSiemens/);
});

test("§4.2 avg rule is symmetric about the mid conductance and spans the window", () => {
  const m = mapStandard(tf.tensor2d([[2, -1]]), 2, 10, "avg");
  // k_G = 4: G_eff = [8, -4] -> G+ = 6 + G_eff/2, G- = 6 - G_eff/2
  close(arr(m.g), [10, 2, 4, 8], 1e-6, "G avg");
});

test("the tfjs mapping is the tile's as a tfjs op: values and k_G in either column layout; its gradient (k_G's through max|W| included) matches finite differences, with TensorFlow's zero slope at the min-G kink", () => {
  const r = rng("tile-vs-tfjs");
  const rows = 7,
    cols = 5;
  const w = Float64Array.from({ length: rows * cols }, () => r.uniform(-2, 2));
  w[3] = 0; // a weight at the kink (a zero-initialised bias)
  const window = { gOffSiemens: 2e-5, gOnSiemens: 3e-4 };
  const c = Float64Array.from({ length: rows * 2 * cols }, () => r.uniform(-1, 1));
  for (const rule of ["min-G", "avg"] as const) {
    const kG = conductanceScale(window, maxAbs(w));
    const tile = pairConductances(w, rows, cols, window, kG, rule);
    for (const layout of ["interleaved", "blocked"] as const) {
      const at = (q: number) =>
        layout === "interleaved"
          ? q
          : Math.floor(q / (2 * cols)) * 2 * cols + (q % 2) * cols + Math.floor((q % (2 * cols)) / 2);
      const tfMap = mapStandard(
        tf.tensor2d(Array.from(w), [rows, cols]),
        window.gOffSiemens,
        window.gOnSiemens,
        rule,
        layout,
      );
      assert.ok(Math.abs(tfMap.kG.dataSync()[0] - kG) <= 1e-6 * kG, `${rule}: k_G`);
      const g = tfMap.g.dataSync();
      tile.forEach((v, q) =>
        assert.ok(
          Math.abs(g[at(q)] - v) <= 1e-6 * window.gOnSiemens,
          `${rule} ${layout}: device ${q}: tfjs ${g[at(q)]}, tile ${v}`,
        ),
      );
      // L = Σ c_q·G_q (c in the tile's order) through tfjs, against central differences of the float64 mapping
      const cLaid = new Float32Array(c.length);
      c.forEach((x, q) => (cLaid[at(q)] = x));
      const grad = tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) =>
            tf.sum(
              tf.mul(
                mapStandard(x as tf.Tensor2D, window.gOffSiemens, window.gOnSiemens, rule, layout).g,
                tf.tensor2d(cLaid, [rows, 2 * cols]),
              ),
            ),
          )(tf.tensor2d(Array.from(w), [rows, cols]))
          .dataSync(),
      );
      const loss = (x: Float64Array) =>
        pairConductances(x, rows, cols, window, conductanceScale(window, maxAbs(x)), rule).reduce(
          (s, v, q) => s + c[q] * v,
          0,
        );
      for (let i = 0; i < w.length; i++) {
        if (i === 3 && rule === "min-G") {
          assert.equal(grad[i], 0, "min-G at w = 0: TensorFlow's relu slope, so a zero bias stays at zero");
          continue;
        }
        const h = 1e-4,
          up = Float64Array.from(w),
          dn = Float64Array.from(w);
        up[i] += h;
        dn[i] -= h;
        const want = (loss(up) - loss(dn)) / (2 * h);
        assert.ok(
          Math.abs(grad[i] - want) <= 2e-3 * Math.max(Math.abs(want), 1e-6),
          `${rule} ${layout}: ∂L/∂w[${i}] tfjs ${grad[i]}, finite difference ${want}`,
        );
      }
    }
  }
});

test("§4.7 double-weights mapping: worked examples", () => {
  close(
    arr(
      mapDouble(
        tf.tensor2d([
          [3.75, 2.5, 5, 2.5],
          [2.5, 0, 0, 1.25],
        ]),
        2,
        10,
      ).g,
    ),
    [8, 6, 10, 6, 6, 2, 2, 4],
    1e-6,
    "G",
  );
  close(
    arr(
      mapDouble(
        tf.tensor2d([
          [8, 0],
          [2, 0],
        ]),
        1,
        3,
      ).g,
    ),
    [3, 1, 1.5, 1],
    1e-6,
    "G",
  );
});

test("§4.7 ideal round trip: ohmic crossbar without disturbances returns x·W exactly (both weight kinds, any window and k_V)", () => {
  const W = tf.tensor2d([
    [0.3, -1.2, 0.8],
    [2.0, 0.1, -0.4],
  ]);
  const bias = tf.tensor1d([0.5, -0.25, 0]);
  const X = tf.tensor2d([
    [1, -1],
    [2, 0],
    [0, -0.5],
  ]);
  const expected = arr(tf.add(tf.matMul(X, W), bias));
  for (const [gOff, gOn] of [
    [1e-6, 5e-6],
    [2, 10],
  ]) {
    for (const kV of [0.4, 2]) {
      const setup = {
        ...deviceSetup({ id: "t", name: "t", gOffSiemens: gOff, gOnSiemens: gOn, readVoltageVolt: kV }, []),
      };
      for (const rule of ["min-G", "avg"] as const) {
        const y = memristiveForward(X, { kind: "standard", w: W, b: bias, rule }, setup, rng(1)).y;
        close(arr(y), expected, 1e-5, `standard ${rule} gOff=${gOff} kV=${kV}`);
      }
      const wp = tf.relu(W),
        wm = tf.relu(tf.neg(W));
      const y = memristiveForward(
        X,
        {
          kind: "double",
          wPlus: tf.add(wp, 0.3) as tf.Tensor2D,
          wMinus: tf.add(wm, 0.3) as tf.Tensor2D,
          bPlus: tf.add(tf.relu(bias), 1) as tf.Tensor1D,
          bMinus: tf.add(tf.relu(tf.neg(bias)), 1) as tf.Tensor1D,
        },
        setup,
        rng(1),
      ).y;
      close(arr(y), expected, 1e-5, `double gOff=${gOff} kV=${kV}`);
    }
  }
});

test("§4.7/§6 power: Σ|V|·|I| per example, worked examples 19 and 5.5", () => {
  // Ohmic currents with I_ind = V_i·G_ij reproduce the spec's per-device current arrays where possible;
  // the general formula is checked through the PF path below, here the ohmic closed form:
  const v = tf.tensor2d([[1, 0, 2]]);
  // choose G so that |V_i|·|V_i·G_ij| matches |V|·|I| of the worked example: I = [[0,1],[2,3],[4,5]] → G row 0 = [0, 1], row 2 = [2, 2.5]
  const g = tf.tensor2d([
    [0, 1],
    [7, 7],
    [2, 2.5],
  ]);
  close(arr(crossbarCurrents(v, g, null).power!), [19], 1e-6, "P");
  // the spec's vectors on per-device currents
  close(
    arr(
      powerFromDeviceCurrents(
        tf.tensor2d([[1, 0, 2]]),
        tf.tensor3d([
          [
            [0, 1],
            [2, 3],
            [4, 5],
          ],
        ]),
      ),
    ),
    [19],
    1e-6,
    "P",
  );
  const two = arr(
    powerFromDeviceCurrents(
      tf.tensor2d([
        [4, 1],
        [0, 1],
      ]),
      tf.tensor3d([
        [
          [0, 1],
          [2, 3],
        ],
        [
          [2, 4],
          [0, 2],
        ],
      ]),
    ),
  );
  close(two, [9, 2], 1e-6, "P per example");
  close([(two[0] + two[1]) / 2], [5.5], 1e-9, "mean P");
  close(
    arr(
      powerFromDeviceCurrents(
        tf.tensor2d([[-4, 1]]),
        tf.tensor3d([
          [
            [0, -1],
            [2, -3],
          ],
        ]),
      ),
    ),
    [9],
    1e-6,
    "signs ignored",
  );
  assert.throws(
    () => powerFromDeviceCurrents(tf.tensor2d([[1, 2]]), tf.tensor3d([[[1], [2], [3]]])),
    /do not match voltages/,
  );
  // and the efficiency formula of §6: 19 885 synapses at 2.09 mW → 381 TOPS/W; 1.11 W → 0.717
  close([efficiencyTopsPerWatt(19885, 2.09e-3)], [380.6], 1e-3, "η");
  close([efficiencyTopsPerWatt(19885, 1.11)], [0.7166], 1e-3, "η");
  assert.throws(() => efficiencyTopsPerWatt(19885, 0), /power must be > 0 W/);
});

test("PF power equals Σ_ij |V_i|·|I_ij| computed device by device, with negative voltages", () => {
  const r = rng(3);
  const g = tf.tensor2d(
    Array.from({ length: 12 }, () => r.uniform(5.25e-7, 2.62e-6)),
    [4, 3],
  );
  const v = tf.tensor2d([
    [0.5, -0.3, 0.0, 0.2],
    [-0.5, 0.5, 0.1, -0.05],
  ]);
  const pf = pooleFrenkelCoefficients(
    g,
    {
      ...PF_HIGH,
      residualCovariance: [
        [0.04, -0.02],
        [-0.02, 0.04],
      ],
    },
    rng(4),
  );
  const { currents, power } = crossbarCurrents(v, g, pf);
  const c = arr(pf.c),
    lnD = arr(
      pooleFrenkelLogParameters(
        g,
        {
          ...PF_HIGH,
          residualCovariance: [
            [0.04, -0.02],
            [-0.02, 0.04],
          ],
        },
        rng(4),
      ).lnDEps,
    );
  const vv = arr(v);
  const expI: number[] = [],
    expP: number[] = [];
  for (let b = 0; b < 2; b++) {
    let p = 0;
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let i = 0; i < 4; i++) {
        const id = pooleFrenkelCurrent(vv[b * 4 + i], c[i * 3 + j], Math.exp(lnD[i * 3 + j]));
        s += id;
        p += Math.abs(vv[b * 4 + i]) * Math.abs(id);
      }
      expI.push(s);
    }
    expP.push(p);
  }
  close(arr(currents), expI, 1e-4, "PF currents (series vs direct law)");
  close(arr(power!), expP, 1e-4, "PF power");
});

test("maxOf: value and gradient equal tfjs's max (no ties), and through the double mapping", () => {
  const r = rng(21);
  const x0 = Array.from({ length: 7 * 5 }, () => r.normal());
  const viaTf = (t: tf.Tensor) =>
    tf.mul(tf.div(1, tf.max(tf.abs(t))), tf.sum(tf.mul(t, tf.range(0, 35).reshape([7, 5])))) as tf.Scalar;
  const viaMaxOf = (t: tf.Tensor) =>
    tf.mul(tf.div(1, maxOf(tf.abs(t))), tf.sum(tf.mul(t, tf.range(0, 35).reshape([7, 5])))) as tf.Scalar;
  const [a, b] = tf.tidy(() => [
    arr(tf.grad(viaTf)(tf.tensor2d(x0, [7, 5]))),
    arr(tf.grad(viaMaxOf)(tf.tensor2d(x0, [7, 5]))),
  ]);
  close(b, a, 1e-6, "gradient of 1/max|x|·Σ k·x_k");
  assert.equal(
    tf.tidy(() => maxOf(tf.tensor2d(x0, [7, 5])).dataSync()[0]),
    Math.max(...new Float32Array(x0)),
  );
  // the mappings' k_G carries a gradient to the largest weight
  const d0 = x0.map(Math.abs);
  const lossD = (d: tf.Tensor) => tf.sum(tf.square(mapDouble(d as tf.Tensor2D, 1e-6, 5e-6).g)) as tf.Scalar;
  const gD = tf.tidy(() => arr(tf.grad(lossD)(tf.tensor2d(d0, [7, 5]))));
  const h = 1e-3,
    k = d0.indexOf(Math.max(...d0));
  const fd = (lossAt: (v: number[]) => number) => {
    const up = d0.slice(),
      dn = d0.slice();
    up[k] += h;
    dn[k] -= h;
    return (lossAt(up) - lossAt(dn)) / (2 * h);
  };
  const lossAtD = (v: number[]) => {
    const m = Math.max(...v);
    return v.reduce((s, x) => s + (1e-6 + (4e-6 * x) / m) ** 2, 0);
  };
  assert.ok(Math.abs(gD[k] / fd(lossAtD) - 1) < 1e-2, `double mapping: gradient at the max ${gD[k]} vs ${fd(lossAtD)}`);
});

test("PF series stays finite and exact for a very wide spread of devices (terms rescaled by the half-range), values and gradients", () => {
  // s from 1 to 31 V^-1/2 in every row (|s − s̄| up to 15) and |V| ≤ 0.19 V: 37 terms, where (s − s̄)^k alone
  // would overflow float32; compared with the law evaluated device by device in tfjs
  const r = rng(11);
  const rows = 12,
    cols = 10,
    batch = 6;
  const s0 = Array.from({ length: rows * cols }, (_, k) =>
    k % cols === 0 ? 1 : k % cols === 1 ? 31 : r.uniform(1, 31),
  );
  const c0 = Array.from({ length: rows * cols }, () => r.uniform(0.5e-6, 2e-6));
  const v0 = Array.from({ length: batch * rows }, (_, k) => (k === 0 ? 0.19 : r.uniform(-0.19, 0.19)));
  assert.ok(pfSeriesTerms(15 * Math.sqrt(0.19)) >= 36 && pfSeriesTerms(15 * Math.sqrt(0.19)) <= 40);
  const loss = (c: tf.Tensor2D, sc: tf.Tensor2D, series: boolean) => {
    const v = tf.tensor2d(v0, [batch, rows]);
    let i: tf.Tensor2D;
    if (series)
      i = crossbarCurrents(
        v,
        tf.onesLike(c) as tf.Tensor2D,
        { c, s: sc },
        { power: false, inputGradient: false },
      ).currents;
    else {
      const arg = tf.mul(tf.expandDims(sc, 0), tf.expandDims(tf.sqrt(tf.add(tf.abs(v), 1e-12)), 2));
      i = tf.sum(tf.mul(tf.mul(tf.expandDims(v, 2), tf.expandDims(c, 0)), tf.exp(arg)), 1) as tf.Tensor2D;
    }
    return tf.sum(tf.square(tf.mul(i, 1e4))) as tf.Scalar;
  };
  const C = () => tf.tensor2d(c0, [rows, cols]),
    S = () => tf.tensor2d(s0, [rows, cols]);
  const [vs, vd] = tf.tidy(() => [loss(C(), S(), true).dataSync()[0], loss(C(), S(), false).dataSync()[0]]);
  assert.ok(Number.isFinite(vs) && Math.abs(vs / vd - 1) < 1e-4, `series ${vs} vs direct ${vd}`);
  {
    const gs = tf.tidy(() =>
      tf
        .grads((c: tf.Tensor, sc: tf.Tensor) => loss(c as tf.Tensor2D, sc as tf.Tensor2D, true))([C(), S()])
        .map(arr),
    );
    const gd = tf.tidy(() =>
      tf
        .grads((c: tf.Tensor, sc: tf.Tensor) => loss(c as tf.Tensor2D, sc as tf.Tensor2D, false))([C(), S()])
        .map(arr),
    );
    for (const k of [0, 1]) {
      const scale = Math.max(...gd[k].map(Math.abs));
      assert.ok(gs[k].every(Number.isFinite), "finite gradients");
      assert.ok(
        gs[k].every((x, j) => Math.abs(x - gd[k][j]) < 1e-3 * scale),
        `series gradient ${k ? "ds" : "dc"} equals the direct law's`,
      );
    }
  }
});

test("PF currents: word lines at 0 V in the whole batch are left out without changing currents, power or gradients", () => {
  assert.deepEqual(activeRows([0, 1, 0, 0, 0, 0, 0, -2], 2, 4), [1, 3]);
  assert.deepEqual(activeRows([0, 0, 0, 0], 2, 2), []);
  const r = rng("blank-rows");
  const rows = 7,
    cols = 4,
    batch = 3;
  // rows 1, 4 and 5 are at 0 V in every example (blank pixels); row 6 is the bias line
  const vData = Array.from({ length: batch * rows }, (_, k) =>
    [1, 4, 5].includes(k % rows) ? 0 : 0.05 + 0.45 * r.uniform(),
  );
  const v = tf.tensor2d(vData, [batch, rows]);
  const g = tf.tensor2d(
    Array.from({ length: rows * cols }, () => 5.25e-7 + 2e-6 * r.uniform()),
    [rows, cols],
  );
  const pf = pooleFrenkelCoefficients(g, JOKSAS_SETUPS.D2.currentModel!, r);
  const run = (inputGradient: boolean) => {
    const out = crossbarCurrents(v, g, pf, { inputGradient });
    const loss = (c: tf.Tensor, s: tf.Tensor) => {
      const o = crossbarCurrents(v, g, { c: c as tf.Tensor2D, s: s as tf.Tensor2D }, { inputGradient });
      return tf.add(tf.sum(tf.square(tf.mul(o.currents, 1e5))), tf.mul(tf.sum(o.power!), 1e5));
    };
    const [dc, ds] = tf.grads(loss)([pf.c, pf.s]);
    return { i: arr(out.currents), p: arr(out.power!), dc: arr(dc), ds: arr(ds) };
  };
  const reduced = run(false),
    full = run(true); // inputGradient: true keeps every word line
  const scale = (a: number[]) => Math.max(...a.map(Math.abs));
  const near = (a: number[], b: number[], what: string) =>
    close(
      a.map((x) => x / scale(b)),
      b.map((x) => x / scale(b)),
      1e-5,
      what,
    );
  near(reduced.i, full.i, "currents");
  near(reduced.p, full.p, "power");
  near(reduced.dc, full.dc, "dLoss/dc");
  near(reduced.ds, full.ds, "dLoss/ds");
  // devices on blank word lines get exactly zero gradient
  for (const i of [1, 4, 5]) for (let j = 0; j < cols; j++) assert.equal(reduced.ds[i * cols + j], 0, `ds[${i},${j}]`);
  assert.ok(scale(reduced.ds) > 0 && scale(reduced.dc) > 0);
  assert.throws(
    () => crossbarCurrents(v, g, { c: pf.c, s: tf.zeros([rows, cols + 1]) as tf.Tensor2D }),
    /coefficients s \[7,5\] do not match the conductances \[7,4\]/,
  );
  // an all-blank batch gives zero currents and power
  const zero = crossbarCurrents(tf.zeros([2, rows]) as tf.Tensor2D, g, pf, { inputGradient: false });
  assert.deepEqual(arr(zero.currents), new Array(2 * cols).fill(0));
  assert.deepEqual(arr(zero.power!), [0, 0]);
});

test("PF series: term count bound and gradients equal finite differences", () => {
  assert.equal(pfSeriesTerms(0), 1);
  assert.ok(pfSeriesTerms(0.5) <= 12 && pfSeriesTerms(0.5) >= 6);
  assert.throws(() => pfSeriesTerms(NaN), /finite number >= 0/);
  const g0 = [1e-6, 2e-6, 0.8e-6, 2.5e-6, 1.5e-6, 0.6e-6];
  const x = tf.tensor2d([
    [0.2, 0.9],
    [1, 0.4],
  ]);
  const f = (gv: number[]) =>
    tf.tidy(() => {
      const g = tf.tensor2d(gv, [3, 2]);
      const v = tf.mul(0.5, tf.concat([x, tf.ones([2, 1])], 1)) as tf.Tensor2D;
      return tf
        .sum(
          tf.square(
            crossbarCurrents(v, g, pooleFrenkelCoefficients(g, PF_HIGH, null), { power: false, inputGradient: false })
              .currents,
          ),
        )
        .dataSync()[0];
    });
  const grad = tf.tidy(() =>
    arr(
      tf.grad((g: tf.Tensor) => {
        const v = tf.mul(0.5, tf.concat([x, tf.ones([2, 1])], 1)) as tf.Tensor2D;
        return tf.sum(
          tf.square(
            crossbarCurrents(v, g as tf.Tensor2D, pooleFrenkelCoefficients(g as tf.Tensor2D, PF_HIGH, null), {
              power: false,
              inputGradient: false,
            }).currents,
          ),
        );
      })(tf.tensor2d(g0, [3, 2])),
    ),
  );
  // float64 finite differences in JS on the exact law
  const F = (gv: number[]) => {
    let tot = 0;
    const xv = [
      [0.2, 0.9, 1],
      [1, 0.4, 1],
    ];
    for (const row of xv)
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let i = 0; i < 3; i++) {
          const G = gv[i * 2 + j],
            lnR = -Math.log(G);
          s += pooleFrenkelCurrent(
            0.5 * row[i],
            Math.exp(PF_HIGH.lnC.slope * lnR + PF_HIGH.lnC.intercept),
            Math.exp(PF_HIGH.lnDEps.slope * lnR + PF_HIGH.lnDEps.intercept),
          );
        }
        tot += s * s;
      }
    return tot;
  };
  close([f(g0)], [F(g0)], 1e-4, "value");
  g0.forEach((gi, k) => {
    const h = gi * 1e-4;
    const up = [...g0],
      dn = [...g0];
    up[k] += h;
    dn[k] -= h;
    const fd = (F(up) - F(dn)) / (2 * h);
    assert.ok(Math.abs(grad[k] - fd) <= 2e-3 * Math.abs(fd), `dL/dG[${k}] ${grad[k]} vs ${fd}`);
  });
});

test("PF ohmic limit: dε → ∞ gives I = c·V; low and high regimes match the spec's sanity table", () => {
  assert.ok(Math.abs(pooleFrenkelCurrent(0.3, 2e-6, 1e30) / 0.6e-6 - 1) < 1e-6);
  // noise-free regression at G = 2.62e-6 (high) and 3.45e-3 (low): I(0.5)/(0.5·G) ≈ 1.91 and 1.07
  for (const [m, G, ratio] of [
    [PF_HIGH, 2.62e-6, 1.91],
    [PF_LOW, 3.45e-3, 1.07],
    [PF_HIGH, 5.25e-7, 2.0],
  ] as const) {
    const { currents } = crossbarCurrents(
      tf.tensor2d([[0.5]]),
      tf.tensor2d([[G]]),
      pooleFrenkelCoefficients(tf.tensor2d([[G]]), m, null),
    );
    close([arr(currents)[0] / (0.5 * G)], [ratio], 0.01, `I/(VG) at ${G}`);
  }
});

test("§4.7 correlated regression: ln R = [1..4], slopes [2, 0], intercepts [1, −2], Σ ≈ 1e-15·I", () => {
  const lnR = [1, 2, 3, 4];
  const g = tf.tensor2d(
    lnR.map((x) => Math.exp(-x)),
    [1, 4],
  );
  const model = {
    ...PF_HIGH,
    lnC: { slope: 2, intercept: 1 },
    lnDEps: { slope: 0, intercept: -2 },
    residualCovariance: [
      [1e-15, 0],
      [0, 1e-15],
    ] as const,
  };
  const { lnC, lnDEps } = pooleFrenkelLogParameters(g, model, rng(1));
  close(arr(lnC), [3, 5, 7, 9], 1e-5, "ln c");
  close(arr(lnDEps), [-2, -2, -2, -2], 1e-5, "ln dε");
  // the residual covariance is honoured: the rank-one default (one draw per device) and a full-rank one
  const big = tf.fill([200, 100], 1e-6) as tf.Tensor2D;
  const full = [
    [0.04, -0.02],
    [-0.02, 0.04],
  ] as const;
  for (const [name, cov] of [
    ["calibrated default", PF_HIGH.residualCovariance],
    ["full rank", full],
  ] as const) {
    const p = pooleFrenkelLogParameters(big, { ...PF_HIGH, residualCovariance: cov }, rng(2));
    const a = arr(p.lnC),
      b = arr(p.lnDEps);
    const ma = a.reduce((x, y) => x + y) / a.length,
      mb = b.reduce((x, y) => x + y) / b.length;
    let saa = 0,
      sbb = 0,
      sab = 0;
    a.forEach((x, i) => ((saa += (x - ma) ** 2), (sbb += (b[i] - mb) ** 2), (sab += (x - ma) * (b[i] - mb))));
    close(
      [saa / a.length, sbb / a.length, sab / a.length],
      [cov[0][0], cov[1][1], cov[0][1]],
      0.05,
      `residual covariance (${name})`,
    );
  }
});

test("§4.7 stuck-at: p = 0 leaves G, p = 1 sets every element; 5 % rate within binomial tolerance", () => {
  const g = tf.fill([30, 40], 1.5e-6) as tf.Tensor2D;
  const w = { gOffSiemens: 5.25e-7, gOnSiemens: 2.62e-6 };
  close(arr(disturb(g, { kind: "stuck", at: "gOff", probability: 0 }, w, rng(1))), arr(g), 0, "p=0");
  assert.ok(
    arr(disturb(g, { kind: "stuck", at: "gOn", probability: 1 }, w, rng(1))).every(
      (x) => Math.abs(x - 2.62e-6) < 1e-12,
    ),
  );
  const big = tf.fill([200, 250], 1.5e-6) as tf.Tensor2D;
  const n = arr(disturb(big, { kind: "stuck", at: "gOff", probability: 0.05 }, w, rng(2))).filter(
    (x) => Math.abs(x - 5.25e-7) < 1e-12,
  ).length;
  const sd = Math.sqrt(50000 * 0.05 * 0.95);
  assert.ok(Math.abs(n - 2500) < 4 * sd, `stuck count ${n}`);
  // no gradient to stuck devices
  const grad = arr(
    tf.grad((x: tf.Tensor) =>
      tf.sum(disturb(x as tf.Tensor2D, { kind: "stuck", at: "gOn", probability: 1 }, w, rng(3))),
    )(g),
  );
  assert.ok(grad.every((x) => x === 0));
});

test("D2D lognormal: σ = 0 is the identity; E[R'] = R and σ interpolates between G_on and G_off", () => {
  const w = { gOffSiemens: 5.25e-7, gOnSiemens: 2.62e-6 };
  const g = tf.tensor2d([[5.25e-7, 1e-6, 2.62e-6]]);
  close(arr(disturb(g, { kind: "d2d-lognormal", sigmaOn: 0, sigmaOff: 0 }, w, rng(1))), arr(g), 1e-6, "σ=0");
  const n = 40000;
  const big = tf.concat([tf.fill([n, 1], 2.62e-6), tf.fill([n, 1], 5.25e-7)], 1) as tf.Tensor2D;
  const out = arr(disturb(big, { kind: "d2d-lognormal", sigmaOn: 0.05, sigmaOff: 0.5 }, w, rng(2)));
  for (const [col, R, sigma] of [
    [0, 1 / 2.62e-6, 0.05],
    [1, 1 / 5.25e-7, 0.5],
  ] as const) {
    const rs = out.filter((_, i) => i % 2 === col).map((gv) => 1 / gv);
    const mean = rs.reduce((a, b) => a + b) / n;
    const logs = rs.map(Math.log),
      ml = logs.reduce((a, b) => a + b) / n;
    const sl = Math.sqrt(logs.reduce((a, b) => a + (b - ml) ** 2, 0) / (n - 1));
    close([mean / R], [1], ((4 * sigma) / Math.sqrt(n)) * 1.5, `E[R'] col ${col}`);
    close([sl], [sigma], 0.03, `σ col ${col}`);
  }
});

test("KDE stuck values: reflected at 0, never negative, centred on the kernels", () => {
  const s = sampleKde([0, 1e-5, 5e-4], 1.77e-5, 30000, rng(1));
  assert.ok(s.every((x) => x >= 0));
  const nearZero = Array.from(s).filter((x) => x < 6e-5).length / s.length;
  close([nearZero], [2 / 3], 0.03, "mass near the two low kernels");
  const setup = JOKSAS_SETUPS.D8;
  const g = tf.fill([100, 100], 5e-4) as tf.Tensor2D;
  const d = arr(
    disturb(g, setup.disturbance!, { gOffSiemens: setup.gOffSiemens!, gOnSiemens: setup.gOnSiemens! }, rng(2)),
  );
  const stuck =
    d.filter((x) => x !== d[0] || Math.abs(x - 5e-4) > 1e-12).filter((x) => Math.abs(x - 5e-4) > 1e-10).length /
    d.length;
  close([stuck], [0.101], 0.15, "stuck fraction");
});

test("composition rules: at most one disturbance and one current model, checked windows and covariances", () => {
  const base = { id: "X", name: "x", gOffSiemens: 1e-6, gOnSiemens: 2e-6 };
  assert.throws(
    () =>
      deviceSetup(base, [
        { kind: "stuck", at: "gOff", probability: 0.1 },
        { kind: "d2d-lognormal", sigmaOn: 0.1, sigmaOff: 0.1 },
      ]),
    /at most one conductance disturbance/,
  );
  assert.throws(() => deviceSetup(base, [PF_HIGH, PF_LOW]), /at most one current-computing/);
  assert.throws(() => deviceSetup({ ...base, gOnSiemens: 1e-7 }, []), /0 < gOffSiemens < gOnSiemens/);
  assert.throws(() => deviceSetup(base, [{ kind: "stuck", at: "gOff", probability: 1.5 }]), /not in \[0, 1\]/);
  assert.throws(
    () =>
      deviceSetup(base, [
        {
          ...PF_HIGH,
          residualCovariance: [
            [0.01, 0.5],
            [0.5, 0.01],
          ],
        },
      ]),
    /positive semi-definite/,
  );
  const d4 = JOKSAS_SETUPS.D4;
  assert.equal(d4.disturbance?.kind, "stuck");
  assert.equal(d4.currentModel?.kind, "poole-frenkel");
  assert.match(d4.citation, /2112\.06887/);
});

test("MemristiveMlp: 784-25-10 has 19 885 synapses, double weights stay non-negative, bad configs are named", () => {
  const m = new MemristiveMlp({ sizes: [784, 25, 10], weights: { kind: "double" } }, rng(1));
  assert.equal(m.synapses(), 19885);
  m.variables()[0].assign(tf.fill([784, 25], -0.1));
  m.clipNonNegative();
  assert.ok(arr(m.variables()[0]).every((x) => x === 0));
  m.dispose();
  assert.throws(() => new MemristiveMlp({ sizes: [784], weights: { kind: "double" } }, rng(1)), /layer sizes/);
  assert.throws(
    () => new MemristiveMlp({ sizes: [4, 2], weights: { kind: "triple" } as never }, rng(1)),
    /unknown weight implementation "triple"/,
  );
  const small = new MemristiveMlp({ sizes: [4, 3, 2], weights: { kind: "standard", rule: "min-G" } }, rng(1));
  const data = {
    x: new Float32Array(8 * 4).map((_, i) => (i % 5) / 5),
    labels: Uint8Array.from([0, 1, 0, 1, 0, 1, 0, 1]),
    n: 8,
    features: 4,
  };
  assert.throws(
    () => trainMemristiveMlp(small, data, data, joksasTraining(JOKSAS_SETUPS.D0, { epochs: 0 }), rng(1)),
    /epochs must be a positive integer/,
  );
  assert.throws(
    () =>
      trainMemristiveMlp(small, data, data, joksasTraining(JOKSAS_SETUPS.D0, { checkpoint: "best" as never }), rng(1)),
    /unknown checkpoint "best"/,
  );
  // loss: Keras clipping keeps it finite for a zero probability
  close(arr(crossEntropy(tf.tensor2d([[1, 0]]), tf.tensor1d([1], "int32"))), [-Math.log(1e-7)], 1e-3, "clipped CE");
  // the ideal stage of a standard network is software; D2 gives a power
  const e0 = evaluate(small, data, null, rng(2));
  assert.equal(e0.powerWatt, null);
  const e2 = evaluate(small, data, JOKSAS_SETUPS.D2, rng(2));
  assert.ok(e2.powerWatt! > 0);
  small.dispose();
});

/** Two classes of 16-pixel images (rising vs falling ramps with noise). */
function rampData(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * 16),
    labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let f = 0; f < 16; f++)
      x[i * 16 + f] = Math.min(1, Math.max(0, (labels[i] ? f / 16 : 1 - f / 16) + r.normal(0, 0.15)));
  }
  return { x, labels, n, features: 16 };
}

test("a few training steps under D2 reduce the loss and the memristive checkpoint keeps the best median", () => {
  const data = rampData(256, 5);
  const m = new MemristiveMlp({ sizes: [16, 6, 2], weights: { kind: "double" } }, rng(6));
  const res = trainMemristiveMlp(
    m,
    data,
    data,
    joksasTraining(JOKSAS_SETUPS.D2, { epochs: 6, learningRate: 0.2, validateEvery: 2, validationRepeats: 3 }),
    rng(7),
  );
  assert.ok(
    res.curve[5].trainLoss < res.curve[0].trainLoss,
    `loss ${res.curve[0].trainLoss} -> ${res.curve[5].trainLoss}`,
  );
  assert.deepEqual(
    res.checkpoints.map((c) => c.epoch),
    [1, 2, 4, 6],
  );
  assert.ok(res.checkpoints.every((c) => c.validationErrors.length === 3));
  const best = Math.min(...res.checkpoints.map((c) => c.medianValidationError));
  assert.equal(res.checkpoints.find((c) => c.epoch === res.bestEpoch)!.medianValidationError, best);
  assert.ok(
    arr(m.variables()[0]).every((v) => v >= 0),
    "double weights non-negative after training",
  );
  m.dispose();
});

test("watching the training (test curves under other setups) leaves the trained network unchanged", () => {
  const data = rampData(128, 8);
  const cfg = joksasTraining(JOKSAS_SETUPS.D2, {
    epochs: 4,
    learningRate: 0.2,
    validateEvery: 2,
    validationRepeats: 2,
  });
  const plain = new MemristiveMlp({ sizes: [16, 6, 2], weights: { kind: "double" } }, rng(9));
  const watched = new MemristiveMlp({ sizes: [16, 6, 2], weights: { kind: "double" } }, rng(9));
  const a = trainMemristiveMlp(plain, data, data, cfg, rng(10));
  const b = trainMemristiveMlp(watched, data, data, cfg, rng(10), {
    monitor: { data, setups: [JOKSAS_SETUPS.D3, JOKSAS_SETUPS.D7], repeats: 2, rng: rng(11) },
  });
  assert.equal(a.monitor.length, 0);
  assert.deepEqual(
    b.monitor.map((m) => `${m.epoch}/${m.setupId}`),
    ["1/D3", "1/D7", "2/D3", "2/D7", "4/D3", "4/D7"],
  );
  assert.deepEqual(b.curve, a.curve);
  assert.deepEqual(b.checkpoints, a.checkpoints);
  plain.snapshot().forEach((w, i) => assert.deepEqual(watched.snapshot()[i], w));
  plain.dispose();
  watched.dispose();
});

function idxBuffer(dims: number[], data: Uint8Array, magicDims = dims.length): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = magicDims;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

test("MNIST IDX loader: small files written here, gzipped and plain, 80/20 split, clear errors", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "idx-"));
  const nTr = 10,
    nTe = 4;
  const img = (n: number) => Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 7) % 256);
  const lab = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 10);
  fs.writeFileSync(path.join(dir, "train-images-idx3-ubyte.gz"), zlib.gzipSync(idxBuffer([nTr, 28, 28], img(nTr))));
  fs.writeFileSync(path.join(dir, "train-labels-idx1-ubyte"), idxBuffer([nTr], lab(nTr)));
  fs.writeFileSync(path.join(dir, "t10k-images-idx3-ubyte"), idxBuffer([nTe, 28, 28], img(nTe)));
  fs.writeFileSync(path.join(dir, "t10k-labels-idx1-ubyte.gz"), zlib.gzipSync(idxBuffer([nTe], lab(nTe))));
  const { train, test } = idxMnist(dir);
  assert.equal(train.n, nTr);
  assert.equal(test.n, nTe);
  assert.equal(train.features, 784);
  close([train.x[1], train.x[37]], [7 / 255, ((37 * 7) % 256) / 255], 1e-6, "pixels / 255");
  const s = mnistSplits("idx", rng(1), { dir });
  assert.equal(s.train.n, 8);
  assert.equal(s.validation.n, 2);
  assert.deepEqual(Array.from(s.validation.labels), [8, 9], "validation = the last 20 % of the training file");
  // errors
  assert.throws(() => parseIdx(Buffer.from([1, 2, 3]), "short"), /too short/);
  assert.throws(
    () => parseIdx(idxBuffer([3], Uint8Array.from([1, 2])), "cut"),
    /header says 3 = 3 bytes of data but the file holds 2/,
  );
  fs.writeFileSync(
    path.join(dir, "bad-labels"),
    idxBuffer(
      [nTr],
      Uint8Array.from({ length: nTr }, () => 11),
    ),
  );
  assert.throws(
    () => readIdxPair(path.join(dir, "train-images-idx3-ubyte.gz"), path.join(dir, "bad-labels")),
    /label 11 is not a digit/,
  );
  fs.writeFileSync(path.join(dir, "few-labels"), idxBuffer([3], lab(3)));
  assert.throws(
    () => readIdxPair(path.join(dir, "train-images-idx3-ubyte.gz"), path.join(dir, "few-labels")),
    /has 10 images but .* has 3 labels/,
  );
  // 14×14 images where MNIST's 28×28 are required
  fs.writeFileSync(
    path.join(dir, "t10k-images-idx3-ubyte"),
    idxBuffer(
      [nTe, 14, 14],
      Uint8Array.from({ length: nTe * 196 }, () => 1),
    ),
  );
  assert.throws(() => idxMnist(dir), /t10k-images-idx3-ubyte holds images of 196 pixels; 28×28 = 784 are required/);
  // a truncated .gz names its file
  const gz = zlib.gzipSync(idxBuffer([nTr, 28, 28], img(nTr)));
  fs.writeFileSync(path.join(dir, "train-images-idx3-ubyte.gz"), gz.subarray(0, gz.length >> 1));
  assert.throws(
    () => idxMnist(dir),
    /train-images-idx3-ubyte\.gz: cannot decompress this gzip file \(unexpected end of file\); is it complete\?/,
  );
  fs.writeFileSync(path.join(dir, "train-images-idx3-ubyte.gz"), gz);
  fs.rmSync(path.join(dir, "t10k-images-idx3-ubyte"));
  assert.throws(() => idxMnist(dir), /t10k-images-idx3-ubyte\[\.gz\] not found/);
  assert.throws(() => idxMnist(path.join(dir, "nope")), /does not exist/);
  fs.rmSync(dir, { recursive: true });
});

test("packaged MNIST: 10 000 real digits, 7000/1000/2000 split, deterministic per seed", () => {
  const a = mnistSplits("package", rng(1));
  const b = mnistSplits("package", rng(1));
  assert.equal(a.train.n + a.validation.n + a.test.n, 10000);
  assert.deepEqual(Array.from(a.test.labels.slice(0, 20)), Array.from(b.test.labels.slice(0, 20)));
  const counts = new Array(10).fill(0);
  a.train.labels.forEach((l) => counts[l]++);
  assert.ok(
    counts.every((c) => c > 500),
    `class counts ${counts}`,
  );
  assert.throws(() => mnistSplits("package", rng(1), { packageSplit: [9000, 1000, 2000] }), /needs 12000 digits/);
  assert.throws(() => mnistSplits("kaggle" as never, rng(1)), /unknown MNIST source "kaggle"/);
  // a smaller training set: the first N of the same split; validation and test unchanged
  const small = mnistSplits("package", rng(1), { limitTrain: 1750 });
  assert.equal(small.train.n, 1750);
  assert.deepEqual(Array.from(small.train.labels), Array.from(a.train.labels.slice(0, 1750)));
  assert.deepEqual(Array.from(small.validation.labels), Array.from(a.validation.labels));
  assert.deepEqual(Array.from(small.test.x.slice(0, 784 * 3)), Array.from(a.test.x.slice(0, 784 * 3)));
  assert.match(small.source, /training on the first 1750/);
  for (const bad of [0, 2.5, 7001])
    assert.throws(
      () => mnistSplits("package", rng(1), { limitTrain: bad }),
      /must be a whole number from 1 to 7000, the size of the training split; got /,
    );
});

test("PF gradient with respect to the voltages is finite at V = 0 (hidden layer inputs that underflow)", () => {
  const g = tf.tensor2d([
    [1e-6, 2e-6],
    [0.8e-6, 2.5e-6],
  ]);
  const pf = pooleFrenkelCoefficients(g, PF_HIGH, null);
  const dv = arr(
    tf.grad((v: tf.Tensor) => tf.sum(crossbarCurrents(v as tf.Tensor2D, g, pf, { power: false }).currents))(
      tf.tensor2d([
        [0, 0.3],
        [-0.2, 0],
      ]),
    ),
  );
  assert.ok(dv.every(Number.isFinite), `dI/dV = ${dv}`);
  // away from 0 it equals the PF differential conductance summed over the row
  const s = arr(pf.s),
    c = arr(pf.c);
  const expected = (i: number, vv: number) =>
    [0, 1].reduce(
      (acc, j) =>
        acc + c[i * 2 + j] * Math.exp(s[i * 2 + j] * Math.sqrt(vv)) * (1 + (s[i * 2 + j] * Math.sqrt(vv)) / 2),
      0,
    );
  close([dv[1], dv[2]], [expected(1, 0.3), expected(0, 0.2)], 1e-3, "dI/dV");
});

test("energy breakdown (device by device) equals the training path's power (series), ohmic and PF", async () => {
  const { powerBreakdown, devicePowerMap } = await import("../../lib/experiments/joksas-energy");
  const { withResidualCovariance } = await import("../../lib/devices/joksas");
  const m = new MemristiveMlp({ sizes: [12, 5, 3], weights: { kind: "double" } }, rng(8));
  const n = 40;
  const data = {
    x: Float32Array.from({ length: n * 12 }, (_, i) => ((i * 37) % 11) / 10),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 3),
    n,
    features: 12,
  };
  const pfNoNoise = withResidualCovariance(JOKSAS_SETUPS.D2, [
    [0, 0],
    [0, 0],
  ]);
  const ohmic = deviceSetup({ id: "ohm", name: "ohmic", gOffSiemens: 5.25e-7, gOnSiemens: 2.62e-6 }, []);
  for (const setup of [ohmic, pfNoNoise]) {
    const b = powerBreakdown(m, data, setup, rng(9), 16);
    const e = evaluate(m, data, setup, rng(9), { batchSize: 16 });
    close([b.totalWatts], [e.powerWatt!], 1e-4, `total power ${setup.id}`);
    close([b.layerWatts.reduce((a, c) => a + c, 0)], [b.totalWatts], 1e-12, "layers sum");
    const map = devicePowerMap(m, 0, data, setup, rng(9), 16);
    close([map.watts.reduce((a, c) => a + c, 0)], [b.layerWatts[0]], 1e-4, `device map sums to layer 1 (${setup.id})`);
  }
  assert.throws(() => devicePowerMap(m, 2, data, ohmic, rng(1)), /layer must be 0…1/);
  m.dispose();
});

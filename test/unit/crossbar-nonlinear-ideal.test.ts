/**
 * The ideal crossbar's checks and products, and the Newton solver's parts: the Poole–Frenkel law's
 * parameter checks, the per-input drive of every terminal family, the stopping rule, damping, the
 * law residual, and how per-input solutions are joined.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkConductances, idealCurrents, idealCurrentsTf, shapeOf } from "../../lib/crossbar/ideal";
import { CrossbarDrive, CrossbarTopology, topologyFromConductances } from "../../lib/crossbar/circuit";
import { solveCrossbar } from "../../lib/crossbar/solver";
import { DeviceCurrentLaw, ohmicLaw, pooleFrenkelLaw, solveNonlinear } from "../../lib/crossbar/nonlinear";

test("shapeOf: the shape of a rectangular matrix; not an array, empty, empty rows, ragged and non-array rows are named", () => {
  assert.deepEqual(
    shapeOf(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      "m",
    ),
    [2, 3],
  );
  assert.throws(() => shapeOf("ab" as unknown as number[][], "m"), /^RangeError: m must be a non-empty 2-D array$/);
  assert.throws(() => shapeOf([], "m"), /^RangeError: m must be a non-empty 2-D array$/);
  assert.throws(() => shapeOf([[]], "m"), /^RangeError: m has empty rows$/);
  assert.throws(() => shapeOf([[1, 2], [3]], "m"), /m is ragged: row 1 has 1 entries, row 0 has 2/);
  assert.throws(
    () => shapeOf([[1, 2], "ab" as unknown as number[]], "m"),
    /m is ragged: row 1 has no entries, row 0 has 2/,
  );
});

test("checkConductances: zero is allowed; negative, NaN and infinite entries are named with their position", () => {
  assert.deepEqual(
    checkConductances([
      [0, 1e-3],
      [2e-3, 0],
    ]),
    [2, 2],
  );
  for (const bad of [-1e-3, Number.NaN, Infinity]) {
    assert.throws(
      () =>
        checkConductances(
          [
            [1e-3, 1e-3],
            [1e-3, bad],
          ],
          "G",
        ),
      new RegExp(`G\\[1\\]\\[1\\] = ${bad} S: conductances must be finite and >= 0`),
    );
  }
});

test("idealCurrents: I = V·G for several inputs, exactly; mismatched rows and non-finite voltages are errors", () => {
  const G = [
    [1e-3, 2e-3],
    [3e-3, 4e-3],
    [5e-3, 6e-3],
  ];
  const I = idealCurrents(
    [
      [1, 0.5, 0.25],
      [0, -2, 4],
    ],
    G,
  );
  const want = [
    [1e-3 + 1.5e-3 + 1.25e-3, 2e-3 + 2e-3 + 1.5e-3],
    [-6e-3 + 20e-3, -8e-3 + 24e-3],
  ];
  I.forEach((r, k) =>
    r.forEach((x, j) => assert.ok(Math.abs(x - want[k][j]) < 1e-15, `input ${k}, column ${j}: ${x} vs ${want[k][j]}`)),
  );
  assert.throws(() => idealCurrents([[1, 2]], G), /voltages have 2 entries per input but the crossbar has 3 rows/);
  assert.throws(
    () => idealCurrents([[1, Number.POSITIVE_INFINITY, 0]], G),
    /voltages\[0\]\[1\] = Infinity is not finite/,
  );
  assert.throws(
    () =>
      idealCurrents(
        [[1, 1, 1]],
        [
          [1e-3, 1e-3],
          [1e-3, -1],
          [1e-3, 1e-3],
        ],
      ),
    /conductances\[1\]\[1\] = -1 S/,
  );
});

test("idealCurrentsTf: the same product on tfjs, with the same checks", async () => {
  const tf = await import("@tensorflow/tfjs");
  await tf.setBackend("cpu");
  const G = [
    [1e-4, 2e-4],
    [3e-4, 4e-4],
  ];
  const V = [
    [0.1, 0.2],
    [0.3, -0.1],
  ];
  const a = idealCurrents(V, G),
    b = idealCurrentsTf(V, G);
  assert.equal(b.length, 2);
  a.forEach((r, k) => r.forEach((x, j) => assert.ok(Math.abs(x - b[k][j]) <= 1e-6 * 1e-4, `${x} vs ${b[k][j]}`)));
  assert.throws(() => idealCurrentsTf([[1, 2, 3]], G), /voltages have 3 entries per input but the crossbar has 2 rows/);
  assert.throws(
    () =>
      idealCurrentsTf(V, [
        [1e-4, -2e-4],
        [3e-4, 4e-4],
      ]),
    /conductances\[0\]\[1\] = -0.0002 S/,
  );
});

test("pooleFrenkelLaw checks its parameters by name: matching lengths, c finite and >= 0 (0 allowed), dε finite and > 0", () => {
  const one = (c: number, d: number) => pooleFrenkelLaw(Float64Array.from([1e-4, c]), Float64Array.from([1e-19, d]));
  assert.throws(
    () => pooleFrenkelLaw(Float64Array.from([1e-4, 1e-4]), Float64Array.from([1e-19])),
    /2 c values but 1 dε values/,
  );
  for (const c of [-1e-4, Number.NaN, Infinity])
    assert.throws(() => one(c, 1e-19), new RegExp(`Poole–Frenkel c\\[1\\] = ${c} S must be finite and >= 0`));
  for (const d of [0, -1e-19, Number.NaN, Infinity])
    assert.throws(() => one(1e-4, d), new RegExp(`Poole–Frenkel dε\\[1\\] = ${d} F must be finite and > 0`));
  const law = one(0, 1e-19);
  assert.equal(law.devices, 2);
  const i = new Float64Array(2),
    g = new Float64Array(2);
  law.evaluate(Float64Array.from([0.3, 0.3]), i, g);
  assert.ok(i[0] > 0.3 * 1e-4 && g[0] > 1e-4, "the first device conducts more than its ohmic part");
  assert.equal(i[1], 0);
  assert.equal(g[1], 0);
});

/** A 2×3 array with resistive lines, every terminal family driven. */
function everyEnd(): CrossbarTopology {
  const g = Float64Array.from([1e-4, 2e-4, 5e-5, 3e-4, 1e-4, 2e-4]);
  const t = topologyFromConductances(g, 2, 3, { wordSegmentOhm: 20, bitSegmentOhm: 30, sourceOhm: 5, outputOhm: 7 });
  return { ...t, wordRight: [{ sourceOhm: 4 }, null], bitTop: [null, { sourceOhm: 6 }, { sourceOhm: 0 }] };
}

const drives: CrossbarDrive = {
  wordLeftVolt: [
    [0.4, -0.2],
    [0.1, 0.3],
    [0, 0],
  ],
  wordRightVolt: [
    [0.1, 0],
    [-0.3, 0],
    [0.2, 0],
  ],
  bitBottomVolt: [
    [0, 0.05, 0],
    [0.02, 0, -0.1],
    [0, 0, 0],
  ],
  bitTopVolt: [
    [0, 0.1, -0.05],
    [0, 0, 0.2],
    [0, 0.3, 0],
  ],
};
const input = (k: number): CrossbarDrive => ({
  wordLeftVolt: [drives.wordLeftVolt[k]],
  wordRightVolt: [drives.wordRightVolt![k]],
  bitBottomVolt: [drives.bitBottomVolt![k]],
  bitTopVolt: [drives.bitTopVolt![k]],
});

test("Newton with ohmic devices reproduces the linear solver for every terminal family and input, in two iterations", () => {
  const t = everyEnd();
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const nl = solveNonlinear(t, ohmicLaw(t.conductancesSiemens), drives, { engine, maxStepVolt: 10 });
    const lin = solveCrossbar(t, drives, { engine: "direct" });
    assert.equal(nl.engine, engine);
    // the first step solves the linear circuit; the second finds nothing left to move
    assert.deepEqual(nl.newtonIterations, [2, 2, 2]);
    for (const key of [
      "wordVoltages",
      "bitVoltages",
      "deviceCurrents",
      "wordSegmentCurrents",
      "bitSegmentCurrents",
      "wordLeftCurrents",
      "wordRightCurrents",
      "bitTopCurrents",
      "outputCurrents",
    ] as const) {
      const a = nl[key],
        b = lin[key];
      assert.equal(a.length, b.length, key);
      a.forEach((x, r) =>
        assert.ok(Math.abs(x - b[r]) <= 1e-9 * 1e-4 + 1e-9 * Math.abs(b[r]), `${engine} ${key}[${r}]: ${x} vs ${b[r]}`),
      );
    }
  }
});

test("several inputs solved by Newton together equal each solved alone: every array, iterations, and the worst residuals and sweeps", () => {
  const t = everyEnd();
  const pf = pooleFrenkelLaw(Float64Array.from(t.conductancesSiemens), new Float64Array(6).fill(2e-19));
  const opts = { engine: "gauss-seidel" as const, voltageTolerance: 1e-10 };
  const all = solveNonlinear(t, pf, drives, opts);
  const alone = [0, 1, 2].map((k) => solveNonlinear(t, pf, input(k), opts));
  assert.deepEqual(
    all.newtonIterations,
    alone.map((s) => s.newtonIterations[0]),
  );
  for (const key of [
    "wordVoltages",
    "bitVoltages",
    "deviceCurrents",
    "wordSegmentCurrents",
    "bitSegmentCurrents",
    "wordLeftCurrents",
    "wordRightCurrents",
    "bitTopCurrents",
    "outputCurrents",
  ] as const) {
    assert.deepEqual(
      Array.from(all[key]),
      alone.flatMap((s) => Array.from(s[key])),
      key,
    );
  }
  assert.equal(all.inputs, 3);
  assert.equal(all.kclResidualAmp, Math.max(...alone.map((s) => s.kclResidualAmp)));
  assert.equal(all.kclResidualRelative, Math.max(...alone.map((s) => s.kclResidualRelative)));
  assert.equal(all.lawResidualAmp, Math.max(...alone.map((s) => s.lawResidualAmp)));
  assert.ok(
    alone.every((s) => (s.sweeps ?? 0) > 0),
    "Gauss–Seidel reports its sweeps",
  );
  assert.equal(all.sweeps, Math.max(...alone.map((s) => s.sweeps!)));
  assert.ok(all.converged && all.newtonConverged);
  // the three inputs differ, so the maxima are not trivially the first input's
  assert.ok(new Set(alone.map((s) => s.kclResidualAmp)).size > 1 && new Set(alone.map((s) => s.sweeps)).size > 1);
});

test("Newton's checks: the law's device count, the voltage tolerance; one iteration is allowed", () => {
  const t = topologyFromConductances(new Float64Array(4).fill(1e-4), 2, 2, { wordSegmentOhm: 2, bitSegmentOhm: 2 });
  const law = ohmicLaw(new Float64Array(4).fill(1e-4));
  const drive = { wordLeftVolt: [[0.5, 0.3]] };
  assert.throws(
    () => solveNonlinear(t, ohmicLaw(new Float64Array(6).fill(1e-4)), drive),
    /the current law describes 6 devices, the crossbar has 4/,
  );
  for (const tol of [0, -1e-9, Number.NaN, Infinity])
    assert.throws(
      () => solveNonlinear(t, law, drive, { voltageTolerance: tol }),
      new RegExp(`voltageTolerance must be a finite number of volts > 0, got ${tol}`),
    );
  // an undriven array is solved at the first iteration
  const zero = solveNonlinear(t, law, { wordLeftVolt: [[0, 0]] }, { maxIterations: 1 });
  assert.deepEqual(zero.newtonIterations, [1]);
  assert.ok(zero.deviceCurrents.every((x) => x === 0));
});

test("a law error names the device by row and column; zero differential conductance is allowed", () => {
  const t = topologyFromConductances(new Float64Array(6).fill(1e-4), 2, 3, { wordSegmentOhm: 2, bitSegmentOhm: 2 });
  const law = (name: string, at: number, f: (v: number) => [number, number]): DeviceCurrentLaw => ({
    name,
    devices: 6,
    evaluate(v, i, g) {
      for (let k = 0; k < v.length; k++) [i[k], g[k]] = k === at ? f(v[k]) : [1e-4 * v[k], 1e-4];
    },
  });
  const drive = { wordLeftVolt: [[0.5, 0.3]] };
  assert.throws(
    () =>
      solveNonlinear(
        t,
        law("nan", 5, () => [NaN, 1e-4]),
        drive,
      ),
    /device law "nan": device 5 \(row 1, column 2\) at 0 V gives current NaN A/,
  );
  assert.throws(
    () =>
      solveNonlinear(
        t,
        law("ndr", 4, () => [0, -1e-5]),
        drive,
      ),
    /device law "ndr": device 4 \(row 1, column 1\) has negative differential conductance -0.00001 S at 0 V/,
  );
  const flat = solveNonlinear(
    t,
    law("flat", 4, () => [1e-6, 0]),
    drive,
  );
  assert.ok(
    Math.abs(flat.deviceCurrents[4] - 1e-6) < 1e-15,
    `a constant-current device carries its current: ${flat.deviceCurrents[4]}`,
  );
});

/** Ohmic devices with dI/dV overstated twofold: Newton then converges linearly, at a fixed rate. */
function overstated(gSiemens: Float64Array): DeviceCurrentLaw {
  return {
    name: "ohmic, dI/dV doubled",
    devices: gSiemens.length,
    evaluate(v, i, g) {
      for (let k = 0; k < v.length; k++) {
        i[k] = gSiemens[k] * v[k];
        g[k] = 2 * gSiemens[k];
      }
    },
  };
}

test("Newton stops relative to the largest drive voltage on any terminal: a circuit scaled tenfold stops after as many iterations", () => {
  const g = Float64Array.from([1e-3, 5e-4, 2e-4, 1e-3]);
  const t = topologyFromConductances(g, 2, 2, { wordSegmentOhm: 300, bitSegmentOhm: 300 });
  const law = overstated(g);
  const opts = { voltageTolerance: 1e-9, maxStepVolt: 1e3, maxIterations: 200 };
  const at = (s: number) => solveNonlinear(t, law, { wordLeftVolt: [[2 * s, 1.5 * s]] }, opts);
  const small = at(1),
    large = at(10);
  assert.ok(small.newtonIterations[0] > 5, `linear convergence takes several iterations: ${small.newtonIterations[0]}`);
  assert.deepEqual(large.newtonIterations, small.newtonIterations);
  // the answer is the linear circuit's, to the tolerance
  const lin = solveCrossbar(t, { wordLeftVolt: [[20, 15]] }, { engine: "direct" });
  large.wordVoltages.forEach((w, r) => {
    const v = w - large.bitVoltages[r],
      want = lin.wordVoltages[r] - lin.bitVoltages[r];
    assert.ok(Math.abs(v - want) < 20 * 1e-9 * 2, `device ${r}: ${v} V vs ${want} V`);
  });
  // the same drive on a bit line's sources (negated: device voltage is word minus bit) stops alike
  const tb: CrossbarTopology = { ...t, bitTop: [{ sourceOhm: 0 }, { sourceOhm: 0 }] };
  const fromWord = solveNonlinear(tb, law, { wordLeftVolt: [[20, 0]], bitTopVolt: [[0, 0]] }, opts);
  const fromBit = solveNonlinear(tb, law, { wordLeftVolt: [[0, 0]], bitTopVolt: [[0, -20]] }, opts);
  assert.ok(fromWord.newtonIterations[0] > 5);
  assert.deepEqual(fromBit.newtonIterations, fromWord.newtonIterations);
});

test("the law residual is the largest |law current − companion current| at the returned voltages", () => {
  const g = Float64Array.from([1e-3, 5e-4, 2e-4, 1e-3]);
  const t = topologyFromConductances(g, 2, 2, { wordSegmentOhm: 300, bitSegmentOhm: 300 });
  const s = solveNonlinear(
    t,
    overstated(g),
    {
      wordLeftVolt: [
        [2, 1.5],
        [0.5, -1],
      ],
    },
    { voltageTolerance: 1e-4, maxStepVolt: 1e3 },
  );
  let want = 0;
  for (let r = 0; r < 8; r++)
    want = Math.max(want, Math.abs(g[r % 4] * (s.wordVoltages[r] - s.bitVoltages[r]) - s.deviceCurrents[r]));
  assert.ok(want > 1e-9, `a loose tolerance leaves a visible residual: ${want} A`);
  assert.ok(Math.abs(s.lawResidualAmp - want) <= 1e-12 * want, `${s.lawResidualAmp} vs ${want}`);
});

test("damping: with at most 0.1 V per step, a 1 V solve takes about ten steps; with no limit in reach, two", () => {
  const g = new Float64Array(4).fill(1e-4);
  const t = topologyFromConductances(g, 2, 2, { wordSegmentOhm: 1, bitSegmentOhm: 1 });
  const drive = { wordLeftVolt: [[1, 0.5]] };
  const damped = solveNonlinear(t, ohmicLaw(g), drive, { maxStepVolt: 0.1 });
  assert.ok(
    damped.newtonIterations[0] >= 10 && damped.newtonIterations[0] <= 12,
    `damped: ${damped.newtonIterations[0]} iterations`,
  );
  assert.deepEqual(solveNonlinear(t, ohmicLaw(g), drive, { maxStepVolt: 2 }).newtonIterations, [2]);
  // the iteration budget is used to its last iteration
  assert.deepEqual(
    solveNonlinear(t, ohmicLaw(g), drive, { maxStepVolt: 0.1, maxIterations: damped.newtonIterations[0] })
      .newtonIterations,
    damped.newtonIterations,
  );
});

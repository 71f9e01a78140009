/**
 * No silent wrong answer from the crossbar solver: unconverged Gauss–Seidel and Newton throw, a
 * floating network gets the same clear error from both engines, a prepared system keeps its own
 * conductances, results beyond float64's resolution are refused, Newton's options and laws are
 * checked by name, and typed-array drive rows are accepted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CrossbarTopology, readTopology, topologyFromConductances } from "../../lib/crossbar/circuit";
import { CONDUCTANCE_SPAN_LIMIT, CrossbarSystem, solveCrossbar } from "../../lib/crossbar/solver";
import { DeviceCurrentLaw, ohmicLaw, solveNonlinear } from "../../lib/crossbar/nonlinear";

const uniform = (m: number, n: number, g: number) => new Float64Array(m * n).fill(g);

test("Gauss–Seidel that has not converged throws (32×32, 1 S devices, 100 Ω wires) instead of returning its last sweep; direct solves it", () => {
  const t = topologyFromConductances(uniform(32, 32, 1), 32, 32, { wordSegmentOhm: 100, bitSegmentOhm: 100 });
  const drive = { wordLeftVolt: [new Array(32).fill(1)] };
  // its sweeps are over-relaxed by then, and the message says so (the change a relaxed sweep makes is no KCL residual)
  assert.throws(
    () => solveCrossbar(t, drive, { engine: "gauss-seidel", maxSweeps: 300 }),
    /Gauss–Seidel did not converge in 300 sweeps: its last sweep, over-relaxed \(ω = 1\.[0-9]{3}\), moved device currents by [0-9.e+-]+ of the largest terminal current.* use engine "direct", or raise maxSweeps/,
  );
  const s = solveCrossbar(t, drive, { engine: "direct" });
  assert.ok(s.converged && s.kclResidualRelative < 1e-9, `direct: relative KCL residual ${s.kclResidualRelative}`);
});

test("a floating network gets the same named error from both engines (an isolated 1×1, and a bit line reached by no device)", () => {
  const isolated: CrossbarTopology = {
    ...readTopology([[1000]], { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    wordLeft: [null],
    bitBottom: [null],
  };
  const part: CrossbarTopology = {
    ...topologyFromConductances(Float64Array.from([1e-3, 0, 1e-3, 0]), 2, 2, { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    bitBottom: [{ sourceOhm: 0 }, null],
  };
  for (const [t, what] of [
    [isolated, /word lines 0 and bit lines 0 have no path/],
    [part, /floating network: bit lines 1 have no path to a driven line end/],
  ] as const) {
    for (const engine of ["direct", "gauss-seidel"] as const)
      assert.throws(() => solveCrossbar(t, { wordLeftVolt: [new Array(t.rows).fill(1)] }, { engine }), what, engine);
  }
});

test("a prepared system keeps its own conductances: changing the caller's array afterwards changes no answer", () => {
  const values = [1e-3, 2e-4, 5e-4, 1e-3, 3e-4, 7e-4];
  const g = Float64Array.from(values);
  const drive = { wordLeftVolt: [[0.3, 0.2]] };
  const sys = new CrossbarSystem(topologyFromConductances(g, 2, 3, { wordSegmentOhm: 5, bitSegmentOhm: 5 }));
  sys.solve(drive); // factors built from the original values
  g.fill(1e-2);
  const fresh = solveCrossbar(
    topologyFromConductances(Float64Array.from(values), 2, 3, { wordSegmentOhm: 5, bitSegmentOhm: 5 }),
    drive,
  );
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const s = sys.solve(drive, { engine });
    s.outputCurrents.forEach((x, k) =>
      assert.ok(
        Math.abs(x - fresh.outputCurrents[k]) <= 1e-9 * Math.abs(fresh.outputCurrents[k]),
        `${engine} output ${k}: ${x} vs ${fresh.outputCurrents[k]}`,
      ),
    );
    s.deviceCurrents.forEach((x, k) =>
      assert.ok(
        Math.abs(x - fresh.deviceCurrents[k]) <= 1e-9 * Math.abs(fresh.deviceCurrents[k]) + 1e-18,
        `${engine} device ${k}`,
      ),
    );
  }
});

test("circuits float64 cannot resolve are refused by name: 1e-13 Ω segments beside mS devices, a 1e200 S device", () => {
  const t = topologyFromConductances(uniform(3, 3, 1e-3), 3, 3, { wordSegmentOhm: 1e-13, bitSegmentOhm: 1e-13 });
  assert.throws(
    () => solveCrossbar(t, { wordLeftVolt: [[1, 0.5, 0.2]] }),
    /conductances span 1\.0e\+16 \(from 1\.00e-3 S at device \[0\]\[0\] to 1\.00e\+13 S at a word-line segment\), beyond the 1e\+12 that float64 resolves/,
  );
  const g = uniform(2, 2, 1e-3);
  g[3] = 1e200;
  assert.throws(
    () =>
      solveCrossbar(topologyFromConductances(g, 2, 2, { wordSegmentOhm: 1, bitSegmentOhm: 1 }), {
        wordLeftVolt: [[1, 1]],
      }),
    /to 1\.00e\+200 S at device \[1\]\[1\]/,
  );
  // within the limit the answer is accurate and its KCL residual small
  const fine = solveCrossbar(
    topologyFromConductances(uniform(2, 2, 1e-4), 2, 2, { wordSegmentOhm: 1e-6, bitSegmentOhm: 1e-6 }),
    { wordLeftVolt: [[1, 1]] },
  );
  assert.ok(fine.kclResidualRelative < 1e-6, `relative residual ${fine.kclResidualRelative}`);
  fine.outputCurrents.forEach((x) => assert.ok(Math.abs(x - 2e-4) < 1e-8 * 2e-4, `output ${x}`));
});

test("Newton: options are checked, laws that return NaN or negative dI/dV are named, and non-convergence throws", () => {
  const t = topologyFromConductances(uniform(2, 2, 1e-4), 2, 2, { wordSegmentOhm: 2, bitSegmentOhm: 2 });
  const drive = { wordLeftVolt: [[0.5, 0.3]] };
  const law = ohmicLaw(uniform(2, 2, 1e-4));
  assert.throws(
    () => solveNonlinear(t, law, drive, { maxIterations: 0 }),
    /maxIterations must be a whole number >= 1, got 0/,
  );
  assert.throws(
    () => solveNonlinear(t, law, drive, { maxStepVolt: 0 }),
    /maxStepVolt .* must be a finite number of volts > 0, got 0/,
  );
  assert.throws(() => solveNonlinear(t, law, drive, { maxStepVolt: -0.1 }), /maxStepVolt/);
  const bad = (name: string, f: (v: number) => [number, number]): DeviceCurrentLaw => ({
    name,
    devices: 4,
    evaluate(v, i, g) {
      for (let k = 0; k < v.length; k++) [i[k], g[k]] = f(v[k]);
    },
  });
  assert.throws(
    () =>
      solveNonlinear(
        t,
        bad("nan-law", () => [NaN, 1e-4]),
        drive,
      ),
    /device law "nan-law": device 0 .* both must be finite/,
  );
  assert.throws(
    () =>
      solveNonlinear(
        t,
        bad("ndr-law", (v) => [-1e-4 * v, -1e-4]),
        drive,
      ),
    /device law "ndr-law": .* negative differential conductance/,
  );
  // a steep law with heavy damping: 2 iterations cannot get there
  const steep = bad("steep", (v) => [1e-6 * Math.sinh(20 * v), 2e-5 * Math.cosh(20 * v)]);
  assert.throws(
    () => solveNonlinear(t, steep, drive, { maxIterations: 2, maxStepVolt: 0.01 }),
    /Newton did not converge for device law "steep" \(input 0\): after 2 iterations/,
  );
  const ok = solveNonlinear(t, steep, drive);
  assert.ok(
    ok.newtonConverged && ok.lawResidualAmp < 1e-12,
    `converged with the defaults, law residual ${ok.lawResidualAmp}`,
  );
});

test("drive rows may be typed arrays (Float64Array), with the same answer as plain arrays", () => {
  const t = topologyFromConductances(Float64Array.from([1e-3, 2e-4, 5e-4, 1e-3]), 2, 2, {
    wordSegmentOhm: 3,
    bitSegmentOhm: 3,
  });
  const plain = solveCrossbar(t, { wordLeftVolt: [[0.4, 0.1]], bitBottomVolt: [[0, 0.05]] });
  const typed = solveCrossbar(t, {
    wordLeftVolt: [Float64Array.from([0.4, 0.1])],
    bitBottomVolt: [Float64Array.from([0, 0.05])],
  });
  assert.deepEqual(Array.from(typed.outputCurrents), Array.from(plain.outputCurrents));
  assert.throws(
    () => solveCrossbar(t, { wordLeftVolt: [Float64Array.from([0.4])] }),
    /drive.wordLeftVolt\[0\] must have 2 voltages \(one per line: an array or typed array\), got 1/,
  );
});

test("the conductance span names its extremes of every kind, ignores open devices and ideal wires, and allows exactly CONDUCTANCE_SPAN_LIMIT", () => {
  const g = uniform(2, 3, 1e-3);
  const refuse = (t: CrossbarTopology, pattern: RegExp) => assert.throws(() => new CrossbarSystem(t), pattern);
  refuse(
    topologyFromConductances(g, 2, 3, { wordSegmentOhm: 1, bitSegmentOhm: 1e-13 }),
    /to 1\.00e\+13 S at a bit-line segment/,
  );
  // an end conducts at most as much as its segment: ends can only be the lower extreme
  refuse(
    topologyFromConductances(g, 2, 3, { wordSegmentOhm: 1, bitSegmentOhm: 1, sourceOhm: 1e16 }),
    /from 1\.00e-16 S at wordLeft\[0\] \(source \+ segment\)/,
  );
  refuse(
    topologyFromConductances(g, 2, 3, { wordSegmentOhm: 1, bitSegmentOhm: 1, outputOhm: 1e16 }),
    /from 1\.00e-16 S at bitBottom\[0\] \(source \+ segment\)/,
  );
  const t = topologyFromConductances(g, 2, 3, { wordSegmentOhm: 1, bitSegmentOhm: 1 });
  refuse({ ...t, wordRight: [null, { sourceOhm: 1e16 }] }, /from 1\.00e-16 S at wordRight\[1\] \(source \+ segment\)/);
  refuse({ ...t, bitTop: [null, null, { sourceOhm: 1e16 }] }, /from 1\.00e-16 S at bitTop\[2\] \(source \+ segment\)/);
  refuse(
    { ...t, conductancesSiemens: Float64Array.from([1e-3, 1e-3, 1e-3, 1e-3, 1e-17, 1e-3]) },
    /from 1\.00e-17 S at device \[1\]\[1\]/,
  );
  // open devices and ideal wires do not count; a span of exactly the limit is accepted, one ulp more is not
  const ideal = topologyFromConductances(g, 2, 3, { wordSegmentOhm: 0, bitSegmentOhm: 0 });
  assert.doesNotThrow(
    () =>
      new CrossbarSystem({ ...ideal, conductancesSiemens: Float64Array.from([1, 0, 1, 0, CONDUCTANCE_SPAN_LIMIT, 1]) }),
  );
  refuse(
    { ...ideal, conductancesSiemens: Float64Array.from([1, 0, 1, 0, CONDUCTANCE_SPAN_LIMIT * (1 + 2 ** -52), 1]) },
    /conductances span 1\.0e\+12 \(from 1\.00e\+0 S at device \[0\]\[0\] to 1\.00e\+12 S at device \[1\]\[1\]\)/,
  );
});

// Device laws as expressions: the symbolic derivative, the Newton solve with a user law, and clear errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { expressionLaw } from "../../lib/devices/expression-law";
import {
  BOLTZMANN_JOULE_PER_KELVIN,
  ELEMENTARY_CHARGE_COULOMB,
  ROOM_TEMPERATURE_KELVIN,
} from "../../lib/devices/poole-frenkel";
import { pooleFrenkelLaw, solveNonlinear } from "../../lib/crossbar/nonlinear";
import { topologyFromConductances } from "../../lib/crossbar/circuit";
import { rng } from "../../lib/runtime/random";

const PF = "c * V * exp(a * sqrt(q * abs(V) / (pi * deps) + 1e-18))";
const pfParams = (c: ArrayLike<number>, deps: ArrayLike<number>) => ({
  c,
  deps,
  a: ELEMENTARY_CHARGE_COULOMB / (BOLTZMANN_JOULE_PER_KELVIN * ROOM_TEMPERATURE_KELVIN),
  q: ELEMENTARY_CHARGE_COULOMB,
});

test("expression law: current and symbolic dI/dV equal the built-in Poole–Frenkel law, V = 0 included; per-device parameters", () => {
  const r = rng(1);
  const n = 6;
  const c = Float64Array.from({ length: n }, () => r.uniform(1e-6, 1e-5)),
    deps = Float64Array.from({ length: n }, () => r.uniform(1e-19, 1e-18));
  const law = expressionLaw(PF, pfParams(c, deps), n);
  const ref = pooleFrenkelLaw(c, deps);
  const v = Float64Array.from([-0.5, -0.01, 0, 1e-9, 0.2, 0.7]);
  const [i1, g1, i2, g2] = [0, 1, 2, 3].map(() => new Float64Array(n));
  law.evaluate(v, i1, g1);
  ref.evaluate(v, i2, g2);
  for (let k = 0; k < n; k++) {
    assert.ok(Math.abs(i1[k] - i2[k]) <= 1e-12 * Math.abs(i2[k]) + 1e-30, `I at ${v[k]} V: ${i1[k]} vs ${i2[k]}`);
    assert.ok(Math.abs(g1[k] - g2[k]) <= 1e-6 * g2[k], `dI/dV at ${v[k]} V: ${g1[k]} vs ${g2[k]}`);
  }
  assert.match(law.derivativeExpression, /exp/);
  assert.equal(law.name, `expression: ${PF}`);
});

test("Newton with an expression law gives the built-in law's solution on a crossbar with line resistance", () => {
  const m = 4,
    n = 5,
    N = m * n;
  const c = new Float64Array(N).fill(5e-6),
    deps = new Float64Array(N).fill(4e-19);
  const topo = topologyFromConductances(Float64Array.from(c), m, n, { wordSegmentOhm: 100, bitSegmentOhm: 100 });
  const drive = { wordLeftVolt: [[0.5, 0.1, 0.3, 0.4]] };
  const a = solveNonlinear(topo, expressionLaw(PF, pfParams(c, deps), N), drive);
  const b = solveNonlinear(topo, pooleFrenkelLaw(c, deps), drive);
  for (let j = 0; j < n; j++)
    assert.ok(
      Math.abs(a.outputCurrents[j] - b.outputCurrents[j]) <= 1e-9 * Math.abs(b.outputCurrents[j]),
      `column ${j}`,
    );
  // a simple law with a closed form: I = g·V + k·V³ on a 1×1 array with ideal wires is the law itself
  const one = solveNonlinear(
    topologyFromConductances(Float64Array.from([1e-4]), 1, 1, { wordSegmentOhm: 0, bitSegmentOhm: 0 }),
    expressionLaw("g*V + k*V^3", { g: 1e-4, k: 2e-4 }, 1),
    { wordLeftVolt: [[0.5]] },
  );
  assert.ok(Math.abs(one.outputCurrents[0] - (1e-4 * 0.5 + 2e-4 * 0.125)) < 1e-15);
});

test("bad expressions are refused with the expression named", () => {
  assert.throws(() => expressionLaw("c * V *", { c: 1 }, 1), /device law "c \* V \*" does not parse/);
  assert.throws(
    () => expressionLaw("c * V * exp(d * V)", { c: 1 }, 1),
    /device law "c \* V \* exp\(d \* V\)" uses "d", which is neither the voltage V nor a parameter \(given: c\)/,
  );
  assert.throws(() => expressionLaw("c * 2", { c: 1 }, 1), /does not depend on the voltage V/);
  assert.throws(() => expressionLaw("c * V", { c: [1, 2] }, 3), /parameter c has 2 values for 3 devices/);
  assert.throws(() => expressionLaw("c * V", { c: NaN }, 1), /parameter c = NaN is not a finite number/);
  assert.throws(() => expressionLaw("c * V", { c: 1, V: 2 }, 1), /"V" is the device voltage, not a parameter/);
  assert.throws(() => expressionLaw("", {}, 1), /non-empty string/);
  const complex = expressionLaw("c * sqrt(V)", { c: 1 }, 1);
  assert.throws(
    () => complex.evaluate(Float64Array.from([-1]), new Float64Array(1), new Float64Array(1)),
    /device law "c \* sqrt\(V\)": I\(-1 V\) of device 0 is not a real number/,
  );
  const negative = expressionLaw("-c * V", { c: 1e-4 }, 1);
  assert.throws(
    () =>
      solveNonlinear(
        topologyFromConductances(Float64Array.from([1e-4]), 1, 1, { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
        negative,
        { wordLeftVolt: [[0.5]] },
      ),
    /device law "expression: -c \* V".*negative differential conductance/,
  );
});

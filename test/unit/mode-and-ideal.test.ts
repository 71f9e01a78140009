import { test } from "node:test";
import assert from "node:assert/strict";
import { announceMode, byMode, runMode } from "../../lib/runtime/mode";
import { idealCurrents, idealCurrentsTf } from "../../lib/crossbar/ideal";

test("run mode comes from CROSSBAR_LAB_MODE, quick when unset; unknown values are errors", () => {
  assert.equal(runMode({}), "quick");
  assert.equal(runMode({ CROSSBAR_LAB_MODE: "" }), "quick");
  assert.equal(runMode({ CROSSBAR_LAB_MODE: " Full " }), "full");
  assert.equal(runMode({ CROSSBAR_LAB_MODE: "quick" }), "quick");
  assert.equal(byMode({ quick: 1, full: 2 }, "quick"), 1);
  assert.throws(() => runMode({ CROSSBAR_LAB_MODE: "fast" }), /"fast" is not a run mode/);
});

test("announceMode names the mode, its duration and how to get the other one", (t) => {
  const lines: string[] = [];
  t.mock.method(console, "log", (s: string) => lines.push(s));
  assert.equal(announceMode({ quick: "2 minutes", full: "3 hours" }, {}), "quick");
  assert.match(lines[0], /quick \(the default\), roughly 2 minutes.*full mode, 3 hours.*CROSSBAR_LAB_MODE=full/);
  assert.equal(announceMode({ quick: "2 minutes", full: "3 hours" }, { CROSSBAR_LAB_MODE: "full" }), "full");
  assert.match(lines[1], /^run mode: full .*roughly 3 hours.*roughly 2 minutes/);
});

test("ideal crossbar: I_j = sum_i V_i G_ij", () => {
  const G = [
    [1e-3, 2e-3],
    [3e-3, 4e-3],
    [5e-3, 6e-3],
  ];
  const I = idealCurrents([[1, 0.5, 0.25]], G);
  assert.ok(Math.abs(I[0][0] - (1e-3 + 1.5e-3 + 1.25e-3)) < 1e-15);
  assert.ok(Math.abs(I[0][1] - (2e-3 + 2e-3 + 1.5e-3)) < 1e-15);
});

test("ideal crossbar on tfjs matches the TypeScript product", async () => {
  const tf = await import("@tensorflow/tfjs");
  await tf.setBackend("cpu");
  const G = [[1e-4, 2e-4], [3e-4, 4e-4]];
  const V = [[0.1, 0.2], [0.3, -0.1]];
  const a = idealCurrents(V, G), b = idealCurrentsTf(V, G);
  const scale = Math.max(...a.flat().map(Math.abs));
  a.forEach((r, k) => r.forEach((x, j) => assert.ok(Math.abs(x - b[k][j]) <= 1e-6 * scale, `${x} vs ${b[k][j]}`)));
});

test("ideal crossbar rejects bad input with the problem named", () => {
  assert.throws(() => idealCurrents([[1, 2]], [[1e-3], [-1e-3]]), /conductances\[1\]\[0\] = -0.001 S: conductances must be finite and >= 0/);
  assert.throws(() => idealCurrents([[1, 2, 3]], [[1e-3], [1e-3]]), /voltages have 3 entries per input but the crossbar has 2 rows/);
  assert.throws(() => idealCurrents([[1]], [[1e-3, 1e-3], [1e-3]]), /ragged: row 1 has 1 entries/);
  assert.throws(() => idealCurrents([[Number.NaN]], [[1e-3]]), /not finite/);
  assert.throws(() => idealCurrents([], [[1e-3]]), /voltages must be a non-empty 2-D array/);
});

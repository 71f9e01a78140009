// Bookkeeping of the robustness heatmap (spec §7.1/§7.2): which network meets which setup, in which order.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ROBUSTNESS_SETUPS,
  ROBUSTNESS_TRAININGS,
  robustnessMatrix,
  robustnessPlan,
  rowNormalisedLog,
} from "../../lib/experiments/joksas-robustness";
import { JOKSAS_TRAININGS } from "../../lib/experiments/joksas";
import { expandGrid, gridExperiment } from "../../lib/grid";

test("13 trainings (T0–T8, T13–T16) × 9 setups (D0–D8) = 117 distinct pairs, in the paper's order", () => {
  assert.deepEqual(
    [...ROBUSTNESS_TRAININGS].sort(),
    ["T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T13", "T14", "T15", "T16"].sort(),
  );
  assert.deepEqual([...ROBUSTNESS_SETUPS].sort(), ["D0", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]);
  for (const t of ROBUSTNESS_TRAININGS) assert.ok(JOKSAS_TRAININGS[t], t);
  // columns: Ideal, low, low reg, high, high reg, stuck off, Ta/HfO2, more uniform (±reg), less uniform (±reg), high + stuck on, high D2D
  assert.deepEqual(
    ROBUSTNESS_TRAININGS.map((t) => JOKSAS_TRAININGS[t].setup),
    ["D0", "D1", "D1", "D2", "D2", "D3", "D8", "D5", "D5", "D6", "D6", "D4", "D7"],
  );
  assert.deepEqual(
    ROBUSTNESS_TRAININGS.map((t) => JOKSAS_TRAININGS[t].regularised),
    [false, false, true, false, true, false, false, false, true, false, true, false, false],
  );
  const plan = robustnessPlan();
  assert.equal(plan.length, 117);
  assert.equal(new Set(plan.map((p) => `${p.training}/${p.setup}`)).size, 117);
  const cells = expandGrid(gridExperiment("joksas-robustness").defaultGrid("quick"), "1");
  assert.deepEqual(
    cells.map((c) => c.params.training),
    [...ROBUSTNESS_TRAININGS],
  );
});

test("matrix: each measured cell lands at [setup row][training column]; missing, duplicate and foreign cells are errors", () => {
  const cells = robustnessPlan().map((p) => ({
    ...p,
    medianErrorPercent: 100 * ROBUSTNESS_TRAININGS.indexOf(p.training) + ROBUSTNESS_SETUPS.indexOf(p.setup) + 1,
  }));
  const m = robustnessMatrix([...cells].reverse());
  assert.equal(m.length, 9);
  for (let i = 0; i < 9; i++) for (let j = 0; j < 13; j++) assert.equal(m[i][j], 100 * j + i + 1);
  assert.throws(() => robustnessMatrix(cells.slice(1)), /incomplete: 1 cells missing \(first: T0 on D0\)/);
  assert.throws(() => robustnessMatrix([...cells, cells[5]]), /appears twice/);
  assert.throws(
    () => robustnessMatrix([...cells, { training: "T9", setup: "D5", medianErrorPercent: 1 }]),
    /T9 is not part/,
  );
  const z = rowNormalisedLog(m);
  for (const row of z) {
    assert.equal(Math.min(...row), 0);
    assert.equal(Math.max(...row), 1);
  }
  assert.deepEqual(rowNormalisedLog([[5, 5]]), [[0.5, 0.5]]);
});

// The headline contrast of Drolet et al. 2023 in quick mode: hardware-aware training lifts the share of
// test points classified correctly in ≥ 95 % of transfers by at least 30 points (mean over 3 seeds).
import { test } from "node:test";
import assert from "node:assert/strict";
import { droletData, droletRunConfig, meanSd, runDrolet } from "../../lib/experiments/drolet";

test("hardware-aware share minus regular share >= 30 points (quick mode, 3 seeds)", () => {
  const diffs: number[] = [];
  for (const seed of [0, 1, 2]) {
    const data = droletData("paper", seed);
    const reg = runDrolet(droletRunConfig("regular", { seed, epochs: 2500, transfers: 300 }), data);
    const aware = runDrolet(droletRunConfig("aware", { seed, epochs: 2500, transfers: 300 }), data);
    diffs.push(aware.share95 - reg.share95);
  }
  const { mean } = meanSd(diffs);
  assert.ok(
    mean >= 0.3,
    `mean contrast ${(100 * mean).toFixed(1)} points (per seed ${diffs.map((d) => (100 * d).toFixed(1)).join(", ")})`,
  );
});

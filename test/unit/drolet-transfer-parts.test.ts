/**
 * The parts of the Drolet et al. (2023) transfer, each with worked numbers: one device's
 * perturbation (tuning offset and noise, drift, stuck failures) under scripted random draws, the
 * hardware σ of the optional KL term, the per-tensor mapping, programming order, the transfer of
 * differential pairs with its dG'/dG, the drift table's parsing and interpolation, and the TiO₂
 * config's checks and immutability.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, rng } from "../../lib/runtime/random";
import { DriftTable, parseDriftTable, quantileAt, sampleDrift, droletDriftTable } from "../../lib/devices/drift-table";
import { DROLET_2023_TIO2, TiO2DeviceConfig, validateDevice, withDevice, withoutSources } from "../../lib/devices/tio2";
import {
  mapTensor,
  mappingScheme,
  pairDriftKeys,
  programmingPositions,
  transferPairs,
  transferTensor,
} from "../../lib/tile/transfer";
import { perturbConductance, perturbConductances } from "../../lib/devices/tio2-transfer";

/** A generator that returns the given standard normals and uniforms in order, and fails when one more is asked for. */
class Scripted extends Rng {
  private readonly zs: number[];
  private readonly us: number[];
  constructor(normals: number[], uniforms: number[]) {
    super(0);
    this.zs = [...normals];
    this.us = [...uniforms];
  }
  override next(): number {
    const u = this.us.shift();
    if (u === undefined) throw new Error("scripted generator: no uniform left");
    return u;
  }
  override uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }
  override normal(mean = 0, std = 1): number {
    const z = this.zs.shift();
    if (z === undefined) throw new Error("scripted generator: no normal left");
    return mean + std * z;
  }
  get left(): number {
    return this.zs.length + this.us.length;
  }
}

const TUNING_ONLY = withoutSources(DROLET_2023_TIO2, "drift", "failures");
const close = (a: number, b: number, what: string, rel = 1e-12) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test("tuning: the offset o = −0.589 % + 0.339 %·z₁ moves G by ±o·G (sign by column scheme), then noise σ_rel(G)·G·z₂; the variance is σ² + (0.339 %·G₀)²", () => {
  const t = DROLET_2023_TIO2.tuning;
  const g0 = 300e-6,
    z1 = 1,
    z2 = 0.5;
  const o = t.offsetMeanPercent + t.offsetStdPercent * z1;
  for (const sign of [1, -1] as const) {
    const g1 = g0 + (sign * o * g0) / 100;
    const s = ((t.relStdSlopePercentPerSiemens * g1 + t.relStdInterceptPercent) / 100) * g1;
    const r = perturbConductance(g0, TUNING_ONLY, sign, 7, new Scripted([z1, z2], []));
    close(r.g, g1 + z2 * s, `sign ${sign}: G`);
    close(r.tuneVar, s * s + ((t.offsetStdPercent * g0) / 100) ** 2, `sign ${sign}: variance`);
    close(
      r.slope,
      (1 + (sign * o) / 100) * (1 + (z2 * (2 * t.relStdSlopePercentPerSiemens * g1 + t.relStdInterceptPercent)) / 100),
      `sign ${sign}: dG'/dG`,
    );
    assert.equal(r.failed, false);
  }
  const off = perturbConductance(
    g0,
    withoutSources(DROLET_2023_TIO2, "tuning", "drift", "failures"),
    1,
    7,
    new Scripted([], []),
  );
  assert.deepEqual(off, { g: g0, failed: false, tuneVar: 0, slope: 1 });
});

test("drift: a device with key k > 0 gains the measured drift at the drawn quantile; the last device (key 0) draws nothing", () => {
  const cfg = withoutSources(DROLET_2023_TIO2, "tuning", "failures");
  const table = droletDriftTable();
  const g0 = 200e-6;
  const r = perturbConductance(g0, cfg, 1, 5, new Scripted([], [0.8]));
  close(r.g, g0 + quantileAt(table, table.byKey.get(5)!, 0.8), "key 5");
  assert.ok(quantileAt(table, table.byKey.get(5)!, 0.8) !== 0);
  const last = new Scripted([], [0.8]);
  assert.equal(perturbConductance(g0, cfg, 1, 0, last).g, g0);
  assert.equal(last.left, 1, "key 0 makes no draw");
});

test("stuck failures: u₂ < p_LRS + p_HRS fails the device; u₁ below the HRS share picks HRS (uniform in its range), else LRS (normal)", () => {
  const cfg = withoutSources(DROLET_2023_TIO2, "tuning", "drift");
  const f = cfg.failures,
    pFail = f.pStuckLrs + f.pStuckHrs,
    hrsShare = f.pStuckHrs / pFail;
  const g0 = 300e-6;
  assert.deepEqual(
    perturbConductance(g0, cfg, 1, 3, new Scripted([], [0.2, pFail])),
    { g: g0, failed: false, tuneVar: 0, slope: 1 },
    "u₂ = p is not a failure",
  );
  const hrs = perturbConductance(g0, cfg, 1, 3, new Scripted([], [0.2, pFail / 2, 0.25]));
  assert.equal(hrs.failed, true);
  close(hrs.g, f.hrsMinSiemens + 0.25 * (f.hrsMaxSiemens - f.hrsMinSiemens), "HRS value");
  const lrs = perturbConductance(g0, cfg, 1, 3, new Scripted([1.5], [hrsShare, 0]));
  assert.equal(lrs.failed, true, "u₁ at the HRS share is LRS");
  close(lrs.g, f.lrsMeanSiemens + 1.5 * f.lrsStdSiemens, "LRS value");
});

/** The σ of the KL term recomputed from the same draws, device by device, as the authors' code defines it. */
function sigmaByReplay(values: number[], shape: number[], cfg: TiO2DeviceConfig, seed: number): Float64Array {
  const m = mapTensor(values, cfg),
    r = rng(seed);
  const n = values.length;
  const perMicro = (Math.max(...values) - Math.min(...values)) / 400;
  const sign = m.scheme === "double" ? 1 : -1;
  const position = programmingPositions(shape);
  return Float64Array.from({ length: n }, (_, i) => {
    const key = position[i] === n - 1 ? 0 : n - position[i];
    const pairs = m.scheme === "double";
    const a = perturbConductance(m.gSiemens[pairs ? 2 * i : i], cfg, sign, key, r);
    const b = pairs ? perturbConductance(m.gSiemens[2 * i + 1], cfg, sign, key, r) : null;
    const type = (x: { g: number; failed: boolean }) => (x.failed ? (x.g <= cfg.failures.hrsMaxSiemens ? 1 : 2) : 0);
    const ta = type(a),
      tb = b ? type(b) : 0;
    const both = b ? ta !== 0 && ta === tb : ta !== 0;
    if (both) return (ta === 2 ? 99.44 : 14) * perMicro;
    return Math.sqrt(a.tuneVar + (b ? b.tuneVar : 0)) * 1e6 * perMicro;
  });
}

test("the KL term's hardware σ: the root of the devices' tuning variances in weight units ((max − min)/400 per µS); 99.44 or 14 units per µS where every device is stuck at LRS or HRS", () => {
  const values = [0.8, -0.3, 0.1, -1.2, 0.5, 0.05];
  const shape = [3, 2];
  const noDrift = withoutSources(DROLET_2023_TIO2, "drift");
  const cases: Array<[string, TiO2DeviceConfig, number[]]> = [
    ["double column, tuning and failures", noDrift, values],
    ["single column", noDrift, values.map(Math.abs)],
    ["every device stuck at LRS", withDevice(noDrift, { failures: { pStuckLrs: 1, pStuckHrs: 0 } }), values],
    ["every device stuck at HRS", withDevice(noDrift, { failures: { pStuckLrs: 0, pStuckHrs: 1 } }), values],
    [
      "single column, every device stuck at LRS",
      withDevice(noDrift, { failures: { pStuckLrs: 1, pStuckHrs: 0 } }),
      values.map(Math.abs),
    ],
    ["stuck at random", withDevice(noDrift, { failures: { pStuckLrs: 0.5, pStuckHrs: 0.5 } }), values],
    ["with drift", withDevice(DROLET_2023_TIO2, { failures: { pStuckLrs: 0.3, pStuckHrs: 0.3 } }), values],
  ];
  for (const [what, cfg, v] of cases) {
    const t = transferTensor({ values: v, shape }, cfg, rng(9), { withSigma: true });
    const want = sigmaByReplay(v, shape, cfg, 9);
    t.sigma!.forEach((s, i) => close(s, want[i], `${what}: σ[${i}]`, 1e-12));
    assert.ok(
      t.sigma!.every((s) => s > 0),
      `${what}: every σ > 0`,
    );
  }
  const caseConfig = (what: string): TiO2DeviceConfig => cases.find(([w]) => w === what)![1];
  const stuck = transferTensor({ values, shape }, caseConfig("every device stuck at LRS"), rng(9), { withSigma: true });
  assert.deepEqual(Array.from(stuck.failed), [1, 1, 1, 1, 1, 1], "every weight with a stuck device is marked");
  assert.deepEqual(
    Array.from(transferTensor({ values, shape }, withoutSources(noDrift, "failures"), rng(9)).failed),
    [0, 0, 0, 0, 0, 0],
  );
  const lrs = stuck.sigma!;
  const perMicro = (0.8 - -1.2) / 400;
  lrs.forEach((s) => close(s, 99.44 * perMicro, "stuck at LRS"));
  const singleStuck = transferTensor(
    { values: values.map(Math.abs), shape },
    caseConfig("every device stuck at LRS"),
    rng(9),
    { withSigma: true },
  ).sigma!;
  singleStuck.forEach((s) => close(s, (99.44 * (1.2 - 0.05)) / 400, "single column stuck at LRS"));
  const mixed = transferTensor({ values, shape }, caseConfig("stuck at random"), rng(9), { withSigma: true }).sigma!;
  assert.ok(
    mixed.some((s) => Math.abs(s - 99.44 * perMicro) > 1e-9 && Math.abs(s - 14 * perMicro) > 1e-9),
    "a pair stuck at different states keeps its tuning σ",
  );
  // without withSigma no σ; an exact (one-element) tensor is not perturbed and has σ 0
  assert.equal(transferTensor({ values, shape }, noDrift, rng(9)).sigma, undefined);
  const exact = transferTensor({ values: [0.7], shape: [1] }, noDrift, rng(9), { withSigma: true });
  assert.deepEqual([Array.from(exact.values), Array.from(exact.sigma!), exact.scheme], [[0.7], [0], "exact"]);
});

test("mapping: the scheme follows the signs; single column spans [min, max] → [G_off, G_on] (a constant tensor maps to G_off and back); checks name the bad tensor", () => {
  assert.equal(mappingScheme([5]), "exact");
  assert.equal(mappingScheme([0, 0]), "single");
  assert.equal(mappingScheme([0, 2]), "single");
  assert.equal(mappingScheme([0, -2]), "single");
  assert.equal(mappingScheme([1, -2]), "double");
  const cfg = DROLET_2023_TIO2;
  assert.deepEqual(Array.from(mapTensor([0.7], cfg).gSiemens), [0.7], "one element is kept exactly (not a device)");
  const single = mapTensor([1, 3, 2], cfg);
  assert.deepEqual(Array.from(single.gSiemens), [
    cfg.gOffSiemens,
    cfg.gOnSiemens,
    (cfg.gOffSiemens + cfg.gOnSiemens) / 2,
  ]);
  const constant = mapTensor([2, 2], cfg);
  assert.deepEqual(Array.from(constant.gSiemens), [cfg.gOffSiemens, cfg.gOffSiemens]);
  assert.deepEqual(Array.from(constant.unmap([cfg.gOffSiemens, 300e-6])), [2, 2 + 200e-6 / 400e-6]);
  assert.throws(
    () => transferTensor({ values: [1, 2, 3], shape: [2, 2] }, cfg, rng(0)),
    /tensor has 3 values for shape \[2, 2\]/,
  );
  assert.throws(() => transferTensor({ values: [1, NaN], shape: [2] }, cfg, rng(0)), /parameter value 1 is NaN/);
  assert.deepEqual(Array.from(programmingPositions([2, 3])), [0, 2, 4, 1, 3, 5], "column-major for a matrix");
  assert.deepEqual(Array.from(programmingPositions([1, 3])), [0, 1, 2], "a single row in order");
  assert.throws(() => programmingPositions([2, 2, 2]), /1-D or 2-D, got shape \[2, 2, 2\]/);
});

test("a TiO₂ transfer's dG'/dG matches finite differences under the same draws (tuning, drift, stuck); pairs share their weight's drift key", () => {
  const device = withDevice(DROLET_2023_TIO2, { failures: { pStuckLrs: 0.1, pStuckHrs: 0.1 } });
  const t = { kind: "tio2-transfer", device } as const;
  assert.deepEqual(
    Array.from(pairDriftKeys(6)),
    [3, 3, 2, 2, 0, 0],
    "as driftKeys of three weights programmed in order",
  );
  const r7 = rng(7),
    g = Float64Array.from({ length: 40 }, () => r7.uniform(device.gOffSiemens, device.gOnSiemens));
  const { gSiemens, jacobian } = transferPairs(g, t, rng(8));
  assert.deepEqual(Array.from(transferPairs(g, t, rng(8)).gSiemens), Array.from(gSiemens), "a seed is one realisation");
  const stuck = jacobian.filter((j) => j === 0).length;
  assert.ok(stuck > 0 && stuck < g.length, `some devices stuck, not all (${stuck})`);
  for (let k = 0; k < g.length; k++) {
    const h = 1e-6 * g[k];
    const at = (x: number) => {
      const gg = Float64Array.from(g);
      gg[k] = x;
      return transferPairs(gg, t, rng(8)).gSiemens[k];
    };
    const want = (at(g[k] + h) - at(g[k] - h)) / (2 * h);
    assert.ok(Math.abs(jacobian[k] - want) <= 1e-6, `device ${k}: ${jacobian[k]} vs ${want}`);
    if (jacobian[k] !== 0)
      assert.ok(
        Math.abs(jacobian[k] - 1) > 1e-6 && Math.abs(jacobian[k] - 1) < 0.1,
        `device ${k}: tuning gives a slope near, not at, 1 (${jacobian[k]})`,
      );
  }
  assert.throws(() => pairDriftKeys(5), /even number of devices >= 2, got 5/);
  assert.throws(() => pairDriftKeys(0), /even number of devices >= 2, got 0/);
  assert.deepEqual(Array.from(pairDriftKeys(2)), [0, 0], "one pair: the last programmed, no drift");
});

test("an array of devices: each perturbed in order with its own key, exactly the draws it needs; keys and devices must match", () => {
  const g = [200e-6, 400e-6];
  const z = [0.5, -1, 1.5, 0.25];
  const p = perturbConductances(g, [0, 0], TUNING_ONLY, 1, new Scripted(z, []));
  g.forEach((gi, d) => {
    const one = perturbConductance(gi, TUNING_ONLY, 1, 0, new Scripted(z.slice(2 * d, 2 * d + 2), []));
    assert.deepEqual(
      [p.gSiemens[d], p.jacobian[d], p.tuneVariance[d], p.stuck[d]],
      [one.g, one.slope, one.tuneVar, 0],
      `device ${d}`,
    );
  });
  assert.throws(() => perturbConductances(g, [0], TUNING_ONLY, 1, new Scripted(z, [])), /1 drift keys for 2 devices/);
});

const TABLE_JSON = {
  source: "test",
  quantile_levels: [0, 0.25, 1],
  keys: {
    "1": { n: 10, mean_us: 1.5, std_us: 0.5, quantiles_us: [-1, 0, 2] },
    "2": { n: 0, mean_us: 0, std_us: 0, quantiles_us: [] },
    "3": { n: 4, mean_us: 0, std_us: 2, quantiles_us: [-3, -3, 5] },
  },
};

test("drift table: µS to S, keys without measurements left out, linear interpolation between uneven levels; malformed tables are named", () => {
  const t: DriftTable = parseDriftTable(TABLE_JSON, "t.json");
  assert.deepEqual([...t.byKey.keys()], [1, 3]);
  assert.equal(t.maxKey, 3);
  const d = t.byKey.get(1)!;
  close(d.meanSiemens, 1.5e-6, "mean");
  close(d.stdSiemens, 0.5e-6, "std");
  close(quantileAt(t, d, 0), -1e-6, "u = 0");
  close(quantileAt(t, d, 0.125), -0.5e-6, "between the first two levels");
  close(quantileAt(t, d, 0.25), 0, "at a level");
  close(quantileAt(t, d, 0.625), 1e-6, "between uneven levels");
  close(quantileAt(t, d, 1), 2e-6, "u = 1");
  close(sampleDrift(t, 3, new Scripted([], [0.625])), 1e-6, "key 3");
  assert.throws(
    () => sampleDrift(t, 2, rng(0)),
    /no measured drift for programming key 2 \(the table covers keys 1–3\): a tensor of more than 4 devices/,
  );
  // a repeated level is a jump of the CDF: there the inverse takes the upper quantile, and it never divides by zero
  const jump = parseDriftTable({
    ...TABLE_JSON,
    quantile_levels: [0, 0.5, 0.5, 1],
    keys: { "1": { n: 1, mean_us: 0, std_us: 0, quantiles_us: [0, 1, 3, 4] } },
  });
  close(quantileAt(jump, jump.byKey.get(1)!, 0.5), 3e-6, "at a repeated level");
  close(quantileAt(jump, jump.byKey.get(1)!, 0.25), 0.5e-6, "below it");
  const top = parseDriftTable({
    ...TABLE_JSON,
    quantile_levels: [0, 1, 1],
    keys: { "1": { n: 1, mean_us: 0, std_us: 0, quantiles_us: [0, 2, 2] } },
  });
  close(quantileAt(top, top.byKey.get(1)!, 1), 2e-6, "u = 1 on a repeated last level");
  const bad = (change: object, pattern: RegExp) =>
    assert.throws(() => parseDriftTable({ ...TABLE_JSON, ...change } as typeof TABLE_JSON, "t.json"), pattern);
  bad({ quantile_levels: "0 1" }, /t.json: quantile_levels must run from 0 to 1/);
  bad({ quantile_levels: [0.1, 1] }, /quantile_levels must run from 0 to 1/);
  bad({ quantile_levels: [0, 0.9] }, /quantile_levels must run from 0 to 1/);
  bad({ keys: { "0": TABLE_JSON.keys["1"] } }, /key "0" is not a positive integer/);
  bad({ keys: { "1.5": TABLE_JSON.keys["1"] } }, /key "1.5" is not a positive integer/);
  bad({ keys: { "1": { ...TABLE_JSON.keys["1"], quantiles_us: [0, 1] } } }, /key 1 has 2 quantiles for 3 levels/);
  bad(
    { keys: { "1": { ...TABLE_JSON.keys["1"], quantiles_us: [0, 2, 1] } } },
    /key 1 quantiles are not non-decreasing at 2/,
  );
  bad(
    { keys: { "1": { ...TABLE_JSON.keys["1"], quantiles_us: [0, NaN, 1] } } },
    /key 1 quantiles are not non-decreasing at 1/,
  );
});

test("TiO₂ configs: the preset and every variant are deeply frozen (a drift table inside stays usable); changes are applied and checked at their limits", () => {
  for (const c of [DROLET_2023_TIO2, withDevice(DROLET_2023_TIO2, { name: "x" })]) {
    assert.ok(
      Object.isFrozen(c) && Object.isFrozen(c.tuning) && Object.isFrozen(c.drift) && Object.isFrozen(c.failures),
    );
  }
  assert.equal(DROLET_2023_TIO2.drift.enabled, true);
  assert.equal(DROLET_2023_TIO2.drift.table, null);
  const table = parseDriftTable(TABLE_JSON);
  const withTable = withDevice(DROLET_2023_TIO2, { drift: { table } });
  assert.equal(withTable.drift.table, table);
  assert.ok(
    !Object.isFrozen(table.levels) && table.levels instanceof Float64Array,
    "typed arrays are not frozen (they cannot be)",
  );
  const v = withDevice(DROLET_2023_TIO2, { name: "v", dcMapping: "physical", gOffSiemens: 50e-6, gOnSiemens: 400e-6 });
  assert.deepEqual([v.name, v.dcMapping, v.gOffSiemens, v.gOnSiemens], ["v", "physical", 50e-6, 400e-6]);
  assert.deepEqual(withDevice(DROLET_2023_TIO2, {}), DROLET_2023_TIO2);
  assert.throws(() => withDevice(DROLET_2023_TIO2, { colour: 1 } as never), /unknown device option "colour"/);
  const ok = (change: Parameters<typeof withDevice>[1]) =>
    assert.doesNotThrow(() => withDevice(DROLET_2023_TIO2, change), JSON.stringify(change));
  const no = (change: Parameters<typeof withDevice>[1], pattern: RegExp) =>
    assert.throws(() => withDevice(DROLET_2023_TIO2, change), pattern);
  no({ gOffSiemens: 0 }, /gOffSiemens must be a positive number, got 0/);
  no({ gOnSiemens: Infinity }, /gOnSiemens must be a positive number/);
  no({ gOnSiemens: 100e-6 }, /gOnSiemens \(0.0001\) must exceed gOffSiemens \(0.0001\)/);
  no({ dcMapping: "both" as never }, /unknown dcMapping "both"/);
  ok({ failures: { pStuckLrs: 0, pStuckHrs: 1 } });
  ok({ failures: { pStuckLrs: 1, pStuckHrs: 0 } });
  no({ failures: { pStuckLrs: -0.1 } }, /failures.pStuckLrs must be a probability in \[0, 1\], got -0.1/);
  no({ failures: { pStuckHrs: 1.1 } }, /failures.pStuckHrs must be a probability/);
  no({ failures: { pStuckLrs: 0.6, pStuckHrs: 0.5 } }, /pStuckLrs \+ pStuckHrs must not exceed 1/);
  ok({ failures: { lrsStdSiemens: 0 } });
  no({ failures: { lrsStdSiemens: -1e-6 } }, /lrsStdSiemens must be >= 0/);
  ok({ failures: { hrsMinSiemens: 0, hrsMaxSiemens: 0 } });
  ok({ failures: { hrsMinSiemens: 50e-6, hrsMaxSiemens: 50e-6 } });
  no({ failures: { hrsMinSiemens: -1e-6 } }, /need 0 <= hrsMinSiemens <= hrsMaxSiemens/);
  no({ failures: { hrsMinSiemens: 60e-6, hrsMaxSiemens: 50e-6 } }, /need 0 <= hrsMinSiemens <= hrsMaxSiemens/);
  ok({ tuning: { offsetStdPercent: 0 } });
  no({ tuning: { offsetStdPercent: -0.1 } }, /tuning.offsetStdPercent must be >= 0/);
  assert.doesNotThrow(() => validateDevice(DROLET_2023_TIO2));
});

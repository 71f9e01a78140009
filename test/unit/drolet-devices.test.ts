import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { DROLET_2023_TIO2, tuningRelStdPercent, withDevice, withoutSources } from "../../lib/devices/tio2";
import { driftKeys, mapTensor, programmingPositions, transferNetwork, transferTensor } from "../../lib/tile/transfer";
import { perturbConductance } from "../../lib/devices/tio2-transfer";
import { droletDriftTable, sampleDrift } from "../../lib/devices/drift-table";

const NOISE_OFF = withoutSources(DROLET_2023_TIO2, "tuning", "drift", "failures");

test("mapping round trip with every noise source off is the identity (DC code, DC physical, SC, exact)", () => {
  const r = rng(1);
  const mixed = { values: Float64Array.from({ length: 16 }, () => r.uniform(-3, 3)), shape: [8, 2] };
  const positive = { values: Float64Array.from({ length: 8 }, () => r.uniform(0.01, 2)), shape: [8] };
  const single = { values: [0.7], shape: [1] };
  for (const cfg of [NOISE_OFF, withDevice(NOISE_OFF, { dcMapping: "physical" })]) {
    for (const t of [mixed, positive, single]) {
      const out = transferTensor(t, cfg, r);
      for (let i = 0; i < t.values.length; i++)
        assert.ok(Math.abs(out.values[i] - t.values[i]) < 1e-12, `${cfg.dcMapping} ${out.scheme} ${i}`);
      assert.ok(out.failed.every((f) => f === 0));
    }
  }
  assert.equal(transferTensor(mixed, NOISE_OFF, r).scheme, "double");
  assert.equal(transferTensor(positive, NOISE_OFF, r).scheme, "single");
  assert.equal(transferTensor(single, NOISE_OFF, r).scheme, "exact");
});

test("code DC mapping spans ±400 µS, physical maps into [100, 500] µS", () => {
  const m = mapTensor([2, -1, 0.5], DROLET_2023_TIO2);
  assert.ok(Math.abs(m.gSiemens[0] - 400e-6) < 1e-12 && Math.abs(m.gSiemens[1] + 400e-6) < 1e-12);
  const p = mapTensor([2, -1, 0.5], withDevice(DROLET_2023_TIO2, { dcMapping: "physical" }));
  assert.ok(Math.abs(p.gSiemens[0] - 500e-6) < 1e-12 && Math.abs(p.gSiemens[1] - 100e-6) < 1e-12);
});

test("tuning imprecision: offset −0.589 % ± 0.339 % and σ_rel(G) = −6.24e-4·G[µS] + 0.691 %", () => {
  const cfg = withoutSources(DROLET_2023_TIO2, "drift", "failures");
  assert.ok(Math.abs(tuningRelStdPercent(cfg, 300e-6) - (-6.24e-4 * 300 + 0.691)) < 1e-12);
  const r = rng(2);
  for (const g of [100e-6, 300e-6, 500e-6]) {
    const n = 40000;
    let s1 = 0,
      s2 = 0;
    for (let i = 0; i < n; i++) {
      const rel = (perturbConductance(g, cfg, 1, 0, r).g - g) / g;
      s1 += rel;
      s2 += rel * rel;
    }
    const mean = s1 / n,
      sd = Math.sqrt(s2 / n - mean * mean);
    const sRel = tuningRelStdPercent(cfg, g * (1 - 0.00589)) / 100;
    const expectedSd = Math.sqrt(0.00339 ** 2 + sRel ** 2); // offset and noise are independent
    assert.ok(Math.abs(mean - -0.00589) < 5 * (expectedSd / Math.sqrt(n)), `G=${g}: mean ${mean}`);
    assert.ok(Math.abs(sd / expectedSd - 1) < 0.03, `G=${g}: sd ${sd} vs ${expectedSd}`);
  }
});

test("drift keys for an 8×2 weight tensor run 16…2 then 0 in programming (column-major) order", () => {
  const keys = driftKeys([8, 2]);
  const pos = programmingPositions([8, 2]);
  const byPosition = new Array(16);
  for (let i = 0; i < 16; i++) byPosition[pos[i]] = keys[i];
  assert.deepEqual(byPosition, [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 0]);
  assert.equal(pos[1 * 2 + 0], 1, "element (1, 0) is programmed second");
  assert.deepEqual(Array.from(driftKeys([1, 8])), [8, 7, 6, 5, 4, 3, 2, 0]);
  assert.deepEqual(Array.from(driftKeys([8])), [8, 7, 6, 5, 4, 3, 2, 0]);
});

test("drift draws follow the measured quantiles (inverse CDF) and keys outside the table are errors", () => {
  const table = droletDriftTable();
  const r = rng(3);
  const d = table.byKey.get(8)!;
  const n = 20000;
  const xs = Array.from({ length: n }, () => sampleDrift(table, 8, r)).sort((a, b) => a - b);
  for (const [lvl, qi] of [
    [0.25, 25],
    [0.5, 50],
    [0.75, 75],
  ] as const) {
    const q = xs[Math.floor(lvl * n)];
    const width = d.quantilesSiemens[qi + 2] - d.quantilesSiemens[qi - 2];
    assert.ok(Math.abs(q - d.quantilesSiemens[qi]) < width, `q${lvl}: ${q} vs ${d.quantilesSiemens[qi]}`);
  }
  assert.ok(Math.abs(xs.reduce((a, b) => a + b, 0) / n - d.meanSiemens) < 0.5e-6);
  assert.throws(
    () => sampleDrift(table, 60, r),
    /no measured drift for programming key 60 \(the table covers keys 1–54\)/,
  );
});

test("stuck failures: 1 % of devices ± binomial tolerance, split 50/50 between LRS and HRS", () => {
  const cfg = withoutSources(DROLET_2023_TIO2, "tuning", "drift");
  const r = rng(4);
  const n = 200000;
  let failed = 0,
    hrs = 0;
  for (let i = 0; i < n; i++) {
    const out = perturbConductance(300e-6, cfg, 1, 0, r);
    if (out.failed) {
      failed++;
      if (out.g <= 100e-6) hrs++;
      else assert.ok(out.g > 100e-6);
    }
  }
  const p = failed / n;
  assert.ok(Math.abs(p - 0.01) < 4 * Math.sqrt((0.01 * 0.99) / n), `failure rate ${p}`);
  assert.ok(Math.abs(hrs / failed - 0.5) < 4 * Math.sqrt(0.25 / failed), `HRS share ${hrs / failed}`);
});

test("a transfer of the 2-8-1 network touches 64 devices; the output bias is exact", () => {
  const r = rng(5);
  const params = [
    { values: Float64Array.from({ length: 16 }, () => r.uniform(-1, 1)), shape: [8, 2] },
    { values: Float64Array.from({ length: 8 }, () => r.uniform(-1, 1)), shape: [8] },
    { values: Float64Array.from({ length: 8 }, () => r.uniform(-1, 1)), shape: [1, 8] },
    { values: [0.3], shape: [1] },
  ];
  const out = transferNetwork(params, DROLET_2023_TIO2, r);
  assert.deepEqual(
    out.map((t) => t.scheme),
    ["double", "double", "double", "exact"],
  );
  assert.equal(out[3].values[0], 0.3);
  assert.throws(
    () => transferNetwork([{ values: [1, 2], shape: [3] }], DROLET_2023_TIO2, r),
    /2 values for shape \[3\]/,
  );
  assert.throws(() => withDevice(DROLET_2023_TIO2, { failures: { pStuckLrs: 2 } }), /pStuckLrs must be a probability/);
  assert.throws(() => withDevice(DROLET_2023_TIO2, { gOffSiemens: -1 }), /gOffSiemens must be a positive number/);
  assert.throws(() => withDevice(DROLET_2023_TIO2, { foo: 1 } as never), /unknown device option "foo"/);
});

// The Joksas weight cache: a cached network serves every request whose monitored setups it has, one
// that lacks some is trained again to the same weights with the union, and damaged files are retrained.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/runtime/backend";
import { JOKSAS_TRAININGS, joksasProtocol, loadJoksasData, trainJoksas } from "../../lib/experiments/joksas";
import { trainJoksasMany } from "../../lib/experiments/joksas-parallel";

test("weight cache: monitor subsets reuse, supersets retrain to identical weights, unreadable files retrain", async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "joksas-cache-"));
  const before = process.env.CROSSBAR_LAB_RESULTS_DIR;
  process.env.CROSSBAR_LAB_RESULTS_DIR = dir;
  try {
    const protocol = joksasProtocol("quick", { epochs: 2, validateEvery: 1, validationRepeats: 1, monitorRepeats: 1 });
    const data = loadJoksasData(protocol, 0);
    const logs: string[] = [];
    const onLog = (s: string) => logs.push(s);
    const a = trainJoksas(JOKSAS_TRAININGS.T0, protocol, data, 0, { monitor: ["D1"], onLog });
    assert.equal(a.cached, false);
    assert.deepEqual([...new Set(a.result.monitor.map((m) => m.setupId))], ["D1"]);
    const b = trainJoksas(JOKSAS_TRAININGS.T0, protocol, data, 0, { onLog });
    assert.equal(b.cached, true, "no monitor requested: the cached network serves");
    assert.equal(b.cacheFile, a.cacheFile);
    const c = trainJoksas(JOKSAS_TRAININGS.T0, protocol, data, 0, { monitor: ["D2"], onLog });
    assert.equal(c.cached, false, "D2 curves missing: trained again");
    assert.ok(
      logs.some((s) => /lacks test curves on D2/.test(s)),
      logs.join("\n"),
    );
    assert.deepEqual([...new Set(c.result.monitor.map((m) => m.setupId))].sort(), ["D1", "D2"]);
    a.model
      .snapshot()
      .forEach((w, i) => assert.deepEqual(c.model.snapshot()[i], w, `layer ${i}: same weights with more monitoring`));
    assert.deepEqual(
      c.result.monitor.filter((m) => m.setupId === "D1"),
      a.result.monitor,
      "the D1 curve is the same too",
    );
    const d = trainJoksas(JOKSAS_TRAININGS.T0, protocol, data, 0, { monitor: ["D2", "D1"], onLog });
    assert.equal(d.cached, true);
    assert.throws(
      () => trainJoksas(JOKSAS_TRAININGS.T0, protocol, data, 0, { monitor: ["D9" as never] }),
      /unknown monitor setup "D9"/,
    );
    fs.writeFileSync(a.cacheFile, '{"weights": [[1, 2');
    const e = trainJoksas(JOKSAS_TRAININGS.T0, protocol, data, 0, { onLog });
    assert.equal(e.cached, false);
    assert.ok(logs.some((s) => /is unreadable/.test(s)));
    for (const n of [a, b, c, d, e]) n.model.dispose();
  } finally {
    if (before === undefined) delete process.env.CROSSBAR_LAB_RESULTS_DIR;
    else process.env.CROSSBAR_LAB_RESULTS_DIR = before;
  }
});

test("Joksas protocol: quick L1 γ keeps the paper's cumulative shrinkage lr·γ·steps; smaller training sets, other splits and changed fields are listed as deviations", () => {
  const q = joksasProtocol("quick");
  assert.ok(Math.abs(q.l1Gamma * q.learningRate * q.epochs * 110 - 0.75) < 0.005, `quick γ ${q.l1Gamma}`);
  assert.deepEqual(
    [q.epochs, q.validateEvery, q.networks],
    [200, 20, 1],
    "quick: 200 epochs, validation every 20, one network",
  );
  const three = joksasProtocol("quick", { networks: 3 });
  assert.match(three.deviations.join("\n"), /3 networks per configuration instead of 5/);
  assert.ok(!("trainDigits" in q), "no training-set limit unless asked (keeps cached networks' identity)");
  const small = joksasProtocol("quick", { trainDigits: 3500, epochs: 480 });
  assert.equal(small.trainDigits, 3500);
  assert.ok(Math.abs(small.l1Gamma * 0.1 * 480 * 55 - 0.75) < 0.005, `γ for 55 steps per epoch: ${small.l1Gamma}`);
  assert.match(small.deviations.join("\n"), /training on the first 3500/);
  const split = joksasProtocol("quick", { packageSplit: [5000, 3000, 2000] });
  assert.ok(
    Math.abs(split.l1Gamma * 0.1 * 200 * Math.ceil(5000 / 64) - 0.75) < 0.005,
    `γ for a 5000-digit training split: ${split.l1Gamma}`,
  );
  assert.match(split.deviations[0], /split 5000\/3000\/2000/);
  assert.throws(
    () => loadJoksasData(joksasProtocol("quick", { packageSplit: [7000, 3000, 2000] })),
    /package split 7000\/3000\/2000 needs 12000 digits; the package has 10000/,
  );
  assert.throws(
    () => loadJoksasData(joksasProtocol("quick", { packageSplit: [5000, 0, 2000] })),
    /package split must be three whole numbers >= 1 \(train\/validation\/test\), got 5000\/0\/2000/,
  );
  const full = joksasProtocol("full");
  assert.deepEqual([full.epochs, full.learningRate, full.l1Gamma, full.deviations.length], [1000, 0.01, 1e-4, 0]);
  const changed = joksasProtocol("full", { epochs: 200, trainDigits: 12000 });
  assert.match(changed.deviations.join("\n"), /epochs 200 instead of the paper's 1000/);
  assert.match(changed.deviations.join("\n"), /training on the first 12000 of the 48 000 training images/);
});

test("parallel training: networks trained in worker processes are those this process trains (bitwise), loaded in the order asked; a mismatched data split is named", async () => {
  await initBackend();
  const dirs = [
    fs.mkdtempSync(path.join(os.tmpdir(), "joksas-par-")),
    fs.mkdtempSync(path.join(os.tmpdir(), "joksas-seq-")),
  ];
  const before = process.env.CROSSBAR_LAB_RESULTS_DIR;
  try {
    const protocol = joksasProtocol("quick", {
      epochs: 2,
      validateEvery: 1,
      validationRepeats: 2,
      monitorRepeats: 1,
      trainDigits: 640,
    });
    const data = loadJoksasData(protocol);
    const requests = [
      { config: JOKSAS_TRAININGS.T3, seed: 1, monitor: ["D2" as const] },
      { config: JOKSAS_TRAININGS.T0, seed: 0 },
      { config: JOKSAS_TRAININGS.T3, seed: 0 },
    ];
    const runs = [];
    for (const [k, workers] of [2, 0].entries()) {
      process.env.CROSSBAR_LAB_RESULTS_DIR = dirs[k];
      const logs: string[] = [];
      runs.push({
        nets: await trainJoksasMany(requests, protocol, data, { workers, onLog: (s) => logs.push(s) }),
        logs,
      });
    }
    const [par, seq] = runs;
    assert.ok(
      par.logs.some((s) => /training 3 of 3 networks in 2 worker processes/.test(s)),
      par.logs.join("\n"),
    );
    assert.deepEqual(
      par.nets.map((n) => `${n.config.key}/${n.seed}`),
      ["T3/1", "T0/0", "T3/0"],
    );
    assert.ok(
      par.nets.every((n) => n.cached),
      "the workers left every network in the cache",
    );
    par.nets.forEach((n, i) => {
      assert.equal(seq.nets[i].cached, false);
      n.model
        .snapshot()
        .forEach((w, t) =>
          assert.deepEqual(w, seq.nets[i].model.snapshot()[t], `${n.config.key}/${n.seed} tensor ${t}`),
        );
      assert.deepEqual(n.result.checkpoints, seq.nets[i].result.checkpoints);
    });
    assert.deepEqual(par.nets[0].result.monitor, seq.nets[0].result.monitor, "test curves too");
    process.env.CROSSBAR_LAB_RESULTS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "joksas-mis-"));
    await assert.rejects(
      trainJoksasMany(requests, protocol, loadJoksasData(protocol, 5), { workers: 2 }),
      /is not what the workers would load with dataSeed 0/,
    );
    await assert.rejects(
      trainJoksasMany(requests, protocol, data, { workers: -1 }),
      /workers must be a whole number >= 0, got -1/,
    );
    for (const r of runs) r.nets.forEach((n) => n.model.dispose());
  } finally {
    if (before === undefined) delete process.env.CROSSBAR_LAB_RESULTS_DIR;
    else process.env.CROSSBAR_LAB_RESULTS_DIR = before;
  }
});

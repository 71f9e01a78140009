/**
 * `npm run joksas -- [--mode quick|full] [--trainings T0,T3,T4] [--epochs N] [--lr X] [--train-digits N] [--split TRAIN/VAL/TEST] [--seed S] [--validate-every N] [--monitor D2,...] [--monitor-repeats N] [--json FILE]`
 * Train Joksas et al. 2022 configurations headless (weights cached in results/networks/joksas/) and print the
 * inference summary (median error, power, efficiency) on each configuration's setups.
 * --monitor records test curves under the given setups at the checkpoint epochs (1 and multiples of
 * --validate-every): the current weights' median test error, whichever checkpoint is kept.
 * --epochs/--lr override the mode's protocol; the quick L1 γ is rescaled to keep the paper's
 * cumulative shrinkage lr·γ·steps. --train-digits trains on the first N digits of the training split
 * (validation and test sets unchanged); --split sets the quick mode's split of the 10 000 packaged
 * digits (default 7000/1000/2000).
 */
import * as fs from "fs";
import { initBackend } from "../lib/runtime/backend";
import { RunMode } from "../lib/runtime/mode";
import { JOKSAS_SETUPS } from "../lib/devices/joksas";
import { median } from "../lib/training/memristive-mlp";
import { JOKSAS_PAPER, JOKSAS_TRAININGS, JoksasProtocol, SetupId, inferJoksas, joksasProtocol, loadJoksasData, trainJoksas } from "../lib/experiments/joksas";

const USAGE = "usage: npm run joksas -- [--mode quick|full] [--trainings T0,T3,T4] [--epochs N] [--lr X] [--train-digits N] [--split TRAIN/VAL/TEST] [--seed S] [--validate-every N] [--monitor D2,...] [--monitor-repeats N] [--json FILE]";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let mode: RunMode = "quick", keys = ["T0", "T3", "T4"], epochs: number | undefined, lr: number | undefined, seed = 0, json: string | null = null;
  let validateEvery: number | undefined, monitorRepeats: number | undefined, trainDigits: number | undefined, split: [number, number, number] | undefined, monitor: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const num = (name: string) => {
      const x = Number(v);
      if (v === undefined || !Number.isFinite(x)) throw new Error(`${name} needs a number, got "${v}"\n${USAGE}`);
      i++;
      return x;
    };
    if (a === "--mode") ((mode = v as RunMode), i++);
    else if (a === "--trainings") ((keys = (v ?? "").split(",")), i++);
    else if (a === "--epochs") epochs = num(a);
    else if (a === "--lr") lr = num(a);
    else if (a === "--seed") seed = num(a);
    else if (a === "--train-digits") trainDigits = num(a);
    else if (a === "--split") {
      const parts = (v ?? "").split("/").map(Number);
      if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`--split needs three whole numbers TRAIN/VAL/TEST, got "${v}"\n${USAGE}`);
      split = parts as [number, number, number];
      i++;
    }
    else if (a === "--validate-every") validateEvery = num(a);
    else if (a === "--monitor-repeats") monitorRepeats = num(a);
    else if (a === "--monitor") ((monitor = (v ?? "").split(",").filter(Boolean)), i++);
    else if (a === "--json") ((json = v), i++);
    else throw new Error(`unknown option "${a}"\n${USAGE}`);
  }
  if (trainDigits !== undefined && !(Number.isInteger(trainDigits) && trainDigits >= 1)) throw new Error(`--train-digits must be a whole number >= 1, got ${trainDigits}\n${USAGE}`);
  const bad = keys.filter((k) => !JOKSAS_TRAININGS[k]);
  const badSetups = monitor.filter((id) => !(id in JOKSAS_SETUPS));
  if (badSetups.length) throw new Error(`unknown monitor setup(s) ${badSetups.join(", ")}: use ${Object.keys(JOKSAS_SETUPS).join(", ")}`);
  if (bad.length) throw new Error(`unknown training(s) ${bad.join(", ")}: use ${Object.keys(JOKSAS_TRAININGS).join(", ")}`);
  if (split && mode !== "quick") throw new Error(`--split applies to the quick mode's packaged digits; the full protocol splits standard MNIST 48 000/12 000/10 000`);
  const backend = await initBackend();
  const change: { -readonly [K in keyof JoksasProtocol]?: JoksasProtocol[K] } = {};
  if (epochs !== undefined) change.epochs = epochs;
  if (lr !== undefined) change.learningRate = lr;
  if (validateEvery !== undefined) change.validateEvery = validateEvery;
  if (monitorRepeats !== undefined) change.monitorRepeats = monitorRepeats;
  if (trainDigits !== undefined) change.trainDigits = trainDigits;
  if (split) change.packageSplit = split;
  const protocol = joksasProtocol(mode, change);
  const data = loadJoksasData(protocol, seed);
  console.error(`backend ${backend.description}; ${data.source}; epochs ${protocol.epochs} of ${Math.ceil(data.train.n / protocol.batchSize)} steps, lr ${protocol.learningRate}, L1 γ ${protocol.l1Gamma}`);
  const rows: object[] = [];
  for (const key of keys) {
    const cfg = JOKSAS_TRAININGS[key];
    const net = trainJoksas(cfg, protocol, data, seed, { onLog: (s) => console.error(s), monitor: monitor as SetupId[] });
    if (monitor.length) {
      const curve = net.result.monitor.filter((p) => monitor.includes(p.setupId)).map((p) => ({ epoch: p.epoch, setup: p.setupId, medianTestErrorPercent: +(100 * median(p.errors)).toFixed(2) }));
      const row = { training: key, testCurve: curve };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    for (const setup of cfg.inference as SetupId[]) {
      const s = inferJoksas(net, setup, data, protocol);
      const row = { training: key, setup, medianErrorPercent: +s.medianErrorPercent.toFixed(2), meanPowerMilliwatt: s.meanPowerWatt && +(s.meanPowerWatt * 1e3).toPrecision(4), efficiencyTopsPerWatt: s.efficiencyTopsPerWatt && +s.efficiencyTopsPerWatt.toPrecision(4), bestEpoch: net.result.bestEpoch, trainSeconds: +net.result.seconds.toFixed(0), cached: net.cached };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  if (json) fs.writeFileSync(json, JSON.stringify({ protocol, backend: backend.name, paper: JOKSAS_PAPER, rows }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

/**
 * `npm run joksas -- [--mode quick|full] [--dataset mnist|fashion-mnist] [--trainings T0,T3,T4] [--seeds 0,1,2] [--workers N] [--epochs N] [--lr X] [--train-digits N] [--split TRAIN/VAL/TEST] [--validate-every N] [--monitor D2,...] [--monitor-repeats N] [--json FILE]`
 * Train Joksas et al. 2022 configurations headless (weights cached in results/networks/joksas/; the
 * networks train in parallel worker processes, one per core unless --workers says otherwise) and print
 * the inference summary (median error, power, efficiency) on each configuration's setups.
 * --dataset fashion-mnist trains on Fashion-MNIST (Debian's dataset-fashion-mnist, or data/fashion-mnist/):
 * a harder dataset, an extension of the paper rather than one of its claims.
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
import {
  JOKSAS_PAPER,
  JOKSAS_TRAININGS,
  JoksasProtocol,
  SetupId,
  inferJoksas,
  joksasProtocol,
  loadJoksasData,
} from "../lib/experiments/joksas";
import { trainJoksasMany } from "../lib/experiments/joksas-parallel";
import type { ImageDataset } from "../lib/data/mnist";

const USAGE =
  "usage: npm run joksas -- [--mode quick|full] [--dataset mnist|fashion-mnist] [--trainings T0,T3,T4] [--seeds 0,1,2] [--workers N] [--epochs N] [--lr X] [--train-digits N] [--split TRAIN/VAL/TEST] [--validate-every N] [--monitor D2,...] [--monitor-repeats N] [--json FILE]";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let mode: RunMode = "quick",
    keys = ["T0", "T3", "T4"],
    epochs: number | undefined,
    lr: number | undefined,
    seeds = [0],
    json: string | null = null;
  let dataset: ImageDataset = "mnist",
    workers: number | undefined;
  let validateEvery: number | undefined,
    monitorRepeats: number | undefined,
    trainDigits: number | undefined,
    split: [number, number, number] | undefined,
    monitor: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i],
      v = argv[i + 1];
    const num = (name: string) => {
      const x = Number(v);
      if (v === undefined || !Number.isFinite(x)) throw new Error(`${name} needs a number, got "${v}"\n${USAGE}`);
      i++;
      return x;
    };
    if (a === "--mode") {
      mode = v as RunMode;
      i++;
    } else if (a === "--trainings") {
      keys = (v ?? "").split(",");
      i++;
    } else if (a === "--epochs") epochs = num(a);
    else if (a === "--lr") lr = num(a);
    else if (a === "--seed" || a === "--seeds") {
      const parts = (v ?? "").split(",").map((x) => (x.trim() === "" ? NaN : Number(x)));
      if (!parts.length || !parts.every((n) => Number.isInteger(n) && n >= 0))
        throw new Error(`${a} needs whole numbers >= 0 separated by commas, got "${v ?? ""}"\n${USAGE}`);
      seeds = [...new Set(parts)];
      i++;
    } else if (a === "--dataset") {
      if (v !== "mnist" && v !== "fashion-mnist")
        throw new Error(`--dataset must be mnist or fashion-mnist, got "${v ?? ""}"\n${USAGE}`);
      dataset = v;
      i++;
    } else if (a === "--workers") {
      workers = num(a);
      if (!(Number.isInteger(workers) && workers >= 0))
        throw new Error(`--workers must be a whole number >= 0, got ${workers}\n${USAGE}`);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return;
    } else if (a === "--train-digits") trainDigits = num(a);
    else if (a === "--split") {
      const parts = (v ?? "").split("/").map(Number);
      if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n >= 1))
        throw new Error(`--split needs three whole numbers TRAIN/VAL/TEST, got "${v}"\n${USAGE}`);
      split = parts as [number, number, number];
      i++;
    } else if (a === "--validate-every") validateEvery = num(a);
    else if (a === "--monitor-repeats") monitorRepeats = num(a);
    else if (a === "--monitor") {
      monitor = (v ?? "").split(",").filter(Boolean);
      i++;
    } else if (a === "--json") {
      if (v === undefined || v === "" || v.startsWith("--")) throw new Error(`--json needs a file name\n${USAGE}`);
      {
        json = v;
        i++;
      }
    } else throw new Error(`unknown option "${a}"\n${USAGE}`);
  }
  if (trainDigits !== undefined && !(Number.isInteger(trainDigits) && trainDigits >= 1))
    throw new Error(`--train-digits must be a whole number >= 1, got ${trainDigits}\n${USAGE}`);
  for (const [name, x] of [
    ["--epochs", epochs],
    ["--validate-every", validateEvery],
    ["--monitor-repeats", monitorRepeats],
  ] as const) {
    if (x !== undefined && !(Number.isInteger(x) && x >= 1))
      throw new Error(`${name} must be a whole number >= 1, got ${x}\n${USAGE}`);
  }
  if (lr !== undefined && !(lr > 0)) throw new Error(`--lr must be > 0, got ${lr}\n${USAGE}`);
  const bad = keys.filter((k) => !JOKSAS_TRAININGS[k]);
  const badSetups = monitor.filter((id) => !(id in JOKSAS_SETUPS));
  if (badSetups.length)
    throw new Error(`unknown monitor setup(s) ${badSetups.join(", ")}: use ${Object.keys(JOKSAS_SETUPS).join(", ")}`);
  if (bad.length)
    throw new Error(`unknown training(s) ${bad.join(", ")}: use ${Object.keys(JOKSAS_TRAININGS).join(", ")}`);
  if (split && mode !== "quick")
    throw new Error(
      `--split applies to the quick mode's packaged digits; the full protocol splits standard MNIST 48 000/12 000/10 000`,
    );
  if (mode !== "quick" && mode !== "full") throw new Error(`--mode must be quick or full, got "${mode}"\n${USAGE}`);
  const backend = await initBackend();
  const change: { -readonly [K in keyof JoksasProtocol]?: JoksasProtocol[K] } = {};
  if (epochs !== undefined) change.epochs = epochs;
  if (lr !== undefined) change.learningRate = lr;
  if (validateEvery !== undefined) change.validateEvery = validateEvery;
  if (monitorRepeats !== undefined) change.monitorRepeats = monitorRepeats;
  if (trainDigits !== undefined) change.trainDigits = trainDigits;
  if (split) change.packageSplit = split;
  change.dataset = dataset;
  const protocol = joksasProtocol(mode, change);
  const data = loadJoksasData(protocol);
  console.error(
    `backend ${backend.description}; ${data.source}; epochs ${protocol.epochs} of ${Math.ceil(data.train.n / protocol.batchSize)} steps, lr ${protocol.learningRate}, L1 γ ${protocol.l1Gamma}`,
  );
  for (const d of protocol.deviations) console.error(`deviation from the paper: ${d}`);
  const rows: object[] = [];
  const requests = keys.flatMap((key) =>
    seeds.map((seed) => ({ config: JOKSAS_TRAININGS[key], seed, monitor: monitor as SetupId[] })),
  );
  const nets = await trainJoksasMany(requests, protocol, data, { workers, onLog: (s) => console.error(s) });
  for (const net of nets) {
    const key = net.config.key,
      cfg = net.config,
      seed = net.seed;
    if (monitor.length) {
      const curve = net.result.monitor
        .filter((p) => monitor.includes(p.setupId))
        .map((p) => ({
          epoch: p.epoch,
          setup: p.setupId,
          medianTestErrorPercent: +(100 * median(p.errors)).toFixed(2),
        }));
      const row = { training: key, seed, testCurve: curve };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    for (const setup of cfg.inference as SetupId[]) {
      const s = inferJoksas(net, setup, data, protocol);
      const row = {
        training: key,
        seed,
        setup,
        medianErrorPercent: +s.medianErrorPercent.toFixed(2),
        meanPowerMilliwatt: s.meanPowerWatt && +(s.meanPowerWatt * 1e3).toPrecision(4),
        efficiencyTopsPerWatt: s.efficiencyTopsPerWatt && +s.efficiencyTopsPerWatt.toPrecision(4),
        bestEpoch: net.result.bestEpoch,
        trainSeconds: +net.result.seconds.toFixed(0),
        cached: net.cached,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  if (json)
    fs.writeFileSync(json, JSON.stringify({ protocol, backend: backend.name, paper: JOKSAS_PAPER, rows }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

/**
 * Notebook 13's study: each model digital and on tiles per device setup and seed, fine-tuned for
 * the hardware, against ADC bits, and over a year of drift; its summary, the claims, and the grid
 * experiment "analog-inference" (model file × setup × read time × seed).
 */
import * as fs from "fs";
import * as path from "path";
import type { Rng } from "../runtime/random";
import { rng as makeRng } from "../runtime/random";
import { meanSd } from "../runtime/stats";
import { repoRoot } from "../runtime/provenance";
import type { ImageSet } from "../data/mnist";
import { subset } from "../data/mnist";
import { pcmLikeModel } from "../devices/time";
import { NetworkGraph, accuracyOf, predictDigital, runDigital } from "../models";
import {
  AnalogNetwork,
  analogPredict,
  calibrateAnalog,
  programAnalog,
  readAnalogAt,
  toAnalog,
} from "../training/analog-model";
import { fineTuneAnalog } from "../training/analog-finetune";
import { cellParam, registerExperiment } from "../grid/registry";
import { ClaimResult, claim, formatMeanSd, measuredClaim, notTested } from "./claims";
import { graphFromLayersModel } from "../models";
import {
  ModelName,
  ONNX_FIXTURES,
  SETUPS,
  SetupName,
  YourNetworkProtocol,
  loadModel,
  onnxFixture,
  setupConfig,
  tfjsCnn,
  tfjsMlp,
  trainAndReload,
  yourNetworkData,
  yourNetworkProtocol,
} from "./your-network";

type YourNetworkData = ReturnType<typeof yourNetworkData>;

export interface StudyModel {
  readonly name: ModelName | string;
  readonly graph: NetworkGraph;
}

export interface YourNetworkRow {
  readonly model: string;
  readonly setup: SetupName;
  readonly seed: number;
  /** "tiles" (as converted), "fine-tuned", "adc" (calibrated ADC of `bits`), "time" (read `tSecond` after programming). */
  readonly stage: "tiles" | "fine-tuned" | "adc" | "time";
  readonly bits: number;
  readonly tSecond: number;
  readonly compensation: "" | "none" | "global";
  /** Wire segment resistance (Ω; the wired setup), else 0. */
  readonly segmentOhm: number;
  /** Test accuracy (0–1) and the test images behind it. */
  readonly accuracy: number;
  readonly images: number;
  readonly clippedOutputs: number;
}

/** Accuracy of a converted network on the first n test images. */
export function tileAccuracy(
  net: AnalogNetwork,
  test: ImageSet,
  n: number,
  rng?: Rng,
): { accuracy: number; clippedOutputs: number } {
  const s = subset(
    test,
    Array.from({ length: Math.min(n, test.n) }, (_, i) => i),
  );
  const r = analogPredict(net, s.x, s.n, { rng });
  return { accuracy: accuracyOf(r.y, s.labels), clippedOutputs: r.clipped.outputs };
}

export function digitalAccuracy(g: NetworkGraph, test: ImageSet, n = test.n): number {
  const s = subset(
    test,
    Array.from({ length: Math.min(n, test.n) }, (_, i) => i),
  );
  return accuracyOf(predictDigital(g, s.x, s.n), s.labels);
}

/** Mean accuracy over `draws` device realisations (converted again for each), on the first n test images. */
function drawnAccuracy(
  g: NetworkGraph,
  setup: SetupName,
  test: ImageSet,
  n: number,
  draws: number,
  r: Rng,
): { accuracy: number; clippedOutputs: number } {
  const a = Array.from({ length: setup === "ideal" ? 1 : draws }, () =>
    tileAccuracy(toAnalog(g, setupConfig(setup), { devices: r }), test, n, r),
  );
  return {
    accuracy: a.reduce((x, y) => x + y.accuracy, 0) / a.length,
    clippedOutputs: a.reduce((x, y) => x + y.clippedOutputs, 0) / a.length,
  };
}

type RowPart = Omit<
  YourNetworkRow,
  "model" | "seed" | "bits" | "tSecond" | "compensation" | "clippedOutputs" | "segmentOhm"
> &
  Partial<YourNetworkRow>;
const row = (model: string, seed: number, r: RowPart): YourNetworkRow => ({
  model,
  seed,
  bits: 0,
  tSecond: 0,
  compensation: "",
  clippedOutputs: 0,
  segmentOhm: 0,
  ...r,
});

/**
 * One model, one seed: the device setups as converted (ideal tiles once, on every test image; the
 * others averaged over the protocol's realisations), the fine-tuning on its setup, and drift.
 * ADC sweeps and wired tiles are deterministic: `adcRows`, `wiredRows`.
 */
export function yourNetworkSeed(
  p: YourNetworkProtocol,
  m: StudyModel,
  data: { train: ImageSet; test: ImageSet },
  seed: number,
  opts: { onLog?: (s: string) => void } = {},
): YourNetworkRow[] {
  const rows: YourNetworkRow[] = [],
    add = (x: RowPart) => rows.push(row(m.name, seed, x));
  const r = makeRng(`your-network/${m.name}/${seed}`),
    nDev = Math.min(p.deviceTestImages, data.test.n);
  for (const setup of SETUPS) {
    if (setup === "wired" || (setup === "ideal" && seed !== p.seeds[0])) continue;
    const n = setup === "ideal" ? data.test.n : nDev;
    add({ setup, stage: "tiles", images: n, ...drawnAccuracy(m.graph, setup, data.test, n, p.draws, r) });
  }
  opts.onLog?.(`${m.name} seed ${seed}: device setups done`);
  const f = p.fineTune,
    train = subset(
      data.train,
      Array.from({ length: Math.min(f.images, data.train.n) }, (_, i) => i),
    );
  const tuned = fineTuneAnalog(toAnalog(m.graph, setupConfig(f.setup), { devices: r }), train, f, r);
  add({
    setup: f.setup,
    stage: "fine-tuned",
    images: nDev,
    ...drawnAccuracy(tuned.graph, f.setup, data.test, nDev, p.draws, r),
  });
  opts.onLog?.(`${m.name} seed ${seed}: fine-tuned on ${f.setup}`);
  const ideal = setupConfig("ideal"),
    programmed = programAnalog(toAnalog(m.graph, ideal), pcmLikeModel(ideal.gOnSiemens), r);
  for (const t of p.timesSecond)
    for (const compensation of ["none", "global"] as const) {
      add({
        setup: "ideal",
        stage: "time",
        tSecond: t,
        compensation,
        images: nDev,
        ...tileAccuracy(readAnalogAt(programmed, t, compensation, r), data.test, nDev, r),
      });
    }
  opts.onLog?.(`${m.name} seed ${seed}: drift read at ${p.timesSecond.length} times`);
  return rows;
}

/** Ideal devices on wired tiles, per segment resistance (solved circuits; deterministic: one run). */
export function wiredRows(p: YourNetworkProtocol, m: StudyModel, test: ImageSet): YourNetworkRow[] {
  const n = Math.min(p.wired.testImages, test.n);
  return p.wired.segmentsOhm.map((segmentOhm) =>
    row(m.name, p.seeds[0], {
      setup: "wired",
      stage: "tiles",
      segmentOhm,
      images: n,
      ...tileAccuracy(toAnalog(m.graph, setupConfig("wired", segmentOhm)), test, n),
    }),
  );
}

/** Calibrated ADCs of each resolution on ideal devices (nearest rounding, no noise: one run). */
export function adcRows(
  p: YourNetworkProtocol,
  m: StudyModel,
  data: { train: ImageSet; test: ImageSet },
): YourNetworkRow[] {
  const cal = subset(
    data.train,
    Array.from({ length: Math.min(p.calibration.images, data.train.n) }, (_, i) => i),
  );
  return p.adcBits.map((bits) => {
    const cfg = {
      ...setupConfig("ideal"),
      periphery: { adc: { bits, range: { kind: "calibrated" as const, percentile: p.calibration.percentile } } },
    };
    const net = calibrateAnalog(toAnalog(m.graph, cfg), cal.x, cal.n);
    return row(m.name, p.seeds[0], {
      setup: "ideal",
      stage: "adc",
      bits,
      images: data.test.n,
      ...tileAccuracy(net, data.test, data.test.n),
    });
  });
}

export interface YourNetworkSummary {
  readonly model: string;
  readonly setup: SetupName;
  readonly stage: YourNetworkRow["stage"];
  readonly bits: number;
  readonly tSecond: number;
  readonly compensation: string;
  readonly segmentOhm: number;
  /** Accuracy in percent over seeds. */
  readonly accuracyPct: { mean: number; sd: number; n: number };
}

export function summariseYourNetwork(rows: readonly YourNetworkRow[]): YourNetworkSummary[] {
  const groups = new Map<string, YourNetworkRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.model, r.setup, r.stage, r.bits, r.tSecond, r.compensation, r.segmentOhm]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => ({
    model: g[0].model,
    setup: g[0].setup,
    stage: g[0].stage,
    bits: g[0].bits,
    tSecond: g[0].tSecond,
    compensation: g[0].compensation,
    segmentOhm: g[0].segmentOhm,
    accuracyPct: meanSd(g.map((r) => 100 * r.accuracy)),
  }));
}

/** What a prepared model is: its graph, where it came from, its digital test accuracy. */
export interface PreparedModel extends StudyModel {
  readonly source: string;
  readonly files: readonly string[];
  readonly digitalAccuracy: number;
  /** tfjs training losses per epoch (empty for the ONNX fixtures). */
  readonly losses: readonly number[];
}

/**
 * The notebook's models: the two Keras-style tfjs models trained here with `model.fit`, saved to
 * `dir` and loaded back from disk; and the PyTorch ONNX fixtures, when the data are the
 * Fashion-MNIST images they were trained on.
 */
export async function prepareModels(
  p: YourNetworkProtocol,
  data: YourNetworkData,
  dir: string,
  opts: { onLog?: (s: string) => void } = {},
): Promise<PreparedModel[]> {
  const out: PreparedModel[] = [];
  for (const [name, build] of [
    ["tfjs-mlp", tfjsMlp],
    ["tfjs-cnn", tfjsCnn],
  ] as const) {
    const t = await trainAndReload(
      build(0),
      data.train,
      p,
      makeRng(`your-network/train/${name}`),
      path.join(dir, name),
    );
    const graph = graphFromLayersModel(t.model, `${name} (${path.join(dir, name)})`);
    out.push({
      name,
      graph,
      source: `tfjs LayersModel trained here (model.fit, ${p.training.epochs} epochs), saved and reloaded`,
      files: t.files,
      digitalAccuracy: digitalAccuracy(graph, data.test),
      losses: t.losses,
    });
    opts.onLog?.(`${name}: trained, saved to ${path.join(dir, name)} and reloaded`);
  }
  if (data.dataset === "fashion-mnist") {
    for (const name of ["onnx-mlp", "onnx-cnn"] as const) {
      const graph = onnxFixture(name);
      out.push({
        name,
        graph,
        source: `PyTorch, exported to ONNX (${ONNX_FIXTURES[name]})`,
        files: [ONNX_FIXTURES[name]],
        digitalAccuracy: digitalAccuracy(graph, data.test),
        losses: [],
      });
    }
  }
  return out;
}

/** Every part of the study for every model: ADC sweep, wired tiles (dense models), and each seed's setups, fine-tuning and drift. */
export function runYourNetworkStudy(
  p: YourNetworkProtocol,
  models: readonly StudyModel[],
  data: { train: ImageSet; test: ImageSet },
  opts: { onLog?: (s: string) => void } = {},
): YourNetworkRow[] {
  const rows: YourNetworkRow[] = [];
  for (const m of models) {
    rows.push(...adcRows(p, m, data));
    if (!m.graph.ops.some((o) => o.kind === "conv2d")) rows.push(...wiredRows(p, m, data.test));
    opts.onLog?.(`${m.name}: ADC sweep and wired tiles done`);
    for (const seed of p.seeds) rows.push(...yourNetworkSeed(p, m, data, seed, opts));
  }
  return rows;
}

/** The largest |y − y_PyTorch| / max |y_PyTorch| of an ONNX fixture's digital run on its probe inputs. */
export function onnxAgreement(name: keyof typeof ONNX_FIXTURES, graph: NetworkGraph): number {
  const ref = JSON.parse(
    fs.readFileSync(path.join(repoRoot(), ONNX_FIXTURES[name].replace(/\.onnx$/, ".json")), "utf8"),
  ) as { inputs: number[]; inputShape: number[]; outputs: number[] };
  const y = runDigital(graph, ref.inputs, ref.inputShape[0]);
  let d = 0,
    m = 0;
  ref.outputs.forEach((v, k) => ((d = Math.max(d, Math.abs(v - y[k]))), (m = Math.max(m, Math.abs(v)))));
  return d / m;
}

const CLAIMS = {
  Y1: claim({
    id: "Y1",
    paper: "rasch-2023",
    statement: "A converted network on ideal tiles keeps its digital accuracy",
    source: "aihwkit convert_to_analog",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs: "test accuracy on ideal 512 × 512 tiles minus digital, every model",
    rule: "|difference| ≤ 0.1 points for every model",
  }),
  Y2: claim({
    id: "Y2",
    paper: "rasch-2023",
    statement: "A PyTorch network imported through ONNX gives PyTorch's outputs",
    source: "CrossSim from_torch; aihwkit",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs: "largest output difference on the fixture's probe inputs, relative to the largest output",
    rule: "≤ 1e-5 for every ONNX model",
  }),
  Y3: claim({
    id: "Y3",
    paper: "rasch-2023",
    statement: "Hardware-aware fine-tuning recovers accuracy lost to device variability",
    source: "Rasch et al. 2023, HWA training",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs:
      "share of the accuracy lost on Joksas D5 devices that fine-tuning through the tiles recovers, mean over models and seeds",
    rule: "≥ 0.5",
  }),
  Y4: claim({
    id: "Y4",
    paper: "rasch-2023",
    statement: "8-bit ADCs with calibrated ranges are enough",
    source: "aihwkit IOParameters; CrossSim calibrated ranges",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs: "accuracy with calibrated 8-bit ADCs minus ideal tiles, every model",
    rule: "≥ −1 point for every model",
  }),
  Y5: claim({
    id: "Y5",
    paper: "rasch-2023",
    statement: "Global drift compensation keeps accuracy a year after programming",
    source: "aihwkit GlobalDriftCompensation",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs:
      "accuracy a year after programming (PCM-like drift) with global compensation minus without, mean over seeds, every model",
    rule: "> 0 for every model",
  }),
} as const;

export function yourNetworkClaims(
  rows: readonly YourNetworkRow[],
  digital: ReadonlyMap<string, number>,
  onnx: ReadonlyMap<string, number>,
  seeds: readonly number[],
): ClaimResult[] {
  const s = summariseYourNetwork(rows),
    models = [...digital.keys()];
  const find = (q: Partial<YourNetworkSummary>) =>
    s.filter((r) => Object.entries(q).every(([k, v]) => (r as unknown as Record<string, unknown>)[k] === v));
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
  const idealDiff = models.map(
    (m) => find({ model: m, setup: "ideal", stage: "tiles" })[0].accuracyPct.mean - 100 * digital.get(m)!,
  );
  const out: ClaimResult[] = [
    measuredClaim(CLAIMS.Y1, {
      measured: models.map((m, i) => `${m} ${pct(idealDiff[i])}`).join(", ") + " points",
      n: models.length,
      seeds: [seeds[0]],
      perSeed: models.length,
      reproduced: idealDiff.every((d) => Math.abs(d) <= 0.1),
    }),
  ];
  out.push(
    onnx.size
      ? measuredClaim(CLAIMS.Y2, {
          measured: [...onnx].map(([m, e]) => `${m} ${e.toExponential(1)}`).join(", "),
          n: onnx.size,
          seeds: [],
          reproduced: [...onnx.values()].every((e) => e <= 1e-5),
        })
      : notTested(CLAIMS.Y2, "no ONNX model in this run"),
  );
  const setup = rows.find((r) => r.stage === "fine-tuned")?.setup ?? "variability";
  const shares = models
    .flatMap((m) =>
      seeds.map((seed) => {
        const before = rows.find((r) => r.model === m && r.seed === seed && r.setup === setup && r.stage === "tiles")!,
          after = rows.find((r) => r.model === m && r.seed === seed && r.stage === "fine-tuned")!;
        const lost = digital.get(m)! - before.accuracy;
        return lost > 0 ? (after.accuracy - before.accuracy) / lost : NaN;
      }),
    )
    .filter(Number.isFinite);
  out.push(
    shares.length
      ? measuredClaim(CLAIMS.Y3, {
          measured: `recovered share ${formatMeanSd(meanSd(shares), 2)}`,
          n: shares.length,
          seeds,
          perSeed: models.length,
          reproduced: meanSd(shares).mean >= 0.5,
        })
      : notTested(CLAIMS.Y3, "no accuracy was lost on the devices"),
  );
  const adc = models.map(
    (m) =>
      (find({ model: m, stage: "adc", bits: 8 })[0]?.accuracyPct.mean ?? NaN) -
      find({ model: m, setup: "ideal", stage: "tiles" })[0].accuracyPct.mean,
  );
  out.push(
    adc.every(Number.isFinite)
      ? measuredClaim(CLAIMS.Y4, {
          measured: models.map((m, i) => `${m} ${pct(adc[i])}`).join(", ") + " points",
          n: models.length,
          seeds: [seeds[0]],
          perSeed: models.length,
          reproduced: adc.every((d) => d >= -1),
        })
      : notTested(CLAIMS.Y4, "8 bits not in this run's sweep"),
  );
  const tEnd = Math.max(...rows.filter((r) => r.stage === "time").map((r) => r.tSecond));
  const gain = models.map(
    (m) =>
      find({ model: m, stage: "time", tSecond: tEnd, compensation: "global" })[0].accuracyPct.mean -
      find({ model: m, stage: "time", tSecond: tEnd, compensation: "none" })[0].accuracyPct.mean,
  );
  out.push(
    measuredClaim(CLAIMS.Y5, {
      measured:
        models.map((m, i) => `${m} ${pct(gain[i])}`).join(", ") + ` points at ${(tEnd / 86400).toFixed(0)} days`,
      n: models.length * seeds.length,
      seeds,
      perSeed: models.length,
      reproduced: gain.every((g) => g > 0),
    }),
  );
  return out;
}

/** Grid: one model file on one setup, read `tSecond` after programming (0: as converted), for one seed of device draws. */
export const analogInferenceGrid = registerExperiment({
  module: __filename,
  name: "analog-inference",
  version: "1",
  description:
    "A user's model (tfjs model folder or .onnx file, or a fixture: onnx-mlp, onnx-cnn) converted onto 512 × 512 tiles of a device setup; test accuracy digital and on tiles, optionally read t seconds after programming (PCM-like drift, global compensation)",
  parameters: {
    model: "path to a tfjs model folder or an .onnx file (relative to the repository), or onnx-mlp / onnx-cnn",
    setup: SETUPS.join(" | "),
    tSecond: "read time after programming (s); 0 = as converted",
    metrics: "accuracies (0–1)",
  },
  defaultGrid: (mode) => ({
    experiment: "analog-inference",
    mode,
    axes: { model: ["onnx-mlp", "onnx-cnn"], setup: ["ideal", "variability", "tio2"], tSecond: [0] },
    seeds: [...yourNetworkProtocol(mode).seeds],
  }),
  async run(cell, ctx) {
    const p = yourNetworkProtocol(cell.mode),
      spec = cellParam<string>(cell, "model", "string"),
      setup = cellParam<string>(cell, "setup", "string") as SetupName;
    const t = cellParam<number>(cell, "tSecond", "number");
    if (!SETUPS.includes(setup)) throw new RangeError(`unknown setup "${setup}": use one of ${SETUPS.join(", ")}`);
    if (!(t >= 0 && Number.isFinite(t))) throw new RangeError(`tSecond must be a finite number ≥ 0 (s), got ${t}`);
    const graph = await loadModel(spec),
      data = yourNetworkData(p),
      r = makeRng(`analog-inference/${spec}/${setup}/${cell.seed}`);
    const n = Math.min(setup === "wired" ? p.wired.testImages : p.deviceTestImages, data.test.n),
      digital = digitalAccuracy(graph, data.test, n);
    let net = toAnalog(graph, setupConfig(setup), { devices: r });
    if (t > 0) {
      if (setup !== "ideal")
        throw new RangeError(`tSecond > 0 reads drifted devices programmed on the "ideal" setup; got setup "${setup}"`);
      net = readAnalogAt(programAnalog(net, pcmLikeModel(setupConfig(setup).gOnSiemens), r), t, "global", r);
    }
    const a = tileAccuracy(net, data.test, n, r);
    ctx.log(
      `${spec} on ${setup}${t ? ` at ${t} s` : ""}: digital ${digital}, tiles ${a.accuracy} (${n} ${data.dataset} test images)`,
    );
    return {
      metrics: {
        digitalAccuracy: digital,
        analogAccuracy: a.accuracy,
        clippedOutputs: a.clippedOutputs,
        testImages: n,
      },
    };
  },
});

/**
 * Joksas et al. 2022 MNIST training speed: time per SGD step (batch 64) of the 784-25-10 network on
 * each device setup through the real training loop, on the fused WebAssembly engine and on the tfjs
 * layers (the previous path) in the same run, plus a paper-size epoch of T3 (48 000 images = 750
 * steps) with its memristive validation (20 repeats × 12 000 images).
 * Goals: ideal step ≤ 1 ms; D2 step ≤ 3 ms and ≤ 3× the ideal step; ≥ 10× the tfjs path; the T3 epoch
 * with its validation ≤ 5 s; the D2 step with aihwkit's DAC, ADC and output noise ≤ 1.15× the D2 step.
 */
import { rng } from "../lib/runtime/random";
import {
  JOKSAS_SETUPS,
  DeviceSetup,
  PF_RESIDUAL_COVARIANCE_ASSUMED_2026,
  withResidualCovariance,
} from "../lib/devices/joksas";
import { mnistSplits, subset } from "../lib/data/mnist";
import {
  MemristiveMlp,
  MlpEngine,
  WeightImplementation,
  joksasTraining,
  trainMemristiveMlp,
} from "../lib/training/memristive-mlp";
import { BenchRecord } from "./harness";
import { aihwkitInferencePeriphery } from "../lib/tile/periphery";
import { HardwareStage } from "../lib/training/joksas-periphery";

export const suite = "joksas";

const S = JOKSAS_SETUPS;
/** D2 with aihwkit's inference periphery (7-bit DAC with noise management, 9-bit ADC, output noise) in SI for its window. */
const D2_PERIPHERY: HardwareStage = {
  ...S.D2,
  periphery: aihwkitInferencePeriphery(
    { gOffSiemens: S.D2.gOffSiemens!, gOnSiemens: S.D2.gOnSiemens! },
    S.D2.readVoltageVolt,
  ),
};
const CASES: Array<[string, DeviceSetup, WeightImplementation]> = [
  ["ideal (software, standard weights)", S.D0, { kind: "standard", rule: "min-G" }],
  ["D1 low I–V nonlin. (PF), double", S.D1, { kind: "double" }],
  ["D2 high I–V nonlin. (PF), double", S.D2, { kind: "double" }],
  ["D2 high I–V nonlin. (PF), double, with DAC + ADC + output noise", D2_PERIPHERY, { kind: "double" }],
  [
    "D2 with the earlier assumed PF residual covariance, double",
    withResidualCovariance(S.D2, PF_RESIDUAL_COVARIANCE_ASSUMED_2026),
    { kind: "double" },
  ],
  ["D2 high I–V nonlin. (PF), standard min-G", S.D2, { kind: "standard", rule: "min-G" }],
  ["D3 stuck at G_off, double", S.D3, { kind: "double" }],
  ["D4 high nonlin. + stuck at G_on, double", S.D4, { kind: "double" }],
  ["D5 more uniform D2D, double", S.D5, { kind: "double" }],
  ["D5 more uniform D2D, standard min-G", S.D5, { kind: "standard", rule: "min-G" }],
  ["D7 high D2D, double", S.D7, { kind: "double" }],
  ["D8 stuck [Ta/HfO2] (KDE), double", S.D8, { kind: "double" }],
];

/** Milliseconds per step of `steps` SGD steps (after a short warm-up) through trainMemristiveMlp (the data copied beforehand). */
function msPerStep(
  engine: MlpEngine,
  setup: DeviceSetup,
  weights: WeightImplementation,
  train: ReturnType<typeof subset>,
  val: ReturnType<typeof subset>,
  steps: number,
): number {
  const model = new MemristiveMlp({ sizes: [784, 25, 10], weights, engine }, rng(1));
  const cfg = joksasTraining(setup, { epochs: 1, validationRepeats: 1 });
  trainMemristiveMlp(
    model,
    subset(
      train,
      Array.from({ length: 128 }, (_, i) => i),
    ),
    val,
    cfg,
    rng(2),
  );
  const data = subset(
    train,
    Array.from({ length: 64 * steps }, (_, i) => i % train.n),
  );
  const seconds = trainMemristiveMlp(model, data, val, cfg, rng(3)).seconds;
  model.dispose();
  return (seconds * 1000) / steps;
}

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const data = mnistSplits("package", rng(0));
  const val = subset(data.validation, [0]);
  const fusedSteps = quick ? 100 : 750,
    tfjsSteps = quick ? 10 : 60;
  const out: BenchRecord[] = [];
  let idealFused = NaN,
    idealTfjs = NaN;
  for (const [name, setup, weights] of CASES) {
    const tfjs = msPerStep("tfjs", setup, weights, data.train, val, tfjsSteps);
    const fused = msPerStep("fused", setup, weights, data.train, val, fusedSteps);
    if (setup.id === "D0") {
      idealFused = fused;
      idealTfjs = tfjs;
    }
    console.error(
      `  joksas ${name}: fused ${fused.toFixed(2)} ms/step, tfjs ${tfjs.toFixed(1)} ms/step (×${(tfjs / fused).toFixed(1)}); fused ${(fused / idealFused).toFixed(1)}× ideal`,
    );
    out.push({
      suite,
      name,
      params: {
        setup: setup.id,
        weights: weights.kind === "standard" ? `standard ${weights.rule}` : "double",
        batch: 64,
        timedSteps: { fused: fusedSteps, tfjs: tfjsSteps },
      },
      medianMs: fused,
      minMs: fused,
      repeats: fusedSteps,
      extra: {
        fusedMsPerStep: +fused.toFixed(3),
        tfjsMsPerStep: +tfjs.toFixed(2),
        speedupOverTfjs: +(tfjs / fused).toFixed(1),
        fusedRatioToIdeal: +(fused / idealFused).toFixed(2),
        tfjsRatioToIdeal: +(tfjs / idealTfjs).toFixed(2),
        goals:
          setup.id === "D0"
            ? { msPerStep: 1, speedupOverTfjs: 10 }
            : setup === S.D2 && weights.kind === "double"
              ? { msPerStep: 3, ratioToIdeal: 3, speedupOverTfjs: 10 }
              : { speedupOverTfjs: 10 },
      },
    });
  }
  out.push(peripheryRatio(data.train, val, fusedSteps));
  out.push(paperEpoch(data, quick));
  return out;
}

/**
 * The periphery's cost on the fused engine, measured interleaved (plain D2, then D2 with aihwkit's
 * periphery, five times over) so that the machine's drift cancels: the ratio of the two medians.
 */
function peripheryRatio(train: ReturnType<typeof subset>, val: ReturnType<typeof subset>, steps: number): BenchRecord {
  const plain: number[] = [],
    withPeriphery: number[] = [];
  for (let k = 0; k < 5; k++) {
    plain.push(msPerStep("fused", S.D2, { kind: "double" }, train, val, steps));
    withPeriphery.push(msPerStep("fused", D2_PERIPHERY, { kind: "double" }, train, val, steps));
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[2];
  const ratio = med(withPeriphery) / med(plain);
  console.error(
    `  joksas D2 with DAC + ADC + output noise, interleaved with plain D2: ${med(withPeriphery).toFixed(2)} vs ${med(plain).toFixed(2)} ms/step (×${ratio.toFixed(3)})`,
  );
  return {
    suite,
    name: "D2 double: with DAC + ADC + output noise vs without (interleaved)",
    params: {
      setup: "D2",
      weights: "double",
      batch: 64,
      periphery: "aihwkit inference defaults",
      timedSteps: steps,
      alternations: 5,
    },
    medianMs: med(withPeriphery),
    minMs: Math.min(...withPeriphery),
    repeats: 5,
    extra: { plainMsPerStep: +med(plain).toFixed(3), ratioToD2WithoutPeriphery: +ratio.toFixed(3), goalRatio: 1.15 },
  };
}

/**
 * A paper-size T3 epoch on the fused engine: 750 steps on 48 000 images (the 7000 packaged training
 * digits repeated: MNIST's sparsity, which sets the PF work) and one memristive validation, 20 repeats
 * over 12 000 images (the protocol validates at epoch 1 and every 20th; amortised it is 1/20 of that).
 */
function paperEpoch(data: ReturnType<typeof mnistSplits>, quick: boolean): BenchRecord {
  const scale = quick ? 0.1 : 1;
  const train = subset(
    data.train,
    Array.from({ length: Math.round(48000 * scale) }, (_, i) => i % data.train.n),
  );
  const val = subset(
    data.validation,
    Array.from({ length: Math.round(12000 * scale) }, (_, i) => i % data.validation.n),
  );
  const model = new MemristiveMlp({ sizes: [784, 25, 10], weights: { kind: "double" } }, rng(1));
  const cfg = joksasTraining(S.D2, { epochs: 1, validationRepeats: 20 });
  const withVal = trainMemristiveMlp(model, train, val, cfg, rng(2)).seconds / scale;
  const trainOnly =
    trainMemristiveMlp(
      model,
      train,
      subset(val, [0]),
      joksasTraining(S.D2, { epochs: 1, validationRepeats: 1 }),
      rng(3),
    ).seconds / scale;
  model.dispose();
  const validation = withVal - trainOnly;
  console.error(
    `  joksas T3 paper epoch (48 000 images): ${trainOnly.toFixed(2)} s training + ${validation.toFixed(2)} s validation (20 × 12 000) = ${withVal.toFixed(2)} s; amortised over 20 epochs ${(trainOnly + validation / 20).toFixed(2)} s`,
  );
  return {
    suite,
    name: "T3 paper epoch with validation (fused)",
    params: {
      setup: "D2",
      weights: "double",
      images: 48000,
      validationImages: 12000,
      validationRepeats: 20,
      measuredAtScale: scale,
    },
    medianMs: withVal * 1000,
    minMs: withVal * 1000,
    repeats: 1,
    extra: {
      trainingSeconds: +trainOnly.toFixed(2),
      validationSeconds: +validation.toFixed(2),
      epochWithValidationSeconds: +withVal.toFixed(2),
      amortisedEpochSeconds: +(trainOnly + validation / 20).toFixed(2),
      goalSeconds: 5,
    },
  };
}

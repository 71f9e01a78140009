/**
 * Joksas et al. 2022 MNIST training speed: time per SGD step (batch 64) of the 784-25-10 network
 * on each device setup, through the real training loop, extrapolated to a paper epoch (48 000 images
 * = 750 steps). Goal: an aware epoch within 3× of the ideal (software) one.
 */
import { rng } from "../lib/runtime/random";
import { JOKSAS_SETUPS, DeviceSetup, PF_RESIDUAL_COVARIANCE_ASSUMED_2026, withResidualCovariance } from "../lib/devices/joksas";
import { mnistSplits, subset } from "../lib/data/mnist";
import { MemristiveMlp, WeightImplementation, joksasTraining, trainMemristiveMlp } from "../lib/training/memristive-mlp";
import { BenchRecord } from "./harness";

export const suite = "joksas";

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const steps = quick ? 15 : 100;
  const data = mnistSplits("package", rng(0));
  const train = subset(data.train, Array.from({ length: 64 * steps }, (_, i) => i % data.train.n));
  const val = subset(data.validation, [0]);
  const S = JOKSAS_SETUPS;
  const cases: Array<[string, DeviceSetup, WeightImplementation]> = [
    ["ideal (software, standard weights)", S.D0, { kind: "standard", rule: "min-G" }],
    ["D1 low I–V nonlin. (PF), double", S.D1, { kind: "double" }],
    ["D2 high I–V nonlin. (PF), double", S.D2, { kind: "double" }],
    ["D2 with the earlier assumed PF residual covariance, double", withResidualCovariance(S.D2, PF_RESIDUAL_COVARIANCE_ASSUMED_2026), { kind: "double" }],
    ["D3 stuck at G_off, double", S.D3, { kind: "double" }],
    ["D4 high nonlin. + stuck at G_on, double", S.D4, { kind: "double" }],
    ["D5 more uniform D2D, double", S.D5, { kind: "double" }],
    ["D5 more uniform D2D, standard min-G", S.D5, { kind: "standard", rule: "min-G" }],
    ["D7 high D2D, double", S.D7, { kind: "double" }],
    ["D8 stuck [Ta/HfO2] (KDE), double", S.D8, { kind: "double" }],
  ];
  const out: BenchRecord[] = [];
  let idealMs = NaN;
  for (const [name, setup, weights] of cases) {
    const model = new MemristiveMlp({ sizes: [784, 25, 10], weights }, rng(1));
    const cfg = joksasTraining(setup, { epochs: 1, validationRepeats: 1 });
    // warm-up on a few steps, then the timed epoch of `steps` steps
    trainMemristiveMlp(model, subset(train, Array.from({ length: 128 }, (_, i) => i)), val, cfg, rng(2));
    const r = trainMemristiveMlp(model, train, val, cfg, rng(3));
    model.dispose();
    const msPerStep = (r.seconds * 1000) / steps;
    if (setup.id === "D0") idealMs = msPerStep;
    const epochSeconds = (750 * msPerStep) / 1000;
    console.error(`  joksas ${name}: ${msPerStep.toFixed(1)} ms/step → ${epochSeconds.toFixed(0)} s per 48k-image epoch (${(msPerStep / idealMs).toFixed(1)}× ideal)`);
    out.push({
      suite, name, params: { setup: setup.id, ...(setup.currentModel ? { pfResidualCovariance: setup.currentModel.residualCovariance === JOKSAS_SETUPS[setup.id as "D2"].currentModel?.residualCovariance ? "calibrated default" : "earlier assumption" } : {}), weights: weights.kind === "standard" ? `standard ${weights.rule}` : "double", batch: 64, timedSteps: steps },
      medianMs: msPerStep, minMs: msPerStep, repeats: steps,
      extra: { msPerStep: +msPerStep.toFixed(2), epochSeconds48k: +epochSeconds.toFixed(1), ratioToIdeal: +(msPerStep / idealMs).toFixed(2), goalRatio: 3 },
    });
  }
  return out;
}

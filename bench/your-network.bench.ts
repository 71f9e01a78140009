/**
 * A converted network against the same network digital, on one backend, at batch 100 (goal: ideal
 * tiles within 1.5× the digital tfjs model), for notebook 13's CNN (the PyTorch ONNX fixture): the
 * default conversion (linear layers as one product with the weights their devices hold) and every
 * layer kept on its float64 tiles (`exact`), both measured in this run.
 */
import * as path from "path";
import { BenchRecord, time } from "./harness";
import { repoRoot } from "../lib/runtime/provenance";
import { backendInfo, initBackend } from "../lib/runtime/backend";
import { loadOnnx, runDigital } from "../lib/models";
import { analogForward, toAnalog } from "../lib/training/analog-model";
import { setupConfig } from "../lib/experiments/your-network";

export const suite = "your-network";

export async function run(quick: boolean): Promise<BenchRecord[]> {
  if (!backendInfo()) await initBackend();
  const g = loadOnnx(path.join(repoRoot(), "test/fixtures/onnx/fashion-cnn.onnx")),
    batch = 100;
  const x = Float32Array.from({ length: batch * 784 }, (_, k) => (Math.sin(0.37 * k) + 1) / 2);
  const fast = toAnalog(g, setupConfig("ideal")),
    exact = toAnalog(g, setupConfig("ideal"), { exact: true });
  const repeats = quick ? 5 : 15;
  const digital = await time(() => runDigital(g, x, batch), { repeats });
  const tiles = await time(() => analogForward(fast, x, batch), { repeats });
  const onTiles = await time(() => analogForward(exact, x, batch), { repeats: quick ? 3 : 7 });
  const params = { model: "fashion-cnn.onnx", batch, setup: "ideal", backend: backendInfo()!.name };
  return [
    { suite, name: "cnn-digital-tfjs", params, ...digital },
    {
      suite,
      name: "cnn-ideal-tiles",
      params,
      ...tiles,
      extra: { ratioToDigital: +(tiles.medianMs / digital.medianMs).toFixed(3), goalRatio: 1.5 },
    },
    {
      suite,
      name: "cnn-ideal-tiles-exact",
      params: { ...params, exact: true },
      ...onTiles,
      extra: { ratioToDigital: +(onTiles.medianMs / digital.medianMs).toFixed(3) },
    },
  ];
}

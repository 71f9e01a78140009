/**
 * The tile's periphery and device ageing: what a DAC, an ADC and output noise cost a 128 × 128 tile
 * on the exact circuit (line resistance, Gauss–Seidel) at 100 inputs, against the same tile without
 * them, measured in the same run (goal ≤ 1.1×); and a read of a programmed layer at time t.
 */
import { BenchRecord, time } from "./harness";
import { rng } from "../lib/runtime/random";
import { CrossbarDenseLayer, CrossbarLayerConfig } from "../lib/tile/layer";
import { aihwkitInferencePeriphery } from "../lib/tile/periphery";
import { programLayer } from "../lib/tile/time";
import { pcmLikeModel } from "../lib/devices/time";

export const suite = "periphery";

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const n = 128,
    inputs = 100,
    r = rng("bench/periphery");
  const layer: CrossbarLayerConfig = {
    gOffSiemens: 1e-6,
    gOnSiemens: 1e-5,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 1,
    bitSegmentOhm: 1,
    tileRows: n,
    tileCols: n,
    engine: "gauss-seidel",
  };
  const inDim = n - 1,
    outDim = n / 2;
  const w = Float64Array.from({ length: n * outDim }, () => r.uniform(-1, 1));
  const x = Float64Array.from({ length: inputs * inDim }, () => r.uniform(0, 1));
  const plain = new CrossbarDenseLayer(w, inDim, outDim, layer);
  const periphery = aihwkitInferencePeriphery(layer, layer.readVoltageVolt);
  const withPeriphery = new CrossbarDenseLayer(w, inDim, outDim, { ...layer, periphery });
  const repeats = quick ? 5 : 15,
    noise = rng("bench/periphery/noise");
  const base = await time(() => plain.forward(x, inputs), { repeats });
  const full = await time(() => withPeriphery.forward(x, inputs, noise), { repeats });
  const params = { rows: n, cols: n, inputs, segmentOhm: 1, engine: "gauss-seidel" };
  const model = pcmLikeModel(layer.gOnSiemens),
    prog = programLayer(plain, model, rng("bench/periphery/program"));
  const read = await time(() => prog.readAt(86400, noise), { repeats });
  return [
    { suite, name: "tile-forward-without-periphery", params, ...base },
    {
      suite,
      name: "tile-forward-with-periphery",
      params: { ...params, periphery: "aihwkit inference defaults (7-bit DAC, 9-bit ADC, output noise)" },
      ...full,
      extra: { ratioToWithout: +(full.medianMs / base.medianMs).toFixed(3), goalRatio: 1.1 },
    },
    { suite, name: "programmed-layer-read-at-t", params: { devices: n * n, model: model.name }, ...read },
  ];
}

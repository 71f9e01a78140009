/** Backend throughput: float32 matmul GFLOP/s and the ideal crossbar product. */
import * as tf from "@tensorflow/tfjs";
import { BenchRecord, time } from "./harness";

export const suite = "tfjs";

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const n of quick ? [256] : [256, 512, 1024]) {
    const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
    const t = await time(() => tf.tidy(() => tf.matMul(a, a).dataSync()), { repeats: quick ? 3 : 7 });
    a.dispose();
    out.push({
      suite,
      name: "matmul",
      params: { n },
      ...t,
      extra: { gflops: +((2 * n ** 3) / (t.medianMs * 1e6)).toFixed(2) },
    });
  }
  return out;
}

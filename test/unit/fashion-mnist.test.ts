/**
 * The full-size data path on real files: Fashion-MNIST (Debian's dataset-fashion-mnist, 60 000 + 10 000
 * images in MNIST's IDX format) through the loader, the paper's 48 000 / 12 000 / 10 000 split and a few
 * hundred training steps of an aware network on the fused engine. Skipped where the files are missing,
 * unless CROSSBAR_LAB_REQUIRE_FASHION_MNIST=1 (as in CI) makes that a failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { initBackend } from "../../lib/runtime/backend";
import { datasetDir, idxMnist, mnistSplits, subset } from "../../lib/data/mnist";
import { JOKSAS_SETUPS } from "../../lib/devices/joksas";
import { joksasProtocol, loadJoksasData } from "../../lib/experiments/joksas";
import { MemristiveMlp, joksasTraining, trainMemristiveMlp } from "../../lib/training/memristive-mlp";

const required = process.env.CROSSBAR_LAB_REQUIRE_FASHION_MNIST === "1";
let found: string | null;
try {
  found = datasetDir("fashion-mnist");
} catch {
  found = null;
}
const skip = !found && !required ? "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)" : false;

test(
  "Fashion-MNIST, full size: 60 000 + 10 000 real 28×28 images, the paper's split, and a few hundred aware training steps that learn",
  { skip },
  async () => {
    await initBackend();
    const protocol = joksasProtocol("full", { dataset: "fashion-mnist" });
    assert.match(protocol.deviations.join("\n"), /Fashion-MNIST instead of MNIST/);
    assert.equal(protocol.deviations.length, 1, "only the dataset differs from the paper's protocol");
    const data = loadJoksasData(protocol);
    assert.match(data.source, /standard Fashion-MNIST IDX files \(60000 train split 48000\/12000, 10000 test\)/);
    assert.deepEqual([data.train.n, data.validation.n, data.test.n, data.train.features], [48000, 12000, 10000, 784]);
    const counts = new Array(10).fill(0);
    data.test.labels.forEach((l) => counts[l]++);
    assert.deepEqual(counts, new Array(10).fill(1000), "the test set has 1000 images of each class");
    let lo = Infinity,
      hi = -Infinity,
      zero = 0;
    for (const v of data.test.x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      zero += v === 0 ? 1 : 0;
    }
    assert.deepEqual([lo, hi], [0, 1]);
    assert.ok(zero / data.test.x.length < 0.6, "clothing images are denser than digits");
    // 300 SGD steps of T3 (double weights, aware of D2) on the first 19 200 training images
    const train = subset(
      data.train,
      Array.from({ length: 300 * 64 }, (_, i) => i),
    );
    const val = subset(
      data.validation,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    const model = new MemristiveMlp({ sizes: [784, 25, 10], weights: { kind: "double" } }, rng(0));
    const r = trainMemristiveMlp(
      model,
      train,
      val,
      joksasTraining(JOKSAS_SETUPS.D2, { epochs: 1, learningRate: 0.1, validationRepeats: 3 }),
      rng(1),
    );
    assert.ok(
      r.curve[0].trainLoss < 2,
      `mean training loss over the 300 steps ${r.curve[0].trainLoss} (chance: ln 10 = 2.30)`,
    );
    assert.ok(
      r.checkpoints[0].medianValidationError < 0.65,
      `validation error on D2 ${r.checkpoints[0].medianValidationError} (chance 0.9)`,
    );
    model.dispose();
    // quick mode on the same files: a seeded 7000/1000 draw of the training images and the first 2000 test images
    const quick = loadJoksasData(joksasProtocol("quick", { dataset: "fashion-mnist" }));
    assert.deepEqual([quick.train.n, quick.validation.n, quick.test.n], [7000, 1000, 2000]);
    assert.match(
      quick.source,
      /Fashion-MNIST IDX files, 7000\/1000 of the 60000 training images \(shuffle "mnist\/0"\) and the first 2000 test images/,
    );
  },
);

test("Fashion-MNIST: a missing folder and the packaged digits are named errors", () => {
  assert.throws(
    () => idxMnist("/nonexistent/fashion", "fashion-mnist"),
    /Fashion-MNIST folder \/nonexistent\/fashion does not exist/,
  );
  assert.throws(
    () => mnistSplits("package", rng(0), { dataset: "fashion-mnist" }),
    /the packaged images are MNIST digits; for fashion-mnist use source "idx"/,
  );
  assert.throws(
    () => joksasProtocol("quick", { dataset: "cifar" as never }),
    /unknown dataset "cifar": use mnist or fashion-mnist/,
  );
});

/**
 * tfjs LayersModels on disk without native bindings: save → load gives the same outputs; the graph
 * read from a model runs as tfjs runs the model; a converted model exported back by toDigital is
 * the same network. Bad folders give errors naming the file or layer.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/runtime/backend";
import {
  foldBatchNorms,
  graphFromLayersModel,
  loadLayersModelFolder,
  loadOnnx,
  runDigital,
  saveLayersModelFolder,
} from "../../lib/models";
import { analogForward, toAnalog, toDigital } from "../../lib/training/analog-model";

before(async () => {
  await initBackend();
});

/** A small CNN with every layer kind the reader takes (seeded initialisers; batch-norm statistics set). */
function cnn(): tf.Sequential {
  const m = tf.sequential();
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  m.add(
    tf.layers.conv2d({
      inputShape: [9, 8, 2],
      filters: 4,
      kernelSize: 3,
      padding: "same",
      kernelInitializer: init(1),
      biasInitializer: "ones",
    }),
  );
  m.add(tf.layers.batchNormalization({ epsilon: 1e-3 }));
  m.add(tf.layers.reLU());
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      filters: 3,
      kernelSize: [2, 3],
      strides: [1, 2],
      activation: "tanh",
      kernelInitializer: init(2),
    }),
  );
  m.add(tf.layers.averagePooling2d({ poolSize: [1, 1] }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dropout({ rate: 0.3 }));
  m.add(tf.layers.dense({ units: 5, activation: "sigmoid", kernelInitializer: init(3) }));
  m.add(tf.layers.dense({ units: 3, useBias: false, kernelInitializer: init(4) }));
  m.add(tf.layers.softmax());
  const bn = m.layers[1],
    [g, b, mean, v] = bn.getWeights();
  bn.setWeights([
    g.add(0.3),
    b.add(-0.2),
    tf.randomUniform(mean.shape, -0.5, 0.5, "float32", 5),
    tf.randomUniform(v.shape, 0.5, 2, "float32", 6),
  ]);
  return m;
}

const inputs = (n: number, per: number) => Float32Array.from({ length: n * per }, (_, k) => Math.sin(0.7 * k) * 0.9);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-model-"));

test("tfjs: save → load round trip, and the graph runs as tfjs runs the model", async () => {
  const m = cnn(),
    dir = tmp(),
    x = inputs(4, 9 * 8 * 2);
  const files = await saveLayersModelFolder(m, dir);
  assert.deepEqual(
    files.map((f) => path.basename(f)),
    ["model.json", "weights.bin"],
  );
  const loaded = await loadLayersModelFolder(dir);
  const y0 = (m.predict(tf.tensor4d(x, [4, 9, 8, 2])) as tf.Tensor).dataSync();
  const y1 = (loaded.predict(tf.tensor4d(x, [4, 9, 8, 2])) as tf.Tensor).dataSync();
  assert.equal(maxDiff(y0, y1), 0);
  const g = graphFromLayersModel(loaded, "cnn");
  assert.deepEqual(
    g.ops.map((o) => o.kind),
    [
      "conv2d",
      "batchnorm",
      "activation",
      "pool",
      "conv2d",
      "activation",
      "pool",
      "flatten",
      "dense",
      "activation",
      "dense",
      "activation",
    ],
  );
  assert.ok(maxDiff(runDigital(g, x, 4), y0) < 1e-6);
  assert.ok(maxDiff(runDigital(foldBatchNorms(g), x, 4), y0) < 1e-6, "batch norm folded into the convolution");
});

test("tfjs: ideal tiles and toDigital reproduce the model", async () => {
  const m = cnn(),
    x = inputs(3, 9 * 8 * 2),
    y0 = (m.predict(tf.tensor4d(x, [3, 9, 8, 2])) as tf.Tensor).dataSync();
  const net = toAnalog(graphFromLayersModel(m), {
    gOffSiemens: 2e-6,
    gOnSiemens: 5e-5,
    readVoltageVolt: 0.1,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 16,
    tileCols: 4,
  });
  assert.ok(maxDiff(analogForward(net, x, 3).y, y0) < 1e-6);
  const back = toDigital(net),
    dir = tmp();
  await saveLayersModelFolder(back, dir);
  const y2 = ((await loadLayersModelFolder(dir)).predict(tf.tensor4d(x, [3, 9, 8, 2])) as tf.Tensor).dataSync();
  assert.ok(maxDiff(y2, y0) < 1e-6);
});

test("wasm: the convolution filter gradient crossbar-lab registers equals the cpu backend's", async () => {
  const x = tf.randomNormal([2, 7, 6, 3], 0, 1, "float32", 1),
    k = tf.randomNormal([3, 2, 3, 4], 0, 1, "float32", 2);
  const w = tf.randomNormal([2, 4, 3, 4], 0, 1, "float32", 3);
  const grads = (pad: "same" | "valid" | [[0, 0], [1, 0], [0, 2], [0, 0]]) =>
    tf
      .grad((kk: tf.Tensor) =>
        tf
          .conv2d(x as tf.Tensor4D, kk as tf.Tensor4D, [2, 2], pad)
          .mul(pad === "same" ? w : 1)
          .sum(),
      )(k)
      .dataSync();
  const pads = [
    "same",
    "valid",
    [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  ] as const;
  const wasm = pads.map((p) => grads(p as Parameters<typeof grads>[0]));
  await tf.setBackend("cpu");
  try {
    pads.forEach((p, i) =>
      assert.ok(maxDiff(wasm[i], grads(p as Parameters<typeof grads>[0])) < 1e-4, `pad ${JSON.stringify(p)}`),
    );
  } finally {
    await initBackend("wasm");
  }
});

test("tfjs: a CNN trains with model.fit on the wasm backend", async () => {
  const m = cnn(),
    x = tf.tensor4d(inputs(8, 9 * 8 * 2), [8, 9, 8, 2]),
    y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);
  m.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const h = await m.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
  const loss = h.history.loss as number[];
  assert.ok(loss[4] < loss[0], `losses ${loss.join(", ")}`);
});

test("tfjs: an ONNX network exported by toDigital reads back as the same network (NCHW input, PyTorch's flatten, pads)", async () => {
  const g = loadOnnx(path.join(__dirname, "..", "fixtures", "onnx", "ops.onnx")),
    dir = tmp();
  const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "onnx", "ops.json"), "utf8"));
  await saveLayersModelFolder(
    toDigital(
      toAnalog(g, {
        gOffSiemens: 1e-6,
        gOnSiemens: 1e-4,
        readVoltageVolt: 0.2,
        wordSegmentOhm: 0,
        bitSegmentOhm: 0,
        tileRows: 512,
        tileCols: 512,
      }),
    ),
    dir,
  );
  const back = graphFromLayersModel(await loadLayersModelFolder(dir), "export");
  assert.equal(back.input.layout, "nchw");
  assert.ok(back.ops.some((o) => o.kind === "flatten" && o.order === "nchw"));
  assert.ok(maxDiff(runDigital(back, ref.inputs, ref.inputShape[0]), ref.outputs) < 1e-6);
});

test("tfjs: bad folders and layers give errors naming the file or layer", async () => {
  const dir = tmp();
  await assert.rejects(loadLayersModelFolder(dir), /model\.json not found/);
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: "d1" })] });
  await saveLayersModelFolder(m, dir);
  const json = path.join(dir, "model.json"),
    bin = path.join(dir, "weights.bin"),
    bytes = fs.readFileSync(bin),
    text = fs.readFileSync(json, "utf8");
  fs.writeFileSync(bin, bytes.subarray(0, bytes.length - 4));
  await assert.rejects(
    loadLayersModelFolder(dir),
    /shards weights\.bin hold 28 bytes; .*model\.json lists weights d1\/kernel, d1\/bias of 32 bytes/,
  );
  fs.rmSync(bin);
  await assert.rejects(loadLayersModelFolder(dir), /weight shard .*weights\.bin \(listed in .*model\.json\) not found/);
  fs.writeFileSync(bin, bytes);
  const manifest = JSON.parse(text);
  manifest.weightsManifest[0].weights[0].dtype = "int32";
  fs.writeFileSync(json, JSON.stringify(manifest));
  await assert.rejects(
    loadLayersModelFolder(dir),
    /weight "d1\/kernel" in .*model\.json has dtype int32; only float32/,
  );
  fs.writeFileSync(json, text.replace('"shape":[3,2]', '"shape":[2,3]'));
  await assert.rejects(loadLayersModelFolder(dir), /model\.json: .*[Ss]hape/);
  fs.writeFileSync(json, "{ not json");
  await assert.rejects(loadLayersModelFolder(dir), /model\.json is not valid JSON/);
  const lstm = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [4], units: 4 }), tf.layers.leakyReLU({ name: "leaky" })],
  });
  assert.throws(() => graphFromLayersModel(lstm, "m"), /m: layer "leaky" \(LeakyReLU\) is not supported/);
  const branch = tf.input({ shape: [3] }),
    a = tf.layers.dense({ units: 2, name: "a" }).apply(branch) as tf.SymbolicTensor;
  const both = tf.layers.concatenate({ name: "cat" }).apply([a, branch]) as tf.SymbolicTensor;
  assert.throws(
    () => graphFromLayersModel(tf.model({ inputs: branch, outputs: both }), "f"),
    /layer "cat" \(Concatenate\) does not take the previous layer's output/,
  );
  const flat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2, 3], units: 2, name: "d3" })] });
  assert.throws(() => graphFromLayersModel(flat, "r"), /layer "d3" \(Dense\) acts on a \[2, 3\] input; add a Flatten/);
});

/**
 * ONNX import against references no one here wrote: PyTorch's outputs for the networks
 * test/fixtures/onnx/generate.py exports (committed), a live PyTorch export of the untrained ones
 * when python3-torch is installed (required in CI), and NumPy for the onnx.helper graph. Digital
 * execution and ideal tiles (every pair rule, both bias placements, layers split over tiles) agree
 * with them to float32 accuracy. Bad models give errors naming the node, initializer or input.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { onnx } from "onnx-proto";
import { initBackend } from "../../lib/runtime/backend";
import { loadOnnx, parseOnnx, runDigital } from "../../lib/models";
import { analogForward, toAnalog } from "../../lib/training/analog-model";
import type { CrossbarLayerConfig } from "../../lib/tile/layer";

before(async () => {
  await initBackend();
});

const DIR = path.join(__dirname, "..", "fixtures", "onnx");
const FIXTURES = ["fashion-mlp", "fashion-cnn", "ops", "global-pool", "helper"];
const IDEAL: CrossbarLayerConfig = {
  gOffSiemens: 1e-6,
  gOnSiemens: 1e-4,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 64,
  tileCols: 8,
};

interface Reference {
  inputs: number[];
  inputShape: number[];
  outputs: number[];
  outputShape: number[];
  ops: string[];
}
const reference = (dir: string, n: string): Reference =>
  JSON.parse(fs.readFileSync(path.join(dir, `${n}.json`), "utf8"));

/** Largest |a − b| relative to the largest |b| (float32 outputs of a few layers: ~1e-6). */
function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0,
    m = 0;
  for (let k = 0; k < b.length; k++) {
    d = Math.max(d, Math.abs(a[k] - b[k]));
    m = Math.max(m, Math.abs(b[k]));
  }
  return d / Math.max(m, 1e-12);
}

for (const n of FIXTURES) {
  test(`ONNX ${n}: digital execution and ideal tiles match the reference outputs`, () => {
    const ref = reference(DIR, n),
      g = loadOnnx(path.join(DIR, `${n}.onnx`));
    assert.ok(relMax(runDigital(g, ref.inputs, ref.inputShape[0]), ref.outputs) < 2e-6, "digital");
    for (const rule of ["min-G", "avg", "double"] as const)
      for (const bias of ["digital", "row"] as const)
        for (const exact of [true, false]) {
          const a = toAnalog(g, { ...IDEAL, rule }, { bias, exact });
          assert.ok(
            relMax(analogForward(a, ref.inputs, ref.inputShape[0]).y, ref.outputs) < 2e-6,
            `${rule}, ${bias} bias, exact ${exact}`,
          );
        }
  });
}

test("ONNX: every op of the fixtures is one the importer states it reads", () => {
  const seen = new Set(FIXTURES.flatMap((n) => reference(DIR, n).ops));
  for (const op of [
    "Gemm",
    "MatMul",
    "Add",
    "Conv",
    "BatchNormalization",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "Flatten",
    "Reshape",
    "Identity",
    "Dropout",
  ]) {
    assert.ok(seen.has(op), `${op} is exercised by a fixture`);
  }
});

const torchAvailable = (() => {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import torch, onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const requireTorch = process.env.CROSSBAR_LAB_REQUIRE_TORCH === "1";

test(
  "ONNX: a live PyTorch export agrees too",
  {
    skip:
      !torchAvailable && !requireTorch
        ? "python3-torch and python3-onnx are not installed (apt-get install python3-torch python3-onnx)"
        : false,
  },
  () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "onnx-live-"));
    execFileSync("/usr/bin/python3", [path.join(DIR, "generate.py"), "--out", out, "--untrained"], { stdio: "ignore" });
    for (const n of ["ops", "global-pool", "helper"]) {
      const ref = reference(out, n),
        g = loadOnnx(path.join(out, `${n}.onnx`));
      assert.ok(relMax(runDigital(g, ref.inputs, ref.inputShape[0]), ref.outputs) < 2e-6, n);
      assert.ok(
        relMax(analogForward(toAnalog(g, IDEAL, { exact: true }), ref.inputs, ref.inputShape[0]).y, ref.outputs) < 2e-6,
        `${n} on tiles`,
      );
    }
  },
);

/** A fixture decoded, edited, and encoded again. */
function edited(n: string, edit: (m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(fs.readFileSync(path.join(DIR, `${n}.onnx`)));
  edit(m);
  return onnx.ModelProto.encode(m).finish();
}

test("ONNX: bad models give errors that name the node, initializer or input", () => {
  assert.throws(
    () => loadOnnx(path.join(DIR, "unsupported-op.onnx")),
    /node "leaky" \(LeakyRelu\): op LeakyRelu is not supported/,
  );
  const bytes = fs.readFileSync(path.join(DIR, "fashion-mlp.onnx"));
  assert.throws(
    () => parseOnnx(bytes.subarray(0, bytes.length >> 1), "half.onnx"),
    /half\.onnx is not a readable ONNX model \(truncated or not ONNX\)/,
  );
  assert.throws(() => loadOnnx(path.join(DIR, "missing.onnx")), /missing\.onnx not found/);
  const dynamic = edited("helper", (m) => {
    const d = m.graph!.input![0].type!.tensorType!.shape!.dim![1];
    d.dimValue = 0;
    d.dimParam = "features";
  });
  assert.throws(() => parseOnnx(dynamic, "dyn.onnx"), /dynamic dimension 1 \(features\)/);
  const double = edited("helper", (m) => {
    const w = m.graph!.initializer!.find((t) => t.name === "w")!;
    w.dataType = onnx.TensorProto.DataType.DOUBLE;
  });
  assert.throws(() => parseOnnx(double, "f64.onnx"), /initializer "w" has data type DOUBLE/);
  const branch = edited("helper", (m) => {
    m.graph!.node!.find((nd) => nd.name === "add")!.input = ["x2", "x1"];
  });
  assert.throws(() => parseOnnx(branch, "branch.onnx"), /node "add" \(Add\) takes x2, x1.*only chains/);
  const shape = edited("helper", (m) => {
    const w = m.graph!.initializer!.find((t) => t.name === "w")!;
    w.dims = [4, 6];
  });
  assert.throws(() => parseOnnx(shape, "shape.onnx"), /dense "matmul" takes 4 features; its input is \[6\]/);
  const grouped = edited("global-pool", (m) => {
    const conv = m.graph!.node!.find((nd) => nd.opType === "Conv")!;
    conv.attribute!.find((a) => a.name === "group")!.i = 3;
  });
  assert.throws(() => parseOnnx(grouped, "grouped.onnx"), /grouped convolutions \(group 3\) are not supported/);
});

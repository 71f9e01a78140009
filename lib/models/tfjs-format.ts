/**
 * The tfjs LayersModel format on disk (model.json plus weight shards: what Keras models become
 * through the TensorFlow.js converter), read and written without native bindings: the files are
 * read here and handed to tfjs through `tf.io.fromMemory`; saving goes through
 * `tf.io.withSaveHandler` and writes model.json plus one weights.bin. `graphFromLayersModel` turns a
 * chain of supported layers into a network graph, `layersModelFromGraph` builds one back.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ACTIVATIONS, ActivationFn, NetworkGraph, Op, checkGraph, shapes } from "./graph";

const BYTES: Readonly<Record<string, number>> = Object.freeze({ float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 });

interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype?: string;
  readonly quantization?: unknown;
}

/** model.json and its shards checked and concatenated: a tfjs IO handler in memory. */
export function readLayersModelArtifacts(dir: string): tf.io.ModelArtifacts {
  const file = path.join(dir, "model.json");
  if (!fs.existsSync(file))
    throw new Error(`tfjs model: ${file} not found (a tfjs LayersModel folder holds model.json and its weight shards)`);
  let json: {
    modelTopology?: unknown;
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
    format?: string;
  };
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`tfjs model: ${file} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!json.modelTopology)
    throw new Error(`tfjs model: ${file} has no modelTopology (is it a graph model? only LayersModels are read)`);
  if (!Array.isArray(json.weightsManifest)) throw new Error(`tfjs model: ${file} has no weightsManifest`);
  const specs: WeightSpec[] = [],
    shards: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    let groupBytes = 0,
      expected = 0;
    for (const w of group.weights) {
      const dtype = w.dtype ?? "float32";
      if (w.quantization)
        throw new Error(`tfjs model: weight "${w.name}" in ${file} is quantised; only float32 weights are read`);
      if (dtype !== "float32")
        throw new Error(`tfjs model: weight "${w.name}" in ${file} has dtype ${dtype}; only float32 weights are read`);
      expected += w.shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
      specs.push(w);
    }
    for (const p of group.paths) {
      const shard = path.join(dir, p);
      if (!fs.existsSync(shard)) throw new Error(`tfjs model: weight shard ${shard} (listed in ${file}) not found`);
      const b = fs.readFileSync(shard);
      shards.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      groupBytes += b.byteLength;
    }
    if (groupBytes !== expected) {
      const names = group.weights.map((w) => w.name).join(", ");
      throw new Error(
        `tfjs model: shards ${group.paths.join(", ")} hold ${groupBytes} bytes; ${file} lists weights ${names} of ${expected} bytes (truncated or mismatched)`,
      );
    }
  }
  const total = shards.reduce((a, s) => a + s.byteLength, 0),
    data = new Uint8Array(total);
  let o = 0;
  for (const s of shards) {
    data.set(s, o);
    o += s.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
    weightSpecs: specs as tf.io.WeightsManifestEntry[],
    weightData: data.buffer,
  };
}

/** A tfjs LayersModel from a folder on disk (model.json + shards). */
export async function loadLayersModelFolder(dir: string): Promise<tf.LayersModel> {
  const artifacts = readLayersModelArtifacts(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`tfjs model ${path.join(dir, "model.json")}: ${(e as Error).message}`, { cause: e });
  }
}

/** Save a LayersModel to a folder as model.json plus one weights.bin; returns the files written. */
export async function saveLayersModelFolder(model: tf.LayersModel, dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, "model.json"), path.join(dir, "weights.bin")];
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data =
        a.weightData instanceof ArrayBuffer
          ? a.weightData
          : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]);
      const manifest = [{ paths: ["weights.bin"], weights: a.weightSpecs ?? [] }];
      const json = {
        format: "layers-model",
        generatedBy: "crossbar-lab",
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: manifest,
      };
      fs.writeFileSync(files[0], JSON.stringify(json));
      fs.writeFileSync(files[1], Buffer.from(data));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  return files;
}

type Config = Record<string, unknown>;

function pair(v: unknown, what: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((n) => Number.isInteger(n) && n >= 1))
    throw new RangeError(`${what} must be one or two positive integers, got ${JSON.stringify(v)}`);
  return [a[0], a[1]];
}

function activationOf(fn: unknown, where: string): ActivationFn {
  const name = String(fn ?? "linear");
  if (!(ACTIVATIONS as readonly string[]).includes(name))
    throw new RangeError(`${where}: activation "${name}" is not supported (${ACTIVATIONS.join(", ")})`);
  return name as ActivationFn;
}

/** TensorFlow's "same" padding for one axis: [before, after]. */
function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride),
    total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** A chain of supported tfjs layers as a network graph; any other layer, or a branch, is an error naming it. */
export function graphFromLayersModel(model: tf.LayersModel, source = model.name): NetworkGraph {
  const inShape = model.inputs[0]?.shape.slice(1);
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || !inShape)
    throw new RangeError(`${source}: only models with one input and one output are converted`);
  if (!inShape.every((d) => d !== null))
    throw new RangeError(`${source}: input shape [${inShape.join(", ")}] has a dynamic dimension besides the batch`);
  const ops: Op[] = [];
  const push = (op: Op, act?: unknown, where?: string) => {
    ops.push(op);
    const fn = activationOf(act, where ?? op.name);
    if (fn !== "linear") ops.push({ kind: "activation", name: `${op.name}/${fn}`, fn });
  };
  let prev: tf.layers.Layer | null = null;
  let shape = inShape as number[];
  // what layersModelFromGraph writes: NCHW inputs permuted first, PyTorch's flatten order, explicit pads
  let input: NetworkGraph["input"] = { shape: inShape as number[], layout: "nhwc" };
  let pendingPads: [number, number, number, number] | null = null,
    flattenNchw = false;
  for (const layer of model.layers) {
    const cls = layer.getClassName(),
      name = layer.name,
      where = `${source}: layer "${name}" (${cls})`;
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (cls === "InputLayer") continue;
    if (inbound.length !== 1 || (prev !== null && inbound[0] !== prev))
      throw new RangeError(`${where} does not take the previous layer's output: only chains of layers are converted`);
    prev = layer;
    const c = layer.getConfig() as Config,
      w = layer.getWeights().map((t) => t.dataSync() as Float32Array);
    if (c.dataFormat === "channelsFirst") throw new RangeError(`${where}: dataFormat channelsFirst is not supported`);
    if (pendingPads && cls !== "Conv2D")
      throw new RangeError(`${where} follows a ZeroPadding2D; only a convolution may follow one`);
    if (flattenNchw && cls !== "Flatten")
      throw new RangeError(`${where} follows a channels-first Permute; only a Flatten may follow one`);
    switch (cls) {
      case "Permute": {
        const dims = JSON.stringify(c.dims);
        if (dims === "[2,3,1]" && ops.length === 0 && shape.length === 3) {
          input = { shape: [shape[1], shape[2], shape[0]], layout: "nchw" };
          shape = [...input.shape];
        } else if (dims === "[3,1,2]" && shape.length === 3) flattenNchw = true;
        else
          throw new RangeError(
            `${where}: only a channels-first input (dims [2, 3, 1], first) or a channels-first flatten (dims [3, 1, 2], before a Flatten) is read`,
          );
        continue;
      }
      case "ZeroPadding2D": {
        const pd = c.padding as [[number, number], [number, number]];
        pendingPads = [pd[0][0], pd[1][0], pd[0][1], pd[1][1]];
        continue;
      }
      case "Dense":
        if (shape.length !== 1)
          throw new RangeError(`${where} acts on a [${shape.join(", ")}] input; add a Flatten before it`);
        push(
          {
            kind: "dense",
            name,
            inFeatures: shape[0],
            outFeatures: c.units as number,
            weight: w[0],
            bias: c.useBias ? w[1] : null,
          },
          c.activation,
          where,
        );
        break;
      case "Conv2D": {
        const kernel = pair(c.kernelSize, `${where} kernelSize`),
          strides = pair(c.strides, `${where} strides`);
        if (pair(c.dilationRate ?? 1, `${where} dilationRate`).some((d) => d !== 1))
          throw new RangeError(`${where}: dilated convolutions are not supported`);
        const p =
          c.padding === "same"
            ? [samePads(shape[0], kernel[0], strides[0]), samePads(shape[1], kernel[1], strides[1])]
            : [
                [0, 0],
                [0, 0],
              ];
        if (c.padding !== "same" && c.padding !== "valid")
          throw new RangeError(`${where}: padding "${String(c.padding)}" is not supported`);
        const extra = pendingPads ?? [0, 0, 0, 0];
        if (pendingPads && c.padding !== "valid")
          throw new RangeError(`${where}: a ZeroPadding2D before a "same" convolution is not supported`);
        pendingPads = null;
        const pads = [p[0][0] + extra[0], p[1][0] + extra[1], p[0][1] + extra[2], p[1][1] + extra[3]] as const;
        push(
          {
            kind: "conv2d",
            name,
            kernel,
            strides,
            pads,
            inChannels: shape[2],
            outChannels: c.filters as number,
            weight: w[0],
            bias: c.useBias ? w[1] : null,
          },
          c.activation,
          where,
        );
        break;
      }
      case "BatchNormalization": {
        const axis = c.axis as number,
          ch = shape[shape.length - 1];
        if (axis !== -1 && axis !== shape.length)
          throw new RangeError(`${where}: only the last axis (channels) is normalised, got axis ${axis}`);
        let k = 0;
        const gamma = c.scale !== false ? w[k++] : new Float32Array(ch).fill(1),
          beta = c.center !== false ? w[k++] : new Float32Array(ch);
        ops.push({
          kind: "batchnorm",
          name,
          channels: ch,
          gamma,
          beta,
          mean: w[k],
          variance: w[k + 1],
          epsilon: c.epsilon as number,
        });
        break;
      }
      case "Activation":
        push({ kind: "activation", name, fn: activationOf(c.activation, where) });
        break;
      case "ReLU":
        if (c.maxValue != null) throw new RangeError(`${where}: a ReLU with maxValue is not supported`);
        ops.push({ kind: "activation", name, fn: "relu" });
        break;
      case "Softmax":
        ops.push({ kind: "activation", name, fn: "softmax" });
        break;
      case "MaxPooling2D":
      case "AveragePooling2D": {
        if (c.padding !== "valid")
          throw new RangeError(`${where}: only "valid" pooling is supported, got "${String(c.padding)}"`);
        const size = pair(c.poolSize, `${where} poolSize`);
        ops.push({
          kind: "pool",
          name,
          mode: cls === "MaxPooling2D" ? "max" : "avg",
          size,
          strides: pair(c.strides ?? size, `${where} strides`),
        });
        break;
      }
      case "GlobalAveragePooling2D":
        ops.push({ kind: "global-avg-pool", name });
        break;
      case "Flatten":
        ops.push({ kind: "flatten", name, order: flattenNchw ? "nchw" : "nhwc" });
        flattenNchw = false;
        break;
      case "Dropout":
        continue; // the identity at inference
      default:
        throw new RangeError(
          `${where} is not supported (Dense, Conv2D, ZeroPadding2D, Permute, BatchNormalization, Activation, ReLU, Softmax, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout)`,
        );
    }
    shape = shapes({ source, input, ops }).at(-1) ?? shape;
  }
  if (pendingPads || flattenNchw) throw new RangeError(`${source}: the model ends with a ZeroPadding2D or Permute`);
  const graph: NetworkGraph = { source, input, ops };
  checkGraph(graph);
  return graph;
}

/**
 * A tfjs LayersModel holding a graph's weights (`toDigital`'s export): NCHW inputs and PyTorch's
 * flatten order are kept with permute layers, explicit padding with zero-padding layers.
 */
export function layersModelFromGraph(g: NetworkGraph, name = "crossbar_lab_export"): tf.Sequential {
  const m = tf.sequential({ name });
  const s = g.input.shape;
  if (s.length === 3 && g.input.layout === "nchw") {
    m.add(tf.layers.inputLayer({ inputShape: [s[2], s[0], s[1]] }));
    m.add(tf.layers.permute({ dims: [2, 3, 1] }));
  } else m.add(tf.layers.inputLayer({ inputShape: [...s] }));
  const used = new Set<string>();
  const id = (n: string) => {
    // tfjs layer names start with a letter or digit and hold letters, digits, "_", ".", "-"
    const base = n.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z0-9]+/, "") || "layer";
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
  for (const op of g.ops) {
    switch (op.kind) {
      case "dense":
        m.add(
          tf.layers.dense({
            name: id(op.name),
            units: op.outFeatures,
            useBias: op.bias !== null,
            weights: weightsOf([op.inFeatures, op.outFeatures], op),
          }),
        );
        break;
      case "conv2d": {
        const [t, l, b, r] = op.pads;
        if (t || l || b || r)
          m.add(
            tf.layers.zeroPadding2d({
              padding: [
                [t, b],
                [l, r],
              ],
            }),
          );
        const shape = [op.kernel[0], op.kernel[1], op.inChannels, op.outChannels];
        m.add(
          tf.layers.conv2d({
            name: id(op.name),
            filters: op.outChannels,
            kernelSize: [...op.kernel],
            strides: [...op.strides],
            padding: "valid",
            useBias: op.bias !== null,
            weights: weightsOf(shape, op),
          }),
        );
        break;
      }
      case "batchnorm":
        m.add(
          tf.layers.batchNormalization({
            name: id(op.name),
            epsilon: op.epsilon,
            weights: [op.gamma, op.beta, op.mean, op.variance].map((a) => tf.tensor1d(a)),
          }),
        );
        break;
      case "activation":
        m.add(tf.layers.activation({ name: id(op.name), activation: op.fn }));
        break;
      case "pool": {
        const cfg = {
          name: id(op.name),
          poolSize: [...op.size] as [number, number],
          strides: [...op.strides] as [number, number],
          padding: "valid" as const,
        };
        m.add(op.mode === "max" ? tf.layers.maxPooling2d(cfg) : tf.layers.averagePooling2d(cfg));
        break;
      }
      case "global-avg-pool":
        m.add(tf.layers.globalAveragePooling2d({ name: id(op.name) }));
        break;
      case "flatten":
        if (m.outputs[0].shape.length === 2) break; // already [batch, features]
        if (op.order === "nchw") m.add(tf.layers.permute({ dims: [3, 1, 2] }));
        m.add(tf.layers.flatten({ name: id(op.name) }));
        break;
    }
  }
  return m;
}

function weightsOf(shape: number[], op: { weight: Float32Array; bias: Float32Array | null }): tf.Tensor[] {
  const k = [tf.tensor(op.weight, shape)];
  return op.bias ? [...k, tf.tensor1d(op.bias)] : k;
}

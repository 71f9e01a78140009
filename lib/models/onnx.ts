/**
 * ONNX models (what `torch.onnx.export` writes) as network graphs, parsed with the maintained
 * `onnx-proto` package (protobufjs code generated from onnx.proto). The op set: Gemm, MatMul, Add
 * (a bias), Conv, BatchNormalization, Relu, Sigmoid, Tanh, Softmax, MaxPool, AveragePool,
 * GlobalAveragePool, Flatten, Reshape (to [batch, features]), Identity, Dropout (inference), Pad
 * with zero pads (what PyTorch's pools export), and Constant. The graph must be a chain: each node
 * takes the previous node's output and constants. Anything else is an error naming the op and node.
 */
import * as fs from "fs";
import { onnx } from "onnx-proto";
import type { Conv2dOp, DenseOp, NetworkGraph, Op } from "./graph";
import { checkGraph, shapes } from "./graph";

/** The operations the importer builds a network from. */
export const ONNX_OPS: readonly string[] = Object.freeze([
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
  "Pad",
  "Constant",
]);

interface Constant {
  readonly dims: number[];
  readonly values: Float32Array | Float64Array;
}

const num = (v: number | { toNumber(): number } | null | undefined): number =>
  v == null ? 0 : typeof v === "number" ? v : v.toNumber();

/** A tensor's values: float32 weights, or int64 shapes and pads. */
function tensorValues(t: onnx.ITensorProto, where: string): Constant {
  const dims = (t.dims ?? []).map(num),
    n = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new RangeError(`${where}: weights in external data files are not read`);
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  let values: Float32Array | Float64Array;
  if (t.dataType === onnx.TensorProto.DataType.FLOAT) {
    values = raw
      ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
      : Float32Array.from(t.floatData ?? []);
  } else if (t.dataType === onnx.TensorProto.DataType.INT64) {
    values = raw
      ? Float64Array.from(new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), Number)
      : Float64Array.from(t.int64Data ?? [], num);
  } else {
    const type = onnx.TensorProto.DataType[t.dataType ?? 0] ?? t.dataType;
    throw new RangeError(`${where} has data type ${type}; weights must be FLOAT (float32), shapes INT64`);
  }
  if (values.length !== n)
    throw new RangeError(`${where}: ${values.length} values for dims [${dims.join(", ")}] (${n})`);
  return { dims, values };
}

type Attr = onnx.IAttributeProto;
function attrs(node: onnx.INodeProto): Map<string, Attr> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? "", a]));
}
const ints = (a: Attr | undefined, dflt: number[]): number[] => (a ? (a.ints ?? []).map(num) : dflt);
const int = (a: Attr | undefined, dflt: number): number => (a ? num(a.i) : dflt);

/** Read and parse an ONNX file into a network graph. */
export function loadOnnx(file: string): NetworkGraph {
  if (!fs.existsSync(file)) throw new Error(`ONNX model ${file} not found`);
  return parseOnnx(fs.readFileSync(file), file);
}

/** Parse ONNX bytes into a network graph; `source` names the model in errors. */
export function parseOnnx(bytes: Uint8Array, source = "ONNX model"): NetworkGraph {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${source} is not a readable ONNX model (truncated or not ONNX): ${(e as Error).message}`, {
      cause: e,
    });
  }
  const g = model.graph;
  if (!g || !g.node?.length) throw new Error(`${source} holds no graph (truncated or not ONNX)`);
  const consts = new Map<string, Constant>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? "", tensorValues(t, `${source}: initializer "${t.name}"`));
  const inputs = (g.input ?? []).filter((i) => !consts.has(i.name ?? ""));
  if (inputs.length !== 1 || (g.output ?? []).length !== 1)
    throw new RangeError(`${source}: only graphs with one input and one output are converted`);
  const input = inputOf(inputs[0], source);
  const ops: Op[] = [];
  let current = inputs[0].name ?? "";
  let s = input.shape;
  for (const node of g.node) {
    const where = `${source}: node "${node.name || node.output?.[0]}" (${node.opType})`;
    const a = attrs(node);
    if (node.opType === "Constant") {
      const t = a.get("value")?.t;
      if (!t) throw new RangeError(`${where}: only a Constant with a tensor "value" is read`);
      consts.set(node.output?.[0] ?? "", tensorValues(t, where));
      continue;
    }
    if (!ONNX_OPS.includes(node.opType ?? ""))
      throw new RangeError(`${where}: op ${node.opType} is not supported (${ONNX_OPS.join(", ")})`);
    if (node.domain && node.domain !== "ai.onnx")
      throw new RangeError(`${where}: domain "${node.domain}" is not supported`);
    const data = (node.input ?? []).filter((n) => n !== "" && !consts.has(n));
    if (data.length !== 1 || data[0] !== current) {
      throw new RangeError(
        `${where} takes ${data.join(", ") || "only constants"}, not the previous node's output "${current}": only chains of nodes are converted`,
      );
    }
    const c = (k: number, what: string): Constant => {
      const t = consts.get(node.input?.[k] ?? "");
      if (!t) throw new RangeError(`${where}: its ${what} (input ${k}) must be a constant`);
      return t;
    };
    const name = node.name || node.output?.[0] || `${node.opType}_${ops.length}`;
    const op = convertNode(node.opType ?? "", name, where, a, c, node.input ?? [], ops, s, (n) => consts.has(n));
    if (op) ops.push(op);
    current = node.output?.[0] ?? "";
    s = shapes({ source, input, ops }).at(-1) ?? input.shape;
  }
  if (current !== g.output?.[0]?.name)
    throw new RangeError(
      `${source}: the chain ends at "${current}", not at the graph's output "${g.output?.[0]?.name}"`,
    );
  const graph: NetworkGraph = { source, input, ops };
  checkGraph(graph);
  return graph;
}

function inputOf(v: onnx.IValueInfoProto, source: string): NetworkGraph["input"] {
  const t = v.type?.tensorType;
  if (!t || t.elemType !== onnx.TensorProto.DataType.FLOAT)
    throw new RangeError(`${source}: input "${v.name}" must be a float32 tensor`);
  const dims = (t.shape?.dim ?? []).map((d, k) => {
    const val = num(d.dimValue);
    if (k > 0 && !(val > 0))
      throw new RangeError(
        `${source}: input "${v.name}" has a dynamic dimension ${k} (${d.dimParam || "unknown"}); only the batch may be dynamic`,
      );
    return val;
  });
  if (dims.length === 2) return { shape: [dims[1]], layout: "nhwc" };
  if (dims.length === 4) return { shape: [dims[2], dims[3], dims[1]], layout: "nchw" };
  throw new RangeError(
    `${source}: input "${v.name}" has rank ${dims.length}; [batch, features] or [batch, c, h, w] are converted`,
  );
}

/** One node as an op (null: the identity at inference; a bias Add merges into the previous op). */
function convertNode(
  type: string,
  name: string,
  where: string,
  a: Map<string, Attr>,
  c: (k: number, what: string) => Constant,
  ins: string[],
  ops: Op[],
  s: readonly number[],
  has: (n: string) => boolean,
): Op | null {
  switch (type) {
    case "Gemm": {
      if (int(a.get("transA"), 0)) throw new RangeError(`${where}: transA = 1 is not supported`);
      const alpha = a.get("alpha")?.f ?? 1,
        beta = a.get("beta")?.f ?? 1,
        transB = int(a.get("transB"), 0),
        b = c(1, "weight B");
      if (b.dims.length !== 2)
        throw new RangeError(`${where}: weight B must be a matrix, got dims [${b.dims.join(", ")}]`);
      const [inF, outF] = transB ? [b.dims[1], b.dims[0]] : b.dims;
      const weight = new Float32Array(inF * outF);
      for (let i = 0; i < inF; i++)
        for (let o = 0; o < outF; o++) weight[i * outF + o] = alpha * b.values[transB ? o * inF + i : i * outF + o];
      const bias = ins[2] ? biasOf(c(2, "bias C"), outF, where, beta) : null;
      return { kind: "dense", name, inFeatures: inF, outFeatures: outF, weight, bias };
    }
    case "MatMul": {
      const b = c(1, "weight");
      if (b.dims.length !== 2)
        throw new RangeError(`${where}: the weight must be a matrix, got dims [${b.dims.join(", ")}]`);
      return {
        kind: "dense",
        name,
        inFeatures: b.dims[0],
        outFeatures: b.dims[1],
        weight: Float32Array.from(b.values),
        bias: null,
      };
    }
    case "Add": {
      const prev = ops[ops.length - 1];
      if (!prev || (prev.kind !== "dense" && prev.kind !== "conv2d") || prev.bias)
        throw new RangeError(`${where}: an Add is read only as the bias of a MatMul, Gemm or Conv without one`);
      const out = prev.kind === "dense" ? prev.outFeatures : prev.outChannels;
      const k = has(ins[1]) ? 1 : 0;
      const bias = biasOf(c(k, "bias"), out, where, 1, prev.kind === "conv2d");
      ops[ops.length - 1] = { ...prev, bias } as DenseOp | Conv2dOp;
      return null;
    }
    case "Conv":
      return convOf(name, where, a, c, ins);
    case "BatchNormalization": {
      if (int(a.get("training_mode"), 0)) throw new RangeError(`${where}: training_mode = 1 is not an inference graph`);
      const ch = s[s.length - 1],
        get = (k: number, what: string) => {
          const t = c(k, what);
          if (t.values.length !== ch)
            throw new RangeError(`${where}: ${what} has ${t.values.length} values for ${ch} channels`);
          return Float32Array.from(t.values);
        };
      const epsilon = a.get("epsilon")?.f ?? 1e-5;
      return {
        kind: "batchnorm",
        name,
        channels: ch,
        gamma: get(1, "scale"),
        beta: get(2, "B"),
        mean: get(3, "mean"),
        variance: get(4, "var"),
        epsilon,
      };
    }
    case "Relu":
    case "Sigmoid":
    case "Tanh":
      return { kind: "activation", name, fn: type.toLowerCase() as "relu" | "sigmoid" | "tanh" };
    case "Softmax": {
      const axis = int(a.get("axis"), -1);
      if (s.length !== 1 || !(axis === -1 || axis === 1))
        throw new RangeError(
          `${where}: softmax is read over the features of a [batch, features] tensor (axis 1 or −1), got axis ${axis} on [${s.join(", ")}]`,
        );
      return { kind: "activation", name, fn: "softmax" };
    }
    case "MaxPool":
    case "AveragePool":
      return poolOf(type, name, where, a);
    case "GlobalAveragePool":
      return { kind: "global-avg-pool", name };
    case "Flatten":
      if (int(a.get("axis"), 1) !== 1) throw new RangeError(`${where}: only axis 1 (keep the batch) is read`);
      return { kind: "flatten", name, order: "nchw" };
    case "Reshape": {
      const t = c(1, "shape"),
        per = s.reduce((x, y) => x * y, 1),
        [b, f] = Array.from(t.values);
      const flat = t.values.length === 2 && ((f === per && (b === -1 || b === 0)) || (f === -1 && b === 0));
      if (!flat)
        throw new RangeError(
          `${where}: only a reshape to [batch, features] is read; shape [${Array.from(t.values).join(", ")}] on [batch, ${s.join(", ")}]`,
        );
      return { kind: "flatten", name, order: "nchw" };
    }
    case "Pad": {
      const pads = c(1, "pads"),
        mode = a.get("mode")?.s ? Buffer.from(a.get("mode")!.s!).toString() : "constant";
      if (mode !== "constant" || pads.values.some((p) => p !== 0))
        throw new RangeError(
          `${where}: only a Pad with zero pads is read (pads [${Array.from(pads.values).join(", ")}], mode ${mode})`,
        );
      return null;
    }
    case "Identity":
    case "Dropout":
      return null;
  }
  throw new RangeError(`${where}: op ${type} is not supported`);
}

/** A bias of `out` values: [out], [1, out], or for a convolution [1, out, 1, 1]. */
function biasOf(t: Constant, out: number, where: string, scale: number, conv = false): Float32Array {
  const d = t.dims.filter((x) => x !== 1);
  const ok =
    t.values.length === out &&
    d.length <= 1 &&
    (conv ? t.dims.length === 0 || t.dims.length === 1 || t.dims[1] === out : t.dims.at(-1) === out);
  if (!ok) throw new RangeError(`${where}: a bias of dims [${t.dims.join(", ")}] does not match ${out} outputs`);
  return Float32Array.from(t.values, (v) => scale * v);
}

function convOf(
  name: string,
  where: string,
  a: Map<string, Attr>,
  c: (k: number, what: string) => Constant,
  ins: string[],
): Conv2dOp {
  const w = c(1, "weight");
  if (w.dims.length !== 4)
    throw new RangeError(`${where}: only 2-D convolutions are read (weight dims [${w.dims.join(", ")}])`);
  if (int(a.get("group"), 1) !== 1)
    throw new RangeError(`${where}: grouped convolutions (group ${int(a.get("group"), 1)}) are not supported`);
  if (ints(a.get("dilations"), [1, 1]).some((d) => d !== 1))
    throw new RangeError(`${where}: dilated convolutions are not supported`);
  const autoPad = a.get("auto_pad")?.s ? Buffer.from(a.get("auto_pad")!.s!).toString() : "NOTSET";
  if (autoPad !== "NOTSET" && autoPad !== "VALID")
    throw new RangeError(`${where}: auto_pad ${autoPad} is not supported; export with explicit pads`);
  const [co, ci, kh, kw] = w.dims,
    weight = new Float32Array(w.values.length);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          weight[((y * kw + x) * ci + i) * co + o] = w.values[((o * ci + i) * kh + y) * kw + x];
        }
  const p = ints(a.get("pads"), [0, 0, 0, 0]),
    st = ints(a.get("strides"), [1, 1]);
  const bias = ins[2] ? biasOf(c(2, "bias"), co, where, 1, true) : null;
  return {
    kind: "conv2d",
    name,
    kernel: [kh, kw],
    inChannels: ci,
    outChannels: co,
    weight,
    bias,
    strides: [st[0], st[1]],
    pads: [p[0], p[1], p[2], p[3]],
  };
}

function poolOf(type: string, name: string, where: string, a: Map<string, Attr>): Op {
  const size = ints(a.get("kernel_shape"), []);
  if (size.length !== 2) throw new RangeError(`${where}: a 2-D kernel_shape is needed`);
  if (ints(a.get("pads"), [0, 0, 0, 0]).some((p) => p !== 0))
    throw new RangeError(`${where}: padded pooling is not supported`);
  if (int(a.get("ceil_mode"), 0)) throw new RangeError(`${where}: ceil_mode = 1 is not supported`);
  if (ints(a.get("dilations"), [1, 1]).some((d) => d !== 1))
    throw new RangeError(`${where}: dilated pooling is not supported`);
  const st = ints(a.get("strides"), [1, 1]);
  return {
    kind: "pool",
    name,
    mode: type === "MaxPool" ? "max" : "avg",
    size: [size[0], size[1]],
    strides: [st[0], st[1]],
  };
}

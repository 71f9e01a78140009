/**
 * The gradient of a 2-D convolution with respect to its filter (tfjs's Conv2DBackpropFilter) for
 * the wasm backend, which does not ship one: without it, `model.fit` of any tfjs model with a Conv2D
 * layer fails in Node without tfjs-node. Registered once by `initBackend`; a plain loop over the
 * batch, output positions and the kernel window, channels innermost (NHWC, dilation 1).
 */
import * as tf from "@tensorflow/tfjs";

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** dW [k_h][k_w][c_in][c_out] = Σ x[b, y·s_h + i − top, x·s_w + j − left, c_in]·dy[b, y, x, c_out]. */
export function convFilterGradient(
  x: Float32Array,
  xShape: readonly number[],
  dy: Float32Array,
  dyShape: readonly number[],
  filterShape: readonly number[],
  strides: readonly [number, number],
  padTop: number,
  padLeft: number,
  out: Float32Array,
): void {
  const [n, h, w, ci] = xShape,
    [, ho, wo, co] = dyShape,
    [kh, kw] = filterShape;
  out.fill(0);
  for (let b = 0; b < n; b++)
    for (let yo = 0; yo < ho; yo++)
      for (let xo = 0; xo < wo; xo++) {
        const d = ((b * ho + yo) * wo + xo) * co;
        for (let i = 0; i < kh; i++) {
          const y = yo * strides[0] + i - padTop;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xi = xo * strides[1] + j - padLeft;
            if (xi < 0 || xi >= w) continue;
            const s = ((b * h + y) * w + xi) * ci,
              o = (i * kw + j) * ci * co;
            for (let c = 0; c < ci; c++) {
              const xv = x[s + c];
              if (xv === 0) continue;
              for (let k = 0, r = o + c * co; k < co; k++) out[r + k] += xv * dy[d + k];
            }
          }
        }
      }
}

let registered = false;

/** Register the kernel for "wasm" (idempotent; a no-op where tfjs already has one). */
export function registerWasmConvFilterGradient(): void {
  if (registered || tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
  registered = true;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
        dataFormat: "NHWC" | "NCHW";
        dimRoundingMode?: "floor" | "round" | "ceil";
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter (wasm, crossbar-lab): only NHWC is supported");
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        "channelsLast",
      );
      const be = backend as unknown as WasmBackendLike,
        out = be.makeOutput([...a.filterShape], "float32");
      convFilterGradient(
        be.typedArrayFromHeap(x),
        x.shape,
        be.typedArrayFromHeap(dy),
        dy.shape,
        a.filterShape,
        [info.strideHeight, info.strideWidth],
        info.padInfo.top,
        info.padInfo.left,
        be.typedArrayFromHeap(out),
      );
      return out;
    },
  });
}

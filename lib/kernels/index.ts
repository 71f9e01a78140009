/**
 * Thin TypeScript bindings of the WebAssembly SIMD kernels (source: `assembly/memristive.ts`,
 * compiled by `npm run build:kernels` into build/kernels/). A `Kernels` instance owns one linear
 * memory; `alloc` hands out 16-byte-aligned float32 buffers from it, and `f32` views them. Kernels
 * take pointers and sizes and make no physics decision.
 */
import * as path from "path";
import type { Rng } from "../runtime/random";
import { compiledKernel, ensureBytes } from "./wasm";

/** Where the build puts the compiled kernels (the same path from lib/ and from dist/). */
export const KERNELS_WASM_FILE = path.resolve(__dirname, "..", "..", "build", "kernels", "memristive.wasm");

/** The kernels' exports (pointers are byte offsets; booleans are passed as 0/1). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  vexp(x: number, out: number, n: number): void;
  vlog(x: number, out: number, n: number): void;
  uniforms(state: number, out: number, n: number): void;
  normals(state: number, out: number, n: number): void;
  clearPadding(m: number, R: number, C: number, Cp: number): void;
  mulInPlace(a: number, b: number, n: number): void;
  argMax(m: number, R: number, C: number, Cp: number, absolute: number): number;
  mapStandard(
    theta: number,
    g: number,
    R: number,
    n: number,
    np: number,
    Cp: number,
    base: number,
    linear: number,
    rectified: number,
    pad: number,
  ): void;
  mapStandardBackward(
    theta: number,
    dg: number,
    dtheta: number,
    R: number,
    n: number,
    np: number,
    Cp: number,
    linear: number,
    rectified: number,
    kink: number,
  ): number;
  mapDouble(d: number, g: number, R: number, C: number, Cp: number, kG: number, gOff: number): void;
  mapDoubleBackward(d: number, dg: number, dd: number, R: number, C: number, Cp: number, kG: number): number;
  stuck(g: number, u: number, pass: number, n: number, p: number, value: number, values: number): void;
  d2dLognormal(
    g: number,
    z: number,
    factor: number,
    n: number,
    rOn: number,
    rOff: number,
    sOn: number,
    sOff: number,
  ): void;
  pfCoefficients(
    g: number,
    z1: number,
    z2: number,
    c: number,
    s: number,
    n: number,
    sC: number,
    iC: number,
    sD: number,
    iD: number,
    l11: number,
    l21: number,
    l22: number,
    scale: number,
  ): void;
  pfCoefficientsBackward(
    g: number,
    c: number,
    s: number,
    dc: number,
    ds: number,
    dg: number,
    R: number,
    C: number,
    Cp: number,
    sC: number,
    sD: number,
  ): void;
  pfForward(
    v: number,
    c: number,
    s: number,
    cur: number,
    e: number,
    power: number,
    B: number,
    R: number,
    Cp: number,
    guard: number,
    skipZero: number,
    storeE: number,
  ): void;
  pfBackward(
    v: number,
    c: number,
    s: number,
    e: number,
    di: number,
    dc: number,
    ds: number,
    dv: number,
    B: number,
    R: number,
    Cp: number,
    guard: number,
    skipZero: number,
  ): void;
  matmul(a: number, w: number, out: number, M: number, K: number, Np: number, skipZero: number, scratch: number): void;
  matmulTN(
    a: number,
    d: number,
    out: number,
    M: number,
    K: number,
    Np: number,
    skipZero: number,
    scratch: number,
  ): void;
  matmulNT(d: number, w: number, out: number, M: number, K: number, Np: number): void;
  ohmicPower(v: number, g: number, rowSum: number, power: number, B: number, R: number, Cp: number): void;
  sgd(theta: number, grad: number, n: number, lr: number, l1: number, clip: number): number;
  dacEncode(
    x: number,
    v: number,
    pass: number,
    unit: number,
    B: number,
    R: number,
    kV: number,
    range: number,
    step: number,
    managed: number,
  ): number;
}

/** Columns padded to a multiple of 4 (one SIMD vector): the row stride of every kernel matrix. */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** One kernel instance: its own memory, a bump allocator and the exported functions. */
export class Kernels {
  readonly k: KernelExports;
  private top: number;

  constructor() {
    this.k = new WebAssembly.Instance(compiledKernel(KERNELS_WASM_FILE), {}).exports as unknown as KernelExports;
    this.top = (this.k.heapBase() + 15) & ~15;
  }

  /**
   * A zeroed float32 buffer of n entries (rounded up to a multiple of 8, so vector kernels may write
   * whole vectors); returns its pointer. Memory only grows (fresh pages are zero), by at least doubling,
   * since a grow may copy the whole memory.
   */
  alloc(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`alloc: n must be a non-negative integer, got ${n}`);
    const ptr = this.top;
    this.top += ((n + 7) & ~7) * 4;
    ensureBytes(this.k.memory, this.top);
    return ptr;
  }

  /** A view of n float32 entries at ptr (valid until the next alloc). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n);
  }

  /** Seed the 4-lane xoshiro128** state (16 words at ptr) from `rng` (advances it by 16 draws). */
  seedState(ptr: number, rng: Rng): void {
    const words = new Uint32Array(this.k.memory.buffer, ptr, 16);
    for (let i = 0; i < 16; i++) words[i] = (rng.next() * 4294967296) >>> 0;
    // xoshiro's one forbidden state is all zeros: per lane, words i, i+4, i+8, i+12
    for (let lane = 0; lane < 4; lane++)
      if ((words[lane] | words[lane + 4] | words[lane + 8] | words[lane + 12]) === 0) words[lane] = 1;
  }
}

let scratch: { kernels: Kernels; state: number; buf: number; size: number } | null = null;

/** Draws into a fresh array through a scratch instance (the draws depend only on `rng`). */
function draw(kind: "uniforms" | "normals", n: number, rng: Rng): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${kind}: n must be a non-negative integer, got ${n}`);
  if (!scratch || scratch.size < n) {
    const kernels = new Kernels();
    const size = Math.max(n, 1 << 16);
    scratch = { kernels, state: kernels.alloc(16), buf: kernels.alloc(size), size };
  }
  const { kernels, state, buf } = scratch;
  kernels.seedState(state, rng);
  kernels.k[kind](state, buf, n);
  return kernels.f32(buf, n).slice();
}

/**
 * n uniform draws on [0, 1) in float32, from four xoshiro128** lanes seeded by 16 draws of `rng`
 * (deterministic for a given stream state; ~20× faster than drawing each value from `rng`).
 */
export function uniformsFloat32(n: number, rng: Rng): Float32Array {
  return draw("uniforms", n, rng);
}

/** n standard-normal draws in float32 (Box–Muller over the same generator as uniformsFloat32). */
export function normalsFloat32(n: number, rng: Rng): Float32Array {
  return draw("normals", n, rng);
}

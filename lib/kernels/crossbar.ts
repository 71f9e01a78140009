/**
 * Bindings of the crossbar line-sweep kernel (source: `assembly/crossbar.ts`, float64 × 2 lanes over
 * inputs). `LineSweepKernel` owns one memory; `reset` then `alloc` hand out float64 buffers for one
 * solve (the solver decides what they hold).
 */
import * as path from "path";
import { compiledKernel, ensureBytes } from "./wasm";

/** Where the build puts the compiled crossbar kernel. */
export const CROSSBAR_WASM_FILE = path.resolve(__dirname, "..", "..", "build", "kernels", "crossbar.wasm");

export interface CrossbarKernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  sweepLines(
    x: number,
    first: number,
    last: number,
    J: number,
    jSign: number,
    G: number,
    y: number,
    invPiv: number,
    mul: number,
    off: number,
    lines: number,
    len: number,
    lineStride: number,
    posStride: number,
    p: number,
    scratch: number,
    wantResidual: number,
    block: number,
    omega: number,
  ): number;
  kclResidual(
    W: number,
    B: number,
    wFirst: number,
    wLast: number,
    bFirst: number,
    bLast: number,
    J: number,
    G: number,
    wEnd: number,
    bEnd: number,
    gw: number,
    gb: number,
    m: number,
    n: number,
    p: number,
    out: number,
  ): void;
}

/** One instance of the line-sweep kernel with a bump allocator of float64 buffers. */
export class LineSweepKernel {
  readonly k: CrossbarKernelExports;
  private readonly base: number;
  private top: number;

  constructor() {
    this.k = new WebAssembly.Instance(compiledKernel(CROSSBAR_WASM_FILE), {})
      .exports as unknown as CrossbarKernelExports;
    this.base = this.top = (this.k.heapBase() + 15) & ~15;
  }

  /** Forget every buffer (the memory is kept for the next solve). */
  reset(): void {
    this.top = this.base;
  }

  /** A float64 buffer of n entries (contents undefined until written); returns its pointer. */
  alloc(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`alloc: n must be a non-negative integer, got ${n}`);
    const ptr = this.top;
    this.top += ((n + 1) & ~1) * 8;
    ensureBytes(this.k.memory, this.top);
    return ptr;
  }

  /** A view of n float64 entries at ptr (valid until the next alloc). */
  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.k.memory.buffer, ptr, n);
  }
}

let shared: LineSweepKernel | null = null;

/** The process's line-sweep kernel instance (solves are synchronous, so one is enough; its memory is reused). */
export function lineSweepKernel(): LineSweepKernel {
  shared ??= new LineSweepKernel();
  shared.reset();
  return shared;
}

/** Loading and growing the compiled WebAssembly kernels (shared by every kernel binding). */
import * as fs from "fs";

const compiled = new Map<string, WebAssembly.Module>();

/** The compiled module in `file` (compiled once per process; instances are separate), or a clear error when it is not built. */
export function compiledKernel(file: string): WebAssembly.Module {
  let m = compiled.get(file);
  if (!m) {
    if (!fs.existsSync(file))
      throw new Error(
        `the WebAssembly kernels are not built (${file} is missing): run "npm run build" (or "npm run build:kernels")`,
      );
    m = new WebAssembly.Module(fs.readFileSync(file));
    compiled.set(file, m);
  }
  return m;
}

const PAGE_BYTES = 65536;

/** Grow `memory` to hold at least `bytes`, by at least doubling (a grow may copy the whole memory). Fresh pages are zero. */
export function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.max(Math.ceil((bytes - have) / PAGE_BYTES), have / PAGE_BYTES));
}

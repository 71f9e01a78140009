/**
 * The tfjs compute backend. Preference: tfjs-node (native libtensorflow, when it is installed
 * and loads), then wasm (SIMD, single thread in Node, shipped inside the npm package), then the
 * pure-JS cpu backend. `initBackend()` reports which one ran; every experiment records it.
 */
import * as tf from "@tensorflow/tfjs";
import { registerWasmConvFilterGradient } from "./wasm-conv-filter";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  /** The tfjs backend in use. */
  readonly name: BackendName;
  /** Human description, e.g. "wasm (SIMD, 1 thread)". */
  readonly description: string;
  readonly tfjsVersion: string;
  /** Why preferred backends were not used (empty when the first choice loaded). */
  readonly notes: readonly string[];
}

let current: BackendInfo | null = null;

function loadNative(): string | null {
  try {
    // tfjs-node registers the 'tensorflow' backend when required.
    require("@tensorflow/tfjs-node");
    return null;
  } catch (e) {
    return `tfjs-node not available (${(e as Error).message.split("\n")[0]})`;
  }
}

/**
 * Select and initialise a backend. `prefer` forces one (an error if it cannot load);
 * by default tries tensorflow → wasm → cpu. Also honours CROSSBAR_LAB_BACKEND.
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  const requested = prefer ?? (process.env.CROSSBAR_LAB_BACKEND as BackendName | undefined);
  const valid: BackendName[] = ["tensorflow", "wasm", "cpu"];
  if (requested !== undefined && requested !== ("" as BackendName) && !valid.includes(requested)) {
    throw new Error(`unknown backend "${requested}": use one of ${valid.join(", ")}`);
  }
  const order: BackendName[] = requested ? [requested] : valid;
  const notes: string[] = [];
  for (const name of order) {
    if (name === "tensorflow") {
      const why = loadNative();
      if (why) {
        notes.push(why);
        continue;
      }
    }
    if (name === "wasm") {
      require("@tensorflow/tfjs-backend-wasm");
      registerWasmConvFilterGradient();
    }
    try {
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error("setBackend returned false");
      await tf.ready();
      current = {
        name,
        description: describe(name),
        tfjsVersion: tf.version.tfjs,
        notes,
      };
      return current;
    } catch (e) {
      notes.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${notes.join("; ")}`);
}

function describe(name: BackendName): string {
  switch (name) {
    case "tensorflow":
      return "tensorflow (native libtensorflow via tfjs-node)";
    case "wasm": {
      const wasm = tf.env().getFlags();
      const simd = wasm["WASM_HAS_SIMD_SUPPORT"];
      const threads = wasm["WASM_HAS_MULTITHREAD_SUPPORT"];
      return `wasm (SIMD ${simd === false ? "off" : "on"}, ${threads ? "multi-thread" : "1 thread"})`;
    }
    case "cpu":
      return "cpu (pure JavaScript; slow)";
  }
}

/** The backend chosen by the last `initBackend`, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}

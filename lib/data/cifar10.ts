/**
 * CIFAR-10 from the official binary distribution ("CIFAR-10 binary version", cifar-10-binary.tar.gz,
 * https://www.cs.toronto.edu/~kriz/cifar.html): data_batch_1..5.bin (50 000 training images) and
 * test_batch.bin (10 000). Each record is 1 label byte (0–9) then 3072 pixel bytes: the red, green
 * and blue 32×32 planes, row-major. Images are returned channels-last [32][32][3] in [0, 1] (tfjs conv2d layout).
 */
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../runtime/provenance";
import type { ImageSet } from "./mnist";

export const CIFAR10_CLASSES = Object.freeze(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]);
const SIDE = 32, PLANE = SIDE * SIDE, RECORD = 1 + 3 * PLANE;

export const CIFAR10_HOW_TO_GET = "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it so that data/cifar-10/ holds data_batch_1.bin … data_batch_5.bin and test_batch.bin (the cifar-10-batches-bin/ folder inside the archive also works)";

/** Parse one binary batch file's bytes into channels-last images in [0, 1]. */
export function parseCifar10Batch(buf: Uint8Array, what: string): ImageSet {
  if (buf.length === 0 || buf.length % RECORD !== 0) throw new Error(`${what}: ${buf.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records (is this the binary version?)`);
  const n = buf.length / RECORD;
  const x = new Float32Array(n * 3 * PLANE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * RECORD;
    const label = buf[o];
    if (label > 9) throw new Error(`${what}: record ${i} has label ${label}, not a class 0–9`);
    labels[i] = label;
    for (let p = 0; p < PLANE; p++) for (let ch = 0; ch < 3; ch++) x[i * 3 * PLANE + p * 3 + ch] = buf[o + 1 + ch * PLANE + p] / 255;
  }
  return { x, labels, n, features: 3 * PLANE };
}

function concat(sets: readonly ImageSet[]): ImageSet {
  const n = sets.reduce((a, s) => a + s.n, 0), f = sets[0].features;
  const x = new Float32Array(n * f), labels = new Uint8Array(n);
  let at = 0;
  for (const s of sets) {
    x.set(s.x, at * f);
    labels.set(s.labels, at);
    at += s.n;
  }
  return { x, labels, n, features: f };
}

/** The folder holding the batch files: `dir` itself or its cifar-10-batches-bin/ subfolder. */
export function cifar10Folder(dir = path.join(repoRoot(), "data", "cifar-10")): string {
  for (const d of [dir, path.join(dir, "cifar-10-batches-bin")]) if (fs.existsSync(path.join(d, "test_batch.bin"))) return d;
  throw new Error(`CIFAR-10 not found in ${dir}: ${CIFAR10_HOW_TO_GET}`);
}

/** True when the CIFAR-10 binary files are present (notebooks use this to decide whether to run). */
export function hasCifar10(dir?: string): boolean {
  try {
    cifar10Folder(dir);
    return true;
  } catch {
    return false;
  }
}

/** Records in each file of the official distribution. */
export const CIFAR10_RECORDS_PER_BATCH = 10000;

/**
 * Training (data_batch_1..`trainBatches`) and test sets. Every file must hold `recordsPerBatch`
 * records (the official 10 000): a file cut at a record boundary is an error, not a smaller set.
 */
export function loadCifar10(dir?: string, opts: { trainBatches?: number; recordsPerBatch?: number } = {}): { train: ImageSet; test: ImageSet } {
  const folder = cifar10Folder(dir);
  const k = opts.trainBatches ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 5) throw new RangeError(`trainBatches must be 1–5, got ${k}`);
  const expected = opts.recordsPerBatch ?? CIFAR10_RECORDS_PER_BATCH;
  const read = (name: string) => {
    const f = path.join(folder, name);
    if (!fs.existsSync(f)) throw new Error(`CIFAR-10 file ${f} is missing: ${CIFAR10_HOW_TO_GET}`);
    const set = parseCifar10Batch(fs.readFileSync(f), f);
    if (set.n !== expected) throw new Error(`CIFAR-10 file ${f} holds ${set.n} records; a batch of the binary distribution holds ${expected} (a truncated download or copy?): ${CIFAR10_HOW_TO_GET}`);
    return set;
  };
  return { train: concat(Array.from({ length: k }, (_, i) => read(`data_batch_${i + 1}.bin`))), test: read("test_batch.bin") };
}

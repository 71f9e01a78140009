// CIFAR-10 binary loader on small files of the official format written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hasCifar10, loadCifar10, parseCifar10Batch } from "../../lib/data";

/** n records: label i % 10; red plane = 10·label, green = pixel index mod 256, blue = 255 − red. */
function batch(n: number, offset = 0): Buffer {
  const b = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    const o = i * 3073,
      label = (i + offset) % 10;
    b[o] = label;
    for (let p = 0; p < 1024; p++) {
      b[o + 1 + p] = 10 * label;
      b[o + 1 + 1024 + p] = p % 256;
      b[o + 1 + 2048 + p] = 255 - 10 * label;
    }
  }
  return b;
}

test("parse: labels, channels-last layout, scaling to [0, 1]", () => {
  const s = parseCifar10Batch(batch(3), "mem");
  assert.equal(s.n, 3);
  assert.equal(s.features, 3072);
  assert.deepEqual([...s.labels], [0, 1, 2]);
  // image 2, pixel (row 1, col 5) = index 37: channels-last
  const at = 2 * 3072 + 37 * 3;
  assert.ok(
    Math.abs(s.x[at] - 20 / 255) < 1e-7 &&
      Math.abs(s.x[at + 1] - 37 / 255) < 1e-7 &&
      Math.abs(s.x[at + 2] - 235 / 255) < 1e-7,
  );
  assert.throws(
    () => parseCifar10Batch(batch(2).subarray(0, 5000), "short.bin"),
    /short.bin: 5000 bytes is not a whole number of 3073-byte/,
  );
  const bad = batch(1);
  bad[0] = 12;
  assert.throws(() => parseCifar10Batch(bad, "bad.bin"), /record 0 has label 12/);
});

test("load from a folder (or its cifar-10-batches-bin/), concatenating training batches; missing data named", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cifar-"));
  assert.equal(hasCifar10(dir), false);
  assert.throws(() => loadCifar10(dir), /CIFAR-10 not found in .*cifar-10-binary\.tar\.gz/);
  const inner = path.join(dir, "cifar-10-batches-bin");
  fs.mkdirSync(inner);
  fs.writeFileSync(path.join(inner, "test_batch.bin"), batch(5));
  for (let k = 1; k <= 2; k++) fs.writeFileSync(path.join(inner, `data_batch_${k}.bin`), batch(5, 10 * k + 1));
  assert.equal(hasCifar10(dir), true);
  const d = loadCifar10(dir, { trainBatches: 2, recordsPerBatch: 5 });
  assert.equal(d.train.n, 10);
  assert.equal(d.test.n, 5);
  assert.deepEqual([...d.train.labels], [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
  assert.throws(() => loadCifar10(dir, { recordsPerBatch: 5 }), /data_batch_3\.bin is missing/);
  assert.throws(() => loadCifar10(dir, { trainBatches: 6 }), /trainBatches must be 1–5/);
  // a batch cut at a record boundary parses, but is not the distribution's batch
  assert.throws(
    () => loadCifar10(dir, { trainBatches: 2 }),
    /data_batch_1\.bin holds 5 records; a batch of the binary distribution holds 10000 \(a truncated download or copy\?\)/,
  );
  fs.writeFileSync(path.join(inner, "data_batch_2.bin"), batch(4));
  assert.throws(() => loadCifar10(dir, { trainBatches: 2, recordsPerBatch: 5 }), /data_batch_2\.bin holds 4 records/);
});

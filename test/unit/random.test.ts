import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";

test("the same seed gives the same stream; different seeds differ", () => {
  const a = rng(42),
    b = rng(42),
    c = rng(43);
  const xa = [a.next(), a.normal(), a.uniform(2, 3), a.int(10)];
  const xb = [b.next(), b.normal(), b.uniform(2, 3), b.int(10)];
  assert.deepEqual(xa, xb);
  assert.notEqual(c.next(), xa[0]);
  assert.equal(rng("abc").next(), rng("abc").next());
});

test("normal draws have the requested mean and std (within sampling error)", () => {
  const r = rng(1);
  const n = 20000;
  const x = r.normals(n, 3, 2);
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  assert.ok(Math.abs(mean - 3) < 5 * (2 / Math.sqrt(n)), `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.05, `sd ${sd}`);
});

test("uniform, bernoulli and choice follow their laws", () => {
  const r = rng(7);
  const n = 20000;
  let hits = 0;
  for (let i = 0; i < n; i++) if (r.bernoulli(0.3)) hits++;
  const se = Math.sqrt((0.3 * 0.7) / n);
  assert.ok(Math.abs(hits / n - 0.3) < 5 * se, `bernoulli rate ${hits / n}`);
  const u = r.uniforms(n, -1, 1);
  assert.ok(u.every((v) => v >= -1 && v < 1));
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < n; i++) counts[r.choice(["a", "b"] as const, [1, 3])]++;
  assert.ok(Math.abs(counts.b / n - 0.75) < 5 * Math.sqrt((0.75 * 0.25) / n));
  const perm = r.shuffle([1, 2, 3, 4, 5]);
  assert.deepEqual([...perm].sort(), [1, 2, 3, 4, 5]);
});

test("fork gives reproducible, independent child streams", () => {
  const a = rng(5).fork("x"),
    b = rng(5).fork("x");
  assert.equal(a.next(), b.next());
  const p = rng(5);
  assert.notEqual(p.fork("x").next(), p.fork("x").next());
});

test("derive names a stream by its label alone and leaves the parent untouched", () => {
  const p = rng(5),
    q = rng(5);
  const first = p.derive("x").next();
  q.next();
  assert.equal(q.derive("x").next(), first, "what the parent drew does not matter");
  assert.notEqual(p.derive("y").next(), first);
  assert.equal(p.next(), rng(5).next(), "deriving did not advance the parent");
});

test("tfSeed makes tfjs random ops reproducible", async () => {
  const tf = await import("@tensorflow/tfjs");
  await tf.setBackend("cpu");
  const s1 = rng(9).tfSeed(),
    s2 = rng(9).tfSeed();
  const a = tf.randomNormal([4], 0, 1, "float32", s1).arraySync();
  const b = tf.randomNormal([4], 0, 1, "float32", s2).arraySync();
  assert.deepEqual(a, b);
});

test("bad arguments are rejected with clear messages", () => {
  const r = rng(0);
  assert.throws(() => r.bernoulli(1.5), /bernoulli: p must be in \[0, 1\]/);
  assert.throws(() => r.normal(0, -1), /std must be >= 0/);
  assert.throws(() => r.int(0), /positive integer/);
  assert.throws(() => r.choice([]), /empty/);
  assert.throws(() => r.choice([1, 2], [1]), /1 weights for 2 items/);
  assert.throws(() => rng(Number.NaN), /finite/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const reproduce = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "reproduce.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });

test("reproduce rejects unknown options and unknown notebooks with clear messages", () => {
  const a = reproduce(["--fast"]);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /unknown option "--fast"/);
  assert.match(a.stderr, /usage: npm run reproduce/);
  const b = reproduce(["--only", "99-nothing", "--list"]);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /no notebook matches "99-nothing"/);
  const c = reproduce(["--engine", "spark"]);
  assert.match(c.stderr, /unknown engine "spark"/);
});

test("reproduce --list lists the notebooks", () => {
  const r = reproduce(["--list"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /00-getting-started\.ipynb/);
});

test("npm run joksas rejects unknown options, trainings and monitor setups before training", () => {
  const joksas = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "joksas.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });
  const a = joksas(["--fast"]);
  assert.equal(a.status, 1);
  assert.match(a.stderr, /unknown option "--fast"/);
  assert.match(a.stderr, /--monitor D2/);
  assert.match(joksas(["--trainings", "T0,T99"]).stderr, /unknown training\(s\) T99/);
  assert.match(joksas(["--monitor", "D2,D11"]).stderr, /unknown monitor setup\(s\) D11: use D0, D1/);
  assert.match(joksas(["--validate-every", "x"]).stderr, /--validate-every needs a number, got "x"/);
  assert.match(joksas(["--train-digits", "0"]).stderr, /--train-digits must be a whole number >= 1, got 0/);
  assert.match(joksas(["--train-digits", "2.5"]).stderr, /--train-digits must be a whole number >= 1, got 2.5/);
  assert.match(
    joksas(["--split", "5000/3000"]).stderr,
    /--split needs three whole numbers TRAIN\/VAL\/TEST, got "5000\/3000"/,
  );
  assert.match(
    joksas(["--split", "5000/3000/2000", "--mode", "full"]).stderr,
    /--split applies to the quick mode's packaged digits/,
  );
  assert.match(joksas(["--seed", "1.5"]).stderr, /--seed needs whole numbers >= 0 separated by commas, got "1.5"/);
  assert.match(joksas(["--seeds", ""]).stderr, /--seeds needs whole numbers >= 0/);
  assert.match(joksas(["--monitor-repeats", "0"]).stderr, /--monitor-repeats must be a whole number >= 1, got 0/);
  assert.match(joksas(["--json"]).stderr, /--json needs a file name/);
  assert.match(joksas(["--dataset", "cifar"]).stderr, /--dataset must be mnist or fashion-mnist, got "cifar"/);
  assert.match(joksas(["--workers", "-5"]).stderr, /--workers must be a whole number >= 0, got -5/);
  const help = joksas(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: npm run joksas -- .*--dataset mnist\|fashion-mnist/);
});

test("npm run bench: --help, and options that need a value say so", () => {
  const bench = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "bench.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });
  const help = bench(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: npm run bench -- \[--quick\]/);
  for (const opt of ["--out", "--only"]) {
    const r = bench([opt]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`bench: ${opt} needs a value`));
  }
});

test("npm run lab: --help, --quick/--full exclusive, and as root a clear message instead of Jupyter's refusal", () => {
  const lab = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "lab.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PATH: "/nonexistent" },
    });
  const help = lab(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--full .*full protocol/);
  const both = lab(["--quick", "--full"]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /choose --quick or --full/);
  if (process.getuid?.() === 0) {
    const root = lab([]);
    assert.equal(root.status, 2);
    assert.match(root.stderr, /you are root.*--allow-root/);
  }
});

test("npm run mutate rejects unknown targets and bad concurrency", () => {
  const mutate = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "mutate.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });
  assert.match(mutate(["--only", "nosuch"]).stderr, /unknown target nosuch/);
  assert.match(mutate(["--concurrency", "0"]).stderr, /--concurrency must be a positive integer/);
  const usage = mutate(["--help"]).stdout;
  for (const target of ["crossbar", "store", "locks", "claims", "circuit-aware", "tile", "periphery-time", "devices"])
    assert.match(usage, new RegExp(`[ ,]${target}[,\\]]`), `usage names ${target}`);
});

/**
 * `npm run bench [-- --quick] [--only SUITE] [--out FILE]`: runs the benchmark suites in bench/
 * and prints one JSON document (machine, backend, records). Speed goals are judged here, never in tests.
 * It runs with glibc's huge-page tunable, as notebook kernels and grid workers do (it restarts itself
 * with it when started without; lib/runtime/huge-pages.ts); the crossbar suite measures what that saves.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { withHugePages } from "../lib/runtime/huge-pages";
import { machine, BenchRecord } from "../bench/harness";
import { initBackend } from "../lib/runtime/backend";
import { gitCommit } from "../lib/runtime/provenance";

interface Suite {
  suite: string;
  run(quick: boolean): Promise<BenchRecord[]>;
}

async function main(): Promise<void> {
  const env = withHugePages(process.env);
  if (env !== process.env) {
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env });
    process.exit(r.status ?? 1);
  }
  const argv = process.argv.slice(2);
  let quick = false;
  let out: string | null = null;
  const only: string[] = [];
  const usage = "usage: npm run bench -- [--quick] [--only SUITE[,SUITE]] [--out FILE]";
  const value = (name: string, v: string | undefined): string => {
    if (v === undefined || v === "" || v.startsWith("--")) {
      console.error(`bench: ${name} needs a value\n${usage}`);
      process.exit(2);
    }
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") quick = true;
    else if (a === "--out") out = value(a, argv[++i]);
    else if (a === "--only") only.push(...value(a, argv[++i]).split(","));
    else if (a === "--help" || a === "-h") {
      console.log(usage);
      return;
    } else {
      console.error(`bench: unknown option "${a}"\n${usage}`);
      process.exit(2);
    }
  }
  const dir = path.join(__dirname, "..", "bench");
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort();
  const suites: Suite[] = files.map((f) => require(path.join(dir, f)) as Suite);
  const known = suites.map((s) => s.suite);
  const bad = only.filter((o) => !known.includes(o));
  if (bad.length) {
    console.error(`bench: unknown suite(s) ${bad.join(", ")}; suites: ${known.join(", ")}`);
    process.exit(2);
  }
  const backend = await initBackend();
  const records: BenchRecord[] = [];
  for (const s of suites) {
    if (only.length && !only.includes(s.suite)) continue;
    console.error(`bench: ${s.suite} …`);
    records.push(...(await s.run(quick)));
  }
  const doc = {
    date: new Date().toISOString(),
    gitCommit: gitCommit(),
    quick,
    machine: machine(),
    backend: backend.description,
    records,
  };
  const json = JSON.stringify(doc, null, 2);
  if (out) fs.writeFileSync(out, json + "\n");
  console.log(json);
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).stack ?? e}`);
  process.exit(1);
});

/**
 * `npm run mutate [-- --only crossbar,store,devices] [--concurrency N]` (`devices` is its three groups): mutation testing with Stryker
 * (command runner over `node --test`, tsx, no build step). Each target mutates one part of lib/ and
 * runs the tests that cover it; every mutant that no test kills is a place where the tests cannot
 * fail. Writes Stryker's JSON report per target under reports/mutation/ and a summary
 * (reports/mutation/summary.json) with the score per target and per file, and prints it.
 * A report, not part of CI: the crossbar target takes tens of minutes on two cores.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "reports", "mutation");

interface Target {
  readonly name: string;
  readonly mutate: readonly string[];
  /** One file that imports the target's test files, run in one process (`node --import tsx FILE`; a failing test sets a non-zero exit code). */
  readonly tests: string;
  /** Score the target must reach (killed + timed out) / valid mutants. */
  readonly goal: number;
}

export const TARGETS: readonly Target[] = [
  {
    name: "crossbar",
    mutate: ["lib/crossbar/**/*.ts", "!lib/crossbar/index.ts"],
    tests: "test/mutation/crossbar.ts",
    goal: 0.85,
  },
  { name: "store", mutate: ["lib/grid/store.ts"], tests: "test/mutation/store.ts", goal: 0.8 },
  { name: "locks", mutate: ["lib/grid/locks.ts"], tests: "test/mutation/store.ts", goal: 0.85 },
  {
    name: "claims",
    mutate: ["lib/experiments/claims.ts", "lib/experiments/drolet-claims.ts", "lib/experiments/joksas-claims.ts"],
    tests: "test/mutation/claims.ts",
    goal: 0.85,
  },
  {
    name: "circuit-aware",
    mutate: ["lib/training/circuit-aware.ts"],
    tests: "test/mutation/circuit-aware.ts",
    goal: 0.85,
  },
  // the rest of lib/tile: mapping.ts, transfer.ts and periphery.ts / time.ts have their own targets
  {
    name: "tile",
    mutate: ["lib/tile/layer.ts", "lib/tile/circuit-tile.ts", "lib/tile/network.ts"],
    tests: "test/mutation/tile.ts",
    goal: 0.85,
  },
  // lib/devices in three groups, each with only the tests that reach it: one entry for all of them
  // loads tfjs and the fused engine for every mutant (about 9 s a run, 1400 mutants).
  {
    name: "devices-drolet",
    mutate: [
      "lib/devices/tio2.ts",
      "lib/devices/drift-table.ts",
      "lib/devices/tio2-transfer.ts",
      "lib/tile/transfer.ts",
    ],
    tests: "test/mutation/devices-drolet.ts",
    goal: 0.8,
  },
  {
    name: "devices-joksas",
    mutate: [
      "lib/devices/joksas.ts",
      "lib/devices/draws.ts",
      "lib/devices/poole-frenkel.ts",
      "lib/devices/expression-law.ts",
    ],
    tests: "test/mutation/devices-joksas.ts",
    goal: 0.8,
  },
  { name: "tile-mapping", mutate: ["lib/tile/mapping.ts"], tests: "test/mutation/tile-mapping.ts", goal: 0.8 },
  {
    name: "periphery-time",
    mutate: [
      "lib/tile/periphery.ts",
      "lib/tile/time.ts",
      "lib/devices/time.ts",
      "lib/training/analog-inference.ts",
      "lib/training/joksas-periphery.ts",
    ],
    tests: "test/mutation/periphery-time.ts",
    goal: 0.85,
  },
  {
    name: "devices-pf",
    mutate: ["lib/devices/pf-extraction.ts", "lib/devices/pf-residuals.ts"],
    tests: "test/mutation/devices-pf.ts",
    goal: 0.8,
  },
];

/** `--only devices` names every `devices-…` target. */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  devices: TARGETS.filter((t) => t.name.startsWith("devices-")).map((t) => t.name),
};

/**
 * Mutations not generated: the text of error messages (StringLiteral). The tests check messages
 * with patterns where the wording matters; mutating every message doubles the run for little.
 */
export const EXCLUDED_MUTATIONS = ["StringLiteral"];

const USAGE = `usage: npm run mutate -- [--only ${[...TARGETS.map((t) => t.name), ...Object.keys(GROUPS)].join(",")}] [--files GLOB,GLOB] [--concurrency N]
  --files   mutate only these files of the target (one target), e.g. --only crossbar --files lib/crossbar/biasing.ts;
            the report is then named after the target and the files`;

interface MutantCounts {
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  other: number;
}

function score(c: MutantCounts): number {
  const valid = c.killed + c.survived + c.timeout + c.noCoverage;
  return valid ? (c.killed + c.timeout) / valid : NaN;
}

function countReport(file: string): {
  total: MutantCounts;
  files: Record<string, MutantCounts & { score: number }>;
  survivors: string[];
} {
  const report = JSON.parse(fs.readFileSync(file, "utf8")) as {
    files: Record<
      string,
      {
        mutants: { status: string; mutatorName: string; replacement?: string; location: { start: { line: number } } }[];
      }
    >;
  };
  const total: MutantCounts = { killed: 0, survived: 0, timeout: 0, noCoverage: 0, other: 0 };
  const files: Record<string, MutantCounts & { score: number }> = {};
  const survivors: string[] = [];
  for (const [f, { mutants }] of Object.entries(report.files)) {
    const c: MutantCounts = { killed: 0, survived: 0, timeout: 0, noCoverage: 0, other: 0 };
    for (const m of mutants) {
      const k =
        m.status === "Killed"
          ? "killed"
          : m.status === "Survived"
            ? "survived"
            : m.status === "Timeout"
              ? "timeout"
              : m.status === "NoCoverage"
                ? "noCoverage"
                : "other";
      c[k]++;
      total[k]++;
      if (k === "survived" || k === "noCoverage")
        survivors.push(
          `${f}:${m.location.start.line} ${m.mutatorName}${m.replacement !== undefined ? ` → ${m.replacement.replace(/\s+/g, " ").slice(0, 60)}` : ""}`,
        );
    }
    files[f] = { ...c, score: score(c) };
  }
  return { total, files, survivors };
}

function main(): number {
  let values: { only?: string; files?: string; concurrency?: string; help?: boolean };
  try {
    values = parseArgs({
      options: {
        only: { type: "string" },
        files: { type: "string" },
        concurrency: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`mutate: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const names = values.only
    ? values.only
        .split(",")
        .filter(Boolean)
        .flatMap((n) => GROUPS[n] ?? [n])
    : TARGETS.map((t) => t.name);
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length) {
    console.error(`mutate: unknown target ${unknown.join(", ")}\n${USAGE}`);
    return 2;
  }
  const onlyFiles = values.files?.split(",").filter(Boolean);
  if (onlyFiles && names.length !== 1) {
    console.error(`mutate: --files needs exactly one target (--only NAME)\n${USAGE}`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? Math.max(1, os.cpus().length) : Number(values.concurrency);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    console.error(`mutate: --concurrency must be a positive integer, got ${values.concurrency}\n${USAGE}`);
    return 2;
  }
  fs.mkdirSync(OUT, { recursive: true });
  const summaryFile = path.join(OUT, "summary.json");
  const summary: Record<string, unknown> = fs.existsSync(summaryFile)
    ? (JSON.parse(fs.readFileSync(summaryFile, "utf8")) as Record<string, unknown>)
    : {};
  let code = 0;
  for (const target of TARGETS.filter((x) => names.includes(x.name))) {
    const t = onlyFiles
      ? {
          ...target,
          name: `${target.name}-${onlyFiles.map((f) => path.basename(f, ".ts")).join("-")}`,
          mutate: onlyFiles,
        }
      : target;
    const report = path.join(OUT, `${t.name}.json`);
    const config = {
      $schema: "./node_modules/@stryker-mutator/core/schema/stryker-schema.json",
      testRunner: "command",
      commandRunner: { command: `node --import tsx --test-reporter=./test/mutation/bail-reporter.mjs ${t.tests}` },
      mutate: t.mutate,
      mutator: { excludedMutations: EXCLUDED_MUTATIONS },
      coverageAnalysis: "off",
      concurrency,
      reporters: ["json", "progress"],
      jsonReporter: { fileName: path.relative(ROOT, report) },
      // one folder per target, so that two targets can run side by side
      tempDirName: `.stryker-tmp/${t.name}`,
      cleanTempDir: "always",
      ignorePatterns: [
        ".stryker-tmp",
        "results",
        "figures",
        "notebooks/executed",
        "reports",
        "data/mnist",
        "data/cifar-10",
        "data/fashion-mnist",
        ".jupyter",
      ],
      // Added to 1.5 × the unmutated run: a mutant that loops forever costs this much.
      timeoutMS: 15_000,
    };
    const configFile = path.join(OUT, `stryker-${t.name}.config.json`);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    console.log(`\n== ${t.name}: mutating ${t.mutate.join(", ")}; tests ${t.tests}; ${concurrency} at a time`);
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"), "run", configFile],
      { cwd: ROOT, stdio: "inherit" },
    );
    if (r.status !== 0 || !fs.existsSync(report)) {
      console.error(`mutate: Stryker failed on ${t.name} (exit ${r.status})`);
      code = 1;
      continue;
    }
    const { total, files, survivors } = countReport(report);
    const s = score(total);
    summary[t.name] = {
      goal: t.goal,
      score: s,
      ...total,
      minutes: (Date.now() - t0) / 60000,
      date: new Date().toISOString(),
      files,
      survivors,
    };
    console.log(
      `${t.name}: mutation score ${(100 * s).toFixed(1)} % (${total.killed} killed, ${total.timeout} timed out, ${total.survived} survived, ${total.noCoverage} not covered); goal ${(100 * t.goal).toFixed(0)} %`,
    );
    for (const [f, c] of Object.entries(files))
      console.log(`  ${f}: ${(100 * c.score).toFixed(1)} % (${c.survived + c.noCoverage} surviving)`);
    if (s < t.goal) code = code || 3;
  }
  fs.writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + "\n");
  console.log(`\nsummary: ${path.relative(process.cwd(), summaryFile)}`);
  return code;
}

process.exitCode = main();

/**
 * `npm run reproduce [-- --quick] [--only NAME] [--engine node|jupyter]`
 * Executes every notebook in notebooks/ headless, writes the executed notebooks (with outputs)
 * to notebooks/executed/ and the figure files to figures/, then the reviewers' report:
 * figures/claims.json, figures/index.html and figures/notebooks/*.html (lib/notebook/report.ts).
 * Stops at the first failing cell.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CellExecutionError, runNotebook } from "../lib/notebook/runner";
import { notebookErrors, readNotebook, retargetDistImport, writeNotebook } from "../lib/notebook/nbformat";
import { findChromium } from "../lib/plot/render";
import { claimsText, writeReport } from "../lib/notebook/report";
import { installKernel, jupyterEnv, ROOT } from "./jupyter-env";

const USAGE = `usage: npm run reproduce -- [options]
  --quick              reduced epochs/repeats (each notebook states its quick settings)
  --full               the full protocol (default)
  --only NAME          run only notebooks whose file name starts with NAME (repeatable, or comma-separated)
  --engine node|jupyter  node: built-in kernel client, needs only Node (default);
                       jupyter: 'jupyter nbconvert --execute' with the tslab kernel
  --out DIR            where executed notebooks go (default notebooks/executed)
  --figures DIR        where figure files go (default figures)
  --no-static          skip PNG/SVG rendering (no Chromium needed; HTML figures only)
  --cell-timeout S     seconds allowed per cell (default 3600)
  --list               list the notebooks and exit
  -h, --help           this help`;

interface Args {
  mode: "quick" | "full";
  only: string[];
  engine: "node" | "jupyter";
  out: string;
  figures: string;
  static: boolean;
  cellTimeoutS: number;
  list: boolean;
}

function fail(msg: string): never {
  console.error(`reproduce: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { mode: "full", only: [], engine: "node", out: path.join(ROOT, "notebooks", "executed"), figures: path.join(ROOT, "figures"), static: true, cellTimeoutS: 3600, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) fail(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--quick": a.mode = "quick"; break;
      case "--full": a.mode = "full"; break;
      case "--only": a.only.push(...value().split(",").filter(Boolean)); break;
      case "--engine": {
        const e = value();
        if (e !== "node" && e !== "jupyter") fail(`unknown engine "${e}"`);
        a.engine = e;
        break;
      }
      case "--out": a.out = path.resolve(value()); break;
      case "--figures": a.figures = path.resolve(value()); break;
      case "--no-static": a.static = false; break;
      case "--cell-timeout": {
        const s = Number(value());
        if (!(s > 0)) fail("--cell-timeout must be a positive number of seconds");
        a.cellTimeoutS = s;
        break;
      }
      case "--list": a.list = true; break;
      case "-h": case "--help": console.log(USAGE); process.exit(0);
      default: fail(`unknown option "${arg}"`);
    }
  }
  return a;
}

function notebooks(only: string[]): string[] {
  const dir = path.join(ROOT, "notebooks");
  const all = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
  if (only.length === 0) return all.map((f) => path.join(dir, f));
  const picked = all.filter((f) => only.some((o) => f.startsWith(o) || f === `${o}.ipynb`));
  const unmatched = only.filter((o) => !all.some((f) => f.startsWith(o)));
  if (unmatched.length) fail(`no notebook matches ${unmatched.map((o) => `"${o}"`).join(", ")}; notebooks: ${all.join(", ")}`);
  return picked.map((f) => path.join(dir, f));
}

function build(): void {
  const r = spawnSync("npm", ["run", "--silent", "build"], { stdio: "inherit", cwd: ROOT });
  if (r.status !== 0) {
    console.error(`reproduce: building lib/ and its WebAssembly kernels (npm run build) failed${r.error ? `: ${r.error.message}` : ""}`);
    process.exit(1);
  }
}

const indent = (s: string, p: string) => s.replace(/\n$/, "").split("\n").map((l) => p + l).join("\n");

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const files = notebooks(args.only);
  if (args.list) {
    files.forEach((f) => console.log(path.basename(f)));
    return;
  }
  if (args.static) {
    try {
      findChromium();
    } catch (e) {
      console.error(`reproduce: ${(e as Error).message}\nOr run with --no-static to write interactive HTML figures only.`);
      process.exit(1);
    }
  }
  console.log(`crossbar-lab reproduce: ${files.length} notebook(s), mode ${args.mode}, engine ${args.engine}`);
  build();
  fs.mkdirSync(args.out, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    CROSSBAR_LAB_MODE: args.mode,
    CROSSBAR_LAB_FIGURES_DIR: args.figures,
    CROSSBAR_LAB_STATIC: args.static ? "1" : "0",
  };
  const t0 = Date.now();
  for (const [k, file] of files.entries()) {
    const name = path.basename(file, ".ipynb");
    const outFile = path.join(args.out, `${name}.ipynb`);
    console.log(`\n[${k + 1}/${files.length}] ${name} (${args.mode})`);
    const tn = Date.now();
    if (args.engine === "node") {
      try {
        const executed = await runNotebook(file, {
          env,
          cellTimeoutS: args.cellTimeoutS,
          onCellStart: (e) => process.stdout.write(`  cell ${e.codeCellNumber}/${e.codeCells} (#${e.index}) … \n`),
          onStream: (_n, text) => process.stdout.write(indent(text, "    │ ") + "\n"),
          onCellEnd: (e) => console.log(`  cell ${e.codeCellNumber}/${e.codeCells} ${e.status} in ${e.seconds!.toFixed(1)} s`),
        });
        writeNotebook(outFile, retargetDistImport(executed, args.out, path.join(ROOT, "dist")));
      } catch (e) {
        if (e instanceof CellExecutionError) {
          writeNotebook(outFile, retargetDistImport(e.executed, args.out, path.join(ROOT, "dist")));
          console.error(`\nreproduce: FAILED in ${name}, cell ${e.cellIndex} (partial output in ${path.relative(ROOT, outFile)})\n${e.message}`);
        } else {
          console.error(`\nreproduce: FAILED in ${name}: ${(e as Error).stack ?? e}`);
        }
        process.exit(1);
      }
    } else {
      installKernel();
      const r = spawnSync(
        "jupyter",
        ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", `--ExecutePreprocessor.timeout=${Math.round(args.cellTimeoutS)}`, "--output-dir", args.out, "--output", name, file],
        { stdio: "inherit", env: jupyterEnv({ ...process.env, ...env }) },
      );
      if (r.error) {
        console.error(`reproduce: could not start jupyter (${r.error.message}). Install it (Debian/Ubuntu: apt-get install jupyter-nbconvert python3-nbclient; pip: pip install nbconvert nbclient) or use --engine node.`);
        process.exit(1);
      }
      if (r.status !== 0) {
        console.error(`\nreproduce: FAILED in ${name} (jupyter nbconvert exit ${r.status})`);
        process.exit(1);
      }
      writeNotebook(outFile, retargetDistImport(readNotebook(outFile), args.out, path.join(ROOT, "dist")));
      const errs = notebookErrors(readNotebook(outFile));
      if (errs.length) {
        console.error(`reproduce: ${name} has error output in cell ${errs[0].cell}: ${errs[0].text}`);
        process.exit(1);
      }
    }
    console.log(`  done in ${((Date.now() - tn) / 1000).toFixed(1)} s → ${path.relative(ROOT, outFile)}`);
  }
  console.log(`\nAll ${files.length} notebook(s) ran in ${((Date.now() - t0) / 1000).toFixed(1)} s. Executed notebooks: ${path.relative(ROOT, args.out)}/, figures: ${path.relative(ROOT, args.figures) || "."}/`);
  const { report, claimsFile, indexFile, exportErrors } = writeReport({ notebooksDir: path.join(ROOT, "notebooks"), executedDir: args.out, figuresDir: args.figures });
  for (const e of exportErrors) console.error(`reproduce: ${e}`);
  console.log(`\nReport: ${path.relative(process.cwd(), indexFile)} (claims: ${path.relative(process.cwd(), claimsFile)})\n\nClaims:\n${claimsText(report)}`);
  if (exportErrors.length) process.exit(1);
}

main().catch((e) => {
  console.error(`reproduce: ${(e as Error).stack ?? e}`);
  process.exit(1);
});

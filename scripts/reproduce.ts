/**
 * `npm run reproduce [-- --quick] [--only NAME] [--engine node|jupyter]`
 * Executes every notebook in notebooks/ headless, writes the executed notebooks (with outputs)
 * to notebooks/executed/ and the figure files to figures/, then the reviewers' report:
 * figures/claims.json, figures/index.html and figures/notebooks/*.html (lib/notebook/report.ts).
 * Stops at the first failing cell.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CellExecutionError, runNotebook } from "../lib/notebook/runner";
import { notebookErrors, readNotebook, retargetDistImport, writeNotebook } from "../lib/notebook/nbformat";
import { findChromium } from "../lib/plot/render";
import { claimsText, writeReport } from "../lib/notebook/report";
import { notebookAfter, schedule } from "../lib/notebook/schedule";
import { installKernel, jupyterEnv, ROOT } from "./jupyter-env";

const USAGE = `usage: npm run reproduce -- [options]
  --quick              reduced epochs/repeats (each notebook states its quick settings)
  --full               the full protocol (default)
  --only NAME          run only notebooks whose file name starts with NAME (repeatable, or comma-separated)
  --engine node|jupyter  node: built-in kernel client, needs only Node (default);
                       jupyter: 'jupyter nbconvert --execute' with the tslab kernel
  --out DIR            where executed notebooks go (default notebooks/executed)
  --figures DIR        where figure files go (default figures)
  --no-static          skip PNG/SVG rendering (HTML figures only); without a Chromium this is what happens
  --strict             a missing optional tool (Chromium for PNG/SVG and thumbnails) is an error (CI)
  --jobs N             notebooks run at a time (default 1); each waits for the notebooks whose results it
                       reuses (metadata crossbar_lab.after), and every output line names its notebook
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
  strict: boolean;
  jobs: number;
  cellTimeoutS: number;
  list: boolean;
}

function fail(msg: string): never {
  console.error(`reproduce: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    mode: "full",
    only: [],
    engine: "node",
    out: path.join(ROOT, "notebooks", "executed"),
    figures: path.join(ROOT, "figures"),
    static: true,
    strict: false,
    jobs: 1,
    cellTimeoutS: 3600,
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) fail(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--quick":
        a.mode = "quick";
        break;
      case "--full":
        a.mode = "full";
        break;
      case "--only":
        a.only.push(...value().split(",").filter(Boolean));
        break;
      case "--engine": {
        const e = value();
        if (e !== "node" && e !== "jupyter") fail(`unknown engine "${e}"`);
        a.engine = e;
        break;
      }
      case "--out":
        a.out = path.resolve(value());
        break;
      case "--figures":
        a.figures = path.resolve(value());
        break;
      case "--no-static":
        a.static = false;
        break;
      case "--jobs": {
        const j = Number(value());
        if (!Number.isInteger(j) || j < 1) fail("--jobs must be a whole number of notebooks >= 1");
        a.jobs = j;
        break;
      }
      case "--strict":
        a.strict = true;
        break;
      case "--cell-timeout": {
        const s = Number(value());
        if (!(s > 0)) fail("--cell-timeout must be a positive number of seconds");
        a.cellTimeoutS = s;
        break;
      }
      case "--list":
        a.list = true;
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        return process.exit(0);
      default:
        fail(`unknown option "${arg}"`);
    }
  }
  return a;
}

function notebooks(only: string[]): string[] {
  const dir = path.join(ROOT, "notebooks");
  const all = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  if (only.length === 0) return all.map((f) => path.join(dir, f));
  const picked = all.filter((f) => only.some((o) => f.startsWith(o) || f === `${o}.ipynb`));
  const unmatched = only.filter((o) => !all.some((f) => f.startsWith(o)));
  if (unmatched.length)
    fail(`no notebook matches ${unmatched.map((o) => `"${o}"`).join(", ")}; notebooks: ${all.join(", ")}`);
  return picked.map((f) => path.join(dir, f));
}

function build(): void {
  const r = spawnSync("npm", ["run", "--silent", "build"], { stdio: "inherit", cwd: ROOT });
  if (r.status !== 0) {
    console.error(
      `reproduce: building lib/ and its WebAssembly kernels (npm run build) failed${r.error ? `: ${r.error.message}` : ""}`,
    );
    process.exit(1);
  }
}

/**
 * One line per optional tool that is missing and what that costs the run; with --strict, a missing
 * tool stops the run (exit 2) before anything executes.
 */
function optionalToolNotes(args: Args): string[] {
  const notes: string[] = [];
  if (args.static) {
    try {
      findChromium();
    } catch {
      const how = "install chromium (Debian/Ubuntu) or set CROSSBAR_LAB_CHROMIUM";
      notes.push(
        `no Chromium, so figures are interactive HTML only: no PNG/SVG files and no report thumbnails (${how})`,
      );
    }
  }
  if (args.strict && notes.length) {
    console.error(`reproduce: --strict: ${notes.join("; ")}`);
    process.exit(2);
  }
  return notes;
}

/** `jupyter nbconvert --execute` for one notebook, its output shown as it comes; rejects when it fails. */
function nbconvertExecute(file: string, name: string, args: Args, env: NodeJS.ProcessEnv): Promise<void> {
  const timeout = `--ExecutePreprocessor.timeout=${Math.round(args.cellTimeoutS)}`;
  const argv = ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", timeout];
  argv.push("--output-dir", args.out, "--output", name, file);
  return new Promise((resolve, reject) => {
    const child = spawn("jupyter", argv, { stdio: "inherit", env });
    child.on("error", (e) => {
      const how = "apt-get install jupyter-nbconvert python3-nbclient, or pip install nbconvert nbclient";
      reject(
        new Error(`could not start jupyter (${e.message}). Install it (${how}) or use --engine node.`, { cause: e }),
      );
    });
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`FAILED in ${name} (jupyter nbconvert exit ${code})`)),
    );
  });
}

/** Bytes in a folder, recursively (0 when it does not exist). */
function folderBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? folderBytes(p) : e.isFile() ? fs.statSync(p).size : 0;
  }
  return n;
}

const megabytes = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

const indent = (s: string, p: string) =>
  s
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => p + l)
    .join("\n");

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const files = notebooks(args.only);
  if (args.list) {
    files.forEach((f) => console.log(path.basename(f)));
    return;
  }
  const notes = optionalToolNotes(args);
  console.log(`crossbar-lab reproduce: ${files.length} notebook(s), mode ${args.mode}, engine ${args.engine}`);
  for (const n of notes) console.log(`optional tool missing: ${n}`);
  build();
  fs.mkdirSync(args.out, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    CROSSBAR_LAB_MODE: args.mode,
    CROSSBAR_LAB_FIGURES_DIR: args.figures,
    CROSSBAR_LAB_STATIC: args.static && notes.length === 0 ? "1" : "0",
  };
  const t0 = Date.now();
  const names = files.map((f) => path.basename(f, ".ipynb"));
  const byName = new Map(files.map((f, k) => [names[k], { file: f, k }]));
  // with several jobs, every line says which notebook it comes from
  const tag = (name: string) => (args.jobs > 1 ? `[${name.slice(0, 2)}] ` : "");
  const runOne = async (name: string): Promise<void> => {
    const { file, k } = byName.get(name)!;
    const outFile = path.join(args.out, `${name}.ipynb`);
    const t = tag(name);
    console.log(`\n${t}[${k + 1}/${files.length}] ${name} (${args.mode})`);
    const tn = Date.now();
    if (args.engine === "node") {
      try {
        const executed = await runNotebook(file, {
          env,
          cellTimeoutS: args.cellTimeoutS,
          onCellStart: (e) => console.log(`${t}  cell ${e.codeCellNumber}/${e.codeCells} (#${e.index}) …`),
          onStream: (_n, text) => console.log(indent(text, `${t}    │ `)),
          onCellEnd: (e) =>
            console.log(`${t}  cell ${e.codeCellNumber}/${e.codeCells} ${e.status} in ${e.seconds!.toFixed(1)} s`),
        });
        writeNotebook(outFile, retargetDistImport(executed, args.out, path.join(ROOT, "dist")));
      } catch (e) {
        if (!(e instanceof CellExecutionError))
          throw new Error(`FAILED in ${name}: ${(e as Error).stack ?? e}`, { cause: e });
        writeNotebook(outFile, retargetDistImport(e.executed, args.out, path.join(ROOT, "dist")));
        const where = `partial output in ${path.relative(ROOT, outFile)}`;
        throw new Error(`FAILED in ${name}, cell ${e.cellIndex} (${where})\n${e.message}`, { cause: e });
      }
    } else {
      installKernel();
      await nbconvertExecute(file, name, args, jupyterEnv({ ...process.env, ...env }));
      writeNotebook(outFile, retargetDistImport(readNotebook(outFile), args.out, path.join(ROOT, "dist")));
      const errs = notebookErrors(readNotebook(outFile));
      if (errs.length) throw new Error(`${name} has error output in cell ${errs[0].cell}: ${errs[0].text}`);
    }
    console.log(`${t}  done in ${((Date.now() - tn) / 1000).toFixed(1)} s → ${path.relative(ROOT, outFile)}`);
  };
  const runs = schedule(names, (n) => notebookAfter(byName.get(n)!.file), args.jobs, runOne);
  for (const n of names) {
    try {
      await runs.get(n);
    } catch (e) {
      console.error(`\nreproduce: ${(e as Error).message}`);
      await Promise.allSettled(runs.values());
      process.exit(1);
    }
  }
  console.log(
    `\nAll ${files.length} notebook(s) ran in ${((Date.now() - t0) / 1000).toFixed(1)} s. Executed notebooks: ${path.relative(ROOT, args.out)}/, figures: ${path.relative(ROOT, args.figures) || "."}/`,
  );
  const reportOpts = {
    notebooksDir: path.join(ROOT, "notebooks"),
    executedDir: args.out,
    figuresDir: args.figures,
    notes,
  };
  const { report, claimsFile, indexFile, exportErrors } = writeReport(reportOpts);
  for (const e of exportErrors) console.error(`reproduce: ${e}`);
  const rel = (p: string) => path.relative(process.cwd(), p) || ".";
  console.log(`\nReport: ${rel(indexFile)} (claims: ${rel(claimsFile)})`);
  console.log(
    `Sizes: ${rel(args.figures)}/ ${megabytes(folderBytes(args.figures))}, ${rel(args.out)}/ ${megabytes(folderBytes(args.out))}`,
  );
  for (const n of notes) console.log(`optional tool missing: ${n}`);
  console.log(`\nClaims:\n${claimsText(report)}`);
  if (exportErrors.length) process.exit(1);
}

main().catch((e) => {
  console.error(`reproduce: ${(e as Error).stack ?? e}`);
  process.exit(1);
});

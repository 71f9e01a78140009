// Every notebook in notebooks/ runs in quick mode through real Jupyter (nbconvert + tslab kernel)
// with no error output, two at a time (each after the notebooks whose results it reuses: metadata
// crossbar_lab.after); the Node-only runner executes notebooks too and reports failing cells.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { notebookErrors, readNotebook } from "../../lib/notebook/nbformat";
import { CellExecutionError, runNotebook } from "../../lib/notebook/runner";
import { installKernel, jupyterEnv, ROOT } from "../../scripts/jupyter-env";
import { hasCifar10 } from "../../lib/data/cifar10";
import { writeReport } from "../../lib/notebook/report";
import { checkReport } from "../../lib/notebook/report-check";
import { notebookAfter, schedule } from "../../lib/notebook/schedule";
import { both, chromium, nbconvert } from "../support/optional-tools";

const NB_DIR = path.join(ROOT, "notebooks");
// CROSSBAR_LAB_TEST_NOTEBOOKS=00,05 runs only those (a developer's check); the report test then skips
const only = (process.env.CROSSBAR_LAB_TEST_NOTEBOOKS ?? "").split(",").filter(Boolean);
const notebooks = fs
  .readdirSync(NB_DIR)
  .filter((f) => f.endsWith(".ipynb") && (only.length === 0 || only.some((o) => f.startsWith(o))))
  .sort();
const out = fs.mkdtempSync(path.join(os.tmpdir(), "executed-"));
const figs = fs.mkdtempSync(path.join(os.tmpdir(), "figures-"));
// a fresh results store: notebooks 03/04 reuse the networks notebook 02 trains in this run, never a developer's cache
const results = fs.mkdtempSync(path.join(os.tmpdir(), "results-"));
const env = {
  CROSSBAR_LAB_MODE: "quick",
  CROSSBAR_LAB_FIGURES_DIR: figs,
  CROSSBAR_LAB_STATIC: chromium.present ? "1" : "0",
  CROSSBAR_LAB_RESULTS_DIR: results,
};

/** Data a notebook declares in its metadata (`crossbar_lab.needs_data`) and whether they are present. */
function needsData(file: string): { name: string; present: boolean; howTo: RegExp } | null {
  const meta = (JSON.parse(fs.readFileSync(file, "utf8")) as { metadata?: { crossbar_lab?: { needs_data?: string } } })
    .metadata?.crossbar_lab?.needs_data;
  if (meta === undefined) return null;
  if (meta === "cifar-10") return { name: meta, present: hasCifar10(), howTo: /cifar-10-binary\.tar\.gz/ };
  throw new Error(`${file}: unknown needs_data "${meta}"`);
}

/** One notebook through `jupyter nbconvert --execute`; rejects with the end of its stderr when it fails. */
function nbconvertRun(name: string): Promise<void> {
  const args = ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab"];
  args.push(
    "--ExecutePreprocessor.timeout=1800",
    "--output-dir",
    out,
    "--output",
    name,
    path.join(NB_DIR, `${name}.ipynb`),
  );
  return new Promise((resolve, reject) => {
    const child = spawn("jupyter", args, {
      env: jupyterEnv({ ...process.env, ...env }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    child.on("error", (e) => reject(new Error(`jupyter could not start: ${e.message}`, { cause: e })));
    child.on("close", (status) =>
      status === 0 ? resolve() : reject(new Error(`nbconvert failed (exit ${status}):\n${stderr.slice(-4000)}`)),
    );
  });
}

let runs = new Map<string, Promise<void>>();

before(() => {
  // lib/ and its kernels were built by npm test before any test file started
  assert.ok(fs.existsSync(path.join(ROOT, "dist", "index.js")), "dist/ is missing: run npm run build first");
  if (nbconvert.skip) return;
  installKernel();
  const names = notebooks.map((f) => path.basename(f, ".ipynb"));
  runs = schedule(names, (n) => notebookAfter(path.join(NB_DIR, `${n}.ipynb`)), 2, nbconvertRun);
});

test("there are notebooks to run", () => {
  assert.ok(notebooks.includes("00-getting-started.ipynb"));
});

for (const nb of notebooks) {
  test(`jupyter nbconvert executes ${nb} (quick) without errors`, { skip: nbconvert.skip }, async () => {
    const name = path.basename(nb, ".ipynb");
    await runs.get(name)!;
    const executed = readNotebook(path.join(out, `${name}.ipynb`));
    assert.deepEqual(notebookErrors(executed), []);
    const code = executed.cells.filter((c) => c.cell_type === "code");
    assert.ok(code.every((c) => c.cell_type === "code" && c.outputs !== undefined));
    const displays = code
      .flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
      .filter((o) => o.output_type === "display_data");
    const figures = displays.filter(
      (d) => d.output_type === "display_data" && "application/vnd.plotly.v1+json" in d.data,
    );
    const needs = needsData(path.join(NB_DIR, nb));
    if (needs && !needs.present) {
      // a notebook whose data are not here must say how to get them, and show nothing made up
      assert.match(
        JSON.stringify(code.map((c) => (c.cell_type === "code" ? c.outputs : []))),
        needs.howTo,
        `${nb} should say how to obtain ${needs.name}`,
      );
      assert.equal(figures.length, 0, `${nb} showed figures without its data`);
      return;
    }
    assert.ok(figures.length > 0, "a notebook should show at least one figure");
    for (const d of figures) {
      if (d.output_type !== "display_data") continue;
      assert.ok("text/html" in d.data, "figure outputs carry Plotly JSON and HTML");
      if (chromium.present) {
        assert.match(String(d.data["text/html"]), /data:image\/png;base64,/, "static PNG fallback for GitHub");
      }
    }
  });
}

test(
  "the reviewers' report covers every notebook and loads offline in Chromium: no console errors, links resolve, figures render",
  {
    skip: both(nbconvert, chromium).skip || (only.length > 0 && "CROSSBAR_LAB_TEST_NOTEBOOKS ran only some notebooks"),
  },
  async () => {
    const { report, exportErrors } = writeReport({ notebooksDir: NB_DIR, executedDir: out, figuresDir: figs });
    assert.deepEqual(exportErrors, []);
    assert.deepEqual(
      report.notebooks.map((n) => n.name),
      notebooks.map((f) => f.replace(/\.ipynb$/, "")),
    );
    for (const n of report.notebooks) {
      assert.ok(n.executed && n.htmlExport, `${n.name} was executed and exported`);
      assert.ok(n.question.length > 20, `${n.name} states its question`);
      if (n.declaresClaims)
        assert.ok(n.claims && n.claims.claims.length > 0, `${n.name} reports claims but recorded none`);
      for (const c of n.claims?.claims ?? [])
        assert.ok(c.verdict === "not tested" ? !!c.note : c.n > 0 && c.measured !== "—", `${n.name} ${c.id}`);
    }
    assert.ok(report.notebooks.filter((n) => n.claims).length >= 6, "the paper notebooks record claims");
    const json = JSON.parse(fs.readFileSync(path.join(figs, "claims.json"), "utf8")) as {
      notebooks: { claims: { mode: string; gitCommit: string }[] }[];
    };
    assert.ok(json.notebooks.flatMap((n) => n.claims).every((c) => c.mode === "quick" && c.gitCommit.length > 0));
    const check = await checkReport(figs);
    assert.deepEqual(check.problems, []);
    assert.ok(check.figures >= 20, `only ${check.figures} figures rendered`);
    assert.ok(check.controls >= 3, `${check.controls} figures with sliders or dropdowns; want at least 3`);
  },
);

test("the Node-only runner executes 00-getting-started; its figures and its report page are written", async () => {
  // its own folders, so that nothing the nbconvert runs above wrote can stand in for its files
  const own = {
    figures: fs.mkdtempSync(path.join(os.tmpdir(), "node-figures-")),
    executed: fs.mkdtempSync(path.join(os.tmpdir(), "node-exec-")),
  };
  const executed = await runNotebook(path.join(NB_DIR, "00-getting-started.ipynb"), {
    env: { ...env, CROSSBAR_LAB_FIGURES_DIR: own.figures },
  });
  assert.deepEqual(notebookErrors(executed), []);
  const formats = chromium.present ? ["html", "png", "svg"] : ["html"];
  for (const f of ["conductance-map", "bitline-currents"]) {
    for (const ext of formats)
      assert.ok(fs.existsSync(path.join(own.figures, "00-getting-started", `${f}.${ext}`)), `${f}.${ext}`);
  }
  assert.match(JSON.stringify(executed), /tfjs backend: (wasm|tensorflow|cpu)/);
  fs.writeFileSync(path.join(own.executed, "00-getting-started.ipynb"), JSON.stringify(executed));
  const { report, exportErrors } = writeReport({
    notebooksDir: NB_DIR,
    executedDir: own.executed,
    figuresDir: own.figures,
    only: ["00-getting-started"],
  });
  assert.deepEqual(exportErrors, []);
  assert.equal(report.notebooks[0].htmlExport, "notebooks/00-getting-started.html");
  const page = fs.readFileSync(path.join(own.figures, "notebooks", "00-getting-started.html"), "utf8");
  assert.ok(page.length < 1e6, `the page is ${page.length} bytes: it should load the shared plotly.js, not embed it`);
  if (chromium.present) {
    const check = await checkReport(own.figures);
    assert.deepEqual(check.problems, []);
    assert.ok(check.figures >= 2, `${check.figures} figures rendered`);
  }
});

test("the Node-only runner stops at a failing cell and names it", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "failing-"));
  const file = path.join(dir, "bad.ipynb");
  const cell = (src: string) => ({ cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: src });
  fs.writeFileSync(
    file,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [cell("const a = 1;\nconsole.log(a)"), cell('throw new Error("boom-42")'), cell("console.log('never')")],
    }),
  );
  await assert.rejects(runNotebook(file), (e: unknown) => {
    assert.ok(e instanceof CellExecutionError);
    assert.equal(e.cellIndex, 1);
    assert.match(e.message, /boom-42/);
    assert.match(e.message, /cell 1 failed/);
    return true;
  });
});

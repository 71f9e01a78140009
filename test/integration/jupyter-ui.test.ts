// The notebooks in a real Jupyter UI: Debian's classic Notebook server on 127.0.0.1 with a token,
// driven by headless Chromium. Opening a notebook leaves it unchanged (no "unsaved changes"); with
// nothing set it runs quick; running all cells gives no error and every figure renders and answers
// hover; after a page reload a re-run figure cell renders again (plotly.js is loaded when missing).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../../lib/plot/render";
import { installKernel, jupyterEnv, ROOT } from "../../scripts/jupyter-env";
import { chromium } from "../support/optional-tools";

const NOTEBOOK = "00-getting-started.ipynb";
const haveNotebook = spawnSync("jupyter", ["notebook", "--version"], { encoding: "utf8" }).status === 0;
const requireUi = process.env.CROSSBAR_LAB_REQUIRE_JUPYTER_UI === "1";
const skip =
  (!haveNotebook && !requireUi ? "Debian's jupyter-notebook is not installed (CI installs it)" : false) ||
  chromium.skip;

// the served folder sits in the repository so that the notebook's "../dist" resolves; it is removed afterwards
const served = path.join(ROOT, `ui-test-tmp-${process.pid}`);
const token = crypto.randomBytes(16).toString("hex");
let server: ChildProcess | null = null;
let browser: Browser | null = null;
let port = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

async function waitFor<T>(what: string, f: () => Promise<T | null | false>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const kernelIdle = (page: Page) =>
  page.evaluate(() => {
    const j = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
    const icon = document.querySelector("#kernel_indicator_icon");
    return !!(j?.notebook?.kernel?.is_connected() && icon?.classList.contains("kernel_idle_icon"));
  });

async function openNotebook(page: Page): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/notebooks/${NOTEBOOK}?token=${token}`);
  await waitFor("the kernel to be idle", () => kernelIdle(page), 120_000);
}

/** Per figure output of the page: rendered (Plotly SVG present). */
const figureStates = (page: Page) =>
  page.$$eval(".crossbar-lab-figure", (els) =>
    els.map(
      (e) =>
        !!e.querySelector(".js-plotly-plot svg.main-svg") ||
        (e.classList.contains("js-plotly-plot") && !!e.querySelector("svg.main-svg")),
    ),
  );

before(async () => {
  if (skip) return;
  installKernel();
  fs.mkdirSync(served, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "notebooks", NOTEBOOK), path.join(served, NOTEBOOK));
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
  port = await freePort();
  const env = jupyterEnv({
    ...process.env,
    CROSSBAR_LAB_FIGURES_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "ui-figures-")),
  });
  delete env.CROSSBAR_LAB_MODE; // a user who sets nothing
  const args = [
    "notebook",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    `--NotebookApp.token=${token}`,
    `--notebook-dir=${served}`,
    "--NotebookApp.open_browser=False",
  ];
  if (process.getuid?.() === 0) args.push("--allow-root");
  server = spawn("jupyter", args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  server.stderr!.on("data", (d) => (log += d));
  await waitFor(
    `the Jupyter server on port ${port}:\n${log}`,
    async () => /is running at|Jupyter Notebook .* is running/.test(log),
    60_000,
  );
  browser = await (
    await import("playwright-core")
  ).chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (server?.pid) {
    server.kill("SIGTERM");
    await new Promise((r) => server!.once("exit", r));
  }
  fs.rmSync(served, { recursive: true, force: true });
});

test(
  "notebook 00 in the classic Notebook UI: opens unchanged, runs quick with no error, figures render and answer hover, and render again after a page reload",
  { skip, timeout: 600_000 },
  async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const onDisk = fs.readFileSync(path.join(served, NOTEBOOK), "utf8");
    await openNotebook(page);
    await page.waitForTimeout(2000);
    const opened = await page.evaluate(() => {
      const nb = (window as unknown as { Jupyter: { notebook: { dirty: boolean; metadata: unknown } } }).Jupyter
        .notebook;
      return { dirty: nb.dirty, metadata: JSON.stringify(nb.metadata) };
    });
    assert.equal(opened.dirty, false, `opening the notebook marked it as changed (metadata now ${opened.metadata})`);

    // run all cells
    await page.evaluate(() =>
      (
        window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }
      ).Jupyter.notebook.execute_all_cells(),
    );
    await waitFor(
      "every code cell to finish",
      () =>
        page.evaluate(() => {
          const cells = (
            window as unknown as {
              Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number?: unknown }[] } };
            }
          ).Jupyter.notebook.get_cells();
          return cells.filter((c) => c.cell_type === "code").every((c) => typeof c.input_prompt_number === "number");
        }),
      300_000,
    );
    await waitFor("the kernel to be idle", () => kernelIdle(page), 60_000);
    assert.deepEqual(
      await page.$$eval(".output_error", (els) => els.map((e) => e.textContent ?? "")),
      [],
      "error outputs",
    );
    const text = await page.$$eval(".output_text", (els) => els.map((e) => e.textContent ?? "").join("\n"));
    assert.match(text, /run mode: quick \(the default\)/, "with nothing set the notebook runs quick and says so");
    const states = await waitFor(
      `every figure to render (${await page.$$eval(".crossbar-lab-figure", (els) => els.map((e) => e.outerHTML.slice(0, 300)).join(" | "))}; errors ${pageErrors.join("; ")})`,
      async () => {
        const s = await figureStates(page);
        return s.length >= 2 && s.every(Boolean) ? s : null;
      },
      60_000,
    );
    assert.equal(states.length, 2);

    // hover over the heatmap: a tooltip appears
    const box = await page.locator(".crossbar-lab-figure .nsewdrag").first().boundingBox();
    assert.ok(box, "the heatmap's plot area");
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await waitFor("a hover tooltip", async () => (await page.locator(".hoverlayer .hovertext").count()) > 0, 10_000);

    // reload the page (the kernel keeps running) and re-run the last figure cell
    await page.reload();
    await waitFor("the kernel to be idle after the reload", () => kernelIdle(page), 60_000);
    const lastFigureCell = await page.evaluate(() => {
      const nb = (
        window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; get_text(): string }[] } } }
      ).Jupyter.notebook;
      const cells = nb.get_cells();
      let k = -1;
      cells.forEach((c, i) => {
        if (c.cell_type === "code" && /lab\.show\(/.test(c.get_text())) k = i;
      });
      return k;
    });
    assert.ok(lastFigureCell > 0);
    await page.evaluate((i) => {
      const nb = (
        window as unknown as {
          Jupyter: { notebook: { get_cell(i: number): { clear_output(): void; execute(): void } } };
        }
      ).Jupyter.notebook;
      nb.get_cell(i).clear_output();
      nb.get_cell(i).execute();
    }, lastFigureCell);
    await waitFor(
      "the re-run figure to render after the reload",
      async () => {
        const ok = await page.evaluate((i) => {
          const cell = document.querySelectorAll(".cell")[i];
          return !!cell?.querySelector(".js-plotly-plot svg.main-svg");
        }, lastFigureCell);
        return ok;
      },
      60_000,
    );
    assert.equal(await page.locator("text=could not be loaded").count(), 0);
    assert.deepEqual(pageErrors, []);
    assert.equal(
      fs.readFileSync(path.join(served, NOTEBOOK), "utf8"),
      onDisk,
      "the notebook on disk is unchanged (nothing was saved)",
    );
    await page.close();
  },
);

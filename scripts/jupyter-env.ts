/** The project-local Jupyter prefix (.jupyter/) holding the tslab kernelspec. */
import * as fs from "fs";
import * as path from "path";
import { KERNEL_DISPLAY_NAME, KERNEL_NAME } from "../lib/notebook/nbformat";
import { PLOTLY_NBEXTENSION_PATH } from "../lib/plot/html";
import { withHugePages } from "../lib/runtime/huge-pages";

export const ROOT = path.resolve(__dirname, "..");
export const JUPYTER_PREFIX = path.join(ROOT, ".jupyter");
export const KERNELS_DIR = path.join(JUPYTER_PREFIX, "share", "jupyter", "kernels");

/** Write the tslab kernelspec into the project-local prefix (no global registration). */
export function installKernel(): string {
  const dir = path.join(KERNELS_DIR, KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, require.resolve("tslab/bin/tslab"), "kernel", "--config-path", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    // glibc's huge-page tunable for the kernel's large arrays (lib/runtime/huge-pages.ts)
    env: hugePagesEnv(),
  };
  // written whole or not at all (a temporary file, then a rename): test files install it concurrently
  writeWhole(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  // plotly.js where the classic Notebook serves it ({base}/nbextensions/crossbar-lab/), so a figure
  // shown after a page reload loads it instead of waiting for the session's first figure
  const ext = path.join(JUPYTER_PREFIX, "share", "jupyter", PLOTLY_NBEXTENSION_PATH);
  fs.mkdirSync(path.dirname(ext), { recursive: true });
  writeWhole(ext, fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js")));
  return dir;
}

function writeWhole(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** The kernelspec's environment: GLIBC_TUNABLES with the huge-page tunable, unless CROSSBAR_LAB_HUGE_PAGES=0 at install. */
function hugePagesEnv(): Record<string, string> {
  const t = withHugePages({
    CROSSBAR_LAB_HUGE_PAGES: process.env.CROSSBAR_LAB_HUGE_PAGES,
    GLIBC_TUNABLES: process.env.GLIBC_TUNABLES,
  }).GLIBC_TUNABLES;
  return t ? { GLIBC_TUNABLES: t } : {};
}

/** Environment for running Jupyter with the project-local kernelspec. */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const share = path.join(JUPYTER_PREFIX, "share", "jupyter");
  return { ...base, JUPYTER_PATH: base.JUPYTER_PATH ? `${share}${path.delimiter}${base.JUPYTER_PATH}` : share };
}

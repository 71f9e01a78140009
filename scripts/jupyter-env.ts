/** The project-local Jupyter prefix (.jupyter/) holding the tslab kernelspec. */
import * as fs from "fs";
import * as path from "path";
import { KERNEL_DISPLAY_NAME, KERNEL_NAME } from "../lib/notebook/nbformat";
import { PLOTLY_NBEXTENSION_PATH } from "../lib/plot/html";

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
  };
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  // plotly.js where the classic Notebook serves it ({base}/nbextensions/crossbar-lab/), so a figure
  // shown after a page reload loads it instead of waiting for the session's first figure
  const ext = path.join(JUPYTER_PREFIX, "share", "jupyter", PLOTLY_NBEXTENSION_PATH);
  fs.mkdirSync(path.dirname(ext), { recursive: true });
  fs.copyFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), ext);
  return dir;
}

/** Environment for running Jupyter with the project-local kernelspec. */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const share = path.join(JUPYTER_PREFIX, "share", "jupyter");
  return { ...base, JUPYTER_PATH: base.JUPYTER_PATH ? `${share}${path.delimiter}${base.JUPYTER_PATH}` : share };
}

/** The project-local Jupyter prefix (.jupyter/) holding the tslab kernelspec. */
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..");
export const JUPYTER_PREFIX = path.join(ROOT, ".jupyter");
export const KERNELS_DIR = path.join(JUPYTER_PREFIX, "share", "jupyter", "kernels");

/** Write the tslab kernelspec into the project-local prefix (no global registration). */
export function installKernel(): string {
  const dir = path.join(KERNELS_DIR, "tslab");
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, require.resolve("tslab/bin/tslab"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (crossbar-lab)",
    language: "typescript",
  };
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  return dir;
}

/** Environment for running Jupyter with the project-local kernelspec. */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const share = path.join(JUPYTER_PREFIX, "share", "jupyter");
  return { ...base, JUPYTER_PATH: base.JUPYTER_PATH ? `${share}${path.delimiter}${base.JUPYTER_PATH}` : share };
}

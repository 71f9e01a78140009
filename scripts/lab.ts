/** `npm run lab`: open the notebooks in JupyterLab (or classic Notebook) with the project-local tslab kernel. */
import { spawnSync } from "child_process";
import * as path from "path";
import { installKernel, jupyterEnv, ROOT } from "./jupyter-env";

installKernel();
const env = jupyterEnv();
for (const app of ["lab", "notebook"]) {
  const probe = spawnSync("jupyter", [app, "--version"], { env, encoding: "utf8" });
  if (probe.status === 0) {
    console.log(`starting jupyter ${app} in ${path.join(ROOT, "notebooks")} (kernel: "TypeScript (crossbar-lab)")`);
    const r = spawnSync("jupyter", [app, ...process.argv.slice(2)], { env, stdio: "inherit", cwd: path.join(ROOT, "notebooks") });
    process.exit(r.status ?? 1);
  }
}
console.error(
  "No JupyterLab or Notebook found. Install one (pip install jupyterlab, or Debian/Ubuntu: apt-get install jupyter-notebook),\n" +
    `then run: JUPYTER_PATH=${path.join(ROOT, ".jupyter", "share", "jupyter")} jupyter lab notebooks/\n` +
    "In VS Code, open a notebook and pick the kernel \"TypeScript (crossbar-lab)\" after running npm run kernel:install with JUPYTER_PATH set as above.",
);
process.exit(1);

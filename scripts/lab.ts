/**
 * `npm run lab [-- --full] [--allow-root] [jupyter options]`: open the notebooks in JupyterLab (or
 * classic Notebook) with the project-local tslab kernel. Notebooks run in quick mode unless --full
 * sets CROSSBAR_LAB_MODE=full for the kernels this server starts.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { installKernel, jupyterEnv, ROOT } from "./jupyter-env";
import { MODE_ENV } from "../lib/runtime/mode";

const USAGE = `usage: npm run lab -- [--quick | --full] [--allow-root] [other jupyter options]
  --quick        notebooks run their quick protocol (default): minutes each
  --full         notebooks run the papers' full protocol: hours to days (see each notebook's first output)
  --allow-root   let Jupyter run as root (it refuses otherwise)`;

const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}
if (args.includes("--quick") && args.includes("--full")) {
  console.error(`npm run lab: choose --quick or --full, not both\n${USAGE}`);
  process.exit(2);
}
const mode = args.includes("--full") ? "full" : "quick";
const passThrough = args.filter((a) => a !== "--quick" && a !== "--full");
if (typeof process.getuid === "function" && process.getuid() === 0 && !passThrough.includes("--allow-root")) {
  console.error(
    "npm run lab: you are root, and Jupyter refuses to run as root. Run as a normal user, or pass --allow-root: npm run lab -- --allow-root",
  );
  process.exit(2);
}

installKernel();
const env = { ...jupyterEnv(), [MODE_ENV]: mode };
for (const app of ["lab", "notebook"]) {
  const probe = spawnSync("jupyter", [app, "--version"], { env, encoding: "utf8" });
  if (probe.status === 0) {
    console.log(
      `starting jupyter ${app} in ${path.join(ROOT, "notebooks")} (kernel: "TypeScript (crossbar-lab)"), run mode ${mode}${mode === "quick" ? " (npm run lab -- --full for the papers' protocols)" : ""}`,
    );
    const r = spawnSync("jupyter", [app, ...passThrough], { env, stdio: "inherit", cwd: path.join(ROOT, "notebooks") });
    process.exit(r.status ?? 1);
  }
}
console.error(
  "No JupyterLab or Notebook found. Install one (pip install jupyterlab, or Debian/Ubuntu: apt-get install jupyter-notebook),\n" +
    `then run: JUPYTER_PATH=${path.join(ROOT, ".jupyter", "share", "jupyter")} jupyter lab notebooks/\n` +
    'In VS Code, open a notebook and pick the kernel "TypeScript (crossbar-lab)" after running npm run kernel:install with JUPYTER_PATH set as above.',
);
process.exit(1);

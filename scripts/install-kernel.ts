/** `npm run kernel:install`: register the tslab kernel in the project-local prefix .jupyter/. */
import { installKernel, JUPYTER_PREFIX } from "./jupyter-env";

const dir = installKernel();
console.log(`tslab kernelspec written to ${dir}`);
console.log(`Use it with: JUPYTER_PATH=${JUPYTER_PREFIX}/share/jupyter jupyter lab   (or: npm run lab)`);

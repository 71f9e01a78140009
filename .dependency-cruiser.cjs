/**
 * The library's layers, each importing only from those below it (lib/README.md):
 *   runtime → grid core → kernels, data, plot → devices → crossbar → tile → models → training
 *   → experiments → grid runners → notebook; scripts, bench and test on top.
 * The grid has two parts: its core (grids as data, the results store, locks, and the registry that
 * experiments register with) is infrastructure under the experiments, as runtime is; the runners that
 * execute cells in threads, workers and Slurm jobs load experiments by name and sit above them.
 * No import points back up, and there are no cycles. `npm run depcruise` checks it (part of npm test).
 */
const GRID_CORE = "lib/grid/(grid|hash|store|locks|registry)\\.ts$";
const LAYERS = [
  ["runtime", "lib/runtime/"],
  ["grid-core", GRID_CORE],
  ["kernels-data-plot", "lib/(kernels|data|plot)/"],
  ["devices", "lib/devices/"],
  ["crossbar", "lib/crossbar/"],
  ["tile", "lib/tile/"],
  ["models", "lib/models/"],
  ["training", "lib/training/"],
  ["experiments", "lib/experiments/"],
  ["grid-runners", "lib/grid/(?!(grid|hash|store|locks|registry)\\.ts$)"],
  ["notebook", "lib/notebook/"],
];

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `no-upward-import-from-${name}`,
  comment: `${name} is below ${LAYERS.slice(i + 1).map((l) => l[0]).join(", ")}: it may not import from them`,
  severity: "error",
  from: { path: `^${path}` },
  to: { path: LAYERS.slice(i + 1).map((l) => `^${l[1]}`) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      comment: "modules that import each other cannot be read, tested or moved one at a time",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-not-above-itself",
      comment: "lib/ is the product: it never imports scripts, benchmarks or tests",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^(scripts|bench|test)/" },
    },
    {
      name: "no-shared-at-run-time",
      comment: "../shared is for developers and CI, never for the product",
      severity: "error",
      from: { path: "^(lib|scripts)/" },
      to: { path: "^\\.\\./shared/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|build|node_modules)/" },
  },
};

/**
 * crossbar-lab: memristive-crossbar physics, device nonideality models and hardware-aware
 * training. Notebooks import this (compiled) module: `import * as lab from "../dist";`.
 */
export * as runtime from "./runtime";
export * as plot from "./plot";
export * as crossbar from "./crossbar";
export { rng, Rng, runMode, byMode, initBackend, provenance } from "./runtime";
export { figure, show, saveFigure } from "./plot";

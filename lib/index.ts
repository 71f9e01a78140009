/**
 * crossbar-lab: memristive-crossbar physics, device nonideality models and hardware-aware
 * training. Notebooks import this (compiled) module: `import * as lab from "../dist";`.
 */
export * as runtime from "./runtime";
export * as plot from "./plot";
export * as crossbar from "./crossbar";
export * as tile from "./tile";
export * as data from "./data";
export * as devices from "./devices";
export * as models from "./models";
export * as training from "./training";
export * as experiments from "./experiments";
export * as grid from "./grid";
export { rng, Rng, runMode, byMode, announceMode, initBackend, provenance } from "./runtime";
export { figure, show, saveFigure, showTable, sliderFigure, dropdownFigure } from "./plot";

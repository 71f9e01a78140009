export * as drolet from "./drolet";
export * as droletFigures from "./drolet-figures";
export * as crossbarStudy from "./crossbar-study";
export * as joksas from "./joksas";
export * as joksasEnergy from "./joksas-energy";
export * as joksasFigures from "./joksas-figures";

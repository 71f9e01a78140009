export * as drolet from "./drolet";
export * as droletFigures from "./drolet-figures";
export * as crossbarStudy from "./crossbar-study";

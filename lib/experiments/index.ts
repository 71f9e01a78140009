export * as drolet from "./drolet";
export * as droletFigures from "./drolet-figures";

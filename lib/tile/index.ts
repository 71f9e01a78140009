export * from "./mapping";
export * from "./circuit-tile";
export * from "./layer";
export * from "./network";
export * from "./periphery";
export * from "./time";
export * from "./transfer";

export * from "./hash";
export * from "./grid";
export * from "./store";
export * from "./experiments";
export * from "./execute";
export * from "./runner";
export * from "./query";
export * from "./slurm";

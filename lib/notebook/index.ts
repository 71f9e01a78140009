export * from "./nbformat";
export * from "./kernel";
export * from "./runner";

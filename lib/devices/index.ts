export * from "./drift-table";
export * from "./tio2";
export * from "./transfer";

export * from "./spec";
export * from "./html";
export * from "./metadata";
export * from "./render";
export * from "./show";
export * from "./table";
export * from "./controls";

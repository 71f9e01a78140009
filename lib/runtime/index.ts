export * from "./random";
export * from "./mode";
export * from "./backend";
export * from "./provenance";
export * from "./progress";
export * from "./normal";
export * from "./stats";
export * from "./huge-pages";

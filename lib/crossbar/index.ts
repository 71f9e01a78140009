export * from "./ideal";

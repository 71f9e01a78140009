export * from "./mlp";
export * from "./hardware-aware";
export * from "./tf-hardware-aware";

export * from "./mlp";
export * from "./hardware-aware";
export * from "./tf-hardware-aware";
export * from "./memristive";
export * from "./memristive-mlp";
export * from "./memristive-cnn";
export * from "./circuit-aware";
export * from "./analog-inference";

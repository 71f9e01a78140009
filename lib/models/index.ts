export * from "./graph";
export * from "./digital";
export * from "./tfjs-format";
export * from "./onnx";

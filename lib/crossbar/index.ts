export * from "./ideal";
export * from "./circuit";
export * from "./solver";
export * from "./nonlinear";
export * from "./biasing";

export * from "./moons";
export * from "./mnist";
export * from "./cifar10";

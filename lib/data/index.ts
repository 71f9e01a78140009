export * from "./moons";
export * from "./mnist";

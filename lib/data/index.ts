export * from "./moons";

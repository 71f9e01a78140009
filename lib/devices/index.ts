export * from "./drift-table";
export * from "./tio2";
export * from "./transfer";
export * from "./poole-frenkel";
export * from "./joksas";
export * from "./pf-extraction";
export * from "./pf-residuals";
export * from "./draws";

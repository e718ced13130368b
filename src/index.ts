// The gunyah-ts package entry: the host driver's user interface (the TypeScript
// /dev/gunyah) and its types.
export * from "./host/index.js";

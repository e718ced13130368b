// The hypercall ABI header (see ARCHITECTURE.md): what the RM and the host may import.
export * from "./calls.js";
export * from "./errors.js";
export * from "./port.js";
export * from "./objects.js";
export * from "./debug.js";

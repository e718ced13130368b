// The RM RPC wire format: the boundary the host (and any other RM client) imports.
// Header codec, message/notification ids, RM errors, VM constants, payload layouts,
// list helpers, and the fragmenter/reassembler with the receiver rules.
export * from "./header.js";
export * from "./ids.js";
export * from "./errors.js";
export * from "./vm.js";
export * from "./payloads.js";
export * from "./lists.js";
export * from "./fragment.js";
export * from "./messages.js";

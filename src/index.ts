// The gunyah-ts package entry: the host driver's user interface (the TypeScript
// /dev/gunyah) and its types, plus the device-tree library a VMM needs to describe
// its guest and the `/gunyah-vm-config` node the Resource Manager reads.
export * from "./host/index.js";
export { createFdt, parseFdt, serializeFdt, FdtNode, type Fdt, type FdtError } from "./lib/fdt.js";

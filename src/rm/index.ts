// The Resource Manager's public entry (the platform boots it; the host talks to it
// only by RPC, through rm/protocol).
export { ResourceManager, type RmOptions, type RmStats } from "./service.js";
export type { HostRpcCaps, HostVmObjects } from "./host-boot.js";
export { RPC_QUEUE_DEPTH } from "./host-boot.js";
export { GIC_DISTRIBUTOR, GIC_REDISTRIBUTOR, vmmioRanges } from "./gic-frames.js";
export type { Reply } from "./reply.js";
export type { ChannelStats } from "./transport.js";
export { VM_STATUS_ENTERED_FROM, canEnter } from "./vm-state.js";

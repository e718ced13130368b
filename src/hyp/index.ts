// The hypervisor core's public entry (the platform layer boots on it).
export { Hypervisor, type HypervisorOptions, type HypervisorStats } from "./hypervisor.js";
export type { NativeVm, RootVm, RootVmCaps, HypercallPort, VirqSink } from "./abi/port.js";
export type { VcpuStats } from "./run-stats.js";
export type { JitStats } from "./cpu.js";

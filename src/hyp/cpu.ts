// The CPU contract as the hypervisor sees it, imported once through the arch layer's
// public entry (test/layering-rules.ts: hyp may import arch/arm64 only via index.ts).
export type {
  Arm64Cpu,
  CpuExit,
  CpuOptions,
  GicCpuInterface,
  JitStats,
  Stage2Abort,
  Stage2Page,
  Stage2Port,
  WasmArena,
} from "../arch/arm64/index.js";

import type { Arm64Cpu, CpuOptions } from "../arch/arm64/index.js";

/** Builds a vCPU's CPU; the real one is the arch layer's createCpu. */
export type CpuFactory = (options: CpuOptions) => Arm64Cpu;

/** The ICC_* system register key, as the CPU computes it (port.ts sysregKey). */
export { sysregKey as iccKey } from "../arch/arm64/index.js";

// Public entry of the arch layer: the A64 CPU. `createCpu` returns an Arm64Cpu (the
// hypervisor's contract, port.ts) that also exposes what `gunyah exec` and trace diffs
// need (FP/SIMD registers, TPIDR_EL0, traceState()).

import { Cpu } from "./cpu.js";
import type { Arm64Cpu, CpuOptions } from "./port.js";

export type {
  Arm64Cpu,
  CpuExit,
  CpuOptions,
  GicCpuInterface,
  JitStats,
  Stage2Abort,
  Stage2Page,
  Stage2Port,
  UserFault,
  DebugStop,
  ExternalDebugConfig,
  WatchSpec,
  DebugAccessPort,
  DebugTranslationResult,
} from "./port.js";
export { DebugReg } from "./debug-access.js";
export { PAGE_SHIFT, PAGE_SIZE, sysregKey } from "./port.js";
export { EXEC_JIT_THRESHOLD, InterpretOnly, jitThreshold, setJitDefault } from "./tiering.js";
export { WasmArena } from "./jit/arena.js";

/** The CPU with the extras a user-mode runner and trace tools use. */
export interface Arm64CpuExt extends Arm64Cpu {
  /** V0..V31, 16 bytes each, little-endian lanes. */
  readonly vregs: Uint8Array;
  fpcr: number;
  fpsr: number;
  /** TPIDR_EL0 (the thread pointer), as a user-mode runner sets it for TLS. */
  getTpidrEl0(): bigint;
  setTpidrEl0(value: bigint): void;
  /** PC, X0-X30, SP and PSTATE in qemu's `-d cpu` layout. */
  traceState(): string;
}

export function createCpu(options: CpuOptions): Arm64CpuExt {
  return new Cpu(options);
}

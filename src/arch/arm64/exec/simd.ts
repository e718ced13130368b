// Bridge to the FP/AdvSIMD group's executor (src/arch/arm64/simd/): the CPU itself is
// the SimdContext; a false answer means the encoding is unallocated.

import type { CpuState as Cpu } from "../state.js";
import { executeSimd } from "../simd/execute.js";

export function execSimd(cpu: Cpu, op: number, insn: number): void {
  if (!executeSimd(cpu, op, insn)) cpu.undefinedInstruction();
}

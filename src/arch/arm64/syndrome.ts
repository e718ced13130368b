// The ISS-style syndrome of a stage-2 data abort (Arm ARM D17.2.40, ISV): valid only for
// single general-purpose-register loads and stores without writeback, which a
// hypervisor can emulate from the syndrome alone: LDR/STR (unsigned offset, unscaled,
// unprivileged, register offset) and LDAR/STLR. Pairs, writeback forms, exclusives,
// atomics and SIMD&FP registers have ISV = 0.

import type { CpuState as Cpu } from "./state.js";
import { toBig } from "./bits.js";

export interface Syndrome {
  size: number;
  register: number;
  signExtend: boolean;
  sixtyFour: boolean;
  value: bigint;
}

export function syndromeFor(cpu: Cpu, insn: number): Syndrome | undefined {
  const size = insn >>> 30;
  const rt = insn & 31;
  let opc: number;
  if ((insn & 0x3f000000) === 0x39000000) {
    opc = (insn >>> 22) & 3; // unsigned offset
  } else if ((insn & 0x3f200000) === 0x38000000 && ((insn >>> 10) & 1) === 0) {
    opc = (insn >>> 22) & 3; // unscaled (00) or unprivileged (10): no writeback
  } else if ((insn & 0x3f200c00) === 0x38200800) {
    opc = (insn >>> 22) & 3; // register offset
  } else if ((insn & 0x3fa08000) === 0x08808000) {
    opc = (insn >>> 22) & 1; // STLR (L=0) / LDAR (L=1)
  } else {
    return undefined;
  }
  if (size === 3 && opc >= 2) return undefined; // PRFM
  const isLoad = opc !== 0;
  const signExtend = opc >= 2;
  const sixtyFour = isLoad ? size === 3 || opc === 2 : size === 3;
  let value = 0n;
  if (!isLoad && rt !== 31) {
    value = BigInt.asUintN(8 << size, toBig(cpu.xl[rt]!, cpu.xh[rt]!));
  }
  return { size: 1 << size, register: rt, signExtend, sixtyFour, value };
}

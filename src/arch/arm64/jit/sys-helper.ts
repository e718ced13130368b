// The JavaScript side of the system instructions units call out (emit-sys.ts): it
// runs them with the interpreter's own executor, but only where that cannot trap or
// fault; elsewhere it declines and the unit leaves for the interpreter, which takes
// the exception with every check.

import type { CpuState } from "../state.js";
import { sysregKey } from "../port.js";
import { execSystem } from "../exec/system.js";
import { isDaifWrite, mrsKey, SYS_DECLINED, SYS_DONE, SYS_INTERRUPT } from "./emit-sys.js";

export const SYS_OP = 132;
export const MRS_OP = 134;
export const MSR_IMM_OP = 131;
export const MSR_REG_OP = 133;

const SP_EL0 = sysregKey(3, 0, 4, 1, 0);
/** Readable at EL0 whatever SCTLR says (sysregs.ts El0.ALWAYS: TPIDR_EL0, TPIDRRO_EL0, DCZID_EL0). */
const EL0_ALWAYS = new Set([
  sysregKey(3, 3, 13, 0, 2),
  sysregKey(3, 3, 13, 0, 3),
  sysregKey(3, 3, 0, 0, 7),
]);
/** Readable at EL0 in user-mode emulation (sysregs.ts El0.UCT, El0.ID). */
const EL0_USER = new Set([
  sysregKey(3, 3, 0, 0, 1),
  sysregKey(3, 0, 0, 0, 0),
  sysregKey(3, 0, 0, 0, 5),
]);

/**
 * SYS_DONE (Rt written for MRS); SYS_DECLINED: the unit bails to the interpreter;
 * SYS_INTERRUPT: a DAIF write left an interrupt to take (the unit leaves after it).
 */
export function sysHelper(cpu: CpuState, insn: number, op: number, pc: number): number {
  if (op === MSR_IMM_OP || op === MSR_REG_OP) return writeDaif(cpu, insn, op, pc);
  if (cpu.el === 0) {
    // Cache maintenance may trap at EL0 (SCTLR_EL1.UCI); MRS per register.
    if (op === SYS_OP) return 2;
    const k = mrsKey(insn);
    if (!EL0_ALWAYS.has(k) && !(cpu.user && EL0_USER.has(k))) return 2;
  } else if (op === MRS_OP && cpu.spsel === 0 && mrsKey(insn) === SP_EL0) {
    return 2; // UNDEFINED while SP_EL0 is the selected stack pointer
  }
  if (op === SYS_OP) return SYS_DONE; // DC CVAU/CVAC/CIVAC, IC IVAU at EL1: caches are not modelled
  cpu.pc = pc;
  cpu.insn = insn;
  execSystem(cpu, op, insn);
  return SYS_DONE;
}

/**
 * MSR DAIFSet/DAIFClr/DAIF at EL1 with the interpreter's executor (at EL0 they may trap
 * or be UNDEFINED: declined). It sets irqCheck, on which the interpreter's execute()
 * returns and the run loop checks interrupts (checkInterrupts: a line high and not
 * masked). Within a run the lines change only where irqCheck is set too, so when no
 * line is unmasked now and nothing else asked for a check, that check would take
 * nothing: the unit goes on (irqCheck cleared). Otherwise it leaves after the MSR.
 */
function writeDaif(cpu: CpuState, insn: number, op: number, pc: number): number {
  if (cpu.el === 0 || !isDaifWrite(op, insn)) return SYS_DECLINED;
  const pendingCheck = cpu.irqCheck;
  cpu.pc = pc;
  cpu.insn = insn;
  execSystem(cpu, op, insn);
  const takeable =
    (cpu.irqLine && (cpu.daif & 0x80) === 0) || (cpu.fiqLine && (cpu.daif & 0x40) === 0);
  if (takeable || pendingCheck) return SYS_INTERRUPT;
  cpu.irqCheck = false;
  return SYS_DONE;
}

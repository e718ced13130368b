// Exception entry and return (Arm ARM D1.10, D1.11), interrupt delivery, and the
// faults that end an instruction: translation, permission, access-flag, alignment, PC
// and SP alignment. In user mode the synchronous ones become user-fault exits.

import type { CpuState } from "./state.js";
import { ACCESS_EXEC, ACCESS_WRITE } from "./mmu/translate.js";
import { EC, FSC, VECTOR, abortInstruction, esrOf } from "./fault.js";
import { toSignedNumber } from "./bits.js";

/** Exception entry to EL1 (Arm ARM D1.10.2, AArch64.TakeException). */
export function enterException(
  cpu: CpuState,
  vector: number,
  esr: number,
  returnPc: number,
  farLo = 0,
  farHi = 0,
): void {
  const spsr = cpu.pstate();
  let offset = vector;
  if (cpu.el === 0) offset += 0x400;
  else if (cpu.spsel === 1) offset += 0x200;
  cpu.spsr = spsr;
  cpu.elrLo = returnPc | 0;
  cpu.elrHi = Math.floor(returnPc / 4294967296) | 0;
  if (vector === VECTOR.SYNC) {
    cpu.esr = esr;
    const ec = esr >>> 26;
    if (
      ec === EC.DABT_CURRENT ||
      ec === EC.DABT_LOWER ||
      ec === EC.IABT_CURRENT ||
      ec === EC.IABT_LOWER ||
      ec === EC.PC_ALIGN ||
      ec === EC.SP_ALIGN ||
      // Watchpoints (0x34/0x35) report the data address; breakpoints (0x30/0x31) leave
      // FAR UNKNOWN, which QEMU makes 0 (debug.ts passes it).
      (ec >= 0x30 && ec <= 0x35 && ec !== 0x32 && ec !== 0x33)
    ) {
      cpu.farLo = farLo;
      cpu.farHi = farHi;
    }
  }
  cpu.setMode(1, 1);
  cpu.daif = 0x3c0;
  cpu.pstateSS = 0;
  cpu.debug.pstateEvent = 1;
  cpu.excl.clear();
  cpu.pc = cpu.vbar + offset;
  cpu.fetchBase = NaN;
}

/** ERET (Arm ARM D1.11): restores PSTATE from SPSR_EL1, PC from ELR_EL1. */
export function exceptionReturn(cpu: CpuState): void {
  const spsr = cpu.spsr;
  const m = spsr & 0x1f;
  const target = toSignedNumber(cpu.elrLo, cpu.elrHi);
  cpu.excl.clear();
  const legal = m === 0 || m === 4 || m === 5;
  if (!legal) {
    // Illegal exception return (D1.11.2): PSTATE.IL set, the next instruction takes
    // an Illegal Execution state exception; we take it at the target at once.
    cpu.pc = target;
    cpu.enterException(VECTOR.SYNC, esrOf(EC.ILLEGAL_STATE, 0), target);
    return;
  }
  cpu.setNzcv(spsr);
  // PSTATE.SS is decided with the debug state of the ERET's own EL (DAIF not yet restored).
  const ss = cpu.debug.returnSs(spsr, m >>> 2);
  cpu.debug.pstateEvent = 2;
  cpu.daif = spsr & 0x3c0;
  cpu.setMode(m >>> 2, m & 1);
  cpu.pstateSS = ss;
  cpu.pc = target;
  cpu.fetchBase = NaN;
  cpu.irqCheck = true;
}

/** Takes a pending, unmasked IRQ or FIQ; true if one was taken. */
export function checkInterrupts(cpu: CpuState): boolean {
  // An external debugger's single step takes no interrupt (QEMU's SSTEP_NOIRQ default).
  if (cpu.user || cpu.debug.extStep) return false;
  if (cpu.fiqLine && (cpu.daif & 0x40) === 0) {
    cpu.enterException(VECTOR.FIQ, 0, cpu.pc);
    return true;
  }
  if (cpu.irqLine && (cpu.daif & 0x80) === 0) {
    cpu.enterException(VECTOR.IRQ, 0, cpu.pc);
    return true;
  }
  return false;
}

export function translationFault(
  cpu: CpuState,
  lo: number,
  hi: number,
  access: number,
  fsc: number,
  s1ptw: boolean,
): never {
  const address = toSignedNumber(lo, hi);
  if (cpu.user) {
    if (access === ACCESS_EXEC) cpu.userFault({ kind: "fetch-abort", pc: cpu.pc, address });
    cpu.userFault({
      kind: "data-abort",
      pc: cpu.pc,
      address,
      isWrite: access === ACCESS_WRITE,
    });
  }
  const lower = cpu.el === 0;
  const iss = fsc | (s1ptw ? 1 << 7 : 0);
  if (access === ACCESS_EXEC) {
    cpu.enterException(
      VECTOR.SYNC,
      esrOf(lower ? EC.IABT_LOWER : EC.IABT_CURRENT, iss),
      cpu.pc,
      lo,
      hi,
    );
  } else {
    const wnr = access === ACCESS_WRITE ? 1 << 6 : 0;
    cpu.enterException(
      VECTOR.SYNC,
      esrOf(lower ? EC.DABT_LOWER : EC.DABT_CURRENT, iss | wnr),
      cpu.pc,
      lo,
      hi,
    );
  }
  return abortInstruction();
}

export function alignmentFault(cpu: CpuState, lo: number, hi: number, isWrite: boolean): never {
  if (cpu.user) cpu.userFault({ kind: "alignment", pc: cpu.pc, address: toSignedNumber(lo, hi) });
  const lower = cpu.el === 0;
  const wnr = isWrite ? 1 << 6 : 0;
  cpu.enterException(
    VECTOR.SYNC,
    esrOf(lower ? EC.DABT_LOWER : EC.DABT_CURRENT, FSC.ALIGNMENT | wnr),
    cpu.pc,
    lo,
    hi,
  );
  return abortInstruction();
}

export function pcAlignmentFault(cpu: CpuState): never {
  const lo = cpu.pc | 0;
  const hi = Math.floor(cpu.pc / 4294967296) | 0;
  if (cpu.user) cpu.userFault({ kind: "alignment", pc: cpu.pc, address: cpu.pc });
  cpu.enterException(VECTOR.SYNC, esrOf(EC.PC_ALIGN, 0), cpu.pc, lo, hi);
  return abortInstruction();
}

export function spAlignmentFault(cpu: CpuState): never {
  if (cpu.user)
    cpu.userFault({
      kind: "alignment",
      pc: cpu.pc,
      address: toSignedNumber(cpu.xl[32]!, cpu.xh[32]!),
    });
  cpu.enterException(VECTOR.SYNC, esrOf(EC.SP_ALIGN, 0), cpu.pc);
  return abortInstruction();
}

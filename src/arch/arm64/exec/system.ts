// Exception-generating and system instructions (Arm ARM C5, C6.2): hints, barriers,
// MSR (immediate) to PSTATE, MRS/MSR, SYS (cache, TLB and address translation
// maintenance), SVC/HVC/SMC/BRK and ERET. These set the PC themselves. Completed
// instructions that end the run (SVC in user mode, HVC, SMC, WFI) set `cpu.exit` and
// return normally; the interpreter returns to run() when it sees it.

import type { CpuState as Cpu } from "../state.js";
import { EC, VECTOR, esrOf } from "../fault.js";
import { R, toBig, fromBig } from "../bits.js";
import { sysregKey } from "../port.js";
import { sysregRow, isGicRegister, El0, sysIss } from "../sysregs.js";
import { execSys } from "./sysops.js";

export function execSystem(cpu: Cpu, op: number, insn: number): void {
  const pc = cpu.pc;
  switch (op) {
    case 128 /* HINT */: {
      const hint = (insn >>> 5) & 0x7f;
      if (hint === 3) return waitForInterrupt(cpu, pc);
      if (hint === 2 && !cpu.user) return waitForEvent(cpu, pc);
      // NOP, YIELD, WFE, SEV, SEVL, PAuth (PACIASP...), BTI, CSDB, ESB...: no effect on
      // a single-threaded CPU without PAuth/BTI (hint space executes as NOP, C6.2.127).
      cpu.pc = pc + 4;
      return;
    }
    case 129 /* CLREX */:
      cpu.excl.clear();
      cpu.pc = pc + 4;
      return;
    case 130 /* BARRIER */:
      if (((insn >>> 5) & 7) === 7) return cpu.undefinedInstruction(); // SB is ARMv8.5
      cpu.pc = pc + 4;
      return;
    case 131 /* MSR_IMM */:
      return msrImmediate(cpu, insn, pc);
    case 132 /* SYS */:
      execSys(cpu, insn);
      cpu.pc = pc + 4;
      return;
    case 133 /* MSR_REG */:
    case 134 /* MRS */:
      return moveSysreg(cpu, insn, op === 134, pc);
    case 135 /* SVC */:
      if (cpu.user) {
        cpu.pc = pc + 4;
        cpu.exit = { kind: "svc", imm: (insn >>> 5) & 0xffff };
        return;
      }
      // The SVC itself completes: enter EL1 without unwinding (syscalls are frequent).
      cpu.enterException(VECTOR.SYNC, esrOf(EC.SVC64, (insn >>> 5) & 0xffff), pc + 4);
      return;
    case 136 /* HVC */:
    case 137 /* SMC */:
      if (cpu.el === 0 || cpu.user) return cpu.undefinedInstruction();
      cpu.pc = pc + 4;
      cpu.exit = { kind: op === 136 ? "hvc" : "smc", imm: (insn >>> 5) & 0xffff };
      return;
    case 138 /* BRK */:
      if (cpu.user) return cpu.userFault({ kind: "brk", pc, imm: (insn >>> 5) & 0xffff });
      return cpu.syncException(EC.BRK64, (insn >>> 5) & 0xffff);
    case 139 /* ERET */:
      if (cpu.el === 0) return cpu.undefinedInstruction();
      cpu.exceptionReturn();
      return;
    default:
      return cpu.undefinedInstruction();
  }
}

/**
 * WFE (C6.2.353): without a modelled event register it completes at once, as a NOP
 * would, and ends the run (the "wfe" exit) so that a runner with other vCPUs can run
 * one before this one spins on; with an interrupt pending it just completes.
 */
function waitForEvent(cpu: Cpu, pc: number): void {
  if (cpu.el === 0 && (cpu.sctlr & (1 << 18)) === 0) {
    return cpu.syncException(EC.WFX, (1 << 24) | (0xe << 20) | 1); // trapped by SCTLR.nTWE
  }
  cpu.pc = pc + 4;
  if (cpu.irqLine || cpu.fiqLine) return;
  cpu.exit = WFE_EXIT;
}

const WFE_EXIT = { kind: "wfe" } as const;

function waitForInterrupt(cpu: Cpu, pc: number): void {
  if (cpu.user) {
    cpu.pc = pc + 4;
    return;
  }
  if (cpu.el === 0 && (cpu.sctlr & (1 << 16)) === 0) {
    return cpu.syncException(EC.WFX, (1 << 24) | (0xe << 20)); // trapped by SCTLR.nTWI
  }
  cpu.pc = pc + 4;
  // WFI completes at once if an interrupt is pending, masked or not (D1.16.2).
  if (cpu.irqLine || cpu.fiqLine) return;
  cpu.exit = { kind: "wfi" };
}

/** MSR (immediate): SPSel, DAIFSet, DAIFClr (C5.2.x); PAN/UAO/SSBS/DIT are not implemented. */
function msrImmediate(cpu: Cpu, insn: number, pc: number): void {
  const op1 = (insn >>> 16) & 7;
  const op2 = (insn >>> 5) & 7;
  const crm = (insn >>> 8) & 15;
  const field = (op1 << 3) | op2;
  if (field === 0x05) {
    if (cpu.el === 0) return cpu.undefinedInstruction();
    cpu.setMode(cpu.el, crm & 1);
  } else if (field === 0x1e || field === 0x1f) {
    if (cpu.el === 0 && !cpu.user && (cpu.sctlr & (1 << 9)) === 0) {
      return cpu.syncException(EC.SYS64, sysIss(insn, false));
    }
    if (cpu.el === 0 && cpu.user) return cpu.undefinedInstruction();
    if (field === 0x1e) cpu.daif |= crm << 6;
    else cpu.daif &= ~(crm << 6);
    cpu.irqCheck = true;
  } else {
    return cpu.undefinedInstruction();
  }
  cpu.pc = pc + 4;
}

function el0Allowed(cpu: Cpu, rule: El0, read: boolean): boolean | "trap" {
  const kctl = cpu.timer.kctl;
  const pmu = cpu.pmu.userEn;
  switch (rule) {
    case El0.NEVER:
      return false;
    case El0.ALWAYS:
      return true;
    case El0.ID:
      return cpu.user;
    case El0.UCT:
      return cpu.user || (cpu.sctlr & (1 << 15)) !== 0 || "trap";
    case El0.UMA:
      return (cpu.sctlr & (1 << 9)) !== 0 || "trap";
    case El0.CNTFRQ:
      return cpu.user || (kctl & 3) !== 0 || "trap";
    case El0.CNTVCT:
      return cpu.user || (kctl & 2) !== 0 || "trap";
    case El0.CNTPCT:
      return cpu.user || (kctl & 1) !== 0 || "trap";
    case El0.CNTV:
      return (kctl & (1 << 8)) !== 0 || "trap";
    case El0.CNTP:
      return (kctl & (1 << 9)) !== 0 || "trap";
    // PMUSERENR_EL0 EN 1, SW 2, CR 4, ER 8; a denied access traps (EC 0x18, D11.9).
    case El0.PMU:
      return (pmu & 1) !== 0 || "trap";
    case El0.PMU_SW:
      return (pmu & 3) !== 0 || "trap";
    case El0.PMU_CR:
      return (pmu & 1) !== 0 || (read && (pmu & 4) !== 0) || "trap";
    case El0.PMU_ER:
      return (pmu & 1) !== 0 || (read && (pmu & 8) !== 0) || "trap";
    case El0.PMU_SEL:
      return (pmu & 9) !== 0 || "trap";
    case El0.PMU_USERENR:
      return read; // MSR at EL0 is UNDEFINED
  }
}

function moveSysreg(cpu: Cpu, insn: number, read: boolean, pc: number): void {
  const k = sysregKey(
    (insn >>> 19) & 3,
    (insn >>> 16) & 7,
    (insn >>> 12) & 15,
    (insn >>> 8) & 15,
    (insn >>> 5) & 7,
  );
  const rt = insn & 31;
  if (isGicRegister(k)) {
    if (cpu.el === 0 || cpu.gic === undefined) return cpu.undefinedInstruction();
    if (read) {
      const v = cpu.gic.read(k);
      if (v === undefined) return cpu.undefinedInstruction();
      writeRt(cpu, rt, v);
    } else if (!cpu.gic.write(k, rt === 31 ? 0n : toBig(cpu.xl[rt]!, cpu.xh[rt]!))) {
      return cpu.undefinedInstruction();
    }
    cpu.irqCheck = true; // an EOI or PMR change may unmask a pending interrupt
    cpu.pc = pc + 4;
    return;
  }
  const row = sysregRow(k);
  if (row === undefined) return cpu.undefinedInstruction();
  // FPCR/FPSR are FP state: trapped by CPACR_EL1.FPEN like the FP instructions (D19.2.30).
  if (k === FPCR_KEY || k === FPSR_KEY) cpu.checkFpAccess();
  if (cpu.el === 0) {
    const allowed = el0Allowed(cpu, row.el0, read);
    if (allowed === false) return cpu.undefinedInstruction();
    if (allowed === "trap") return cpu.syncException(EC.SYS64, sysIss(insn, read));
  }
  if (read) {
    if (row.read === undefined) return cpu.undefinedInstruction();
    row.read(cpu);
    if (rt !== 31) {
      cpu.xl[rt] = R.lo;
      cpu.xh[rt] = R.hi;
    }
  } else {
    if (row.write === undefined) return cpu.undefinedInstruction();
    row.write(cpu, cpu.xl[rt]!, cpu.xh[rt]!);
  }
  cpu.pc = pc + 4;
}

const FPCR_KEY = sysregKey(3, 3, 4, 4, 0);
const FPSR_KEY = sysregKey(3, 3, 4, 4, 1);

function writeRt(cpu: Cpu, rt: number, v: bigint): void {
  if (rt === 31) return;
  fromBig(BigInt.asUintN(64, v));
  cpu.xl[rt] = R.lo;
  cpu.xh[rt] = R.hi;
}

// SYS instructions (Arm ARM C5.3): cache maintenance (DC, IC), address translation
// (AT) and TLB maintenance (TLBI). Caches are not modelled: the decoded-page cache
// checks every fetched word against memory, so IC and DC are no-ops except DC ZVA
// (which zeroes a block) and their EL0 permission checks. TLBI drops the whole TLB
// (over-invalidation is always architecturally allowed).

import type { CpuState as Cpu } from "../state.js";
import { EC } from "../fault.js";
import { walk } from "../mmu/translate.js";
import { FSC } from "../fault.js";
import { sysIss } from "../sysregs.js";

const ZVA_BYTES = 64;

function par(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.sys.slot("PAR_EL1");
  cpu.sys.lo[s] = lo;
  cpu.sys.hi[s] = hi;
}

export function execSys(cpu: Cpu, insn: number): void {
  const op1 = (insn >>> 16) & 7;
  const crn = (insn >>> 12) & 15;
  const crm = (insn >>> 8) & 15;
  const op2 = (insn >>> 5) & 7;
  const rt = insn & 31;
  const el0 = cpu.el === 0;
  if (crn === 8 && op1 === 0) {
    if (el0) return cpu.undefinedInstruction();
    tlbi(cpu, crm, op2, rt);
    return;
  }
  if (crn !== 7) return cpu.undefinedInstruction();
  const k = (op1 << 8) | (crm << 4) | op2;
  const uci = cpu.user || (cpu.sctlr & (1 << 26)) !== 0;
  switch (k) {
    case 0x010 /* IC IALLUIS */:
    case 0x050 /* IC IALLU */:
    case 0x061 /* DC IVAC */:
    case 0x062 /* DC ISW */:
    case 0x0a2 /* DC CSW */:
    case 0x0e2 /* DC CISW */:
      if (el0) return cpu.undefinedInstruction();
      return;
    case 0x351 /* IC IVAU */:
    case 0x3a1 /* DC CVAC */:
    case 0x3b1 /* DC CVAU */:
    case 0x3e1 /* DC CIVAC */:
      if (el0 && !uci) return cpu.syncException(EC.SYS64, sysIss(insn, false));
      return;
    case 0x341 /* DC ZVA */:
      if (el0 && !cpu.user && (cpu.sctlr & (1 << 14)) === 0)
        return cpu.syncException(EC.SYS64, sysIss(insn, false));
      return zeroBlock(cpu, rt);
    case 0x080 /* AT S1E1R */:
    case 0x081 /* AT S1E1W */:
    case 0x082 /* AT S1E0R */:
    case 0x083 /* AT S1E0W */:
      if (el0) return cpu.undefinedInstruction();
      return addressTranslate(cpu, rt, (op2 & 1) !== 0, op2 >= 2);
    default:
      return cpu.undefinedInstruction();
  }
}

/** DC ZVA: zeroes the aligned 64-byte block containing Xt (Device memory faults). */
function zeroBlock(cpu: Cpu, rt: number): void {
  const lo = cpu.xl[rt]! & ~(ZVA_BYTES - 1);
  const hi = rt === 31 ? 0 : cpu.xh[rt]!;
  const tr = cpu.mem.probeWrite(lo, hi, 8);
  if (tr.device) cpu.alignmentFault(lo, hi, true);
  for (let i = 0; i < ZVA_BYTES; i += 8) cpu.mem.write64((lo + i) | 0, hi, 0, 0);
}

/** AT S1E{0,1}{R,W}: a stage-1 walk that reports into PAR_EL1 (D19.2.100). */
function addressTranslate(cpu: Cpu, rt: number, write: boolean, el0: boolean): void {
  const lo = cpu.xl[rt]!;
  const hi = cpu.xh[rt]!;
  if ((cpu.sctlr & 1) === 0) {
    par(cpu, lo & ~0xfff, hi & 0xffff);
    return;
  }
  const r = walk(cpu, cpu.mem, lo, hi, true);
  if ("kind" in r) {
    if (r.kind === "stage2") return cpu.stage2Fault(r.ipa, false, false, true, lo, hi);
    par(cpu, 1 | (r.fsc << 1), 0);
    return;
  }
  const perm = el0 ? r.permEl0 : r.permEl1;
  const need = write ? 2 : 1;
  if ((perm & need) === 0) {
    par(cpu, 1 | ((FSC.PERMISSION + r.level) << 1), 0);
    return;
  }
  const pa = r.ipa;
  const paLo = (pa % 4294967296) & ~0xfff;
  const paHi = Math.floor(pa / 4294967296) & 0xffff;
  // ATTR in bits 63:56, SH = inner shareable (0b11) in bits 8:7.
  par(cpu, paLo | (3 << 7), paHi | (r.attr << 24));
}

/**
 * TLBI (C5.5): the by-VA forms (VAE1, VAAE1, VALE1, VAALE1 and their IS forms, op2
 * 1, 3, 5, 7) drop one page; VMALLE1 and ASIDE1 (op2 0, 2) drop everything, as does
 * any other form. Xt holds VA[55:12] in bits 43:0. The broadcast forms (CRm 3: IS;
 * 1: OS; 2 and 5: the range IS and OS forms) also reach the other PEs of the
 * shareability domain (D8.13.3), which keep no stale entry of a page another vCPU
 * unmapped; CRm 7 and 6 are local.
 */
function tlbi(cpu: Cpu, crm: number, op2: number, rt: number): void {
  const broadcast = crm === 3 || crm === 1 || crm === 2 || crm === 5;
  const byVa = (crm === 3 || crm === 7) && (op2 & 1) === 1;
  if (!byVa) {
    cpu.mem.flush();
    if (broadcast) cpu.tlbBroadcast?.invalidateOthers(cpu);
    return;
  }
  const l = rt === 31 ? 0 : cpu.xl[rt]!;
  const h = rt === 31 ? 0 : cpu.xh[rt]!;
  const lo = l << 12;
  const hi = (((h << 12) | (l >>> 20)) << 8) >> 8; // VA[55:32], sign-extended from bit 55
  cpu.mem.flushPage(lo, hi);
  if (broadcast) cpu.tlbBroadcast?.invalidateOthers(cpu, { lo, hi });
}

// VA -> IPA -> host page. Stage 1 is the VMSAv8-64 EL1&0 regime with the 4 KiB granule
// (Arm ARM D8: TTBR0/TTBR1 selected by VA bit 55 with TBI or bit 63, T0SZ/T1SZ, EPD,
// hierarchical APTable/UXNTable/PXNTable, AP/UXN/PXN, AF, WXN, MAIR attributes); every
// descriptor read and the final IPA go through the Stage2Port. User mode and MMU-off
// map VA = IPA. Faults are raised on the CPU (exception entry or exit) and abort the
// instruction; they never return.

import type { CpuState as Cpu } from "../state.js";
import type { MemoryPort as MemoryUnit, Translation } from "../state.js";
import { FSC } from "../fault.js";

export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXEC = 2;

/** PARange advertised in ID_AA64MMFR0_EL1: 0b0010 = 40 bits. */
export const PA_BITS = 40;
const PA_HI_LIMIT = 1 << (PA_BITS - 32);

export interface WalkResult {
  ipa: number;
  device: boolean;
  /** Permissions for EL1 and EL0: bit 0 read, 1 write, 2 exec. */
  permEl1: number;
  permEl0: number;
  level: number;
  global: boolean;
  attr: number;
}

export type WalkFault =
  { kind: "fault"; fsc: number; s1ptw: boolean } | { kind: "stage2"; ipa: number };

/** Whether TBI applies to a data address with this high half (TCR.TBI0/TBI1). */
export function tbiApplies(cpu: Cpu, hi: number): boolean {
  return (hi & 0x00800000) !== 0 ? (cpu.tcrHi & (1 << 6)) !== 0 : (cpu.tcrHi & (1 << 5)) !== 0;
}

function descAddr(lo: number, hi: number): number {
  return (hi & 0xffff) * 4294967296 + ((lo & ~0xfff) >>> 0);
}

/**
 * The stage-1 walk for (lo, hi). Returns the result, or a fault description; used
 * by translate() and by AT S1E1R/W (which report into PAR_EL1 instead of faulting).
 */
export function walk(
  cpu: Cpu,
  mu: MemoryUnit,
  lo: number,
  hi: number,
  isData: boolean,
): WalkResult | WalkFault {
  let thi = hi;
  if (isData && tbiApplies(cpu, hi)) thi = (hi << 8) >> 8;
  const upper = thi < 0;
  const tcrLo = cpu.tcrLo;
  let tsz = upper ? (tcrLo >>> 16) & 0x3f : tcrLo & 0x3f;
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const epd = upper ? (tcrLo >>> 23) & 1 : (tcrLo >>> 7) & 1;
  const inputSize = 64 - tsz;
  // Bits [63:inputSize] must all equal the region select bit (else translation fault L0).
  const topHi = inputSize - 32; // 16..32: bits of hi above it must be all 0 or all 1
  const top = topHi >= 32 ? 0 : thi >> topHi;
  if (top !== (upper ? -1 : 0)) return { kind: "fault", fsc: FSC.TRANSLATION, s1ptw: false };
  if (epd) return { kind: "fault", fsc: FSC.TRANSLATION, s1ptw: false };
  const ttbLo = upper ? cpu.ttbr1Lo : cpu.ttbr0Lo;
  const ttbHi = upper ? cpu.ttbr1Hi : cpu.ttbr0Hi;
  let level = 4 - Math.ceil((inputSize - 12) / 9);
  let table = (ttbHi & 0xffff) * 4294967296 + ((ttbLo & ~1) >>> 0);
  let apTable = 0;
  let uxnTable = 0;
  let pxnTable = 0;
  for (;;) {
    const shift = 12 + 9 * (3 - level);
    let index = vaBits(lo, thi, shift);
    if (level === 4 - Math.ceil((inputSize - 12) / 9)) {
      const bits = inputSize - shift;
      if (bits < 9) index &= (1 << bits) - 1;
    }
    const descIpa = table + index * 8;
    const d = mu.readIpa64(descIpa);
    if (d === undefined) return { kind: "stage2", ipa: descIpa };
    const type = d.lo & 3;
    if ((type & 1) === 0 || (type === 1 && (level === 0 || level === 3))) {
      return { kind: "fault", fsc: FSC.TRANSLATION + level, s1ptw: false };
    }
    if ((d.hi & 0xffff) >= PA_HI_LIMIT)
      return { kind: "fault", fsc: FSC.ADDRESS_SIZE + level, s1ptw: false };
    if (type === 3 && level < 3) {
      apTable |= (d.hi >>> 29) & 3;
      uxnTable |= (d.hi >>> 28) & 1;
      pxnTable |= (d.hi >>> 27) & 1;
      table = descAddr(d.lo, d.hi);
      level++;
      continue;
    }
    // Leaf: a block (L1, L2) or a page (L3).
    if ((d.lo & (1 << 10)) === 0)
      return { kind: "fault", fsc: FSC.ACCESS_FLAG + level, s1ptw: false };
    const blockBytes = 2 ** shift;
    const oa = Math.floor(descAddr(d.lo, d.hi) / blockBytes) * blockBytes;
    const within = level === 3 ? lo & 0xfff : (lo >>> 0) % blockBytes;
    const ap = (d.lo >>> 6) & 3;
    let el0Access = (ap & 1) !== 0;
    let readOnly = (ap & 2) !== 0;
    if (apTable & 1) el0Access = false;
    if (apTable & 2) readOnly = true;
    const uxn = ((d.hi >>> 22) & 1) | uxnTable;
    let pxn = ((d.hi >>> 21) & 1) | pxnTable;
    const el0Write = el0Access && !readOnly;
    // EL1 cannot execute EL0-writable memory (Arm ARM D8.4.1.1); SCTLR.WXN makes
    // writable memory execute-never at both ELs.
    if (el0Write) pxn = 1;
    const wxn = (cpu.sctlr & (1 << 19)) !== 0;
    const w = readOnly ? 0 : 2;
    let permEl1 = 1 | w | (pxn ? 0 : 4);
    let permEl0 = el0Access ? 1 | w | (uxn ? 0 : 4) : 0;
    if (wxn && !readOnly) {
      permEl1 &= ~4;
      permEl0 &= ~4;
    }
    const attrIndx = (d.lo >>> 2) & 7;
    const attr = mairAttr(cpu, attrIndx);
    return {
      ipa: oa + within,
      device: (attr & 0xf0) === 0,
      permEl1,
      permEl0,
      level,
      global: (d.lo & (1 << 11)) === 0,
      attr,
    };
  }
}

function vaBits(lo: number, hi: number, shift: number): number {
  switch (shift) {
    case 39:
      return (hi >>> 7) & 0x1ff;
    case 30:
      return (((hi & 0x7f) << 2) | (lo >>> 30)) & 0x1ff;
    case 21:
      return (lo >>> 21) & 0x1ff;
    default:
      return (lo >>> 12) & 0x1ff;
  }
}

export function mairAttr(cpu: Cpu, index: number): number {
  return index < 4
    ? (cpu.mairLo >>> (8 * index)) & 0xff
    : (cpu.mairHi >>> (8 * (index - 4))) & 0xff;
}

/** What resolve() found instead of a translation (`fault`), for translate() to raise. */
export const FaultKind = { TRANSLATION: 0, ALIGNMENT: 1, STAGE2: 2 } as const;

export interface ResolveFault {
  kind: number;
  /** TRANSLATION: the fault status code; STAGE2: the IPA that had no (permitted) page. */
  fsc: number;
  ipa: number;
  /** S1PTW: for STAGE2, the stage-1 walk's own descriptor read missed. */
  walk: boolean;
}

/** The fault of the last resolve() that returned undefined (one per thread, reused). */
export const fault: ResolveFault = { kind: 0, fsc: 0, ipa: 0, walk: false };

function failed(kind: number, fsc: number, ipa: number, walk: boolean): undefined {
  fault.kind = kind;
  fault.fsc = fsc;
  fault.ipa = ipa;
  fault.walk = walk;
  return undefined;
}

/**
 * Full translation of one access at `el`, filling mu.tr, or a fault that never returns.
 * `misaligned` says the data access is not aligned to its size: on Device memory that
 * is a stage-1 Alignment fault, checked as AArch64.FirstStageTranslate does, after the
 * walk and before the permission check and anything at stage 2 (so an unaligned access
 * to an MMIO page never reaches the hypervisor).
 */
export function translate(
  cpu: Cpu,
  mu: MemoryUnit,
  lo: number,
  hi: number,
  access: number,
  el: number,
  misaligned = false,
): Translation {
  const tr = resolve(cpu, mu, lo, hi, access, el, misaligned);
  if (tr !== undefined) return tr;
  const f = fault;
  const isExec = access === ACCESS_EXEC;
  switch (f.kind) {
    case FaultKind.ALIGNMENT:
      return cpu.alignmentFault(lo, hi, access === ACCESS_WRITE);
    case FaultKind.STAGE2:
      return cpu.stage2Fault(f.ipa, !f.walk && access === ACCESS_WRITE, isExec, f.walk, lo, hi);
    default:
      return cpu.translationFault(lo, hi, access, f.fsc, f.walk);
  }
}

/**
 * translate() without raising anything: mu.tr, or undefined with the fault it would
 * raise in `fault`. The same steps in the same order, and no side effect but the
 * Stage2Port look-ups (there is no hardware access-flag update), so compiled code may
 * ask it before a load or store (jit/tlb-fill.ts) and leave the raising to the
 * interpreter.
 */
export function resolve(
  cpu: Cpu,
  mu: MemoryUnit,
  lo: number,
  hi: number,
  access: number,
  el: number,
  misaligned: boolean,
): Translation | undefined {
  const tr = mu.tr;
  const isWrite = access === ACCESS_WRITE;
  let ipa: number;
  if (cpu.user) {
    // User mode: VA = IPA with Normal memory; TBI0 as Linux sets it for EL0.
    const uhi = hi & 0x00ffffff;
    if ((hi & 0x00800000) !== 0 || uhi >= 0x100000)
      return failed(FaultKind.TRANSLATION, FSC.TRANSLATION, 0, false);
    ipa = uhi * 4294967296 + (lo >>> 0);
    tr.device = false;
  } else if ((cpu.sctlr & 1) === 0) {
    // MMU off (Arm ARM D8.2.10): flat, data accesses are Device-nGnRnE.
    if (hi < 0 || hi >= PA_HI_LIMIT)
      return failed(FaultKind.TRANSLATION, FSC.ADDRESS_SIZE, 0, false);
    ipa = hi * 4294967296 + (lo >>> 0);
    tr.device = access !== ACCESS_EXEC;
    if (misaligned && tr.device) return failed(FaultKind.ALIGNMENT, 0, 0, false);
  } else {
    const r = walk(cpu, mu, lo, hi, access !== ACCESS_EXEC);
    if ("kind" in r) {
      if (r.kind === "stage2") return failed(FaultKind.STAGE2, 0, r.ipa, true);
      return failed(FaultKind.TRANSLATION, r.fsc, 0, r.s1ptw);
    }
    if (misaligned && r.device && access !== ACCESS_EXEC)
      return failed(FaultKind.ALIGNMENT, 0, 0, false);
    const perm = el === 0 ? r.permEl0 : r.permEl1;
    const need = access === ACCESS_EXEC ? 4 : isWrite ? 2 : 1;
    if ((perm & need) === 0)
      return failed(FaultKind.TRANSLATION, FSC.PERMISSION + r.level, 0, false);
    ipa = r.ipa;
    tr.device = r.device;
  }
  const ipaPage = Math.floor(ipa / 4096);
  const page = mu.stage2(ipaPage);
  const allowed =
    page !== undefined && (access === ACCESS_EXEC ? page.exec : isWrite ? page.write : page.read);
  if (!allowed || page === undefined) return failed(FaultKind.STAGE2, 0, ipa, false);
  tr.ipa = ipa;
  tr.ipaPage = ipaPage;
  tr.view = mu.viewOf(page);
  tr.add = page.bytes.byteOffset + page.offset;
  return tr;
}

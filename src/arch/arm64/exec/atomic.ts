// Exclusives, acquire/release and LSE atomics (Arm ARM B2.9, C3.2.12, C6.2). All need
// natural alignment (alignment fault otherwise, whatever SCTLR.A says). vCPUs are
// interleaved in slices, so the exclusive monitor also remembers the value LDXR saw
// and STXR succeeds only if memory still holds it (as QEMU's cmpxchg-based monitor).

import type { CpuState as Cpu } from "../state.js";
import { EA } from "./address.js";

function base(cpu: Cpu, insn: number): void {
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  const lo = cpu.xl[s]!;
  if (rn === 31 && (lo & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
  EA.lo = lo;
  EA.hi = cpu.xh[s]!;
}

function setReg(cpu: Cpu, r: number, lo: number, hi: number): void {
  if (r === 31) return;
  cpu.xl[r] = lo;
  cpu.xh[r] = hi;
}

/** Zero-extends the low `size` bytes (size 1, 2, 4) of a 32-bit value. */
function zext(v: number, bytes: number): number {
  return bytes === 1 ? v & 0xff : bytes === 2 ? v & 0xffff : v;
}

function sext(v: number, bytes: number): number {
  return bytes === 1 ? (v << 24) >> 24 : bytes === 2 ? (v << 16) >> 16 : v | 0;
}

export function execAtomic(cpu: Cpu, op: number, insn: number): void {
  const mem = cpu.mem;
  const size = insn >>> 30;
  const bytes = 1 << size;
  const rt = insn & 31;
  const rs = (insn >>> 16) & 31;
  const rt2 = (insn >>> 10) & 31;
  switch (op) {
    case 203 /* LDXR */:
    case 207 /* LDAR */:
    case 212 /* LDAPR */: {
      base(cpu, insn);
      const lo = mem.readAligned(EA.lo, EA.hi, bytes);
      const hi = bytes === 8 ? mem.hi : 0;
      if (op === 203) monitor(cpu, bytes, lo, hi, 0, 0);
      return setReg(cpu, rt, zext(lo, bytes), hi);
    }
    case 206 /* STLR */:
      base(cpu, insn);
      return mem.writeAligned(EA.lo, EA.hi, bytes, cpu.xl[rt]!, cpu.xh[rt]!);
    case 202 /* STXR */: {
      base(cpu, insn);
      const ok = monitorMatches(cpu, bytes, false);
      if (ok) mem.writeAligned(EA.lo, EA.hi, bytes, cpu.xl[rt]!, cpu.xh[rt]!);
      cpu.excl.clear();
      return setReg(cpu, rs, ok ? 0 : 1, 0);
    }
    case 205 /* LDXP */: {
      base(cpu, insn);
      if (size === 2) {
        const lo = mem.readAligned(EA.lo, EA.hi, 8);
        const hi = mem.hi;
        monitor(cpu, 8, lo, hi, 0, 0);
        setReg(cpu, rt, lo, 0);
        return setReg(cpu, rt2, hi, 0);
      }
      if ((EA.lo & 15) !== 0) cpu.alignmentFault(EA.lo, EA.hi, false);
      const l1 = mem.readAligned(EA.lo, EA.hi, 8);
      const h1 = mem.hi;
      const l2 = mem.readAligned((EA.lo + 8) | 0, EA.hi, 8);
      const h2 = mem.hi;
      monitor(cpu, 16, l1, h1, l2, h2);
      setReg(cpu, rt, l1, h1);
      return setReg(cpu, rt2, l2, h2);
    }
    case 204 /* STXP */: {
      base(cpu, insn);
      const total = size === 2 ? 8 : 16;
      if ((EA.lo & (total - 1)) !== 0) cpu.alignmentFault(EA.lo, EA.hi, true);
      const ok = monitorMatches(cpu, total, true);
      if (ok) {
        if (size === 2) mem.writeAligned(EA.lo, EA.hi, 8, cpu.xl[rt]!, cpu.xl[rt2]!);
        else {
          mem.writeAligned(EA.lo, EA.hi, 8, cpu.xl[rt]!, cpu.xh[rt]!);
          mem.writeAligned((EA.lo + 8) | 0, EA.hi, 8, cpu.xl[rt2]!, cpu.xh[rt2]!);
        }
      }
      cpu.excl.clear();
      return setReg(cpu, rs, ok ? 0 : 1, 0);
    }
    case 208 /* CAS */: {
      base(cpu, insn);
      mem.probeWrite(EA.lo, EA.hi, bytes);
      const lo = mem.readAligned(EA.lo, EA.hi, bytes);
      const hi = bytes === 8 ? mem.hi : 0;
      const cl = zext(cpu.xl[rs]!, bytes);
      const ch = bytes === 8 ? cpu.xh[rs]! : 0;
      if (zext(lo, bytes) === cl && hi === ch)
        mem.writeAligned(EA.lo, EA.hi, bytes, cpu.xl[rt]!, cpu.xh[rt]!);
      return setReg(cpu, rs, zext(lo, bytes), hi);
    }
    case 209 /* CASP */:
      return compareAndSwapPair(cpu, insn);
    case 210 /* LSE_ATOMIC */:
    case 211 /* SWP */:
      return atomicRmw(cpu, insn, op === 211);
    default:
      return cpu.undefinedInstruction();
  }
}

function monitor(cpu: Cpu, bytes: number, lo: number, hi: number, lo2: number, hi2: number): void {
  cpu.excl.mark(EA.lo, EA.hi, bytes, lo, hi, lo2, hi2);
}

/** The monitor is armed for this address and size, and memory still holds the value. */
function monitorMatches(cpu: Cpu, bytes: number, pair: boolean): boolean {
  const excl = cpu.excl;
  if (!excl.covers(EA.lo, EA.hi, bytes)) {
    if ((EA.lo & (bytes - 1)) !== 0 && bytes <= 8) cpu.alignmentFault(EA.lo, EA.hi, true);
    return false;
  }
  const mem = cpu.mem;
  mem.probeWrite(EA.lo, EA.hi, Math.min(bytes, 8));
  const size = Math.min(bytes, 8);
  const lo = mem.readAligned(EA.lo, EA.hi, size);
  const hi = size === 8 ? mem.hi : 0;
  if (lo !== excl.valLo || hi !== excl.valHi) return false;
  if (pair && bytes === 16) {
    const l2 = mem.readAligned((EA.lo + 8) | 0, EA.hi, 8);
    if (l2 !== excl.valLo2 || mem.hi !== excl.valHi2) return false;
  }
  return true;
}

function compareAndSwapPair(cpu: Cpu, insn: number): void {
  const rs = (insn >>> 16) & 31;
  const rt = insn & 31;
  if ((rs & 1) !== 0 || (rt & 1) !== 0) return cpu.undefinedInstruction();
  const mem = cpu.mem;
  const wide = (insn & 0x40000000) !== 0;
  base(cpu, insn);
  const total = wide ? 16 : 8;
  if ((EA.lo & (total - 1)) !== 0) cpu.alignmentFault(EA.lo, EA.hi, true);
  mem.probeWrite(EA.lo, EA.hi, 8);
  const xl = cpu.xl;
  const xh = cpu.xh;
  if (!wide) {
    const lo = mem.readAligned(EA.lo, EA.hi, 8);
    const hi = mem.hi;
    if (lo === xl[rs] && hi === xl[rs + 1]) mem.writeAligned(EA.lo, EA.hi, 8, xl[rt]!, xl[rt + 1]!);
    setReg(cpu, rs, lo, 0);
    setReg(cpu, rs + 1, hi, 0);
    return;
  }
  const l1 = mem.readAligned(EA.lo, EA.hi, 8);
  const h1 = mem.hi;
  const l2 = mem.readAligned((EA.lo + 8) | 0, EA.hi, 8);
  const h2 = mem.hi;
  if (l1 === xl[rs] && h1 === xh[rs] && l2 === xl[rs + 1] && h2 === xh[rs + 1]) {
    mem.writeAligned(EA.lo, EA.hi, 8, xl[rt]!, xh[rt]!);
    mem.writeAligned((EA.lo + 8) | 0, EA.hi, 8, xl[rt + 1]!, xh[rt + 1]!);
  }
  setReg(cpu, rs, l1, h1);
  setReg(cpu, rs + 1, l2, h2);
}

/** LDADD/LDCLR/LDEOR/LDSET/LDSMAX/LDSMIN/LDUMAX/LDUMIN and SWP (C6.2.x, FEAT_LSE). */
function atomicRmw(cpu: Cpu, insn: number, swap: boolean): void {
  const size = insn >>> 30;
  const bytes = 1 << size;
  const rt = insn & 31;
  const rs = (insn >>> 16) & 31;
  const opc = (insn >>> 12) & 7;
  const mem = cpu.mem;
  base(cpu, insn);
  mem.probeWrite(EA.lo, EA.hi, bytes);
  const ol = zext(mem.readAligned(EA.lo, EA.hi, bytes), bytes);
  const oh = bytes === 8 ? mem.hi : 0;
  const sl = cpu.xl[rs]!;
  const sh = bytes === 8 ? cpu.xh[rs]! : 0;
  let nl: number;
  let nh: number;
  if (swap) {
    nl = sl;
    nh = sh;
  } else {
    switch (opc) {
      case 0: {
        nl = (ol + sl) | 0;
        nh = (oh + sh + (nl >>> 0 < ol >>> 0 ? 1 : 0)) | 0;
        break;
      }
      case 1:
        nl = ol & ~sl;
        nh = oh & ~sh;
        break;
      case 2:
        nl = ol ^ sl;
        nh = oh ^ sh;
        break;
      case 3:
        nl = ol | sl;
        nh = oh | sh;
        break;
      default: {
        const signed = opc < 6;
        const a = value(ol, oh, bytes, signed);
        const b = value(sl, sh, bytes, signed);
        const takeA = opc === 4 || opc === 6 ? a >= b : a <= b;
        nl = takeA ? ol : sl;
        nh = takeA ? oh : sh;
      }
    }
  }
  mem.writeAligned(EA.lo, EA.hi, bytes, nl, nh);
  setReg(cpu, rt, ol, oh);
}

function value(lo: number, hi: number, bytes: number, signed: boolean): number | bigint {
  if (bytes === 8) {
    const u = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return signed ? BigInt.asIntN(64, u) : u;
  }
  return signed ? sext(lo, bytes) : zext(lo, bytes) >>> 0;
}

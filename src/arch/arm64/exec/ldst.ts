// Integer loads and stores outside the hot set (Arm ARM C3.2, C6.2): sign-extending
// loads in every addressing mode, prefetches, literal loads, LDPSW, unprivileged
// LDTR/STTR, and dispatch to the exclusive/acquire-release/atomic group.

import type { CpuState as Cpu } from "../state.js";
import { R } from "../bits.js";
import { addImm64, add64 } from "../alu.js";
import { loadGpr, storeGpr } from "./gpr.js";
import { execAtomic } from "./atomic.js";

/** The effective address of the current access and its base writeback (if any). */
export const EA = { lo: 0, hi: 0, wb: false, wbLo: 0, wbHi: 0, base: 0 };

function checkSp(cpu: Cpu, rn: number, lo: number): void {
  if (rn === 31 && (lo & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
}

/** Unsigned scaled 12-bit offset form. */
export function eaUimm(cpu: Cpu, insn: number, scale: number): void {
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  checkSp(cpu, rn, cpu.xl[s]!);
  add64(cpu.xl[s]!, cpu.xh[s]!, ((insn >>> 10) & 0xfff) << scale, 0, 0);
  EA.lo = R.lo;
  EA.hi = R.hi;
  EA.wb = false;
}

/** Signed 9-bit forms: unscaled/unprivileged (no writeback), post-index, pre-index. */
export function eaImm9(cpu: Cpu, insn: number): void {
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  const bl = cpu.xl[s]!;
  const bh = cpu.xh[s]!;
  checkSp(cpu, rn, bl);
  addImm64(bl, bh, (insn << 11) >> 23);
  const mode = (insn >>> 10) & 3;
  EA.wb = mode === 1 || mode === 3;
  EA.wbLo = R.lo;
  EA.wbHi = R.hi;
  EA.base = s;
  EA.lo = mode === 1 ? bl : R.lo;
  EA.hi = mode === 1 ? bh : R.hi;
}

/** Register offset form: base + (extended Rm << (S ? scale : 0)). */
export function eaReg(cpu: Cpu, insn: number, scale: number): void {
  const option = (insn >>> 13) & 7;
  if ((option & 2) === 0) cpu.undefinedInstruction();
  const rn = (insn >>> 5) & 31;
  const rm = (insn >>> 16) & 31;
  const s = rn + ((rn + 1) >> 5);
  const ml = cpu.xl[rm]!;
  const mh = option === 3 || option === 7 ? cpu.xh[rm]! : option === 6 ? ml >> 31 : 0;
  const sh = (insn & 0x1000) !== 0 ? scale : 0;
  const l = sh === 0 ? ml : ml << sh;
  const h = sh === 0 ? mh : (mh << sh) | (ml >>> (32 - sh));
  checkSp(cpu, rn, cpu.xl[s]!);
  add64(cpu.xl[s]!, cpu.xh[s]!, l, h, 0);
  EA.lo = R.lo;
  EA.hi = R.hi;
  EA.wb = false;
}

export function writeback(cpu: Cpu): void {
  if (EA.wb) {
    cpu.xl[EA.base] = EA.wbLo;
    cpu.xh[EA.base] = EA.wbHi;
  }
}

/** A sign-extending load of 1 << size bytes to 32 (to32) or 64 bits. */
function loadSigned(cpu: Cpu, size: number, rt: number, to32: boolean, unpriv: boolean): void {
  const mem = cpu.mem;
  let v: number;
  if (unpriv) v = mem.readUnpriv(EA.lo, EA.hi, 1 << size);
  else
    v =
      size === 0
        ? mem.read8(EA.lo, EA.hi)
        : size === 1
          ? mem.read16(EA.lo, EA.hi)
          : mem.read32(EA.lo, EA.hi);
  const s = size === 0 ? (v << 24) >> 24 : size === 1 ? (v << 16) >> 16 : v | 0;
  writeback(cpu);
  if (rt === 31) return;
  cpu.xl[rt] = s;
  cpu.xh[rt] = to32 ? 0 : s >> 31;
}

export function execMemory(cpu: Cpu, op: number, insn: number): void {
  const size = insn >>> 30;
  const rt = insn & 31;
  switch (op) {
    case 192 /* LDRS64_UIMM */:
      if (size === 3) return; // PRFM: no architectural effect
      eaUimm(cpu, insn, size);
      return loadSigned(cpu, size, rt, false, false);
    case 193 /* LDRS32_UIMM */:
      if (size >= 2) return cpu.undefinedInstruction();
      eaUimm(cpu, insn, size);
      return loadSigned(cpu, size, rt, true, false);
    case 195 /* LDRS64_IMM9 */:
    case 196 /* LDRS32_IMM9 */: {
      const mode = (insn >>> 10) & 3;
      if (op === 195 && size === 3) {
        if (mode !== 0) return cpu.undefinedInstruction();
        return; // PRFUM
      }
      if (op === 196 && size >= 2) return cpu.undefinedInstruction();
      eaImm9(cpu, insn);
      return loadSigned(cpu, size, rt, op === 196, mode === 2 && cpu.el === 1);
    }
    case 197 /* LDRS64_REG */:
    case 198 /* LDRS32_REG */:
      if (op === 197 && size === 3) {
        eaReg(cpu, insn, 3); // PRFM (register): only the encoding check
        return;
      }
      if (op === 198 && size >= 2) return cpu.undefinedInstruction();
      eaReg(cpu, insn, size);
      return loadSigned(cpu, size, rt, op === 198, false);
    case 200 /* LDR_LIT */: {
      const opc = size;
      if (opc === 3) return; // PRFM (literal)
      const target = cpu.pc + ((insn << 8) >> 13) * 4;
      EA.lo = (target % 4294967296) | 0;
      EA.hi = Math.floor(target / 4294967296) | 0;
      EA.wb = false;
      if (opc === 2) return loadSigned(cpu, 2, rt, false, false);
      return loadGpr(cpu, opc === 1 ? 3 : 2, EA.lo, EA.hi, rt);
    }
    case 201 /* LDPSW */:
      return loadPairSigned(cpu, insn);
    default:
      return execAtomic(cpu, op, insn);
  }
}

function loadPairSigned(cpu: Cpu, insn: number): void {
  const mode = (insn >>> 23) & 3;
  if (mode === 0) return cpu.undefinedInstruction();
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  const bl = cpu.xl[s]!;
  const bh = cpu.xh[s]!;
  checkSp(cpu, rn, bl);
  addImm64(bl, bh, ((insn << 10) >> 25) << 2);
  const nl = R.lo;
  const nh = R.hi;
  const alo = mode === 1 ? bl : nl;
  const ahi = mode === 1 ? bh : nh;
  const v1 = cpu.mem.read32(alo, ahi);
  const blo = (alo + 4) | 0;
  const v2 = cpu.mem.read32(blo, (ahi + (blo >>> 0 < alo >>> 0 ? 1 : 0)) | 0);
  if (mode !== 2) {
    cpu.xl[s] = nl;
    cpu.xh[s] = nh;
  }
  const rt = insn & 31;
  const rt2 = (insn >>> 10) & 31;
  if (rt !== 31) {
    cpu.xl[rt] = v1;
    cpu.xh[rt] = v1 >> 31;
  }
  if (rt2 !== 31) {
    cpu.xl[rt2] = v2;
    cpu.xh[rt2] = v2 >> 31;
  }
}

/** LDTR/STTR (imm9 mode 10): EL0 permissions when executed at EL1 (C6.2.x). */
export function execUnprivileged(cpu: Cpu, op: number, insn: number): void {
  const size = insn >>> 30;
  const rt = insn & 31;
  eaImm9(cpu, insn);
  if (cpu.el === 0) {
    if (op === 39) loadGpr(cpu, size, EA.lo, EA.hi, rt);
    else storeGpr(cpu, size, EA.lo, EA.hi, rt);
    return;
  }
  const mem = cpu.mem;
  if (op === 39) {
    const v = mem.readUnpriv(EA.lo, EA.hi, 1 << size);
    if (rt !== 31) {
      cpu.xl[rt] = v;
      cpu.xh[rt] = size === 3 ? mem.hi : 0;
    }
  } else {
    mem.writeUnpriv(EA.lo, EA.hi, 1 << size, cpu.xl[rt]!, cpu.xh[rt]!);
  }
}

// SIMD&FP register loads and stores (Arm ARM C3.2.x, C6.2/C7.2): LDR/STR B/H/S/D/Q in
// every addressing mode, LDR (literal), LDP/STP S/D/Q, and the structure loads and
// stores LD1-LD4/ST1-ST4 (multiple and single structures) and LD1R-LD4R, with
// post-index. Scalar loads zero the rest of the 128-bit register.

import type { CpuState as Cpu } from "../state.js";
import { R } from "../bits.js";
import { add64, addImm64 } from "../alu.js";
import { EA, eaImm9, eaReg, eaUimm, writeback } from "./address.js";

/** Loads `bytes` (1..16) at EA into V[reg] at byte `at`, optionally zeroing the rest. */
function loadBytes(
  cpu: Cpu,
  lo: number,
  hi: number,
  bytes: number,
  reg: number,
  at: number,
  zero: boolean,
): void {
  const mem = cpu.mem;
  const v = cpu.vview;
  const o = reg * 16 + at;
  switch (bytes) {
    case 1:
      v.setUint8(o, mem.read8(lo, hi));
      break;
    case 2:
      v.setUint16(o, mem.read16(lo, hi), true);
      break;
    case 4:
      v.setInt32(o, mem.read32(lo, hi), true);
      break;
    case 8: {
      const l = mem.read64(lo, hi);
      v.setInt32(o, l, true);
      v.setInt32(o + 4, mem.hi, true);
      break;
    }
    default: {
      if ((lo & 15) !== 0) mem.checkAlign16(lo, hi, false);
      const l1 = mem.read64(lo, hi);
      const h1 = mem.hi;
      const nlo = (lo + 8) | 0;
      const l2 = mem.read64(nlo, (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0);
      const h2 = mem.hi;
      v.setInt32(o, l1, true);
      v.setInt32(o + 4, h1, true);
      v.setInt32(o + 8, l2, true);
      v.setInt32(o + 12, h2, true);
    }
  }
  if (zero) cpu.vregs.fill(0, reg * 16 + at + bytes, reg * 16 + 16);
}

function storeBytes(
  cpu: Cpu,
  lo: number,
  hi: number,
  bytes: number,
  reg: number,
  at: number,
): void {
  const mem = cpu.mem;
  const v = cpu.vview;
  const o = reg * 16 + at;
  switch (bytes) {
    case 1:
      return mem.write8(lo, hi, v.getUint8(o));
    case 2:
      return mem.write16(lo, hi, v.getUint16(o, true));
    case 4:
      return mem.write32(lo, hi, v.getInt32(o, true));
    case 8:
      return mem.write64(lo, hi, v.getInt32(o, true), v.getInt32(o + 4, true));
    default: {
      if ((lo & 15) !== 0) mem.checkAlign16(lo, hi, true);
      mem.write64(lo, hi, v.getInt32(o, true), v.getInt32(o + 4, true));
      const nlo = (lo + 8) | 0;
      mem.write64(
        nlo,
        (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0,
        v.getInt32(o + 8, true),
        v.getInt32(o + 12, true),
      );
    }
  }
}

/** log2 of the access size for LDR/STR (SIMD&FP): size, or 4 (Q) when opc<1> is set. */
function scaleOf(cpu: Cpu, insn: number): number {
  const size = insn >>> 30;
  if ((insn & 0x800000) === 0) return size;
  if (size !== 0) cpu.undefinedInstruction();
  return 4;
}

export function execFpMemory(cpu: Cpu, op: number, insn: number): void {
  const rt = insn & 31;
  switch (op) {
    case 256 /* FP_LDR_UIMM */:
    case 257 /* FP_STR_UIMM */: {
      const scale = scaleOf(cpu, insn);
      eaUimm(cpu, insn, scale);
      if (op === 256) return loadBytes(cpu, EA.lo, EA.hi, 1 << scale, rt, 0, true);
      return storeBytes(cpu, EA.lo, EA.hi, 1 << scale, rt, 0);
    }
    case 258 /* FP_LDR_IMM9 */:
    case 259 /* FP_STR_IMM9 */: {
      const scale = scaleOf(cpu, insn);
      if (((insn >>> 10) & 3) === 2) return cpu.undefinedInstruction(); // no LDTR for SIMD&FP
      eaImm9(cpu, insn);
      if (op === 258) loadBytes(cpu, EA.lo, EA.hi, 1 << scale, rt, 0, true);
      else storeBytes(cpu, EA.lo, EA.hi, 1 << scale, rt, 0);
      return writeback(cpu);
    }
    case 260 /* FP_LDR_REG */:
    case 261 /* FP_STR_REG */: {
      const scale = scaleOf(cpu, insn);
      eaReg(cpu, insn, scale);
      if (op === 260) return loadBytes(cpu, EA.lo, EA.hi, 1 << scale, rt, 0, true);
      return storeBytes(cpu, EA.lo, EA.hi, 1 << scale, rt, 0);
    }
    case 262 /* FP_LDR_LIT */: {
      const opc = insn >>> 30;
      if (opc === 3) return cpu.undefinedInstruction();
      const target = cpu.pc + ((insn << 8) >> 13) * 4;
      return loadBytes(
        cpu,
        (target % 4294967296) | 0,
        Math.floor(target / 4294967296) | 0,
        4 << opc,
        rt,
        0,
        true,
      );
    }
    case 263 /* FP_LDP */:
    case 264 /* FP_STP */:
      return pair(cpu, insn, op === 263);
    case 265 /* SIMD_LDST_MULTI */:
      return multiple(cpu, insn);
    case 266 /* SIMD_LDST_SINGLE */:
      return single(cpu, insn);
    default:
      return cpu.undefinedInstruction();
  }
}

function pair(cpu: Cpu, insn: number, load: boolean): void {
  const opc = insn >>> 30;
  if (opc === 3) return cpu.undefinedInstruction();
  const bytes = 4 << opc;
  const mode = (insn >>> 23) & 3;
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  const bl = cpu.xl[s]!;
  const bh = cpu.xh[s]!;
  if (rn === 31 && (bl & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
  addImm64(bl, bh, ((insn << 10) >> 25) * bytes);
  const nl = R.lo;
  const nh = R.hi;
  const alo = mode === 1 ? bl : nl;
  const ahi = mode === 1 ? bh : nh;
  const blo = (alo + bytes) | 0;
  const bhi = (ahi + (blo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
  const rt = insn & 31;
  const rt2 = (insn >>> 10) & 31;
  if (load) {
    // Read both before writing either register, so a fault leaves them unchanged.
    const save = cpu.vregs.slice(rt * 16, rt * 16 + 16);
    loadBytes(cpu, alo, ahi, bytes, rt, 0, true);
    try {
      loadBytes(cpu, blo, bhi, bytes, rt2, 0, true);
    } catch (e) {
      cpu.vregs.set(save, rt * 16);
      throw e;
    }
  } else {
    storeBytes(cpu, alo, ahi, bytes, rt, 0);
    storeBytes(cpu, blo, bhi, bytes, rt2, 0);
  }
  if (mode === 1 || mode === 3) {
    cpu.xl[s] = nl;
    cpu.xh[s] = nh;
  }
}

/** Post-index writeback for structure loads/stores: Rm = 31 means the transfer size. */
function postIndex(cpu: Cpu, insn: number, s: number, total: number): void {
  if ((insn & 0x800000) === 0) return;
  const rm = (insn >>> 16) & 31;
  if (rm === 31) add64(cpu.xl[s]!, cpu.xh[s]!, total, 0, 0);
  else add64(cpu.xl[s]!, cpu.xh[s]!, cpu.xl[rm]!, cpu.xh[rm]!, 0);
  cpu.xl[s] = R.lo;
  cpu.xh[s] = R.hi;
}

// opcode -> [registers repeated (rpt), elements per structure (selem)] (C4.1.4.x).
const MULTI: Record<number, readonly [number, number]> = {
  0b0000: [1, 4],
  0b0010: [4, 1],
  0b0100: [1, 3],
  0b0110: [3, 1],
  0b0111: [1, 1],
  0b1000: [1, 2],
  0b1010: [2, 1],
};

/**
 * LD1-LD4/ST1-ST4 (multiple structures) whose whole transfer lies in one page the TLB
 * maps for it, with naturally aligned elements: every element access would take the
 * TLB's fast path, so the bytes move directly (a 64-byte LD4 was 64 read8 calls).
 * Answers false, having done nothing, when the per-element path must run (a TLB miss,
 * which that path fills, a page crossing, a fault, MMIO).
 */
function transferInPage(
  cpu: Cpu,
  lo: number,
  hi: number,
  load: boolean,
  t: number,
  rpt: number,
  elements: number,
  selem: number,
  ebytes: number,
): boolean {
  const mem = cpu.mem;
  let a = mem.bulk(lo, hi, rpt * elements * selem * ebytes, !load);
  if (a < 0) return false;
  const view = mem.views[mem.bulkIndex]!;
  const regs = cpu.vregs;
  for (let r = 0; r < rpt; r++) {
    for (let e = 0; e < elements; e++) {
      let o = ((t + r) % 32) * 16 + e * ebytes;
      for (let k = 0; k < selem; k++) {
        for (let b = 0; b < ebytes; b++) {
          if (load) regs[o + b] = view.getUint8(a + b);
          else view.setUint8(a + b, regs[o + b]!);
        }
        a += ebytes;
        o = (o + 16) % 512;
      }
    }
  }
  // A 64-bit arrangement (Q = 0) loads the low halves and zeroes the high ones.
  if (load && elements * ebytes === 8) {
    for (let r = 0; r < rpt * selem; r++)
      regs.fill(0, ((t + r) % 32) * 16 + 8, ((t + r) % 32) * 16 + 16);
  }
  return true;
}

function multiple(cpu: Cpu, insn: number): void {
  const q = (insn >>> 30) & 1;
  const load = (insn & 0x400000) !== 0;
  const opcode = (insn >>> 12) & 15;
  const size = (insn >>> 10) & 3;
  const shape = MULTI[opcode];
  if (shape === undefined) return cpu.undefinedInstruction();
  const [rpt, selem] = shape;
  if (size === 3 && q === 0 && selem !== 1) return cpu.undefinedInstruction();
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  const t = insn & 31;
  const ebytes = 1 << size;
  const elements = (q ? 16 : 8) / ebytes;
  let lo = cpu.xl[s]!;
  let hi = cpu.xh[s]!;
  if (rn === 31 && (lo & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
  const aligned = (lo & (ebytes - 1)) === 0;
  if (aligned && transferInPage(cpu, lo, hi, load, t, rpt, elements, selem, ebytes))
    return postIndex(cpu, insn, s, rpt * elements * selem * ebytes);
  let total = 0;
  for (let r = 0; r < rpt; r++) {
    for (let e = 0; e < elements; e++) {
      let tt = (t + r) % 32;
      for (let k = 0; k < selem; k++) {
        if (load) loadBytes(cpu, lo, hi, ebytes, tt, e * ebytes, false);
        else storeBytes(cpu, lo, hi, ebytes, tt, e * ebytes);
        const nlo = (lo + ebytes) | 0;
        hi = (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
        lo = nlo;
        total += ebytes;
        tt = (tt + 1) % 32;
      }
    }
  }
  if (load && q === 0) {
    for (let r = 0; r < rpt * selem; r++)
      cpu.vregs.fill(0, ((t + r) % 32) * 16 + 8, ((t + r) % 32) * 16 + 16);
  }
  postIndex(cpu, insn, s, total);
}

function single(cpu: Cpu, insn: number): void {
  const q = (insn >>> 30) & 1;
  const load = (insn & 0x400000) !== 0;
  const rbit = (insn >>> 21) & 1;
  const opcode = (insn >>> 13) & 7;
  const sbit = (insn >>> 12) & 1;
  const size = (insn >>> 10) & 3;
  const selem = (((opcode & 1) << 1) | rbit) + 1;
  let scale = opcode >>> 1;
  let index = 0;
  let replicate = false;
  switch (scale) {
    case 0:
      index = (q << 3) | (sbit << 2) | size;
      break;
    case 1:
      if ((size & 1) !== 0) return cpu.undefinedInstruction();
      index = (q << 2) | (sbit << 1) | (size >>> 1);
      break;
    case 2:
      if ((size & 2) !== 0) return cpu.undefinedInstruction();
      if (size === 0) index = (q << 1) | sbit;
      else {
        if (sbit !== 0) return cpu.undefinedInstruction();
        index = q;
        scale = 3;
      }
      break;
    default:
      if (!load || sbit !== 0) return cpu.undefinedInstruction();
      scale = size;
      replicate = true;
  }
  const rn = (insn >>> 5) & 31;
  const s = rn + ((rn + 1) >> 5);
  const t = insn & 31;
  const ebytes = 1 << scale;
  let lo = cpu.xl[s]!;
  let hi = cpu.xh[s]!;
  if (rn === 31 && (lo & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
  let tt = t;
  for (let k = 0; k < selem; k++) {
    if (replicate) {
      loadBytes(cpu, lo, hi, ebytes, tt, 0, true);
      const base = tt * 16;
      const lanes = (q ? 16 : 8) / ebytes;
      for (let l = 1; l < lanes; l++) cpu.vregs.copyWithin(base + l * ebytes, base, base + ebytes);
    } else if (load) loadBytes(cpu, lo, hi, ebytes, tt, index * ebytes, false);
    else storeBytes(cpu, lo, hi, ebytes, tt, index * ebytes);
    const nlo = (lo + ebytes) | 0;
    hi = (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
    lo = nlo;
    tt = (tt + 1) % 32;
  }
  postIndex(cpu, insn, s, selem * ebytes);
}

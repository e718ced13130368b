// Integer loads and stores outside the hot set (Arm ARM C3.2, C6.2): sign-extending
// loads in every addressing mode, prefetches, literal loads, LDPSW, unprivileged
// LDTR/STTR, and dispatch to the exclusive/acquire-release/atomic group.

import type { CpuState as Cpu } from "../state.js";
import { R } from "../bits.js";
import { addImm64 } from "../alu.js";
import { EA, checkSp, eaImm9, eaReg, eaUimm, writeback } from "./address.js";
import { loadGpr, storeGpr } from "./gpr.js";
import { execAtomic } from "./atomic.js";

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

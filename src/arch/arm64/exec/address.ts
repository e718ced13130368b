// Effective addresses of the load/store forms (Arm ARM C1.3.3): unsigned scaled
// offset, signed 9-bit (unscaled, pre-, post-index), register offset with extend and
// shift. The result and the pending base writeback are left in EA (no allocation).

import type { CpuState as Cpu } from "../state.js";
import { R } from "../bits.js";
import { addImm64, add64 } from "../alu.js";

/** The effective address of the current access and its base writeback (if any). */
export const EA = { lo: 0, hi: 0, wb: false, wbLo: 0, wbHi: 0, base: 0 };

export function checkSp(cpu: Cpu, rn: number, lo: number): void {
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

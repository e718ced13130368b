// Flag-setting arithmetic, operand shifts and condition codes (Arm ARM J1
// AddWithCarry, ShiftReg, ConditionHolds) on int32 halves. NZCV is kept eagerly as
// four 0/1 fields on the CPU: cheaper in V8 than lazy flags for the common
// compare-and-branch pairs (see README.md).

import type { CpuState as Cpu } from "./state.js";
import { R, carry32, overflow32, lsl64, lsr64, asr64, ror64, ror32 } from "./bits.js";

/** 64-bit AddWithCarry, setting NZCV; result in R. Subtract = add(~b, carry 1). */
export function adds64(
  cpu: Cpu,
  al: number,
  ah: number,
  bl: number,
  bh: number,
  cin: number,
): void {
  const lo = (al + bl + cin) | 0;
  const hi = (ah + bh + carry32(al, bl, lo)) | 0;
  cpu.nf = hi >>> 31;
  cpu.zf = (lo | hi) === 0 ? 1 : 0;
  cpu.cf = carry32(ah, bh, hi);
  cpu.vf = overflow32(ah, bh, hi);
  R.lo = lo;
  R.hi = hi;
}

/** 32-bit AddWithCarry, setting NZCV; returns the result. */
export function adds32(cpu: Cpu, a: number, b: number, cin: number): number {
  const r = (a + b + cin) | 0;
  cpu.nf = r >>> 31;
  cpu.zf = r === 0 ? 1 : 0;
  cpu.cf = carry32(a, b, r);
  cpu.vf = overflow32(a, b, r);
  return r;
}

/** 64-bit add without flags; result in R. */
export function add64(al: number, ah: number, bl: number, bh: number, cin: number): void {
  const lo = (al + bl + cin) | 0;
  R.hi = (ah + bh + carry32(al, bl, lo)) | 0;
  R.lo = lo;
}

/** Adds a sign-extended 32-bit immediate to a 64-bit value; result in R. */
export function addImm64(lo: number, hi: number, imm: number): void {
  const l = (lo + imm) | 0;
  R.hi = (hi + (imm >> 31) + carry32(lo, imm, l)) | 0;
  R.lo = l;
}

export function setLogicFlags64(cpu: Cpu, lo: number, hi: number): void {
  cpu.nf = hi >>> 31;
  cpu.zf = (lo | hi) === 0 ? 1 : 0;
  cpu.cf = 0;
  cpu.vf = 0;
}

export function setLogicFlags32(cpu: Cpu, v: number): void {
  cpu.nf = v >>> 31;
  cpu.zf = v === 0 ? 1 : 0;
  cpu.cf = 0;
  cpu.vf = 0;
}

/** ShiftReg for 64-bit operands (type: 0 LSL, 1 LSR, 2 ASR, 3 ROR); result in R. */
export function shift64(lo: number, hi: number, type: number, amount: number): void {
  switch (type) {
    case 0:
      return lsl64(lo, hi, amount);
    case 1:
      return lsr64(lo, hi, amount);
    case 2:
      return asr64(lo, hi, amount);
    default:
      return ror64(lo, hi, amount);
  }
}

export function shift32(v: number, type: number, amount: number): number {
  switch (type) {
    case 0:
      return v << amount;
    case 1:
      return (v >>> amount) | 0;
    case 2:
      return v >> amount;
    default:
      return ror32(v, amount);
  }
}

/** ConditionHolds (Arm ARM J1, shared/functions/system). */
export function conditionHolds(cpu: Cpu, cond: number): boolean {
  let r: boolean;
  switch (cond >>> 1) {
    case 0:
      r = cpu.zf === 1;
      break;
    case 1:
      r = cpu.cf === 1;
      break;
    case 2:
      r = cpu.nf === 1;
      break;
    case 3:
      r = cpu.vf === 1;
      break;
    case 4:
      r = cpu.cf === 1 && cpu.zf === 0;
      break;
    case 5:
      r = cpu.nf === cpu.vf;
      break;
    case 6:
      r = cpu.nf === cpu.vf && cpu.zf === 0;
      break;
    default:
      return true;
  }
  return (cond & 1) !== 0 ? !r : r;
}

/** ExtendReg (Arm ARM J1) of register (lo, hi): option 0-7 = UXTB..SXTX, then LSL shift; result in R. */
export function extendReg(lo: number, hi: number, option: number, shift: number): void {
  let l = lo;
  let h = hi;
  switch (option) {
    case 0:
      l = lo & 0xff;
      h = 0;
      break;
    case 1:
      l = lo & 0xffff;
      h = 0;
      break;
    case 2:
      h = 0;
      break;
    case 3:
      break;
    case 4:
      l = (lo << 24) >> 24;
      h = l >> 31;
      break;
    case 5:
      l = (lo << 16) >> 16;
      h = l >> 31;
      break;
    case 6:
      h = lo >> 31;
      break;
    default:
      break;
  }
  lsl64(l, h, shift);
}

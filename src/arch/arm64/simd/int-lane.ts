// Integer element kernels shared by the AdvSIMD executors. Elements of 8, 16 or 32
// bits are JS numbers (exact: every intermediate stays below 2^53); 64-bit elements,
// and the shift-by-register and doubling-multiply families at any size, use bigints.
// Saturation sets FPSR.QC (Arm ARM SatQ / SignedSatQ / UnsignedSatQ).

import { FPSR_QC, type FpEnv } from "./fp-env.js";

/** Sign-extends the low `esize` bits of v. */
export function sx(v: number, esize: number): number {
  return esize === 32 ? v | 0 : (v << (32 - esize)) >> (32 - esize);
}

/** The low `esize` bits of v as an unsigned number. */
export function mask(v: number, esize: number): number {
  return esize === 32 ? v >>> 0 : v & ((1 << esize) - 1);
}

export function ones(esize: number): number {
  return esize === 32 ? 0xffffffff : (1 << esize) - 1;
}

export function satSigned(v: number, esize: number, env: FpEnv): number {
  const max = 2 ** (esize - 1) - 1;
  const min = -(2 ** (esize - 1));
  if (v > max) {
    env.fpsr |= FPSR_QC;
    return mask(max, esize);
  }
  if (v < min) {
    env.fpsr |= FPSR_QC;
    return mask(min, esize);
  }
  return mask(v, esize);
}

export function satUnsigned(v: number, esize: number, env: FpEnv): number {
  const max = 2 ** esize - 1;
  if (v > max) {
    env.fpsr |= FPSR_QC;
    return max;
  }
  if (v < 0) {
    env.fpsr |= FPSR_QC;
    return 0;
  }
  return v;
}

export function sat(v: number, esize: number, unsigned: boolean, env: FpEnv): number {
  return unsigned ? satUnsigned(v, esize, env) : satSigned(v, esize, env);
}

export function satBig(v: bigint, esize: number, unsigned: boolean, env: FpEnv): bigint {
  const e = BigInt(esize);
  const max = unsigned ? (1n << e) - 1n : (1n << (e - 1n)) - 1n;
  const min = unsigned ? 0n : -(1n << (e - 1n));
  if (v > max) {
    env.fpsr |= FPSR_QC;
    return BigInt.asUintN(esize, max);
  }
  if (v < min) {
    env.fpsr |= FPSR_QC;
    return BigInt.asUintN(esize, min);
  }
  return BigInt.asUintN(esize, v);
}

/** Polynomial (carry-less) multiply of two `bits`-bit values, as a bigint. */
export function polyMul(a: bigint, b: bigint, bits: number): bigint {
  let r = 0n;
  for (let i = 0; i < bits; i++) if ((b >> BigInt(i)) & 1n) r ^= a << BigInt(i);
  return r;
}

/** PMUL on 8-bit elements (the result keeps the low 8 bits). */
export function polyMul8(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if ((b >>> i) & 1) r ^= a << i;
  return r & 0xff;
}

/**
 * SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL: shift by the signed low byte of
 * `b` (left when positive, right when negative), optionally rounding and saturating.
 */
export function shiftByRegister(
  a: bigint,
  b: bigint,
  esize: number,
  unsigned: boolean,
  rounding: boolean,
  saturating: boolean,
  env: FpEnv,
): bigint {
  const shift = Number(BigInt.asIntN(8, b));
  const element = unsigned ? BigInt.asUintN(esize, a) : BigInt.asIntN(esize, a);
  let r: bigint;
  if (shift >= 0) {
    r = element << BigInt(shift);
  } else {
    const s = BigInt(-shift);
    const roundConst = rounding ? 1n << (s - 1n) : 0n;
    r = (element + roundConst) >> s;
  }
  return saturating ? satBig(r, esize, unsigned, env) : BigInt.asUintN(esize, r);
}

/** SQDMULH / SQRDMULH: saturate((2 * a * b [+ round]) >> esize), signed. */
export function doublingMulHigh(
  a: number,
  b: number,
  esize: number,
  round: boolean,
  env: FpEnv,
): number {
  const product = 2n * BigInt(sx(a, esize)) * BigInt(sx(b, esize));
  const r = (product + (round ? 1n << BigInt(esize - 1) : 0n)) >> BigInt(esize);
  return Number(satBig(r, esize, false, env));
}

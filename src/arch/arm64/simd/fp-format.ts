// IEEE 754 binary16/32/64 formats as the Arm pseudocode sees them (FPUnpack, FPZero,
// FPInfinity, FPDefaultNaN, FPMaxNormal; Arm ARM shared/functions/float). Slow paths
// work on raw bit patterns held in bigints so NaN payloads survive exactly.

import { FPCR_AHP, FPCR_FZ, FPSR_IDC, type FpEnv } from "./fp-env.js";

export interface FpFormat {
  readonly size: 16 | 32 | 64;
  readonly ebits: number;
  readonly fbits: number;
  /** 1 - bias: exponent of the smallest normal number. */
  readonly minExp: number;
  readonly bias: number;
}

function format(size: 16 | 32 | 64, ebits: number): FpFormat {
  const bias = (1 << (ebits - 1)) - 1;
  return { size, ebits, fbits: size - ebits - 1, minExp: 1 - bias, bias };
}

export const HALF = format(16, 5);
export const SINGLE = format(32, 8);
export const DOUBLE = format(64, 11);

/** Format of the FP `type`/`ftype` field: 00 S, 01 D, 11 H (10 is reserved). */
export function formatOfType(type: number): FpFormat | undefined {
  switch (type) {
    case 0:
      return SINGLE;
    case 1:
      return DOUBLE;
    case 3:
      return HALF;
    default:
      return undefined;
  }
}

/** Format of a vector element size in bits (16, 32 or 64). */
export function formatOfSize(esize: number): FpFormat {
  return esize === 16 ? HALF : esize === 32 ? SINGLE : DOUBLE;
}

export const FpType = {
  NONZERO: 0,
  ZERO: 1,
  INF: 2,
  QNAN: 3,
  SNAN: 4,
} as const;
export type FpType = (typeof FpType)[keyof typeof FpType];

/** An unpacked operand: value = (-1)^sign * mant * 2^exp (mant = 0 unless NONZERO). */
export interface Unpacked {
  readonly type: FpType;
  readonly sign: number;
  readonly mant: bigint;
  readonly exp: number;
}

export function signOf(fmt: FpFormat, bits: bigint): number {
  return Number(bits >> BigInt(fmt.size - 1)) & 1;
}

function ahpApplies(fmt: FpFormat, env: FpEnv): boolean {
  return fmt.size === 16 && (env.fpcr & FPCR_AHP) !== 0;
}

/** FPUnpack: classifies and flushes input denormals when FPCR.FZ (not for half). */
export function unpack(fmt: FpFormat, bits: bigint, env: FpEnv): Unpacked {
  const sign = signOf(fmt, bits);
  const expField = Number((bits >> BigInt(fmt.fbits)) & BigInt((1 << fmt.ebits) - 1));
  const frac = bits & ((1n << BigInt(fmt.fbits)) - 1n);
  if (expField === 0) {
    if (frac === 0n) return { type: FpType.ZERO, sign, mant: 0n, exp: 0 };
    if (fmt.size !== 16 && (env.fpcr & FPCR_FZ) !== 0) {
      env.fpsr |= FPSR_IDC;
      return { type: FpType.ZERO, sign, mant: 0n, exp: 0 };
    }
    return { type: FpType.NONZERO, sign, mant: frac, exp: fmt.minExp - fmt.fbits };
  }
  if (expField === (1 << fmt.ebits) - 1 && !ahpApplies(fmt, env)) {
    if (frac === 0n) return { type: FpType.INF, sign, mant: 0n, exp: 0 };
    const quiet = (frac >> BigInt(fmt.fbits - 1)) & 1n;
    return { type: quiet ? FpType.QNAN : FpType.SNAN, sign, mant: 0n, exp: 0 };
  }
  const mant = frac | (1n << BigInt(fmt.fbits));
  return { type: FpType.NONZERO, sign, mant, exp: expField - fmt.bias - fmt.fbits };
}

export function isNaNType(type: FpType): boolean {
  return type === FpType.QNAN || type === FpType.SNAN;
}

export function fpZero(fmt: FpFormat, sign: number): bigint {
  return BigInt(sign) << BigInt(fmt.size - 1);
}

export function fpInfinity(fmt: FpFormat, sign: number): bigint {
  return fpZero(fmt, sign) | (BigInt((1 << fmt.ebits) - 1) << BigInt(fmt.fbits));
}

export function fpMaxNormal(fmt: FpFormat, sign: number): bigint {
  const exp = BigInt((1 << fmt.ebits) - 2) << BigInt(fmt.fbits);
  return fpZero(fmt, sign) | exp | ((1n << BigInt(fmt.fbits)) - 1n);
}

export function fpDefaultNaN(fmt: FpFormat): bigint {
  return fpInfinity(fmt, 0) | (1n << BigInt(fmt.fbits - 1));
}

/** The constant 2.0 or 1.5 etc.: builds +/- (1 + frac/2^F) * 2^exp (normal range). */
export function fpNormal(fmt: FpFormat, sign: number, exp: number, fracTop: bigint): bigint {
  return (
    fpZero(fmt, sign) |
    (BigInt(exp + fmt.bias) << BigInt(fmt.fbits)) |
    (fracTop << BigInt(fmt.fbits - 1))
  );
}

/** Bits with the sign flipped (FPNeg) or cleared (FPAbs): no flags, NaNs included. */
export function negateBits(fmt: FpFormat, bits: bigint): bigint {
  return bits ^ (1n << BigInt(fmt.size - 1));
}

export function absBits(fmt: FpFormat, bits: bigint): bigint {
  return bits & ((1n << BigInt(fmt.size - 1)) - 1n);
}

export function readBits(view: DataView, off: number, fmt: FpFormat): bigint {
  switch (fmt.size) {
    case 16:
      return BigInt(view.getUint16(off, true));
    case 32:
      return BigInt(view.getUint32(off, true));
    default:
      return view.getBigUint64(off, true);
  }
}

export function writeBits(view: DataView, off: number, fmt: FpFormat, bits: bigint): void {
  switch (fmt.size) {
    case 16:
      view.setUint16(off, Number(bits & 0xffffn), true);
      return;
    case 32:
      view.setUint32(off, Number(bits & 0xffffffffn), true);
      return;
    default:
      view.setBigUint64(off, BigInt.asUintN(64, bits), true);
  }
}

/** The exact value of a NONZERO operand as a JS double (every H/S/D value fits). */
export function unpackedToNumber(u: Unpacked): number {
  if (u.type === FpType.INF) return u.sign ? -Infinity : Infinity;
  if (u.type !== FpType.NONZERO) return u.sign ? -0 : 0;
  const m = Number(u.mant);
  // Scale in two steps: mant * 2^exp may underflow 2^-1074 in one step for denormals.
  const half = Math.trunc(u.exp / 2);
  const v = m * 2 ** half * 2 ** (u.exp - half);
  return u.sign ? -v : v;
}

const scratch = new DataView(new ArrayBuffer(8));

/** Bits of a JS number that is exactly representable in `fmt` (S or D; not NaN). */
export function numberToBits(fmt: FpFormat, x: number): bigint {
  if (fmt.size === 64) {
    scratch.setFloat64(0, x, true);
    return scratch.getBigUint64(0, true);
  }
  scratch.setFloat32(0, x, true);
  return BigInt(scratch.getUint32(0, true));
}

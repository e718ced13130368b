// Comparisons and min/max (FPCompare, FPCompareEQ/GE/GT, FPMax, FPMin, FPMaxNum,
// FPMinNum of the Arm pseudocode). Operand values compare exactly as JS doubles
// (every H/S/D value is a double); NaNs are classified from the raw bits.

import { FPSR_IOC, type FpEnv } from "./fp-env.js";
import {
  FpType,
  fpInfinity,
  fpZero,
  isNaNType,
  unpack,
  unpackedToNumber,
  type FpFormat,
} from "./fp-format.js";
import { processNaNs } from "./fp-nan.js";

/** FPCompare: NZCV in bits 31:28 (unordered 0011, equal 0110, less 1000, greater 0010). */
export function fpCompare(
  fmt: FpFormat,
  x: bigint,
  y: bigint,
  signalNaNs: boolean,
  env: FpEnv,
): number {
  const a = unpack(fmt, x, env);
  const b = unpack(fmt, y, env);
  if (isNaNType(a.type) || isNaNType(b.type)) {
    if (signalNaNs || a.type === FpType.SNAN || b.type === FpType.SNAN) env.fpsr |= FPSR_IOC;
    return 0x3 << 28;
  }
  const va = unpackedToNumber(a);
  const vb = unpackedToNumber(b);
  if (va === vb) return 0x6 << 28;
  return va < vb ? 0x8 << 28 : 0x2 << 28;
}

export const CmpKind = { EQ: 0, GE: 1, GT: 2 } as const;
export type CmpKind = (typeof CmpKind)[keyof typeof CmpKind];

/** FPCompareEQ (quiet: IOC only for signalling NaNs), FPCompareGE/GT (IOC for any NaN). */
export function fpCompareLane(
  fmt: FpFormat,
  kind: CmpKind,
  x: bigint,
  y: bigint,
  env: FpEnv,
): boolean {
  const a = unpack(fmt, x, env);
  const b = unpack(fmt, y, env);
  if (isNaNType(a.type) || isNaNType(b.type)) {
    if (kind !== CmpKind.EQ || a.type === FpType.SNAN || b.type === FpType.SNAN) {
      env.fpsr |= FPSR_IOC;
    }
    return false;
  }
  const va = unpackedToNumber(a);
  const vb = unpackedToNumber(b);
  switch (kind) {
    case CmpKind.EQ:
      return va === vb;
    case CmpKind.GE:
      return va >= vb;
    default:
      return va > vb;
  }
}

/** FPMax (max = true) or FPMin. */
export function fpMinMax(fmt: FpFormat, x: bigint, y: bigint, max: boolean, env: FpEnv): bigint {
  const a = unpack(fmt, x, env);
  const b = unpack(fmt, y, env);
  const nan = processNaNs(fmt, a, x, b, y, env);
  if (nan !== undefined) return nan;
  const va = unpackedToNumber(a);
  const vb = unpackedToNumber(b);
  const pickA = max ? va > vb : va < vb;
  const [u, bits] = pickA ? [a, x] : [b, y];
  switch (u.type) {
    case FpType.INF:
      return fpInfinity(fmt, u.sign);
    case FpType.ZERO:
      return fpZero(fmt, max ? a.sign & b.sign : a.sign | b.sign);
    default:
      return bits; // a representable value: FPRound is exact and raises nothing
  }
}

/** FPMaxNum / FPMinNum: a quiet NaN loses against a number (IEEE 754-2008 maxNum). */
export function fpMinMaxNum(fmt: FpFormat, x: bigint, y: bigint, max: boolean, env: FpEnv): bigint {
  const ta = unpack(fmt, x, env).type;
  const tb = unpack(fmt, y, env).type;
  const loser = fpInfinity(fmt, max ? 1 : 0);
  let xx = x;
  let yy = y;
  if (ta === FpType.QNAN && tb !== FpType.QNAN) xx = loser;
  else if (ta !== FpType.QNAN && tb === FpType.QNAN) yy = loser;
  return fpMinMax(fmt, xx, yy, max, env);
}

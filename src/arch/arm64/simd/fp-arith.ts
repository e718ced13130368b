// Exact FP arithmetic on raw bit patterns (the slow path, and the reference the fast
// paths are tested against): FPAdd, FPMul, FPMulX, FPDiv, FPSqrt, FPMulAdd, FPMax,
// FPMin, FPMaxNum, FPMinNum, FPRecipStepFused, FPRSqrtStepFused of the Arm pseudocode.
// Every result is computed exactly in BigInt (or with an exact sticky bit for division
// and square root) and rounded once by fpRound, so all rounding modes and flags follow.

import { FPSR_DZC, FPSR_IOC, Rounding, fpcrRounding, type FpEnv } from "./fp-env.js";
import {
  FpType,
  fpDefaultNaN,
  fpInfinity,
  fpNormal,
  fpZero,
  isNaNType,
  negateBits,
  unpack,
  type FpFormat,
  type Unpacked,
} from "./fp-format.js";
import { processNaNs, processNaNs3, processNaN } from "./fp-nan.js";
import { bitLength, fpRound, fpRoundSigned } from "./fp-round.js";

/** Signed exact sum of two unpacked nonzero-or-zero values as n * 2^exp. */
function exactSum(a: Unpacked, b: Unpacked): { n: bigint; exp: number } {
  if (a.mant === 0n) return { n: b.sign ? -b.mant : b.mant, exp: b.exp };
  if (b.mant === 0n) return { n: a.sign ? -a.mant : a.mant, exp: a.exp };
  const exp = Math.min(a.exp, b.exp);
  const na = a.mant << BigInt(a.exp - exp);
  const nb = b.mant << BigInt(b.exp - exp);
  return { n: (a.sign ? -na : na) + (b.sign ? -nb : nb), exp };
}

function roundSum(fmt: FpFormat, a: Unpacked, b: Unpacked, env: FpEnv): bigint {
  const rounding = fpcrRounding(env);
  const { n, exp } = exactSum(a, b);
  // An exact zero sum of nonzero operands is +0, or -0 when rounding toward -inf.
  if (n === 0n) return fpZero(fmt, rounding === Rounding.NEGINF ? 1 : 0);
  return fpRoundSigned(fmt, n, exp, env, rounding);
}

function withSign(u: Unpacked, sign: number): Unpacked {
  return { type: u.type, sign, mant: u.mant, exp: u.exp };
}

/** FPAdd, or FPSub when `subtract` (op2's sign flipped after NaN selection). */
export function fpAdd(fmt: FpFormat, x: bigint, y: bigint, env: FpEnv, subtract = false): bigint {
  const a = unpack(fmt, x, env);
  let b = unpack(fmt, y, env);
  const nan = processNaNs(fmt, a, x, b, y, env);
  if (nan !== undefined) return nan;
  if (subtract) b = withSign(b, b.sign ^ 1);
  const infA = a.type === FpType.INF;
  const infB = b.type === FpType.INF;
  if (infA && infB && a.sign !== b.sign) {
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  if (infA) return fpInfinity(fmt, a.sign);
  if (infB) return fpInfinity(fmt, b.sign);
  if (a.type === FpType.ZERO && b.type === FpType.ZERO && a.sign === b.sign) {
    return fpZero(fmt, a.sign);
  }
  return roundSum(fmt, a, b, env);
}

function mulCommon(fmt: FpFormat, x: bigint, y: bigint, env: FpEnv, mulx: boolean): bigint {
  const a = unpack(fmt, x, env);
  const b = unpack(fmt, y, env);
  const nan = processNaNs(fmt, a, x, b, y, env);
  if (nan !== undefined) return nan;
  const sign = a.sign ^ b.sign;
  const infA = a.type === FpType.INF;
  const infB = b.type === FpType.INF;
  const zeroA = a.type === FpType.ZERO;
  const zeroB = b.type === FpType.ZERO;
  if ((infA && zeroB) || (zeroA && infB)) {
    // FMULX returns 2.0 with the product's sign instead of the invalid default NaN.
    if (mulx) return fpNormal(fmt, sign, 1, 0n);
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  if (infA || infB) return fpInfinity(fmt, sign);
  if (zeroA || zeroB) return fpZero(fmt, sign);
  return fpRound(fmt, sign, a.mant * b.mant, a.exp + b.exp, env, fpcrRounding(env));
}

export function fpMul(fmt: FpFormat, x: bigint, y: bigint, env: FpEnv): bigint {
  return mulCommon(fmt, x, y, env, false);
}

export function fpMulX(fmt: FpFormat, x: bigint, y: bigint, env: FpEnv): bigint {
  return mulCommon(fmt, x, y, env, true);
}

export function fpDiv(fmt: FpFormat, x: bigint, y: bigint, env: FpEnv): bigint {
  const a = unpack(fmt, x, env);
  const b = unpack(fmt, y, env);
  const nan = processNaNs(fmt, a, x, b, y, env);
  if (nan !== undefined) return nan;
  const sign = a.sign ^ b.sign;
  const infA = a.type === FpType.INF;
  const infB = b.type === FpType.INF;
  const zeroA = a.type === FpType.ZERO;
  const zeroB = b.type === FpType.ZERO;
  if ((infA && infB) || (zeroA && zeroB)) {
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  if (infA || zeroB) {
    if (!infA) env.fpsr |= FPSR_DZC;
    return fpInfinity(fmt, sign);
  }
  if (zeroA || infB) return fpZero(fmt, sign);
  // Quotient with at least fbits + 3 significant bits, then a sticky bit for the rest:
  // enough for a correct rounding decision at any result exponent.
  const k = Math.max(0, fmt.fbits + 4 + bitLength(b.mant) - bitLength(a.mant));
  const num = a.mant << BigInt(k);
  const q = num / b.mant;
  const sticky = num % b.mant === 0n ? 0n : 1n;
  return fpRound(fmt, sign, (q << 1n) | sticky, a.exp - b.exp - k - 1, env, fpcrRounding(env));
}

/** Floor of the square root of n >= 0 (Newton's method on bigints). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function fpSqrt(fmt: FpFormat, x: bigint, env: FpEnv): bigint {
  const a = unpack(fmt, x, env);
  if (isNaNType(a.type)) return processNaN(fmt, a.type, x, env);
  if (a.type === FpType.ZERO) return fpZero(fmt, a.sign);
  if (a.type === FpType.INF && a.sign === 0) return fpInfinity(fmt, 0);
  if (a.sign === 1) {
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  let mant = a.mant;
  let exp = a.exp;
  if (exp & 1) {
    mant <<= 1n;
    exp -= 1;
  }
  const k = Math.max(0, fmt.fbits + 4 - (bitLength(mant) >> 1));
  const scaled = mant << BigInt(2 * k);
  const r = isqrt(scaled);
  const sticky = r * r === scaled ? 0n : 1n;
  return fpRound(fmt, 0, (r << 1n) | sticky, exp / 2 - k - 1, env, fpcrRounding(env));
}

/**
 * FPMulAdd(addend, op1, op2) = addend + op1 * op2 with a single rounding. Negated
 * forms (FMSUB, FNMADD, FMLS...) flip operand sign bits before calling (FPNeg), as the
 * pseudocode does.
 */
export function fpMulAdd(fmt: FpFormat, addend: bigint, x: bigint, y: bigint, env: FpEnv): bigint {
  const c = unpack(fmt, addend, env);
  const a = unpack(fmt, x, env);
  const b = unpack(fmt, y, env);
  const infA = a.type === FpType.INF;
  const infB = b.type === FpType.INF;
  const zeroA = a.type === FpType.ZERO;
  const zeroB = b.type === FpType.ZERO;
  const invalidProduct = (infA && zeroB) || (zeroA && infB);
  const nan = processNaNs3(
    fmt,
    [
      [c, addend],
      [a, x],
      [b, y],
    ],
    env,
  );
  if (c.type === FpType.QNAN && invalidProduct) {
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  if (nan !== undefined) return nan;
  const signP = a.sign ^ b.sign;
  const infP = infA || infB;
  const zeroP = zeroA || zeroB;
  const infC = c.type === FpType.INF;
  if (invalidProduct || (infC && infP && c.sign !== signP)) {
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  if ((infC && c.sign === 0) || (infP && signP === 0)) return fpInfinity(fmt, 0);
  if ((infC && c.sign === 1) || (infP && signP === 1)) return fpInfinity(fmt, 1);
  if (c.type === FpType.ZERO && zeroP && c.sign === signP) return fpZero(fmt, c.sign);
  const product: Unpacked = {
    type: zeroP ? FpType.ZERO : FpType.NONZERO,
    sign: signP,
    mant: zeroP ? 0n : a.mant * b.mant,
    exp: a.exp + b.exp,
  };
  return roundSum(fmt, c, product, env);
}

/**
 * FPRecipStepFused (FRECPS, 2 - op1*op2) and FPRSqrtStepFused (FRSQRTS,
 * (3 - op1*op2) / 2), each with one rounding; inf * 0 gives 2.0 / 1.5.
 */
export function fpStepFused(
  fmt: FpFormat,
  x: bigint,
  y: bigint,
  env: FpEnv,
  rsqrt: boolean,
): bigint {
  // op1 = FPNeg(op1) comes first, so a NaN from op1 keeps the flipped sign.
  const nx = negateBits(fmt, x);
  const a = unpack(fmt, nx, env);
  const b = unpack(fmt, y, env);
  const nan = processNaNs(fmt, a, nx, b, y, env);
  if (nan !== undefined) return nan;
  const infA = a.type === FpType.INF;
  const infB = b.type === FpType.INF;
  const zeroA = a.type === FpType.ZERO;
  const zeroB = b.type === FpType.ZERO;
  if ((infA && zeroB) || (zeroA && infB)) {
    return rsqrt ? fpNormal(fmt, 0, 0, 1n) : fpNormal(fmt, 0, 1, 0n);
  }
  const signP = a.sign ^ b.sign;
  if (infA || infB) return fpInfinity(fmt, signP);
  const constant = rsqrt ? 3n : 2n;
  const k = rsqrt ? 1 : 0; // (3 - p) / 2 is exact scaling by 2^-1
  if (zeroA || zeroB) {
    return fpRound(fmt, 0, constant, -k, env, fpcrRounding(env));
  }
  const c: Unpacked = { type: FpType.NONZERO, sign: 0, mant: constant, exp: -k };
  const p: Unpacked = {
    type: FpType.NONZERO,
    sign: signP,
    mant: a.mant * b.mant,
    exp: a.exp + b.exp - k,
  };
  return roundSum(fmt, c, p, env);
}

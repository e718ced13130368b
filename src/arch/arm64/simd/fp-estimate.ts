// Reciprocal and reciprocal square root estimates (FRECPE, FRSQRTE, URECPE, URSQRTE):
// FPRecipEstimate, FPRSqrtEstimate, UnsignedRecipEstimate, UnsignedRSqrtEstimate and
// their 8-bit table functions RecipEstimate/RecipSqrtEstimate of the Arm pseudocode
// (without FEAT_RPRES), computed rather than tabulated.

import {
  FPSR_DZC,
  FPSR_IOC,
  FPSR_IXC,
  FPSR_OFC,
  FPSR_UFC,
  FPCR_FZ,
  Rounding,
  fpcrRounding,
  type FpEnv,
} from "./fp-env.js";
import {
  FpType,
  fpDefaultNaN,
  fpInfinity,
  fpMaxNormal,
  fpZero,
  isNaNType,
  unpack,
  unpackedToNumber,
  type FpFormat,
} from "./fp-format.js";
import { processNaN } from "./fp-nan.js";

/** RecipEstimate: a in [256, 512) (0.5 <= x < 1 in 1/512 steps) -> [256, 512). */
export function recipEstimate(a: number): number {
  const b = Math.floor(2 ** 19 / (a * 2 + 1));
  return Math.floor((b + 1) / 2);
}

/** RecipSqrtEstimate: a in [128, 512) -> [256, 512). */
export function recipSqrtEstimate(a0: number): number {
  // Below 256 the input is in units of 1/512; above, the bottom bit is discarded and
  // the value taken in units of 1/256, both rounded to nearest.
  const a = a0 < 256 ? a0 * 2 + 1 : (((a0 >> 1) << 1) + 1) * 2;
  let b = 512;
  while (a * (b + 1) * (b + 1) < 2 ** 28) b++;
  return Math.floor((b + 1) / 2);
}

/** The fraction of `bits` as 52 bits (left-aligned) and the biased exponent. */
function fraction52(fmt: FpFormat, bits: bigint): { frac: bigint; exp: number } {
  const frac = (bits & ((1n << BigInt(fmt.fbits)) - 1n)) << BigInt(52 - fmt.fbits);
  const exp = Number((bits >> BigInt(fmt.fbits)) & BigInt((1 << fmt.ebits) - 1));
  return { frac, exp };
}

export function fpRecipEstimate(fmt: FpFormat, bits: bigint, env: FpEnv): bigint {
  const u = unpack(fmt, bits, env);
  if (isNaNType(u.type)) return processNaN(fmt, u.type, bits, env);
  if (u.type === FpType.INF) return fpZero(fmt, u.sign);
  if (u.type === FpType.ZERO) {
    env.fpsr |= FPSR_DZC;
    return fpInfinity(fmt, u.sign);
  }
  const mag = Math.abs(unpackedToNumber(u));
  if (mag < 2 ** -(fmt.bias + 1)) {
    // Too small: the reciprocal overflows.
    const rounding = fpcrRounding(env);
    const toInf =
      rounding === Rounding.TIEEVEN ||
      (rounding === Rounding.POSINF && u.sign === 0) ||
      (rounding === Rounding.NEGINF && u.sign === 1);
    env.fpsr |= FPSR_OFC | FPSR_IXC;
    return toInf ? fpInfinity(fmt, u.sign) : fpMaxNormal(fmt, u.sign);
  }
  if ((env.fpcr & FPCR_FZ) !== 0 && fmt.size !== 16 && mag >= 2 ** (fmt.bias - 1)) {
    env.fpsr |= FPSR_UFC;
    return fpZero(fmt, u.sign);
  }
  let { frac, exp } = fraction52(fmt, bits);
  if (exp === 0) {
    if (((frac >> 51n) & 1n) === 0n) {
      exp = -1;
      frac = (frac << 2n) & ((1n << 52n) - 1n);
    } else {
      frac = (frac << 1n) & ((1n << 52n) - 1n);
    }
  }
  const scaled = 256 + Number(frac >> 44n);
  let resultExp = 2 * fmt.bias - 1 - exp;
  const estimate = recipEstimate(scaled);
  let outFrac = BigInt(estimate & 0xff) << 44n;
  if (resultExp === 0) {
    outFrac = (1n << 51n) | (outFrac >> 1n);
  } else if (resultExp === -1) {
    outFrac = (1n << 50n) | (outFrac >> 2n);
    resultExp = 0;
  }
  const sign = BigInt(u.sign) << BigInt(fmt.size - 1);
  return sign | (BigInt(resultExp) << BigInt(fmt.fbits)) | (outFrac >> BigInt(52 - fmt.fbits));
}

export function fpRSqrtEstimate(fmt: FpFormat, bits: bigint, env: FpEnv): bigint {
  const u = unpack(fmt, bits, env);
  if (isNaNType(u.type)) return processNaN(fmt, u.type, bits, env);
  if (u.type === FpType.ZERO) {
    env.fpsr |= FPSR_DZC;
    return fpInfinity(fmt, u.sign);
  }
  if (u.sign === 1) {
    env.fpsr |= FPSR_IOC;
    return fpDefaultNaN(fmt);
  }
  if (u.type === FpType.INF) return fpZero(fmt, 0);
  let { frac, exp } = fraction52(fmt, bits);
  const mask52 = (1n << 52n) - 1n;
  if (exp === 0) {
    while (((frac >> 51n) & 1n) === 0n) {
      frac = (frac << 1n) & mask52;
      exp -= 1;
    }
    frac = (frac << 1n) & mask52;
  }
  const scaled = (exp & 1) === 0 ? 256 + Number(frac >> 44n) : 128 + Number(frac >> 45n);
  const resultExp = Math.floor((3 * fmt.bias - 1 - exp) / 2);
  const estimate = recipSqrtEstimate(scaled);
  const outFrac = BigInt(estimate & 0xff) << BigInt(fmt.fbits - 8);
  return (BigInt(resultExp) << BigInt(fmt.fbits)) | outFrac;
}

/** URECPE on a 32-bit element. */
export function unsignedRecipEstimate(x: number): number {
  if (x >>> 31 === 0) return 0xffffffff;
  return (recipEstimate(x >>> 23) << 23) >>> 0;
}

/** URSQRTE on a 32-bit element. */
export function unsignedRSqrtEstimate(x: number): number {
  if (x >>> 30 === 0) return 0xffffffff;
  return (recipSqrtEstimate(x >>> 23) << 23) >>> 0;
}

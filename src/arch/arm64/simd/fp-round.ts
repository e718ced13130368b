// FPRound / FPRoundBase of the Arm pseudocode on an exact value: rounds
// (-1)^sign * mant * 2^exp (mant > 0) to `fmt` in the given rounding mode, with
// flush-to-zero of tiny results (FPCR.FZ, not for half precision), underflow detected
// before rounding and raised only when inexact, overflow per rounding direction, and
// the AHP alternative half-precision format (no infinities: saturate with IOC).

import {
  FPCR_AHP,
  FPCR_FZ,
  FPSR_IOC,
  FPSR_IXC,
  FPSR_OFC,
  FPSR_UFC,
  Rounding,
  type FpEnv,
} from "./fp-env.js";
import { fpInfinity, fpMaxNormal, fpZero, type FpFormat } from "./fp-format.js";

/** Number of significant bits of x >= 0 (hex digits are a quarter of binary's length). */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0] ?? "0", 16)));
}

function overflowToInf(rounding: Rounding, sign: number): boolean {
  switch (rounding) {
    case Rounding.TIEEVEN:
    case Rounding.TIEAWAY:
      return true;
    case Rounding.POSINF:
      return sign === 0;
    case Rounding.NEGINF:
      return sign === 1;
    default:
      return false;
  }
}

/** -1, 0 or 1: the rounding error compared with half an ulp (`cmp`), and whether any. */
function roundsUp(
  rounding: Rounding,
  sign: number,
  cmpHalf: number,
  inexact: boolean,
  odd: boolean,
): boolean {
  switch (rounding) {
    case Rounding.TIEEVEN:
      return cmpHalf > 0 || (cmpHalf === 0 && odd);
    case Rounding.TIEAWAY:
      return cmpHalf >= 0;
    case Rounding.POSINF:
      return inexact && sign === 0;
    case Rounding.NEGINF:
      return inexact && sign === 1;
    default:
      return false; // ZERO and ODD truncate
  }
}

export function fpRound(
  fmt: FpFormat,
  sign: number,
  mant: bigint,
  exp: number,
  env: FpEnv,
  rounding: Rounding,
): bigint {
  // exponent = floor(log2(|value|)), unbounded.
  const exponent = bitLength(mant) - 1 + exp;
  const isHalf = fmt.size === 16;
  if (!isHalf && (env.fpcr & FPCR_FZ) !== 0 && exponent < fmt.minExp) {
    env.fpsr |= FPSR_UFC; // flush to zero: underflow, never inexact
    return fpZero(fmt, sign);
  }
  let biasedExp = Math.max(exponent - fmt.minExp + 1, 0);
  // Position of the result's least significant bit.
  const lsbExp = biasedExp === 0 ? fmt.minExp - fmt.fbits : exponent - fmt.fbits;
  const shift = lsbExp - exp;
  let intMant: bigint;
  let cmpHalf = -1;
  let inexact = false;
  if (shift <= 0) {
    intMant = mant << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    intMant = mant >> s;
    const rem = mant & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    inexact = rem !== 0n;
    cmpHalf = rem > half ? 1 : rem === half ? 0 : -1;
  }
  if (biasedExp === 0 && inexact) env.fpsr |= FPSR_UFC;
  if (roundsUp(rounding, sign, cmpHalf, inexact, (intMant & 1n) === 1n)) {
    intMant += 1n;
    if (intMant === 1n << BigInt(fmt.fbits) && biasedExp === 0) biasedExp = 1;
    if (intMant === 1n << BigInt(fmt.fbits + 1)) {
      biasedExp += 1;
      intMant >>= 1n;
    }
  } else if (rounding === Rounding.ODD && inexact) {
    intMant |= 1n;
  }
  const ahp = isHalf && (env.fpcr & FPCR_AHP) !== 0;
  const expLimit = ahp ? 1 << fmt.ebits : (1 << fmt.ebits) - 1;
  if (biasedExp >= expLimit) {
    if (ahp) {
      env.fpsr |= FPSR_IOC;
      return fpZero(fmt, sign) | ((1n << BigInt(fmt.size - 1)) - 1n);
    }
    env.fpsr |= FPSR_OFC | FPSR_IXC;
    return overflowToInf(rounding, sign) ? fpInfinity(fmt, sign) : fpMaxNormal(fmt, sign);
  }
  if (inexact) env.fpsr |= FPSR_IXC;
  const fracMask = (1n << BigInt(fmt.fbits)) - 1n;
  return fpZero(fmt, sign) | (BigInt(biasedExp) << BigInt(fmt.fbits)) | (intMant & fracMask);
}

/** FPRound of a signed exact value n * 2^exp (n != 0). */
export function fpRoundSigned(
  fmt: FpFormat,
  n: bigint,
  exp: number,
  env: FpEnv,
  rounding: Rounding,
): bigint {
  return n < 0n ? fpRound(fmt, 1, -n, exp, env, rounding) : fpRound(fmt, 0, n, exp, env, rounding);
}

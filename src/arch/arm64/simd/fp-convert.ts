// Conversions of the Arm pseudocode: FPConvert (FCVT between H/S/D, with
// FPConvertNaN), FPRoundInt (FRINT*), FPToFixed (FCVT[NPMZA][SU], fixed-point forms)
// and FixedToFP (SCVTF/UCVTF). Integer sources are exact bigints rounded once, so a
// 64-bit integer never goes through a double first (which would round twice).

import { FPCR_AHP, FPCR_DN, FPSR_IOC, FPSR_IXC, Rounding, type FpEnv } from "./fp-env.js";
import {
  FpType,
  fpDefaultNaN,
  fpInfinity,
  fpZero,
  isNaNType,
  numberToBits,
  unpack,
  unpackedToNumber,
  type FpFormat,
} from "./fp-format.js";
import { processNaN } from "./fp-nan.js";
import { fpRound, fpRoundSigned } from "./fp-round.js";

/** FPConvertNaN: keep the sign and the payload left-aligned, force the quiet bit. */
function convertNaN(from: FpFormat, to: FpFormat, bits: bigint): bigint {
  const frac = bits & ((1n << BigInt(from.fbits)) - 1n);
  const moved =
    to.fbits >= from.fbits
      ? frac << BigInt(to.fbits - from.fbits)
      : frac >> BigInt(from.fbits - to.fbits);
  const sign = (bits >> BigInt(from.size - 1)) & 1n;
  return (sign << BigInt(to.size - 1)) | fpInfinity(to, 0) | moved | (1n << BigInt(to.fbits - 1));
}

/** FPConvert(op, fpcr, rounding): FCVT, FCVTN, FCVTL, FCVTXN (rounding ODD). */
export function fpConvert(
  from: FpFormat,
  to: FpFormat,
  bits: bigint,
  env: FpEnv,
  rounding: Rounding,
): bigint {
  const u = unpack(from, bits, env);
  const ahpOut = to.size === 16 && (env.fpcr & FPCR_AHP) !== 0;
  if (isNaNType(u.type)) {
    let result: bigint;
    if (ahpOut) {
      // The alternative half-precision format has no NaN: zero, Invalid Operation.
      result = fpZero(to, u.sign);
      env.fpsr |= FPSR_IOC;
    } else if ((env.fpcr & FPCR_DN) !== 0) {
      result = fpDefaultNaN(to);
    } else {
      result = convertNaN(from, to, bits);
    }
    if (u.type === FpType.SNAN) env.fpsr |= FPSR_IOC;
    return result;
  }
  if (u.type === FpType.INF) {
    if (ahpOut) {
      env.fpsr |= FPSR_IOC;
      return fpZero(to, u.sign) | ((1n << BigInt(to.size - 1)) - 1n);
    }
    return fpInfinity(to, u.sign);
  }
  if (u.type === FpType.ZERO) return fpZero(to, u.sign);
  return fpRound(to, u.sign, u.mant, u.exp, env, rounding);
}

/** Whether rounding floor(v) + err (0 <= err < 1) goes up to floor(v) + 1. */
function intRoundsUp(rounding: Rounding, floor: number, err: number): boolean {
  switch (rounding) {
    case Rounding.TIEEVEN:
      return err > 0.5 || (err === 0.5 && floor % 2 !== 0);
    case Rounding.POSINF:
      return err !== 0;
    case Rounding.NEGINF:
      return false;
    case Rounding.ZERO:
      return err !== 0 && floor < 0;
    case Rounding.TIEAWAY:
      return err > 0.5 || (err === 0.5 && floor >= 0);
    default:
      return false;
  }
}

/** FPRoundInt: FRINTN/P/M/Z/A (exact = false), FRINTX and FRINTI per FPCR (X: exact). */
export function fpRoundInt(
  fmt: FpFormat,
  bits: bigint,
  rounding: Rounding,
  exact: boolean,
  env: FpEnv,
): bigint {
  const u = unpack(fmt, bits, env);
  if (isNaNType(u.type)) return processNaN(fmt, u.type, bits, env);
  if (u.type === FpType.INF) return fpInfinity(fmt, u.sign);
  if (u.type === FpType.ZERO) return fpZero(fmt, u.sign);
  const v = unpackedToNumber(u);
  const floor = Math.floor(v);
  const err = v - floor;
  const r = floor + (intRoundsUp(rounding, floor, err) ? 1 : 0);
  if (exact && err !== 0) env.fpsr |= FPSR_IXC;
  if (r === 0) return fpZero(fmt, u.sign);
  if (fmt.size !== 16) return numberToBits(fmt, r);
  return fpRoundSigned(fmt, BigInt(r), 0, env, Rounding.TIEEVEN);
}

/**
 * FPRoundInt of a non-NaN value already unpacked to a JS number (FZ applied): the
 * result is an integer of the same format, with the input's sign when it is zero.
 */
export function roundIntNumber(v: number, rounding: Rounding, exact: boolean, env: FpEnv): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const floor = Math.floor(v);
  const err = v - floor;
  const r = floor + (intRoundsUp(rounding, floor, err) ? 1 : 0);
  if (exact && err !== 0) env.fpsr |= FPSR_IXC;
  return r === 0 ? (v < 0 ? -0 : 0) : r;
}

/**
 * FPToFixed: the integer nearest (per `rounding`) to value * 2^fbits, saturated to a
 * `size`-bit signed or unsigned integer (IOC on saturation or NaN, IXC when inexact).
 * Returns the two's complement bit pattern.
 */
export function fpToFixed(
  fmt: FpFormat,
  bits: bigint,
  fbits: number,
  unsigned: boolean,
  size: 32 | 64,
  rounding: Rounding,
  env: FpEnv,
): bigint {
  const u = unpack(fmt, bits, env);
  if (isNaNType(u.type)) {
    env.fpsr |= FPSR_IOC;
    return 0n;
  }
  return numberToFixed(unpackedToNumber(u), fbits, unsigned, size, rounding, env);
}

/**
 * FPToFixed of a value already unpacked to a JS number (not NaN; FZ already applied):
 * scaling by 2^fbits is exact, and floor/rounding decisions are exact in doubles.
 */
export function numberToFixed(
  value: number,
  fbits: number,
  unsigned: boolean,
  size: 32 | 64,
  rounding: Rounding,
  env: FpEnv,
): bigint {
  const r = roundScaled(value, fbits, rounding);
  const err = lastRoundingError;
  const min = unsigned ? 0 : -(2 ** (size - 1));
  const max = unsigned ? 2 ** size : 2 ** (size - 1); // exclusive
  if (r < min || r >= max) {
    env.fpsr |= FPSR_IOC;
    const sat = r < min ? BigInt(min) : BigInt(max) - 1n;
    return BigInt.asUintN(size, sat);
  }
  if (err !== 0) env.fpsr |= FPSR_IXC;
  return BigInt.asUintN(size, BigInt(r));
}

const MAX_EXACT = 1n << 53n;

let lastRoundingError = 0;

/** value * 2^fbits rounded to an integer; the fraction dropped is left in lastRoundingError. */
function roundScaled(value: number, fbits: number, rounding: Rounding): number {
  const v = value * 2 ** fbits;
  const floor = Math.floor(v);
  lastRoundingError = Number.isFinite(v) ? v - floor : 0;
  return floor + (intRoundsUp(rounding, floor, lastRoundingError) ? 1 : 0);
}

/** numberToFixed for 32-bit results as a uint32 number (no bigint on the hot path). */
export function numberToFixed32(
  value: number,
  fbits: number,
  unsigned: boolean,
  rounding: Rounding,
  env: FpEnv,
): number {
  const r = roundScaled(value, fbits, rounding);
  const min = unsigned ? 0 : -2147483648;
  const max = unsigned ? 4294967295 : 2147483647;
  if (r < min || r > max) {
    env.fpsr |= FPSR_IOC;
    return (r < min ? min : max) >>> 0;
  }
  if (lastRoundingError !== 0) env.fpsr |= FPSR_IXC;
  return r >>> 0;
}

/** FixedToFP: value / 2^fbits rounded once to `fmt` (value already signed/unsigned). */
export function fixedToFp(
  fmt: FpFormat,
  value: bigint,
  fbits: number,
  env: FpEnv,
  rounding: Rounding,
): bigint {
  if (value === 0n) return fpZero(fmt, 0);
  if (
    rounding === Rounding.TIEEVEN &&
    fmt.size !== 16 &&
    value <= MAX_EXACT &&
    value >= -MAX_EXACT
  ) {
    // Exact in a double (|value| <= 2^53, power-of-two scaling never underflows
    // here), so one Math.fround is the only rounding.
    const d = Number(value) / 2 ** fbits;
    const r = fmt.size === 64 ? d : Math.fround(d);
    if (r !== d) env.fpsr |= FPSR_IXC;
    return numberToBits(fmt, r);
  }
  return fpRoundSigned(fmt, value, -fbits, env, rounding);
}

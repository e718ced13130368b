// NaN propagation of the Arm pseudocode (FPProcessNaN, FPProcessNaNs, FPProcessNaNs3):
// a signalling NaN raises IOC and is quietened; the first operand in priority order
// that is signalling wins, else the first quiet one; FPCR.DN returns the default NaN.

import { FPCR_DN, FPSR_IOC, type FpEnv } from "./fp-env.js";
import { FpType, fpDefaultNaN, type FpFormat, type Unpacked } from "./fp-format.js";

export function processNaN(fmt: FpFormat, type: FpType, bits: bigint, env: FpEnv): bigint {
  let result = bits;
  if (type === FpType.SNAN) {
    env.fpsr |= FPSR_IOC;
    result = bits | (1n << BigInt(fmt.fbits - 1));
  }
  return (env.fpcr & FPCR_DN) !== 0 ? fpDefaultNaN(fmt) : result;
}

/** The NaN result of a two-operand operation, or undefined when neither is a NaN. */
export function processNaNs(
  fmt: FpFormat,
  a: Unpacked,
  aBits: bigint,
  b: Unpacked,
  bBits: bigint,
  env: FpEnv,
): bigint | undefined {
  if (a.type === FpType.SNAN) return processNaN(fmt, a.type, aBits, env);
  if (b.type === FpType.SNAN) return processNaN(fmt, b.type, bBits, env);
  if (a.type === FpType.QNAN) return processNaN(fmt, a.type, aBits, env);
  if (b.type === FpType.QNAN) return processNaN(fmt, b.type, bBits, env);
  return undefined;
}

/** Three operands in priority order (for FPMulAdd: addend, op1, op2). */
export function processNaNs3(
  fmt: FpFormat,
  ops: readonly [Unpacked, bigint][],
  env: FpEnv,
): bigint | undefined {
  for (const [u, bits] of ops)
    if (u.type === FpType.SNAN) return processNaN(fmt, u.type, bits, env);
  for (const [u, bits] of ops)
    if (u.type === FpType.QNAN) return processNaN(fmt, u.type, bits, env);
  return undefined;
}

// One FP operation on one element, reading its operands from a register-file view
// and writing the result to a (possibly different) view: the building block of the
// scalar and vector FP executors. Tries the exact fast path first (fp-fast.ts).

import { fpAdd, fpDiv, fpMul, fpMulAdd, fpMulX, fpSqrt, fpStepFused } from "./fp-arith.js";
import { fpMinMax, fpMinMaxNum } from "./fp-compare.js";
import { FPCR_FZ, type FpEnv } from "./fp-env.js";
import { absBits, negateBits, readBits, writeBits, type FpFormat } from "./fp-format.js";
import {
  type FastOp,
  fastAllowed,
  fastCompare,
  fastDouble,
  fastFma,
  fastSingle,
  fastSqrtDouble,
  fastSqrtSingle,
} from "./fp-fast.js";

export const FpBin = {
  ADD: 0,
  SUB: 1,
  MUL: 2,
  DIV: 3,
  MAX: 4,
  MIN: 5,
  MAXNM: 6,
  MINNM: 7,
  MULX: 8,
  ABD: 9,
  RECPS: 10,
  RSQRTS: 11,
  NMUL: 12,
} as const;
export type FpBin = (typeof FpBin)[keyof typeof FpBin];

/** Reads an S or D element as a JS number (NaN payloads are irrelevant here). */
export function readNumber(view: DataView, off: number, fmt: FpFormat): number {
  return fmt.size === 64 ? view.getFloat64(off, true) : view.getFloat32(off, true);
}

function writeNumber(view: DataView, off: number, fmt: FpFormat, value: number): void {
  if (fmt.size === 64) view.setFloat64(off, value, true);
  else view.setFloat32(off, value, true);
}

/** FMAX/FMIN/FMAXNM/FMINNM on two non-NaN operands (NaN or FZ denormals: undefined). */
function fastMinMax(
  kind: FpBin,
  fmt: FpFormat,
  env: FpEnv,
  x: number,
  y: number,
): number | undefined {
  const minNormal = fmt.size === 64 ? 2 ** -1022 : 2 ** -126;
  if (fastCompare(x, y, minNormal, (env.fpcr & FPCR_FZ) !== 0) === undefined) return undefined;
  const max = kind === FpBin.MAX || kind === FpBin.MAXNM;
  if (x === y) {
    // Equal values; for zeros, max prefers +0 and min prefers -0.
    if (x !== 0) return x;
    const negX = Object.is(x, -0);
    const negY = Object.is(y, -0);
    return (max ? negX && negY : negX || negY) ? -0 : 0;
  }
  return max === x > y ? x : y;
}

function tryFast(
  kind: FpBin,
  fmt: FpFormat,
  env: FpEnv,
  src: DataView,
  nOff: number,
  mOff: number,
  dst: DataView,
  dOff: number,
): boolean {
  if (fmt.size === 16) return false;
  if (kind >= FpBin.MAX && kind <= FpBin.MINNM) {
    const r = fastMinMax(kind, fmt, env, readNumber(src, nOff, fmt), readNumber(src, mOff, fmt));
    if (r === undefined) return false;
    writeNumber(dst, dOff, fmt, r);
    return true;
  }
  if (kind > FpBin.DIV || !fastAllowed(env)) return false;
  const op = kind as FastOp;
  if (fmt.size === 64) {
    const r = fastDouble(op, src.getFloat64(nOff, true), src.getFloat64(mOff, true), env);
    if (r === undefined) return false;
    dst.setFloat64(dOff, r, true);
    return true;
  }
  const r = fastSingle(op, src.getFloat32(nOff, true), src.getFloat32(mOff, true), env);
  if (r === undefined) return false;
  dst.setFloat32(dOff, r, true);
  return true;
}

/** The result bits of a two-operand FP operation (exact slow path). */
export function fpBinary(kind: FpBin, fmt: FpFormat, x: bigint, y: bigint, env: FpEnv): bigint {
  switch (kind) {
    case FpBin.ADD:
      return fpAdd(fmt, x, y, env);
    case FpBin.SUB:
      return fpAdd(fmt, x, y, env, true);
    case FpBin.MUL:
      return fpMul(fmt, x, y, env);
    case FpBin.DIV:
      return fpDiv(fmt, x, y, env);
    case FpBin.MAX:
      return fpMinMax(fmt, x, y, true, env);
    case FpBin.MIN:
      return fpMinMax(fmt, x, y, false, env);
    case FpBin.MAXNM:
      return fpMinMaxNum(fmt, x, y, true, env);
    case FpBin.MINNM:
      return fpMinMaxNum(fmt, x, y, false, env);
    case FpBin.MULX:
      return fpMulX(fmt, x, y, env);
    case FpBin.ABD:
      return absBits(fmt, fpAdd(fmt, x, y, env, true));
    case FpBin.RECPS:
      return fpStepFused(fmt, x, y, env, false);
    case FpBin.RSQRTS:
      return fpStepFused(fmt, x, y, env, true);
    case FpBin.NMUL:
      return negateBits(fmt, fpMul(fmt, x, y, env));
  }
}

export function fpBinaryAt(
  kind: FpBin,
  fmt: FpFormat,
  env: FpEnv,
  src: DataView,
  nOff: number,
  mOff: number,
  dst: DataView,
  dOff: number,
): void {
  if (tryFast(kind, fmt, env, src, nOff, mOff, dst, dOff)) return;
  const r = fpBinary(kind, fmt, readBits(src, nOff, fmt), readBits(src, mOff, fmt), env);
  writeBits(dst, dOff, fmt, r);
}

export function fpSqrtAt(
  fmt: FpFormat,
  env: FpEnv,
  src: DataView,
  nOff: number,
  dst: DataView,
  dOff: number,
): void {
  if (fmt.size !== 16 && fastAllowed(env)) {
    if (fmt.size === 64) {
      const r = fastSqrtDouble(src.getFloat64(nOff, true), env);
      if (r !== undefined) return dst.setFloat64(dOff, r, true);
    } else {
      const r = fastSqrtSingle(src.getFloat32(nOff, true), env);
      if (r !== undefined) return dst.setFloat32(dOff, r, true);
    }
  }
  writeBits(dst, dOff, fmt, fpSqrt(fmt, readBits(src, nOff, fmt), env));
}

/** addend + (negProduct ? -n : n) * m, negating operand sign bits as FPNeg does. */
export function fpMulAddAt(
  fmt: FpFormat,
  env: FpEnv,
  src: DataView,
  aOff: number,
  negAddend: boolean,
  nOff: number,
  negProduct: boolean,
  mOff: number,
  dst: DataView,
  dOff: number,
): void {
  if (fmt.size !== 16 && fastAllowed(env)) {
    const a = readNumber(src, aOff, fmt);
    const n = readNumber(src, nOff, fmt);
    const r = fastFma(
      fmt.size === 64,
      negAddend ? -a : a,
      negProduct ? -n : n,
      readNumber(src, mOff, fmt),
      env,
    );
    if (r !== undefined) return writeNumber(dst, dOff, fmt, r);
  }
  let a = readBits(src, aOff, fmt);
  let n = readBits(src, nOff, fmt);
  if (negAddend) a = negateBits(fmt, a);
  if (negProduct) n = negateBits(fmt, n);
  writeBits(dst, dOff, fmt, fpMulAdd(fmt, a, n, readBits(src, mOff, fmt), env));
}

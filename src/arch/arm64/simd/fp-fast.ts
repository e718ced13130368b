// Fast paths for single and double precision FADD/FSUB/FMUL/FDIV/FSQRT in
// round-to-nearest-even. They apply only when the operands are zero or normal and
// the result is normal, where a JS double operation (rounded once more with
// Math.fround for single precision: double rounding is innocuous for + - * / sqrt
// because 53 >= 2*24 + 2) is the correctly rounded result and FZ/DN cannot matter.
// Inexactness is decided exactly with error-free transforms (TwoSum, Veltkamp/Dekker
// TwoProduct, remainder checks). Anything else returns undefined: the caller then
// takes the exact BigInt path (fp-arith.ts), which is also the reference in tests.

import { FPSR_IXC, type FpEnv } from "./fp-env.js";

const RMODE_MASK = 3 << 22;
const MIN_NORMAL_D = 2 ** -1022;
const MIN_NORMAL_S = 2 ** -126;
const MAX_S = 3.4028234663852886e38;
// Operand magnitudes for which TwoProduct neither overflows nor loses its error term.
const SAFE_LO = 2 ** -400;
const SAFE_HI = 2 ** 400;
const SPLITTER = 134217729; // 2^27 + 1

export const FastOp = { ADD: 0, SUB: 1, MUL: 2, DIV: 3 } as const;
export type FastOp = (typeof FastOp)[keyof typeof FastOp];

export function fastAllowed(env: FpEnv): boolean {
  return (env.fpcr & RMODE_MASK) === 0;
}

function operandOk(x: number, minNormal: number): boolean {
  const a = Math.abs(x);
  return x === 0 || (a >= minNormal && a < Infinity);
}

function inSafeRange(x: number): boolean {
  const a = Math.abs(x);
  return a >= SAFE_LO && a <= SAFE_HI;
}

function twoSumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

/** Error of the double product p = fl(a * b): a * b = p + e exactly (Dekker). */
function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Double precision; undefined when the fast path does not apply. */
export function fastDouble(op: FastOp, x: number, y: number, env: FpEnv): number | undefined {
  if (!operandOk(x, MIN_NORMAL_D) || !operandOk(y, MIN_NORMAL_D)) return undefined;
  let r: number;
  let inexact: boolean;
  switch (op) {
    case FastOp.ADD:
    case FastOp.SUB: {
      const yy = op === FastOp.SUB ? -y : y;
      r = x + yy;
      if (!(Math.abs(r) > MIN_NORMAL_D && Math.abs(r) < Infinity)) return undefined;
      inexact = twoSumError(x, yy, r) !== 0;
      break;
    }
    case FastOp.MUL:
      if (!inSafeRange(x) || !inSafeRange(y)) return undefined;
      r = x * y;
      inexact = twoProductError(x, y, r) !== 0;
      break;
    default: {
      if (!inSafeRange(x) || !inSafeRange(y)) return undefined;
      r = x / y;
      // x - r*y is exact: with r*y = p + e, the remainder is (x - p) - e.
      const p = r * y;
      const e = twoProductError(r, y, p);
      inexact = x - p - e !== 0;
    }
  }
  if (inexact) env.fpsr |= FPSR_IXC;
  return r;
}

/** Single precision (operands are floats held in doubles). */
export function fastSingle(op: FastOp, x: number, y: number, env: FpEnv): number | undefined {
  if (!operandOk(x, MIN_NORMAL_S) || !operandOk(y, MIN_NORMAL_S)) return undefined;
  let d: number;
  let inexact = false;
  switch (op) {
    case FastOp.ADD:
      d = x + y;
      inexact = twoSumError(x, y, d) !== 0;
      break;
    case FastOp.SUB:
      d = x - y;
      inexact = twoSumError(x, -y, d) !== 0;
      break;
    case FastOp.MUL:
      d = x * y; // exact: 24 x 24 bits
      break;
    default:
      d = x / y;
  }
  const r = Math.fround(d);
  const a = Math.abs(r);
  if (!(a > MIN_NORMAL_S && a <= MAX_S)) return undefined;
  if (op === FastOp.DIV) inexact = r * y !== x;
  else inexact = inexact || r !== d;
  if (inexact) env.fpsr |= FPSR_IXC;
  return r;
}

export function fastSqrtDouble(x: number, env: FpEnv): number | undefined {
  if (!(x >= 2 ** -900 && x < Infinity)) return undefined;
  const r = Math.sqrt(x);
  const p = r * r;
  if (p !== x || twoProductError(r, r, p) !== 0) env.fpsr |= FPSR_IXC;
  return r;
}

export function fastSqrtSingle(x: number, env: FpEnv): number | undefined {
  if (!(x >= MIN_NORMAL_S && x < Infinity)) return undefined;
  const r = Math.fround(Math.sqrt(x));
  if (r * r !== x) env.fpsr |= FPSR_IXC;
  return r;
}

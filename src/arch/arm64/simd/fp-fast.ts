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

const oddScratch = new DataView(new ArrayBuffer(8));

/** Round-to-odd of the exact sum hi + lo (|lo| < ulp(hi)): hi, or its odd neighbour. */
function roundToOdd(hi: number, lo: number): number {
  if (lo === 0) return hi;
  oddScratch.setFloat64(0, hi, true);
  let low = oddScratch.getUint32(0, true);
  let high = oddScratch.getUint32(4, true);
  if ((low & 1) === 1) return hi;
  // Step one ulp towards lo: away from zero when lo has hi's sign.
  if (lo > 0 === hi > 0) {
    low = (low + 1) >>> 0; // bit 0 was clear: no carry
  } else {
    if (low === 0) high = (high - 1) >>> 0;
    low = (low - 1) >>> 0;
  }
  oddScratch.setUint32(0, low, true);
  oddScratch.setUint32(4, high, true);
  return oddScratch.getFloat64(0, true);
}

/**
 * addend + x * y rounded once (FMA), or undefined outside the fast domain. Single:
 * the product is exact in a double, TwoSum gives the exact sum hi + lo, and rounding
 * hi to odd before Math.fround makes the double rounding innocuous (53 >= 24 + 2).
 * Double: Boldo and Melquiond's emulated FMA (ExactMult, TwoSum, round-to-odd add,
 * final round to nearest), whose operands here stay far from underflow and overflow.
 */
export function fastFma(
  double: boolean,
  addend: number,
  x: number,
  y: number,
  env: FpEnv,
): number | undefined {
  if (double) {
    if ((x === 0 || y === 0) && operandOk(x, MIN_NORMAL_D) && operandOk(y, MIN_NORMAL_D)) {
      // A zero product (with its sign) plus the addend is exact: no rounding, no flags.
      return operandOk(addend, MIN_NORMAL_D) ? addend + x * y : undefined;
    }
    if (!inSafeRange(x) || !inSafeRange(y)) return undefined;
    const az = Math.abs(addend);
    if (!(addend === 0 || (az >= 2 ** -900 && az <= 2 ** 900))) return undefined;
    const ph = x * y;
    const pl = twoProductError(x, y, ph);
    const sh = addend + ph;
    const sl = twoSumError(addend, ph, sh);
    const t = pl + sl;
    const te = twoSumError(pl, sl, t);
    const v = roundToOdd(t, te);
    const r = sh + v;
    if (!(Math.abs(r) > 2 ** -1000)) return undefined;
    if (te !== 0 || twoSumError(sh, v, r) !== 0) env.fpsr |= FPSR_IXC;
    return r;
  }
  if (!operandOk(x, MIN_NORMAL_S) || !operandOk(y, MIN_NORMAL_S)) return undefined;
  if (!operandOk(addend, MIN_NORMAL_S)) return undefined;
  const p = x * y; // exact: 24 x 24 bits, far inside the double range
  const hi = p + addend;
  const lo = twoSumError(p, addend, hi);
  const r = Math.fround(roundToOdd(hi, lo));
  const a = Math.abs(r);
  if (!(a > MIN_NORMAL_S && a <= MAX_S)) return undefined;
  if (lo !== 0 || r !== hi) env.fpsr |= FPSR_IXC;
  return r;
}

/**
 * NZCV of FPCompare for two non-NaN values whose denormals need no flushing, or
 * undefined (NaN, or FZ with a denormal operand): the caller takes the exact path.
 */
export function fastCompare(
  x: number,
  y: number,
  minNormal: number,
  fz: boolean,
): number | undefined {
  if (x !== x || y !== y) return undefined;
  if (fz && ((x !== 0 && Math.abs(x) < minNormal) || (y !== 0 && Math.abs(y) < minNormal))) {
    return undefined;
  }
  if (x === y) return 0x6 << 28;
  return x < y ? 0x8 << 28 : 0x2 << 28;
}

/**
 * FCVT between single and double on JS numbers: widening is exact (unless the input
 * is a NaN or a denormal that FZ flushes); narrowing in round-to-nearest is one
 * Math.fround when the result is normal. Undefined: take the exact path.
 */
export function fastConvertSD(toDouble: boolean, x: number, env: FpEnv): number | undefined {
  if (x !== x) return undefined;
  if (x === 0 || !Number.isFinite(x)) return toDouble ? x : undefined;
  const fz = (env.fpcr & (1 << 24)) !== 0;
  if (toDouble) return fz && Math.abs(x) < MIN_NORMAL_S ? undefined : x;
  if (!fastAllowed(env)) return undefined;
  const r = Math.fround(x);
  const a = Math.abs(r);
  if (!(a > MIN_NORMAL_S && a <= MAX_S)) return undefined;
  if (r !== x) env.fpsr |= FPSR_IXC;
  return r;
}

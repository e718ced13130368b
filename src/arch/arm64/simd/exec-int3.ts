// AdvSIMD three same, integer opcodes 00000-10111 (vector and scalar): halving,
// saturating, compare, shift-by-register, min/max, absolute difference, add/sub,
// multiply(-accumulate), pairwise, doubling multiply high, and the logical group
// (AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF). Arm ARM C4.1.6 "Advanced SIMD three same".

import type { SimdContext } from "./context.js";
import { doublingMulHigh, polyMul8, sat, satBig, shiftByRegister } from "./int-lane.js";
import { SA, SB, SD, SR } from "./lanes.js";
import { LaneBuffer, getLaneBig } from "./vreg.js";

const buf = new LaneBuffer();

const Op = {
  HADD: 0,
  QADD: 1,
  RHADD: 2,
  LOGIC: 3,
  HSUB: 4,
  QSUB: 5,
  CMGT: 6,
  CMGE: 7,
  SHL: 8,
  QSHL: 9,
  RSHL: 10,
  QRSHL: 11,
  MAX: 12,
  MIN: 13,
  ABD: 14,
  ABA: 15,
  ADD: 16,
  CMTST: 17,
  MLA: 18,
  MUL: 19,
  MAXP: 20,
  MINP: 21,
  QDMULH: 22,
  ADDP: 23,
} as const;

/** Ops that take 64-bit elements (size = 11); the rest reserve it. */
const ALLOWS_64 = new Set<number>([
  Op.QADD,
  Op.QSUB,
  Op.CMGT,
  Op.CMGE,
  Op.SHL,
  Op.QSHL,
  Op.RSHL,
  Op.QRSHL,
  Op.ADD,
  Op.CMTST,
  Op.ADDP,
]);

/** Scalar forms: ops allowed, and whether they need size = 11. */
const SCALAR_OPS = new Map<number, "any" | "d" | "hs">([
  [Op.QADD, "any"],
  [Op.QSUB, "any"],
  [Op.CMGT, "d"],
  [Op.CMGE, "d"],
  [Op.SHL, "d"],
  [Op.QSHL, "any"],
  [Op.RSHL, "d"],
  [Op.QRSHL, "any"],
  [Op.ADD, "d"],
  [Op.CMTST, "d"],
  [Op.QDMULH, "hs"],
]);

function usesBigint(op: number, esize: number): boolean {
  return esize === 64 || (op >= Op.SHL && op <= Op.QRSHL);
}

/**
 * One element for esize <= 32: x, y, acc are already signed or unsigned per U (read
 * through signed or unsigned lane arrays); the result is truncated by the store.
 */
function lane(
  op: number,
  u: boolean,
  esize: number,
  x: number,
  y: number,
  acc: number,
  ctx: SimdContext,
): number {
  switch (op) {
    case Op.HADD:
      return Math.floor((x + y) / 2);
    case Op.RHADD:
      return Math.floor((x + y + 1) / 2);
    case Op.HSUB:
      return Math.floor((x - y) / 2);
    case Op.QADD:
      return sat(x + y, esize, u, ctx);
    case Op.QSUB:
      return sat(x - y, esize, u, ctx);
    case Op.CMGT:
      return x > y ? -1 : 0;
    case Op.CMGE:
      return x >= y ? -1 : 0;
    case Op.MAX:
    case Op.MAXP:
      return x >= y ? x : y;
    case Op.MIN:
    case Op.MINP:
      return x <= y ? x : y;
    case Op.ABD:
      return Math.abs(x - y);
    case Op.ABA:
      return acc + Math.abs(x - y);
    case Op.ADD:
      return u ? x - y : x + y;
    case Op.ADDP:
      return x + y;
    case Op.CMTST:
      return (u ? x === y : (x & y) !== 0) ? -1 : 0;
    case Op.MLA:
      return u ? acc - Math.imul(x, y) : acc + Math.imul(x, y);
    case Op.MUL:
      return u ? polyMul8(x, y) : Math.imul(x, y);
    default:
      return doublingMulHigh(x, y, esize, u, ctx); // QDMULH: U = rounding
  }
}

/** One element with bigints (64-bit elements, and shifts by register at any size). */
function laneBig(
  op: number,
  u: boolean,
  esize: number,
  a: bigint,
  b: bigint,
  ctx: SimdContext,
): bigint {
  const x = u ? a : BigInt.asIntN(esize, a);
  const y = u ? b : BigInt.asIntN(esize, b);
  const allOnes = (1n << BigInt(esize)) - 1n;
  switch (op) {
    case Op.QADD:
      return satBig(x + y, esize, u, ctx);
    case Op.QSUB:
      return satBig(x - y, esize, u, ctx);
    case Op.CMGT:
      return x > y ? allOnes : 0n;
    case Op.CMGE:
      return x >= y ? allOnes : 0n;
    case Op.SHL:
    case Op.QSHL:
    case Op.RSHL:
    case Op.QRSHL:
      return shiftByRegister(a, b, esize, u, (op & 2) !== 0, (op & 1) !== 0, ctx);
    case Op.ADD:
      return BigInt.asUintN(esize, u ? a - b : a + b);
    case Op.ADDP:
      return BigInt.asUintN(esize, a + b);
    default: // CMTST / CMEQ
      return (u ? a === b : (a & b) !== 0n) ? allOnes : 0n;
  }
}

function logical(ctx: SimdContext, insn: number, bytes: number): void {
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const a = SA.load(ctx, (insn >>> 5) & 31).u32;
  const b = SB.load(ctx, (insn >>> 16) & 31).u32;
  const d = insn & 31;
  const c = SD.load(ctx, d).u32;
  const r = SR.u32;
  const words = bytes >>> 2;
  for (let i = 0; i < words; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    const z = c[i] ?? 0;
    switch ((u << 2) | size) {
      case 0:
        r[i] = x & y; // AND
        break;
      case 1:
        r[i] = x & ~y; // BIC
        break;
      case 2:
        r[i] = x | y; // ORR
        break;
      case 3:
        r[i] = x | ~y; // ORN
        break;
      case 4:
        r[i] = x ^ y; // EOR
        break;
      case 5:
        r[i] = y ^ ((y ^ x) & z); // BSL
        break;
      case 6:
        r[i] = z ^ ((z ^ x) & y); // BIT
        break;
      default:
        r[i] = z ^ ((z ^ x) & ~y); // BIF
    }
  }
  SR.store(ctx, d, bytes);
}

function vectorAllowed(op: number, u: number, size: number, q: number): boolean {
  if (size === 3 && (q === 0 || !ALLOWS_64.has(op))) return false;
  if (op === Op.MUL && u === 1) return size === 0;
  if (op === Op.QDMULH) return size === 1 || size === 2;
  if (op === Op.ADDP) return u === 0;
  return true;
}

function scalarAllowed(op: number, size: number): boolean {
  const rule = SCALAR_OPS.get(op);
  if (rule === undefined) return false;
  if (rule === "d") return size === 3;
  if (rule === "hs") return size === 1 || size === 2;
  return true;
}

export function execIntThreeSame(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const op = (insn >>> 11) & 31;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  const d = insn & 31;
  if (op === Op.LOGIC) {
    if (scalar) return false;
    logical(ctx, insn, q ? 16 : 8);
    return true;
  }
  if (scalar ? !scalarAllowed(op, size) : !vectorAllowed(op, u, size, q)) return false;
  const esize = 8 << size;
  const bytes = scalar ? esize >>> 3 : q ? 16 : 8;
  const elements = (bytes * 8) / esize;
  const pairwise = op === Op.MAXP || op === Op.MINP || op === Op.ADDP;
  const unsigned = u === 1;
  if (esize === 64 && !pairwise && words64(ctx, op, unsigned, bytes, n, m, d)) return true;
  if (usesBigint(op, esize)) {
    bigLoop(ctx, op, unsigned, esize, elements, n, m, pairwise);
    buf.commit(ctx, d, bytes);
    return true;
  }
  // Signed ops read signed lanes; the doubling multiplies sign-extend themselves.
  const signed = !unsigned && op !== Op.QDMULH && op !== Op.MUL && op !== Op.MLA;
  if (pairwise) {
    // Element e combines elements 2e and 2e+1 of the concatenation Vm:Vn.
    SA.load(ctx, n, 0, bytes).load(ctx, m, bytes, bytes);
    const x = SA.lanes(esize, signed);
    const r = SR.lanes(esize, false);
    for (let e = 0; e < elements; e++) {
      const a = x[2 * e] ?? 0;
      const b = x[2 * e + 1] ?? 0;
      if (op === Op.ADDP) r[e] = a + b;
      else if (op === Op.MAXP) r[e] = a >= b ? a : b;
      else r[e] = a <= b ? a : b;
    }
    SR.store(ctx, d, bytes);
    return true;
  }
  const x = SA.load(ctx, n).lanes(esize, signed);
  const y = SB.load(ctx, m).lanes(esize, signed);
  const acc = SD.load(ctx, d).lanes(esize, false);
  const r = SR.lanes(esize, false);
  switch (op) {
    case Op.ADD:
      if (unsigned) for (let e = 0; e < elements; e++) r[e] = (x[e] ?? 0) - (y[e] ?? 0);
      else for (let e = 0; e < elements; e++) r[e] = (x[e] ?? 0) + (y[e] ?? 0);
      break;
    case Op.CMTST:
      if (unsigned) for (let e = 0; e < elements; e++) r[e] = x[e] === y[e] ? -1 : 0;
      else for (let e = 0; e < elements; e++) r[e] = ((x[e] ?? 0) & (y[e] ?? 0)) !== 0 ? -1 : 0;
      break;
    case Op.CMGT:
      for (let e = 0; e < elements; e++) r[e] = (x[e] ?? 0) > (y[e] ?? 0) ? -1 : 0;
      break;
    case Op.CMGE:
      for (let e = 0; e < elements; e++) r[e] = (x[e] ?? 0) >= (y[e] ?? 0) ? -1 : 0;
      break;
    default:
      for (let e = 0; e < elements; e++) {
        r[e] = lane(op, unsigned, esize, x[e] ?? 0, y[e] ?? 0, acc[e] ?? 0, ctx);
      }
  }
  SR.store(ctx, d, bytes);
  return true;
}

/**
 * ADD/SUB and the compares on 64-bit elements with 32-bit word arithmetic (no
 * bigints); false for the other ops, which take the bigint path.
 */
function words64(
  ctx: SimdContext,
  op: number,
  u: boolean,
  bytes: number,
  n: number,
  m: number,
  d: number,
): boolean {
  if (op !== Op.ADD && op !== Op.CMTST && op !== Op.CMGT && op !== Op.CMGE) return false;
  const a = SA.load(ctx, n).u32;
  const b = SB.load(ctx, m).u32;
  const ai = SA.i32;
  const bi = SB.i32;
  const r = SR.u32;
  for (let w = 0; w < bytes >>> 2; w += 2) {
    const alo = a[w] ?? 0;
    const blo = b[w] ?? 0;
    const ahi = a[w + 1] ?? 0;
    const bhi = b[w + 1] ?? 0;
    let lo: number;
    let hi: number;
    if (op === Op.ADD) {
      lo = u ? alo - blo : alo + blo;
      const carry = u ? (lo < 0 ? -1 : 0) : lo > 0xffffffff ? 1 : 0;
      hi = (u ? ahi - bhi : ahi + bhi) + carry;
    } else {
      let result: boolean;
      if (op === Op.CMTST) {
        result = u ? alo === blo && ahi === bhi : (alo & blo) !== 0 || (ahi & bhi) !== 0;
      } else {
        // Signed compares order the high words as int32, the low words unsigned.
        const xh = u ? ahi : (ai[w + 1] ?? 0);
        const yh = u ? bhi : (bi[w + 1] ?? 0);
        const gtOrEq = op === Op.CMGE ? alo >= blo : alo > blo;
        result = xh > yh || (xh === yh && gtOrEq);
      }
      lo = hi = result ? -1 : 0;
    }
    r[w] = lo;
    r[w + 1] = hi;
  }
  SR.store(ctx, d, bytes);
  return true;
}

function bigLoop(
  ctx: SimdContext,
  op: number,
  unsigned: boolean,
  esize: number,
  elements: number,
  n: number,
  m: number,
  pairwise: boolean,
): void {
  buf.reset();
  for (let e = 0; e < elements; e++) {
    let rn = n;
    let rm = m;
    let ia = e;
    let ib = e;
    if (pairwise) {
      const j = 2 * e;
      rn = rm = j < elements ? n : m;
      ia = j % elements;
      ib = ia + 1;
    }
    const a = getLaneBig(ctx, rn, esize, ia);
    const b = getLaneBig(ctx, rm, esize, ib);
    buf.setBig(esize, e, laneBig(op, unsigned, esize, a, b, ctx));
  }
}

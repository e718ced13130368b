// AdvSIMD two-register miscellaneous (vector and scalar): REV*, pairwise add long,
// saturating accumulate, CLS/CLZ/CNT/NOT/RBIT, compares against zero, ABS/NEG and
// their saturating forms, narrowing (XTN, SQXTN, UQXTN, SQXTUN), SHLL, and the FP
// group (exec-misc-fp.ts). Arm ARM C4.1.6 "Advanced SIMD two-register miscellaneous".

import type { SimdContext } from "./context.js";
import { execFpTwoMisc } from "./exec-misc-fp.js";
import { mask, ones, sat, satBig, sx } from "./int-lane.js";
import { SA, SD, SR } from "./lanes.js";
import { LaneBuffer, getLaneBig } from "./vreg.js";

const buf = new LaneBuffer();

/** Integer element-wise unary ops: key U:opcode. */
const Unary = {
  SUQADD: 0x03,
  SQABS: 0x07,
  CMGT0: 0x08,
  CMEQ0: 0x09,
  CMLT0: 0x0a,
  ABS: 0x0b,
  USQADD: 0x23,
  SQNEG: 0x27,
  CMGE0: 0x28,
  CMLE0: 0x29,
  NEG: 0x2b,
} as const;

const SCALAR_D_ONLY = new Set<number>([
  Unary.CMGT0,
  Unary.CMEQ0,
  Unary.CMLT0,
  Unary.ABS,
  Unary.CMGE0,
  Unary.CMLE0,
  Unary.NEG,
]);

function unaryLane(key: number, esize: number, a: number, acc: number, ctx: SimdContext): number {
  const x = sx(a, esize);
  const all = ones(esize);
  switch (key) {
    case Unary.SUQADD:
      return sat(sx(acc, esize) + a, esize, false, ctx);
    case Unary.USQADD:
      return sat(acc + x, esize, true, ctx);
    case Unary.SQABS:
      return sat(Math.abs(x), esize, false, ctx);
    case Unary.SQNEG:
      return sat(-x, esize, false, ctx);
    case Unary.CMGT0:
      return x > 0 ? all : 0;
    case Unary.CMEQ0:
      return x === 0 ? all : 0;
    case Unary.CMLT0:
      return x < 0 ? all : 0;
    case Unary.CMGE0:
      return x >= 0 ? all : 0;
    case Unary.CMLE0:
      return x <= 0 ? all : 0;
    case Unary.ABS:
      return mask(Math.abs(x), esize);
    default:
      return mask(-x, esize); // NEG
  }
}

function unaryLane64(key: number, a: bigint, acc: bigint, ctx: SimdContext): bigint {
  const x = BigInt.asIntN(64, a);
  const all = (1n << 64n) - 1n;
  switch (key) {
    case Unary.SUQADD:
      return satBig(BigInt.asIntN(64, acc) + a, 64, false, ctx);
    case Unary.USQADD:
      return satBig(acc + x, 64, true, ctx);
    case Unary.SQABS:
      return satBig(x < 0n ? -x : x, 64, false, ctx);
    case Unary.SQNEG:
      return satBig(-x, 64, false, ctx);
    case Unary.CMGT0:
      return x > 0n ? all : 0n;
    case Unary.CMEQ0:
      return x === 0n ? all : 0n;
    case Unary.CMLT0:
      return x < 0n ? all : 0n;
    case Unary.CMGE0:
      return x >= 0n ? all : 0n;
    case Unary.CMLE0:
      return x <= 0n ? all : 0n;
    case Unary.ABS:
      return BigInt.asUintN(64, x < 0n ? -x : x);
    default:
      return BigInt.asUintN(64, -x);
  }
}

const UNARY_KEYS = new Set<number>(Object.values(Unary));

function unary(ctx: SimdContext, insn: number, key: number, esize: number, bytes: number): void {
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const elements = (bytes * 8) / esize;
  if (esize === 64) {
    buf.reset();
    for (let e = 0; e < elements; e++) {
      const acc = ctx.vview.getBigUint64(d * 16 + e * 8, true);
      buf.set64(e, unaryLane64(key, ctx.vview.getBigUint64(n * 16 + e * 8, true), acc, ctx));
    }
    buf.commit(ctx, d, bytes);
    return;
  }
  SA.load(ctx, n);
  const x = SA.lanes(esize, true);
  const r = SR.lanes(esize, false);
  switch (key) {
    case Unary.CMEQ0:
      for (let e = 0; e < elements; e++) r[e] = x[e] === 0 ? -1 : 0;
      break;
    case Unary.CMGT0:
      for (let e = 0; e < elements; e++) r[e] = (x[e] ?? 0) > 0 ? -1 : 0;
      break;
    case Unary.CMLT0:
      for (let e = 0; e < elements; e++) r[e] = (x[e] ?? 0) < 0 ? -1 : 0;
      break;
    case Unary.NEG:
      for (let e = 0; e < elements; e++) r[e] = -(x[e] ?? 0);
      break;
    default: {
      const a = SA.lanes(esize, false);
      const acc = SD.load(ctx, d).lanes(esize, false);
      for (let e = 0; e < elements; e++) r[e] = unaryLane(key, esize, a[e] ?? 0, acc[e] ?? 0, ctx);
    }
  }
  SR.store(ctx, d, bytes);
}

/** The value of 2*esize-bit source element e, signed or not (exact below 2^53; wider
 * 64-bit values are only compared against saturation limits, which stays correct). */
function wideElement(esize: number, e: number, signed: boolean): number {
  if (esize === 32) {
    const lo = SA.u32[2 * e] ?? 0;
    const hi = signed ? (SA.i32[2 * e + 1] ?? 0) : (SA.u32[2 * e + 1] ?? 0);
    return hi * 4294967296 + lo;
  }
  return SA.lanes(2 * esize, signed)[e] ?? 0;
}

/** XTN, SQXTN, UQXTN, SQXTUN: 2*esize elements of Vn into the lower or upper half. */
function narrow(
  ctx: SimdContext,
  insn: number,
  esize: number,
  part: number,
  scalar: boolean,
  kind: "xtn" | "sqxtn" | "uqxtn" | "sqxtun",
): void {
  const d = insn & 31;
  const elements = scalar ? 1 : 64 / esize;
  SA.load(ctx, (insn >>> 5) & 31);
  SR.clear();
  if (!scalar && part === 1) SR.load(ctx, d, 0, 8);
  const r = SR.lanes(esize, false);
  const at = scalar ? 0 : part * elements;
  for (let e = 0; e < elements; e++) {
    switch (kind) {
      case "xtn":
        r[at + e] = esize === 32 ? (SA.u32[2 * e] ?? 0) : wideElement(esize, e, false);
        break;
      case "sqxtn":
        r[at + e] = sat(wideElement(esize, e, true), esize, false, ctx);
        break;
      case "uqxtn":
        r[at + e] = sat(wideElement(esize, e, false), esize, true, ctx);
        break;
      default:
        r[at + e] = sat(wideElement(esize, e, true), esize, true, ctx);
    }
  }
  SR.store(ctx, d, scalar ? esize >>> 3 : part ? 16 : 8);
}

/** REV16/REV32/REV64: reverse esize elements inside each container. */
function reverse(
  ctx: SimdContext,
  insn: number,
  esize: number,
  container: number,
  bytes: number,
): void {
  const src = SA.load(ctx, (insn >>> 5) & 31).u8;
  const out = SR.u8;
  const eb = esize >>> 3;
  const cb = container >>> 3;
  for (let c = 0; c < bytes; c += cb) {
    for (let e = 0; e < cb; e += eb) {
      const to = c + cb - e - eb;
      for (let k = 0; k < eb; k++) out[to + k] = src[c + e + k] ?? 0;
    }
  }
  SR.store(ctx, insn & 31, bytes);
}

function bitCount(ctx: SimdContext, insn: number, key: number, esize: number, bytes: number): void {
  SA.load(ctx, (insn >>> 5) & 31);
  const a = SA.lanes(esize, false);
  const x = SA.lanes(esize, true);
  const r = SR.lanes(esize, false);
  const elements = (bytes * 8) / esize;
  for (let e = 0; e < elements; e++) {
    switch (key) {
      case 0x04: {
        // CLS: leading sign bits, excluding the sign bit itself
        const v = x[e] ?? 0;
        r[e] = Math.clz32(v < 0 ? ~v : v) - (32 - esize) - 1;
        break;
      }
      case 0x24: // CLZ
        r[e] = Math.clz32(a[e] ?? 0) - (32 - esize);
        break;
      case 0x05: // CNT (bytes)
        r[e] = popcount8(a[e] ?? 0);
        break;
      default: // NOT / RBIT (bytes, selected by size)
        r[e] = ((insn >>> 22) & 3) === 0 ? ~(a[e] ?? 0) : rbit8(a[e] ?? 0);
    }
  }
  SR.store(ctx, insn & 31, bytes);
}

function popcount8(a: number): number {
  let x = a - ((a >>> 1) & 0x55);
  x = (x & 0x33) + ((x >>> 2) & 0x33);
  return (x + (x >>> 4)) & 0x0f;
}

function rbit8(a: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((a >>> i) & 1) << (7 - i);
  return r;
}

/** SADDLP/UADDLP/SADALP/UADALP: adjacent pairs added into double-width elements. */
function addLongPairwise(
  ctx: SimdContext,
  insn: number,
  esize: number,
  bytes: number,
  u: number,
  accumulate: boolean,
): void {
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const wide = esize * 2;
  buf.reset();
  for (let e = 0; e < (bytes * 8) / wide; e++) {
    const get = (i: number): bigint => {
      const v = getLaneBig(ctx, n, esize, i);
      return u ? v : BigInt.asIntN(esize, v);
    };
    let sum = get(2 * e) + get(2 * e + 1);
    if (accumulate) sum += getLaneBig(ctx, d, wide, e);
    buf.setBig(wide, e, sum);
  }
  buf.commit(ctx, d, bytes);
}

/** SHLL/SHLL2: widen the lower or upper half and shift left by esize. */
function shll(ctx: SimdContext, insn: number, esize: number, part: number): void {
  const n = (insn >>> 5) & 31;
  const elements = 64 / esize;
  buf.reset();
  for (let e = 0; e < elements; e++) {
    const v = getLaneBig(ctx, n, esize, part * elements + e);
    buf.setBig(esize * 2, e, v << BigInt(esize));
  }
  buf.commit(ctx, insn & 31, 16);
}

export function execTwoMisc(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 31;
  const key = (u << 5) | opcode;
  if (opcode >= 0x0c && opcode !== 0x12 && opcode !== 0x13 && opcode !== 0x14) {
    return execFpTwoMisc(ctx, insn, scalar);
  }
  const esize = 8 << size;
  if (UNARY_KEYS.has(key)) {
    if (scalar && SCALAR_D_ONLY.has(key) && size !== 3) return false;
    if (!scalar && size === 3 && q === 0) return false;
    unary(ctx, insn, key, esize, scalar ? esize >>> 3 : q ? 16 : 8);
    return true;
  }
  const bytes = q ? 16 : 8;
  switch (key) {
    case 0x12: // XTN
    case 0x14: // SQXTN
    case 0x32: // SQXTUN
    case 0x34: // UQXTN
      if (size === 3 || (scalar && key === 0x12)) return false;
      narrow(
        ctx,
        insn,
        esize,
        q,
        scalar,
        key === 0x12 ? "xtn" : key === 0x14 ? "sqxtn" : key === 0x32 ? "sqxtun" : "uqxtn",
      );
      return true;
    default:
      break;
  }
  if (scalar) return false;
  switch (key) {
    case 0x00: // REV64
    case 0x20: // REV32
    case 0x01: {
      // REV16
      const container = key === 0x00 ? 64 : key === 0x20 ? 32 : 16;
      if (esize >= container) return false;
      reverse(ctx, insn, esize, container, bytes);
      return true;
    }
    case 0x02: // SADDLP
    case 0x22: // UADDLP
    case 0x06: // SADALP
    case 0x26: // UADALP
      if (size === 3) return false;
      addLongPairwise(ctx, insn, esize, bytes, u, opcode === 0x06);
      return true;
    case 0x04: // CLS
    case 0x24: // CLZ
      if (size === 3) return false;
      bitCount(ctx, insn, key, esize, bytes);
      return true;
    case 0x05: // CNT
    case 0x25: // NOT, RBIT
      if (size !== 0 && !(key === 0x25 && size === 1)) return false;
      bitCount(ctx, insn, key, 8, bytes);
      return true;
    case 0x33: // SHLL
      if (size === 3) return false;
      shll(ctx, insn, esize, q);
      return true;
    default:
      return false;
  }
}

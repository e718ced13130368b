// The floating-point half of AdvSIMD two-register misc (vector and scalar): FCVTN,
// FCVTXN, FCVTL, FRINT*, FCVT[NPMZA][SU], SCVTF/UCVTF, compares against zero,
// FABS/FNEG/FSQRT, FRECPX. Bit 23 ("a") and bit 22 (sz) as in Arm ARM C4.1.6.

import type { SimdContext } from "./context.js";
import { CmpKind, fpCompareLane } from "./fp-compare.js";
import {
  fixedToFp,
  fpConvert,
  fpRoundInt,
  fpToFixed,
  numberToFixed,
  numberToFixed32,
} from "./fp-convert.js";
import { FPCR_FZ, FPSR_IXC, Rounding, decodeRounding, fpcrRounding } from "./fp-env.js";
import { fastAllowed, fastConvertSD } from "./fp-fast.js";
import {
  DOUBLE,
  FpType,
  HALF,
  SINGLE,
  isNaNType,
  readBits,
  unpack,
  writeBits,
  type FpFormat,
} from "./fp-format.js";
import {
  fpRSqrtEstimate,
  fpRecipEstimate,
  unsignedRSqrtEstimate,
  unsignedRecipEstimate,
} from "./fp-estimate.js";
import { fpSqrtAt, readNumber } from "./fp-lane.js";
import { SA, SR } from "./lanes.js";
import { processNaN } from "./fp-nan.js";
import { LaneBuffer } from "./vreg.js";

const buf = new LaneBuffer();

/** FCVTN/FCVTXN (narrow into the lower or upper half) and FCVTL (widen a half). */
function convertWidth(
  ctx: SimdContext,
  insn: number,
  scalar: boolean,
  kind: "n" | "xn" | "l",
): void {
  const q = scalar ? 0 : (insn >>> 30) & 1;
  const sz = (insn >>> 22) & 1;
  const wide = sz ? DOUBLE : SINGLE;
  const narrowFmt = sz ? SINGLE : HALF;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const rounding = kind === "xn" ? Rounding.ODD : fpcrRounding(ctx);
  const elements = scalar ? 1 : 64 / narrowFmt.size;
  const src = ctx.vregs.slice(n * 16, n * 16 + 16);
  const view = new DataView(src.buffer);
  buf.reset();
  const sd = kind !== "xn" && sz === 1; // single <-> double: number fast path
  if (kind === "l") {
    for (let e = 0; e < elements; e++) {
      if (sd) {
        const r = fastConvertSD(true, view.getFloat32((q * elements + e) * 4, true), ctx);
        if (r !== undefined) {
          buf.view.setFloat64(e * 8, r, true);
          continue;
        }
      }
      const bits = readBits(view, (q * elements + e) * (narrowFmt.size >>> 3), narrowFmt);
      writeBits(
        buf.view,
        e * (wide.size >>> 3),
        wide,
        fpConvert(narrowFmt, wide, bits, ctx, rounding),
      );
    }
    buf.commit(ctx, d, 16);
    return;
  }
  if (q === 1) buf.bytes.set(ctx.vregs.subarray(d * 16, d * 16 + 8));
  for (let e = 0; e < elements; e++) {
    if (sd) {
      const r = fastConvertSD(false, view.getFloat64(e * 8, true), ctx);
      if (r !== undefined) {
        buf.view.setFloat32((q * elements + e) * 4, r, true);
        continue;
      }
    }
    const bits = readBits(view, e * (wide.size >>> 3), wide);
    const r = fpConvert(wide, narrowFmt, bits, ctx, rounding);
    writeBits(buf.view, (q * elements + e) * (narrowFmt.size >>> 3), narrowFmt, r);
  }
  buf.commit(ctx, d, scalar ? narrowFmt.size >>> 3 : q ? 16 : 8);
}

/** FPRecpX: exponent-only reciprocal (FRECPX). */
function fpRecpX(fmt: FpFormat, bits: bigint, ctx: SimdContext): bigint {
  const u = unpack(fmt, bits, ctx);
  if (isNaNType(u.type)) return processNaN(fmt, u.type, bits, ctx);
  const expMask = BigInt((1 << fmt.ebits) - 1);
  const exp = (bits >> BigInt(fmt.fbits)) & expMask;
  const sign = bits & (1n << BigInt(fmt.size - 1));
  if (u.type === FpType.ZERO || exp === 0n) {
    return sign | ((expMask - 1n) << BigInt(fmt.fbits)); // max exponent for zero/denormal
  }
  return sign | ((exp ^ expMask) << BigInt(fmt.fbits));
}

type LaneFn = (fmt: FpFormat, bits: bigint) => bigint;

function perLane(ctx: SimdContext, insn: number, scalar: boolean, fn: LaneFn): boolean {
  const q = (insn >>> 30) & 1;
  const sz = (insn >>> 22) & 1;
  if (!scalar && sz === 1 && q === 0) return false;
  const fmt = sz ? DOUBLE : SINGLE;
  const eb = fmt.size >>> 3;
  const bytes = scalar ? eb : q ? 16 : 8;
  const n = (insn >>> 5) & 31;
  buf.reset();
  for (let off = 0; off < bytes; off += eb) {
    writeBits(buf.view, off, fmt, fn(fmt, readBits(ctx.vview, n * 16 + off, fmt)));
  }
  buf.commit(ctx, insn & 31, bytes);
  return true;
}

const f32 = new DataView(new ArrayBuffer(4));

function numberToBits32(x: number): number {
  f32.setFloat32(0, x, true);
  return f32.getUint32(0, true);
}

/** Element-wise conversion: fn gets the source lane's offset, returns the lane bits. */
function convertLanes(
  ctx: SimdContext,
  insn: number,
  scalar: boolean,
  fn: (fmt: FpFormat, off: number) => number | bigint,
): boolean {
  const q = (insn >>> 30) & 1;
  const sz = (insn >>> 22) & 1;
  if (!scalar && sz === 1 && q === 0) return false;
  const fmt = sz ? DOUBLE : SINGLE;
  const eb = fmt.size >>> 3;
  const bytes = scalar ? eb : q ? 16 : 8;
  const n = (insn >>> 5) & 31;
  buf.reset();
  for (let off = 0; off < bytes; off += eb) {
    const r = fn(fmt, n * 16 + off);
    if (typeof r === "number") buf.view.setUint32(off, r, true);
    else writeBits(buf.view, off, fmt, r);
  }
  buf.commit(ctx, insn & 31, bytes);
  return true;
}

/** FABS / FNEG (vector): clear or flip each element's sign bit; no FP exceptions. */
function signLanes(ctx: SimdContext, insn: number, negate: boolean): boolean {
  const q = (insn >>> 30) & 1;
  const sz = (insn >>> 22) & 1;
  if (sz === 1 && q === 0) return false;
  const eb = sz ? 8 : 4;
  const bytes = q ? 16 : 8;
  const src = SA.load(ctx, (insn >>> 5) & 31).u8;
  const out = SR.u8;
  out.set(src);
  for (let top = eb - 1; top < bytes; top += eb) {
    out[top] = negate ? (src[top] ?? 0) ^ 0x80 : (src[top] ?? 0) & 0x7f;
  }
  SR.store(ctx, insn & 31, bytes);
  return true;
}

function compareZero(
  ctx: SimdContext,
  insn: number,
  scalar: boolean,
  kind: CmpKind,
  swap: boolean,
): boolean {
  return perLane(ctx, insn, scalar, (fmt, x) => {
    const r = swap ? fpCompareLane(fmt, kind, 0n, x, ctx) : fpCompareLane(fmt, kind, x, 0n, ctx);
    return r ? (1n << BigInt(fmt.size)) - 1n : 0n;
  });
}

export function execFpTwoMisc(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const u = (insn >>> 29) & 1;
  const a = (insn >>> 23) & 1;
  const sz = (insn >>> 22) & 1;
  const opcode = (insn >>> 12) & 31;
  const key = (u << 6) | (a << 5) | opcode;
  const toInt = (rounding: Rounding, unsigned: boolean): boolean =>
    convertLanes(ctx, insn, scalar, (fmt, off) => {
      const x = readNumber(ctx.vview, off, fmt);
      const minNormal = fmt === DOUBLE ? 2 ** -1022 : 2 ** -126;
      const flush = (ctx.fpcr & FPCR_FZ) !== 0 && x !== 0 && Math.abs(x) < minNormal;
      if (x === x && !flush) {
        if (fmt.size === 32) return numberToFixed32(x, 0, unsigned, rounding, ctx);
        return numberToFixed(x, 0, unsigned, 64, rounding, ctx);
      }
      return fpToFixed(
        fmt,
        readBits(ctx.vview, off, fmt),
        0,
        unsigned,
        fmt.size as 32 | 64,
        rounding,
        ctx,
      );
    });
  const roundInt = (rounding: Rounding, exact: boolean): boolean =>
    !scalar && perLane(ctx, insn, false, (fmt, x) => fpRoundInt(fmt, x, rounding, exact, ctx));
  switch (key) {
    case 0x16: // FCVTN
      if (scalar) return false;
      convertWidth(ctx, insn, false, "n");
      return true;
    case 0x56: // FCVTXN
      if (sz !== 1) return false;
      convertWidth(ctx, insn, scalar, "xn");
      return true;
    case 0x17: // FCVTL
      if (scalar) return false;
      convertWidth(ctx, insn, false, "l");
      return true;
    case 0x18:
      return roundInt(Rounding.TIEEVEN, false); // FRINTN
    case 0x38:
      return roundInt(Rounding.POSINF, false); // FRINTP
    case 0x19:
      return roundInt(Rounding.NEGINF, false); // FRINTM
    case 0x39:
      return roundInt(Rounding.ZERO, false); // FRINTZ
    case 0x58:
      return roundInt(Rounding.TIEAWAY, false); // FRINTA
    case 0x79:
      return roundInt(fpcrRounding(ctx), false); // FRINTI
    case 0x59:
      return roundInt(fpcrRounding(ctx), true); // FRINTX
    case 0x1a: // FCVTNS / FCVTNU
    case 0x5a:
    case 0x3a: // FCVTPS / FCVTPU
    case 0x7a:
    case 0x1b: // FCVTMS / FCVTMU
    case 0x5b:
    case 0x3b: // FCVTZS / FCVTZU
    case 0x7b:
      // opcode<0>:a gives N, P, M, Z in FPDecodeRounding order.
      return toInt(decodeRounding(((opcode & 1) << 1) | a), u === 1);
    case 0x1c: // FCVTAS / FCVTAU
    case 0x5c:
      return toInt(Rounding.TIEAWAY, u === 1);
    case 0x1d: // SCVTF / UCVTF
    case 0x5d:
      return convertLanes(ctx, insn, scalar, (fmt, off) => {
        if (fmt.size === 32 && fastAllowed(ctx)) {
          // 32-bit integers are exact doubles: one Math.fround is the only rounding.
          const v = u ? ctx.vview.getUint32(off, true) : ctx.vview.getInt32(off, true);
          const r = Math.fround(v);
          if (r !== v) ctx.fpsr |= FPSR_IXC;
          return numberToBits32(r);
        }
        const x = readBits(ctx.vview, off, fmt);
        return fixedToFp(fmt, u ? x : BigInt.asIntN(fmt.size, x), 0, ctx, fpcrRounding(ctx));
      });
    case 0x2c:
      return compareZero(ctx, insn, scalar, CmpKind.GT, false); // FCMGT #0
    case 0x6c:
      return compareZero(ctx, insn, scalar, CmpKind.GE, false); // FCMGE #0
    case 0x2d:
      return compareZero(ctx, insn, scalar, CmpKind.EQ, false); // FCMEQ #0
    case 0x6d:
      return compareZero(ctx, insn, scalar, CmpKind.GE, true); // FCMLE #0
    case 0x2e:
      return compareZero(ctx, insn, scalar, CmpKind.GT, true); // FCMLT #0
    case 0x2f:
      return !scalar && signLanes(ctx, insn, false); // FABS
    case 0x6f:
      return !scalar && signLanes(ctx, insn, true); // FNEG
    case 0x3f:
      return scalar && perLane(ctx, insn, true, (fmt, x) => fpRecpX(fmt, x, ctx)); // FRECPX
    case 0x7f:
      return !scalar && sqrtVector(ctx, insn); // FSQRT
    case 0x3d:
      return perLane(ctx, insn, scalar, (fmt, x) => fpRecipEstimate(fmt, x, ctx)); // FRECPE
    case 0x7d:
      return perLane(ctx, insn, scalar, (fmt, x) => fpRSqrtEstimate(fmt, x, ctx)); // FRSQRTE
    case 0x3c: // URECPE
    case 0x7c: // URSQRTE
      if (scalar || sz !== 0) return false;
      return perLane(ctx, insn, false, (_fmt, x) =>
        BigInt(u ? unsignedRSqrtEstimate(Number(x)) : unsignedRecipEstimate(Number(x))),
      );
    default:
      return false;
  }
}

function sqrtVector(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const sz = (insn >>> 22) & 1;
  if (sz === 1 && q === 0) return false;
  const fmt = sz ? DOUBLE : SINGLE;
  const eb = fmt.size >>> 3;
  const bytes = q ? 16 : 8;
  const n = (insn >>> 5) & 31;
  buf.reset();
  for (let off = 0; off < bytes; off += eb)
    fpSqrtAt(fmt, ctx, ctx.vview, n * 16 + off, buf.view, off);
  buf.commit(ctx, insn & 31, bytes);
  return true;
}

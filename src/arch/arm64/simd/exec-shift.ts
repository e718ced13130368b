// AdvSIMD (scalar) shift by immediate: SSHR/USHR, SSRA/USRA, SRSHR/URSHR,
// SRSRA/URSRA, SRI, SHL, SLI, SQSHL/UQSHL/SQSHLU (immediate), the narrowing shifts
// (SHRN, RSHRN, SQSHRN, UQSHRN, SQRSHRN, UQRSHRN, SQSHRUN, SQRSHRUN), SSHLL/USHLL
// (SXTL/UXTL) and the fixed-point SCVTF/UCVTF/FCVTZS/FCVTZU. The element size is the
// highest set bit of immh. Elements up to 32 bits are shifted as int32/uint32, 64-bit
// ones as word pairs, and the rarer 64-bit forms (SRI, SLI, saturating, narrowing from
// 64 bits) exactly with bigints.

import type { SimdContext } from "./context.js";
import { fixedToFp, fpToFixed } from "./fp-convert.js";
import { Rounding, fpcrRounding } from "./fp-env.js";
import { formatOfSize, readBits, writeBits } from "./fp-format.js";
import { ones, sat, satBig } from "./int-lane.js";
import { SA, SD, SR } from "./lanes.js";
import { LaneBuffer, getLaneBig } from "./vreg.js";

const buf = new LaneBuffer();

const Sh = {
  SHR: 0x00,
  SRA: 0x02,
  RSHR: 0x04,
  RSRA: 0x06,
  SRI: 0x08,
  SHL: 0x0a,
  QSHLU: 0x0c,
  QSHL: 0x0e,
  SHRN: 0x10,
  RSHRN: 0x11,
  QSHRN: 0x12,
  QRSHRN: 0x13,
  SHLL: 0x14,
  CVTF: 0x1c,
  FCVTZ: 0x1f,
} as const;

const SCALAR_D_ONLY = new Set<number>([Sh.SHR, Sh.SRA, Sh.RSHR, Sh.RSRA, Sh.SRI, Sh.SHL]);

interface Shape {
  readonly esize: number;
  readonly immhb: number;
  readonly q: number;
  readonly u: boolean;
  readonly n: number;
  readonly d: number;
  readonly scalar: boolean;
}

function sameSize(ctx: SimdContext, s: Shape, opcode: number): boolean {
  const { esize, immhb, u } = s;
  const bytes = s.scalar ? esize >>> 3 : s.q ? 16 : 8;
  const right = 2 * esize - immhb;
  const left = immhb - esize;
  if (esize <= 32) return sameSizeNumber(ctx, s, opcode, bytes, right, left);
  if ((opcode <= Sh.RSRA && (opcode & 1) === 0) || (opcode === Sh.SHL && !u)) {
    sameSize64(ctx, s, opcode, bytes, right, left);
    return true;
  }
  const all = (1n << BigInt(esize)) - 1n;
  buf.reset();
  for (let e = 0; e < (bytes * 8) / esize; e++) {
    const raw = getLaneBig(ctx, s.n, esize, e);
    const old = getLaneBig(ctx, s.d, esize, e);
    const x = u ? raw : BigInt.asIntN(esize, raw);
    let r: bigint;
    switch (opcode) {
      case Sh.SHR:
      case Sh.SRA:
      case Sh.RSHR:
      case Sh.RSRA: {
        const round = opcode & 4 ? 1n << BigInt(right - 1) : 0n;
        r = (x + round) >> BigInt(right);
        if (opcode & 2) r += old;
        break;
      }
      case Sh.SRI: {
        if (!u) return false;
        const m = all >> BigInt(right);
        r = (old & ~m) | (raw >> BigInt(right));
        break;
      }
      case Sh.SHL: {
        const m = (all << BigInt(left)) & all;
        r = u ? (old & ~m) | ((raw << BigInt(left)) & m) : raw << BigInt(left); // SLI : SHL
        break;
      }
      case Sh.QSHLU:
        if (!u) return false;
        r = satBig(BigInt.asIntN(esize, raw) << BigInt(left), esize, true, ctx);
        break;
      case Sh.QSHL:
        r = satBig(x << BigInt(left), esize, u, ctx);
        break;
      default:
        return false;
    }
    buf.setBig(esize, e, r);
  }
  buf.commit(ctx, s.d, bytes);
  return true;
}

/**
 * x >> s (arithmetic when signed), optionally rounding (adding 2^(s-1) first), for x an
 * int32 or uint32 and 1 <= s <= 32, with int32 operations only: floor((x + 2^(s-1)) /
 * 2^s) is floor(x / 2^s) plus bit s-1 of x.
 */
function shiftRight(x: number, s: number, signed: boolean, round: boolean): number {
  const r = s === 32 ? (signed ? x >> 31 : 0) : signed ? x >> s : x >>> s;
  return round ? r + ((signed ? x >> (s - 1) : x >>> (s - 1)) & 1) : r;
}

/**
 * SSHR/USHR/SSRA/USRA/SRSHR/URSHR/SRSRA/URSRA and SHL on 64-bit elements held as two
 * 32-bit words (no bigints): right shifts by 1..64, left shifts by 0..63.
 */
function sameSize64(
  ctx: SimdContext,
  s: Shape,
  opcode: number,
  bytes: number,
  right: number,
  left: number,
): void {
  const signed = !s.u;
  const a = SA.load(ctx, s.n).u32;
  const acc = SD.load(ctx, s.d).u32;
  const r = SR.u32;
  for (let w = 0; w < bytes >>> 2; w += 2) {
    const lo = a[w] ?? 0;
    const hi = a[w + 1] ?? 0;
    let rlo: number;
    let rhi: number;
    if (opcode === Sh.SHL) {
      if (left >= 32) {
        rhi = lo << (left - 32);
        rlo = 0;
      } else if (left === 0) {
        rhi = hi;
        rlo = lo;
      } else {
        rhi = (hi << left) | (lo >>> (32 - left));
        rlo = lo << left;
      }
    } else {
      const fill = signed ? (hi | 0) >> 31 : 0; // the bits shifted in at the top
      if (right === 64) {
        rlo = fill;
        rhi = fill;
      } else if (right >= 32) {
        rlo = signed ? (hi | 0) >> (right - 32) : hi >>> (right - 32);
        rhi = fill;
      } else {
        rlo = (lo >>> right) | (hi << (32 - right));
        rhi = signed ? (hi | 0) >> right : hi >>> right;
      }
      let add = 0;
      if (opcode & 4) {
        // Rounding: add bit (right - 1) of the source.
        const bit = right - 1;
        add = bit >= 32 ? (hi >>> (bit - 32)) & 1 : (lo >>> bit) & 1;
      }
      let addLo = add;
      let addHi = 0;
      if (opcode & 2) {
        addLo += acc[w] ?? 0;
        addHi = acc[w + 1] ?? 0;
      }
      const sumLo = (rlo >>> 0) + addLo;
      rhi = rhi + addHi + (sumLo > 0xffffffff ? 1 : 0);
      rlo = sumLo;
    }
    r[w] = rlo;
    r[w + 1] = rhi;
  }
  SR.store(ctx, s.d, bytes);
}

/** sameSize for 8-, 16- and 32-bit elements, exactly in doubles (values < 2^64). */
function sameSizeNumber(
  ctx: SimdContext,
  s: Shape,
  opcode: number,
  bytes: number,
  right: number,
  left: number,
): boolean {
  const { esize, u } = s;
  const elements = (bytes * 8) / esize;
  SA.load(ctx, s.n);
  SD.load(ctx, s.d);
  const raw = SA.lanes(esize, false);
  const x = SA.lanes(esize, !u);
  const old = SD.lanes(esize, false);
  const r = SR.lanes(esize, false);
  const all = ones(esize);
  switch (opcode) {
    case Sh.SHR:
    case Sh.SRA:
    case Sh.RSHR:
    case Sh.RSRA: {
      const round = (opcode & 4) !== 0;
      const accumulate = (opcode & 2) !== 0;
      for (let e = 0; e < elements; e++) {
        const v = shiftRight(x[e] ?? 0, right, !u, round);
        r[e] = accumulate ? v + (old[e] ?? 0) : v;
      }
      break;
    }
    case Sh.SRI: {
      if (!u) return false;
      const m = shiftRight(all, right, false, false);
      for (let e = 0; e < elements; e++) {
        r[e] = ((old[e] ?? 0) & ~m) | shiftRight(raw[e] ?? 0, right, false, false);
      }
      break;
    }
    case Sh.SHL: {
      const m = (all << left) & all;
      for (let e = 0; e < elements; e++) {
        const shifted = (raw[e] ?? 0) * 2 ** left;
        r[e] = u ? ((old[e] ?? 0) & ~m) | (shifted & m) : shifted; // SLI : SHL
      }
      break;
    }
    case Sh.QSHLU: {
      if (!u) return false;
      const signed = SA.lanes(esize, true);
      for (let e = 0; e < elements; e++) r[e] = sat((signed[e] ?? 0) * 2 ** left, esize, true, ctx);
      break;
    }
    case Sh.QSHL:
      for (let e = 0; e < elements; e++) r[e] = sat((x[e] ?? 0) * 2 ** left, esize, u, ctx);
      break;
    default:
      return false;
  }
  SR.store(ctx, s.d, bytes);
  return true;
}

/** Narrowing shifts: 2*esize source elements into esize results (lower or upper half). */
function narrowing(ctx: SimdContext, s: Shape, opcode: number): boolean {
  const { esize, u } = s;
  const shift = 2 * esize - s.immhb;
  const elements = s.scalar ? 1 : 64 / esize;
  const part = s.scalar ? 0 : s.q;
  const rounding = (opcode & 1) === 1;
  const saturating = opcode >= Sh.QSHRN;
  // SHRN/RSHRN exist only with U = 0; with U = 1 the same opcodes are SQSHRUN/SQRSHRUN.
  if (s.scalar && !saturating && !u) return false;
  const signedSrc = !(saturating && u); // UQSHRN/UQRSHRN read unsigned sources
  if (esize < 32) {
    // Sources of 16 or 32 bits: exact in doubles.
    const x = SA.load(ctx, s.n).lanes(2 * esize, signedSrc);
    SR.clear();
    if (part === 1) SR.load(ctx, s.d, 0, 8);
    const r = SR.lanes(esize, false);
    for (let e = 0; e < elements; e++) {
      const shifted = shiftRight(x[e] ?? 0, shift, signedSrc, rounding);
      r[part * elements + e] =
        !saturating && !u ? shifted : sat(shifted, esize, !saturating || u, ctx);
    }
    SR.store(ctx, s.d, s.scalar ? esize >>> 3 : part ? 16 : 8);
    return true;
  }
  return narrowingBig(ctx, s, shift, elements, part, rounding, saturating, signedSrc);
}

/** Narrowing from 64-bit sources, with bigints (kept apart from the number path). */
function narrowingBig(
  ctx: SimdContext,
  s: Shape,
  shift: number,
  elements: number,
  part: number,
  rounding: boolean,
  saturating: boolean,
  signedSrc: boolean,
): boolean {
  const { esize, u } = s;
  const src = ctx.vregs.slice(s.n * 16, s.n * 16 + 16);
  const view = new DataView(src.buffer);
  buf.reset();
  if (part === 1) buf.bytes.set(ctx.vregs.subarray(s.d * 16, s.d * 16 + 8));
  for (let e = 0; e < elements; e++) {
    const wide = 2 * esize;
    const rawWide =
      wide === 64
        ? view.getBigUint64(e * 8, true)
        : BigInt(wide === 32 ? view.getUint32(e * 4, true) : view.getUint16(e * 2, true));
    const x = signedSrc ? BigInt.asIntN(wide, rawWide) : rawWide;
    const shifted = (x + (rounding ? 1n << BigInt(shift - 1) : 0n)) >> BigInt(shift);
    let r: bigint;
    if (!saturating && !u)
      r = shifted; // SHRN, RSHRN
    else if (!saturating)
      r = satBig(shifted, esize, true, ctx); // SQSHRUN, SQRSHRUN
    else r = satBig(shifted, esize, u, ctx); // SQSHRN/UQSHRN (+R)
    buf.setBig(esize, part * elements + e, r);
  }
  buf.commit(ctx, s.d, s.scalar ? esize >>> 3 : part ? 16 : 8);
  return true;
}

function shiftLong(ctx: SimdContext, s: Shape): void {
  const { esize } = s;
  const elements = 64 / esize;
  const x = SA.load(ctx, s.n).lanes(esize, !s.u);
  const r = SR.lanes(2 * esize, false);
  const scale = 2 ** (s.immhb - esize);
  if (esize === 32) {
    // 64-bit results: write the two words of x * 2^shift (shift < 32).
    for (let e = 0; e < elements; e++) {
      const v = BigInt(x[s.q * elements + e] ?? 0) * BigInt(scale);
      SR.u32[2 * e] = Number(v & 0xffffffffn);
      SR.u32[2 * e + 1] = Number(BigInt.asUintN(32, v >> 32n));
    }
  } else {
    for (let e = 0; e < elements; e++) r[e] = (x[s.q * elements + e] ?? 0) * scale;
  }
  SR.store(ctx, s.d, 16);
}

function fixedPoint(ctx: SimdContext, s: Shape, toFloat: boolean): boolean {
  if (s.esize < 32) return false; // FP16 forms need FEAT_FP16
  const fmt = formatOfSize(s.esize);
  const fbits = 2 * s.esize - s.immhb;
  const eb = s.esize >>> 3;
  const bytes = s.scalar ? eb : s.q ? 16 : 8;
  buf.reset();
  for (let off = 0; off < bytes; off += eb) {
    const x = readBits(ctx.vview, s.n * 16 + off, fmt);
    const r = toFloat
      ? fixedToFp(fmt, s.u ? x : BigInt.asIntN(s.esize, x), fbits, ctx, fpcrRounding(ctx))
      : fpToFixed(fmt, x, fbits, s.u, s.esize as 32 | 64, Rounding.ZERO, ctx);
    writeBits(buf.view, off, fmt, r);
  }
  buf.commit(ctx, s.d, bytes);
  return true;
}

export function execShiftImm(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const immh = (insn >>> 19) & 15;
  const esize = 8 << (31 - Math.clz32(immh));
  const s: Shape = {
    esize,
    immhb: (insn >>> 16) & 127,
    q: (insn >>> 30) & 1,
    u: ((insn >>> 29) & 1) === 1,
    n: (insn >>> 5) & 31,
    d: insn & 31,
    scalar,
  };
  const opcode = (insn >>> 11) & 31;
  if (opcode >= Sh.SHRN && opcode <= Sh.QRSHRN) {
    if (esize === 64) return false;
    return narrowing(ctx, s, opcode);
  }
  if (opcode === Sh.SHLL) {
    if (scalar || esize === 64) return false;
    shiftLong(ctx, s);
    return true;
  }
  if (!scalar && esize === 64 && s.q === 0) return false;
  if (opcode === Sh.CVTF || opcode === Sh.FCVTZ) return fixedPoint(ctx, s, opcode === Sh.CVTF);
  if (scalar && SCALAR_D_ONLY.has(opcode) && esize !== 64) return false;
  return sameSize(ctx, s, opcode);
}

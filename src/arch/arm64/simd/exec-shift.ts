// AdvSIMD (scalar) shift by immediate: SSHR/USHR, SSRA/USRA, SRSHR/URSHR,
// SRSRA/URSRA, SRI, SHL, SLI, SQSHL/UQSHL/SQSHLU (immediate), the narrowing shifts
// (SHRN, RSHRN, SQSHRN, UQSHRN, SQRSHRN, UQRSHRN, SQSHRUN, SQRSHRUN), SSHLL/USHLL
// (SXTL/UXTL) and the fixed-point SCVTF/UCVTF/FCVTZS/FCVTZU. The element size is the
// highest set bit of immh; shifts are computed exactly with bigints.

import type { SimdContext } from "./context.js";
import { fixedToFp, fpToFixed } from "./fp-convert.js";
import { Rounding, fpcrRounding } from "./fp-env.js";
import { formatOfSize, readBits, writeBits } from "./fp-format.js";
import { satBig } from "./int-lane.js";
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
    // Signed source except UQSHRN/UQRSHRN (U = 1 with the QSHRN opcodes).
    const signedSrc = !(saturating && u);
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
  const shift = BigInt(s.immhb - esize);
  const elements = 64 / esize;
  const src = ctx.vregs.slice(s.n * 16, s.n * 16 + 16);
  buf.reset();
  for (let e = 0; e < elements; e++) {
    const i = s.q * elements + e;
    const off = i * (esize >>> 3);
    const view = new DataView(src.buffer);
    const raw = BigInt(
      esize === 8
        ? (src[off] ?? 0)
        : esize === 16
          ? view.getUint16(off, true)
          : view.getUint32(off, true),
    );
    const x = s.u ? raw : BigInt.asIntN(esize, raw);
    buf.setBig(2 * esize, e, x << shift);
  }
  buf.commit(ctx, s.d, 16);
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

// AdvSIMD three same, floating-point opcodes 11000-11111 (vector and scalar):
// FMAXNM/FMINNM(P), FMLA/FMLS, FADD/FSUB/FADDP/FABD, FMULX/FMUL, FCMEQ/FCMGE/FCMGT,
// FACGE/FACGT, FMAX/FMIN(P), FRECPS/FRSQRTS, FDIV. Bit 23 ("a") selects the second
// operation of each opcode and bit 22 the precision (single, double).

import type { SimdContext } from "./context.js";
import { CmpKind, fpCompareLane } from "./fp-compare.js";
import { DOUBLE, SINGLE, absBits, readBits, type FpFormat } from "./fp-format.js";
import { FPCR_FZ } from "./fp-env.js";
import { fastCompare } from "./fp-fast.js";
import { FpBin, fpBinaryAt, fpMulAddAt, readNumber } from "./fp-lane.js";
import { LaneBuffer } from "./vreg.js";

const buf = new LaneBuffer();
const pairBuf = new LaneBuffer();
const pairBuf2 = new LaneBuffer();

type Kind =
  | { readonly t: "bin"; readonly op: FpBin; readonly pairwise: boolean }
  | { readonly t: "fma"; readonly negate: boolean }
  | { readonly t: "cmp"; readonly kind: CmpKind; readonly abs: boolean };

const bin = (op: FpBin, pairwise = false): Kind => ({ t: "bin", op, pairwise });
const cmp = (kind: CmpKind, abs = false): Kind => ({ t: "cmp", kind, abs });

/** Decodes U:a:opcode<2:0> of the FP three-same opcodes (undefined = unallocated). */
function decode(u: number, a: number, opc: number): Kind | undefined {
  switch ((u << 4) | (a << 3) | opc) {
    case 0x00:
      return bin(FpBin.MAXNM);
    case 0x08:
      return bin(FpBin.MINNM);
    case 0x10:
      return bin(FpBin.MAXNM, true);
    case 0x18:
      return bin(FpBin.MINNM, true);
    case 0x01:
      return { t: "fma", negate: false };
    case 0x09:
      return { t: "fma", negate: true };
    case 0x02:
      return bin(FpBin.ADD);
    case 0x0a:
      return bin(FpBin.SUB);
    case 0x12:
      return bin(FpBin.ADD, true);
    case 0x1a:
      return bin(FpBin.ABD);
    case 0x03:
      return bin(FpBin.MULX);
    case 0x13:
      return bin(FpBin.MUL);
    case 0x04:
      return cmp(CmpKind.EQ);
    case 0x14:
      return cmp(CmpKind.GE);
    case 0x1c:
      return cmp(CmpKind.GT);
    case 0x15:
      return cmp(CmpKind.GE, true);
    case 0x1d:
      return cmp(CmpKind.GT, true);
    case 0x06:
      return bin(FpBin.MAX);
    case 0x0e:
      return bin(FpBin.MIN);
    case 0x16:
      return bin(FpBin.MAX, true);
    case 0x1e:
      return bin(FpBin.MIN, true);
    case 0x07:
      return bin(FpBin.RECPS);
    case 0x0f:
      return bin(FpBin.RSQRTS);
    case 0x17:
      return bin(FpBin.DIV);
    default:
      return undefined;
  }
}

/** Scalar forms that exist: FMULX, FCMEQ/GE/GT, FACGE/GT, FABD, FRECPS, FRSQRTS. */
function scalarAllowed(k: Kind): boolean {
  if (k.t === "cmp") return true;
  if (k.t === "fma") return false;
  if (k.pairwise) return false;
  return k.op === FpBin.MULX || k.op === FpBin.ABD || k.op === FpBin.RECPS || k.op === FpBin.RSQRTS;
}

function compareLane(
  ctx: SimdContext,
  fmt: FpFormat,
  k: { kind: CmpKind; abs: boolean },
  nOff: number,
  mOff: number,
): boolean {
  const a = readNumber(ctx.vview, nOff, fmt);
  const b = readNumber(ctx.vview, mOff, fmt);
  const minNormal = fmt === DOUBLE ? 2 ** -1022 : 2 ** -126;
  const nzcv = k.abs
    ? fastCompare(Math.abs(a), Math.abs(b), minNormal, (ctx.fpcr & FPCR_FZ) !== 0)
    : fastCompare(a, b, minNormal, (ctx.fpcr & FPCR_FZ) !== 0);
  if (nzcv !== undefined) {
    // NZCV 0110 equal, 0010 greater, 1000 less.
    if (k.kind === CmpKind.EQ) return nzcv === 0x60000000;
    return nzcv === 0x20000000 || (k.kind === CmpKind.GE && nzcv === 0x60000000);
  }
  let x = readBits(ctx.vview, nOff, fmt);
  let y = readBits(ctx.vview, mOff, fmt);
  if (k.abs) {
    x = absBits(fmt, x);
    y = absBits(fmt, y);
  }
  return fpCompareLane(fmt, k.kind, x, y, ctx);
}

export function execFpThreeSame(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const a = (insn >>> 23) & 1;
  const sz = (insn >>> 22) & 1;
  const k = decode(u, a, (insn >>> 11) & 7);
  if (k === undefined || (scalar && !scalarAllowed(k))) return false;
  if (!scalar && sz === 1 && q === 0) return false;
  const fmt = sz ? DOUBLE : SINGLE;
  const eb = fmt.size >>> 3;
  const bytes = scalar ? eb : q ? 16 : 8;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  const d = insn & 31;
  const v = ctx.vview;
  buf.reset();
  if (k.t === "bin" && k.pairwise) {
    // Operands are consecutive pairs of the concatenation Vm:Vn (Vn lowest).
    pairBuf.bytes.set(ctx.vregs.subarray(n * 16, n * 16 + bytes), 0);
    pairBuf2.bytes.set(ctx.vregs.subarray(m * 16, m * 16 + bytes), 0);
    const half = bytes / eb / 2;
    for (let e = 0; e < bytes / eb; e++) {
      const src = e < half ? pairBuf.view : pairBuf2.view;
      const base = (e % half) * 2 * eb;
      fpBinaryAt(k.op, fmt, ctx, src, base, base + eb, buf.view, e * eb);
    }
    buf.commit(ctx, d, bytes);
    return true;
  }
  for (let off = 0; off < bytes; off += eb) {
    const nOff = n * 16 + off;
    const mOff = m * 16 + off;
    switch (k.t) {
      case "bin":
        fpBinaryAt(k.op, fmt, ctx, v, nOff, mOff, buf.view, off);
        break;
      case "fma":
        fpMulAddAt(fmt, ctx, v, d * 16 + off, false, nOff, k.negate, mOff, buf.view, off);
        break;
      default:
        buf.setBig(fmt.size, off / eb, compareLane(ctx, fmt, k, nOff, mOff) ? -1n : 0n);
    }
  }
  buf.commit(ctx, d, bytes);
  return true;
}

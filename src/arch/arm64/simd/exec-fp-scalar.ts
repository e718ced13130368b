// Scalar floating-point classes (Arm ARM C4.1.6, "Floating-point data-processing"
// and the conversions): FMOV, FABS/FNEG/FSQRT/FCVT/FRINT*, two- and three-source
// arithmetic, FCMP(E)/FCCMP(E), FCSEL, FMOV (immediate) and the conversions to and
// from general registers. ARMv8.0 without FEAT_FP16: half precision (type 11) is
// allocated only for FCVT.

import type { SimdContext } from "./context.js";
import { conditionHolds } from "./cond.js";
import { fpCompare } from "./fp-compare.js";
import {
  fixedToFp,
  fpConvert,
  fpRoundInt,
  fpToFixed,
  numberToFixed,
  roundIntNumber,
} from "./fp-convert.js";
import { FPCR_FZ, Rounding, decodeRounding, fpcrRounding } from "./fp-env.js";
import { fastCompare, fastConvertSD } from "./fp-fast.js";
import { DOUBLE, SINGLE, formatOfType, readBits, writeBits, type FpFormat } from "./fp-format.js";
import { FpBin, fpBinaryAt, fpMulAddAt, fpSqrtAt, readNumber } from "./fp-lane.js";
import { vfpExpandImm } from "./simd-imm.js";
import { clearHigh } from "./vreg.js";

const rd = (insn: number): number => insn & 31;
const rn = (insn: number): number => (insn >>> 5) & 31;
const rm = (insn: number): number => (insn >>> 16) & 31;
const ra = (insn: number): number => (insn >>> 10) & 31;
const typeField = (insn: number): number => (insn >>> 22) & 3;

/** M (bit 31) and S (bit 29) must be 0 in every scalar FP class. */
function msZero(insn: number): boolean {
  return (insn & 0xa0000000) === 0;
}

/** Single or double only (no FEAT_FP16 arithmetic). */
function arithFormat(insn: number): FpFormat | undefined {
  const t = typeField(insn);
  return t === 0 ? SINGLE : t === 1 ? DOUBLE : undefined;
}

function readScalar(ctx: SimdContext, reg: number, fmt: FpFormat): bigint {
  return readBits(ctx.vview, reg * 16, fmt);
}

function writeScalar(ctx: SimdContext, reg: number, fmt: FpFormat, bits: bigint): void {
  writeBits(ctx.vview, reg * 16, fmt, bits);
  clearHigh(ctx, reg, fmt.size >>> 3);
}

/**
 * FMOV (register), FABS, FNEG: bit operations on the sign (no FP exception, NaNs
 * included), done on the raw words. op: 0 copy, 1 clear the sign, 2 flip it.
 */
function moveWithSign(ctx: SimdContext, fmt: FpFormat, n: number, d: number, op: number): void {
  const v = ctx.vview;
  const top = fmt.size === 64 ? 4 : 0; // offset of the word holding the sign bit
  const lo = v.getUint32(n * 16, true);
  let hi = fmt.size === 64 ? v.getUint32(n * 16 + 4, true) : lo;
  if (op === 1) hi &= 0x7fffffff;
  else if (op === 2) hi ^= 0x80000000;
  ctx.vregs.fill(0, d * 16, d * 16 + 16);
  if (top) v.setUint32(d * 16, lo, true);
  v.setUint32(d * 16 + top, hi >>> 0, true);
}

/** FRINT*: on JS numbers unless NaN or an FZ-flushed denormal. */
function roundToIntegral(
  ctx: SimdContext,
  fmt: FpFormat,
  n: number,
  d: number,
  rounding: Rounding,
  exact: boolean,
): void {
  const x = readNumber(ctx.vview, n * 16, fmt);
  const minNormal = fmt === DOUBLE ? 2 ** -1022 : 2 ** -126;
  if (x === x && !((ctx.fpcr & FPCR_FZ) !== 0 && x !== 0 && Math.abs(x) < minNormal)) {
    const r = roundIntNumber(x, rounding, exact, ctx);
    ctx.vregs.fill(0, d * 16, d * 16 + 16);
    if (fmt === DOUBLE) ctx.vview.setFloat64(d * 16, r, true);
    else ctx.vview.setFloat32(d * 16, r, true);
    return;
  }
  writeScalar(ctx, d, fmt, fpRoundInt(fmt, readScalar(ctx, n, fmt), rounding, exact, ctx));
}

/** FP data-processing (1 source). */
export function execFpDp1(ctx: SimdContext, insn: number): boolean {
  if (!msZero(insn)) return false;
  const opcode = (insn >>> 15) & 0x3f;
  const from = formatOfType(typeField(insn));
  if (from === undefined) return false;
  if ((opcode & 0x3c) === 0x04) {
    // FCVT: opc (bits 16:15) selects the destination; opc == type is unallocated.
    const to = formatOfType(opcode & 3);
    if (to === undefined || to === from) return false;
    if (from.size + to.size === 96) {
      // Single <-> double: try the exact number path first.
      const r = fastConvertSD(to === DOUBLE, readNumber(ctx.vview, rn(insn) * 16, from), ctx);
      if (r !== undefined) {
        const d = rd(insn);
        ctx.vregs.fill(0, d * 16, d * 16 + 16);
        if (to === DOUBLE) ctx.vview.setFloat64(d * 16, r, true);
        else ctx.vview.setFloat32(d * 16, r, true);
        return true;
      }
    }
    const r = fpConvert(from, to, readScalar(ctx, rn(insn), from), ctx, fpcrRounding(ctx));
    writeScalar(ctx, rd(insn), to, r);
    return true;
  }
  const fmt = arithFormat(insn);
  if (fmt === undefined) return false;
  const n = rn(insn);
  switch (opcode) {
    case 0: // FMOV (register)
    case 1: // FABS
    case 2: // FNEG
      moveWithSign(ctx, fmt, n, rd(insn), opcode);
      return true;
    case 3: // FSQRT
      fpSqrtAt(fmt, ctx, ctx.vview, rn(insn) * 16, ctx.vview, rd(insn) * 16);
      clearHigh(ctx, rd(insn), fmt.size >>> 3);
      return true;
    case 8: // FRINTN
    case 9: // FRINTP
    case 10: // FRINTM
    case 11: // FRINTZ
      roundToIntegral(ctx, fmt, n, rd(insn), decodeRounding(opcode), false);
      return true;
    case 12: // FRINTA
      roundToIntegral(ctx, fmt, n, rd(insn), Rounding.TIEAWAY, false);
      return true;
    case 14: // FRINTX
    case 15: // FRINTI
      roundToIntegral(ctx, fmt, n, rd(insn), fpcrRounding(ctx), opcode === 14);
      return true;
    default:
      return false;
  }
}

const DP2_KINDS: readonly (FpBin | undefined)[] = [
  FpBin.MUL,
  FpBin.DIV,
  FpBin.ADD,
  FpBin.SUB,
  FpBin.MAX,
  FpBin.MIN,
  FpBin.MAXNM,
  FpBin.MINNM,
  FpBin.NMUL,
];

/** FP data-processing (2 source). */
export function execFpDp2(ctx: SimdContext, insn: number): boolean {
  const fmt = arithFormat(insn);
  const kind = DP2_KINDS[(insn >>> 12) & 15];
  if (!msZero(insn) || fmt === undefined || kind === undefined) return false;
  const v = ctx.vview;
  fpBinaryAt(kind, fmt, ctx, v, rn(insn) * 16, rm(insn) * 16, v, rd(insn) * 16);
  clearHigh(ctx, rd(insn), fmt.size >>> 3);
  return true;
}

/** FP data-processing (3 source): FMADD, FMSUB, FNMADD, FNMSUB (fused). */
export function execFpDp3(ctx: SimdContext, insn: number): boolean {
  const fmt = arithFormat(insn);
  if (!msZero(insn) || fmt === undefined) return false;
  const o1 = (insn >>> 21) & 1;
  const o0 = (insn >>> 15) & 1;
  const v = ctx.vview;
  // opa_neg = o1; op1_neg = o0 != o1 (Arm ARM C7.2 FMADD..FNMSUB).
  fpMulAddAt(
    fmt,
    ctx,
    v,
    ra(insn) * 16,
    o1 === 1,
    rn(insn) * 16,
    o0 !== o1,
    rm(insn) * 16,
    v,
    rd(insn) * 16,
  );
  clearHigh(ctx, rd(insn), fmt.size >>> 3);
  return true;
}

/** Sets NZCV from FPCompare(Vn, Vm or +0.0 when m < 0). */
function compareInto(ctx: SimdContext, fmt: FpFormat, n: number, m: number, signal: boolean): void {
  const v = ctx.vview;
  const x = readNumber(v, n * 16, fmt);
  const y = m < 0 ? 0 : readNumber(v, m * 16, fmt);
  const minNormal = fmt === DOUBLE ? 2 ** -1022 : 2 ** -126;
  const fast = fastCompare(x, y, minNormal, (ctx.fpcr & FPCR_FZ) !== 0);
  if (fast !== undefined) return ctx.setNzcv(fast);
  const yBits = m < 0 ? 0n : readScalar(ctx, m, fmt);
  ctx.setNzcv(fpCompare(fmt, readScalar(ctx, n, fmt), yBits, signal, ctx));
}

/** FCMP, FCMPE (register or #0.0). */
export function execFpCompare(ctx: SimdContext, insn: number): boolean {
  const fmt = arithFormat(insn);
  if (!msZero(insn) || fmt === undefined) return false;
  if (((insn >>> 14) & 3) !== 0 || (insn & 7) !== 0) return false;
  const withZero = (insn & 8) !== 0;
  compareInto(ctx, fmt, rn(insn), withZero ? -1 : rm(insn), (insn & 16) !== 0);
  return true;
}

/** FCCMP, FCCMPE. */
export function execFpCcmp(ctx: SimdContext, insn: number): boolean {
  const fmt = arithFormat(insn);
  if (!msZero(insn) || fmt === undefined) return false;
  const cond = (insn >>> 12) & 15;
  if (!conditionHolds(cond, ctx.getNzcv())) {
    ctx.setNzcv((insn & 15) << 28);
    return true;
  }
  compareInto(ctx, fmt, rn(insn), rm(insn), (insn & 16) !== 0);
  return true;
}

/** FCSEL. */
export function execFpCsel(ctx: SimdContext, insn: number): boolean {
  const fmt = arithFormat(insn);
  if (!msZero(insn) || fmt === undefined) return false;
  const cond = (insn >>> 12) & 15;
  const src = conditionHolds(cond, ctx.getNzcv()) ? rn(insn) : rm(insn);
  moveWithSign(ctx, fmt, src, rd(insn), 0);
  return true;
}

/** VFPExpandImm results by imm8 and size (at most 512 entries). */
const FMOV_IMM_CACHE = new Map<number, bigint>();

/** FMOV (scalar, immediate). */
export function execFpImm(ctx: SimdContext, insn: number): boolean {
  const fmt = arithFormat(insn);
  if (!msZero(insn) || fmt === undefined || ((insn >>> 5) & 31) !== 0) return false;
  const key = ((insn >>> 13) & 0xff) | (fmt.size << 8);
  let bits = FMOV_IMM_CACHE.get(key);
  if (bits === undefined) {
    bits = vfpExpandImm((insn >>> 13) & 0xff, fmt);
    FMOV_IMM_CACHE.set(key, bits);
  }
  writeScalar(ctx, rd(insn), fmt, bits);
  return true;
}

/** FPToFixed of scalar Vn, on JS numbers unless NaN or an FZ-flushed denormal. */
function toFixed(
  ctx: SimdContext,
  fmt: FpFormat,
  n: number,
  fbits: number,
  unsigned: boolean,
  size: 32 | 64,
  rounding: Rounding,
): bigint {
  const x = readNumber(ctx.vview, n * 16, fmt);
  const minNormal = fmt === DOUBLE ? 2 ** -1022 : 2 ** -126;
  const flush = (ctx.fpcr & FPCR_FZ) !== 0 && x !== 0 && Math.abs(x) < minNormal;
  if (x === x && !flush) return numberToFixed(x, fbits, unsigned, size, rounding, ctx);
  return fpToFixed(fmt, readScalar(ctx, n, fmt), fbits, unsigned, size, rounding, ctx);
}

function writeGeneral(ctx: SimdContext, sf: number, reg: number, value: bigint): void {
  if (sf) ctx.setX(reg, value);
  else ctx.setW(reg, Number(value & 0xffffffffn));
}

function readGeneral(ctx: SimdContext, sf: number, reg: number, signed: boolean): bigint {
  if (sf) {
    const x = ctx.getX(reg);
    return signed ? BigInt.asIntN(64, x) : x;
  }
  const w = ctx.getW(reg);
  return BigInt(signed ? w | 0 : w);
}

/** FCVT*S/U, SCVTF/UCVTF, FCVTAS/AU and FMOV between FP and general registers. */
export function execFpIntConv(ctx: SimdContext, insn: number): boolean {
  if ((insn & 0x20000000) !== 0) return false; // S
  const sf = insn >>> 31;
  const type = typeField(insn);
  const rmode = (insn >>> 19) & 3;
  const opcode = (insn >>> 16) & 7;
  if (opcode >= 6) return fmovGeneral(ctx, insn, sf, type, rmode, opcode === 7);
  const fmt = arithFormat(insn);
  if (fmt === undefined) return false;
  const size = sf ? 64 : 32;
  switch (opcode) {
    case 0:
    case 1:
    case 4:
    case 5: {
      if (opcode >= 4 && rmode !== 0) return false;
      const rounding = opcode >= 4 ? Rounding.TIEAWAY : decodeRounding(rmode);
      const r = toFixed(ctx, fmt, rn(insn), 0, (opcode & 1) === 1, size, rounding);
      writeGeneral(ctx, sf, rd(insn), r);
      return true;
    }
    default: {
      if (rmode !== 0) return false;
      const value = readGeneral(ctx, sf, rn(insn), opcode === 2);
      writeScalar(ctx, rd(insn), fmt, fixedToFp(fmt, value, 0, ctx, fpcrRounding(ctx)));
      return true;
    }
  }
}

function fmovGeneral(
  ctx: SimdContext,
  insn: number,
  sf: number,
  type: number,
  rmode: number,
  toVector: boolean,
): boolean {
  const d = rd(insn);
  const n = rn(insn);
  if (rmode === 0 && ((sf === 0 && type === 0) || (sf === 1 && type === 1))) {
    if (toVector) {
      const fmt = sf ? DOUBLE : SINGLE;
      writeScalar(ctx, d, fmt, sf ? ctx.getX(n) : BigInt(ctx.getW(n)));
    } else if (sf) {
      ctx.setX(d, ctx.vview.getBigUint64(n * 16, true));
    } else {
      ctx.setW(d, ctx.vview.getUint32(n * 16, true));
    }
    return true;
  }
  if (rmode === 1 && sf === 1 && type === 2) {
    // FMOV Xd, Vn.D[1] / FMOV Vd.D[1], Xn: the other half of Vd is preserved.
    if (toVector) ctx.vview.setBigUint64(d * 16 + 8, ctx.getX(n), true);
    else ctx.setX(d, ctx.vview.getBigUint64(n * 16 + 8, true));
    return true;
  }
  return false;
}

/** SCVTF/UCVTF/FCVTZS/FCVTZU (scalar, fixed-point). */
export function execFpFixedConv(ctx: SimdContext, insn: number): boolean {
  if ((insn & 0x20000000) !== 0) return false;
  const fmt = arithFormat(insn);
  const sf = insn >>> 31;
  const scale = (insn >>> 10) & 63;
  if (fmt === undefined || (sf === 0 && scale < 32)) return false;
  const fbits = 64 - scale;
  const rmodeOpcode = (insn >>> 16) & 31;
  switch (rmodeOpcode) {
    case 0b11000: // FCVTZS
    case 0b11001: {
      // FCVTZU
      const unsigned = rmodeOpcode === 0b11001;
      const r = toFixed(ctx, fmt, rn(insn), fbits, unsigned, sf ? 64 : 32, Rounding.ZERO);
      writeGeneral(ctx, sf, rd(insn), r);
      return true;
    }
    case 0b00010: // SCVTF
    case 0b00011: {
      // UCVTF
      const value = readGeneral(ctx, sf, rn(insn), rmodeOpcode === 0b00010);
      writeScalar(ctx, rd(insn), fmt, fixedToFp(fmt, value, fbits, ctx, fpcrRounding(ctx)));
      return true;
    }
    default:
      return false;
  }
}

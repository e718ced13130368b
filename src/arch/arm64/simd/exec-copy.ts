// Element moves: AdvSIMD copy (DUP, INS, SMOV, UMOV), scalar copy (DUP element =
// MOV scalar), modified immediate (MOVI, MVNI, ORR, BIC, FMOV vector), EXT, the
// permutes (UZP1/2, TRN1/2, ZIP1/2) and TBL/TBX. Arm ARM C4.1.6 class tables.

import type { SimdContext } from "./context.js";
import { advSimdExpandImm } from "./simd-imm.js";
import { SA, SB } from "./lanes.js";
import { LaneBuffer, clearHigh, getLane, getLaneSigned, setLane } from "./vreg.js";

const buf = new LaneBuffer();
// Up to four table registers; entries past 16 * len are never read (idx is checked).
const TABLE_BYTES = new Uint8Array(64);

/** Element size index (0..3) and the remaining index bits of imm5, or undefined. */
function decodeImm5(imm5: number): { size: number; index: number } | undefined {
  if ((imm5 & 15) === 0) return undefined;
  const size = 31 - Math.clz32(imm5 & -imm5);
  return { size, index: imm5 >>> (size + 1) };
}

function copyElement(
  src: Uint8Array,
  srcIndex: number,
  dst: Uint8Array,
  dstIndex: number,
  ebytes: number,
): void {
  dst.set(src.subarray(srcIndex * ebytes, srcIndex * ebytes + ebytes), dstIndex * ebytes);
}

export function execCopy(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const op = (insn >>> 29) & 1;
  const imm5 = (insn >>> 16) & 31;
  const imm4 = (insn >>> 11) & 15;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const dec = decodeImm5(imm5);
  if (dec === undefined) return false;
  const { size, index } = dec;
  const ebytes = 1 << size;
  if (op === 1) {
    if (q === 0) return false;
    // INS (element): Vd[index] = Vn[imm4 >> size]; other lanes unchanged.
    const src = SA.load(ctx, n).u8;
    copyElement(src, imm4 >>> size, ctx.vregs.subarray(d * 16, d * 16 + 16), index, ebytes);
    return true;
  }
  const bytes = q ? 16 : 8;
  switch (imm4) {
    case 0: {
      // DUP (element)
      if (size === 3 && q === 0) return false;
      const src = SA.load(ctx, n).u8;
      for (let i = 0; i < bytes / ebytes; i++) copyElement(src, index, buf.bytes, i, ebytes);
      buf.commit(ctx, d, bytes);
      return true;
    }
    case 1: {
      // DUP (general)
      if (size === 3 && q === 0) return false;
      if (size === 3) {
        const x = ctx.getX(n);
        buf.set64(0, x);
        buf.set64(1, x);
      } else {
        const w = ctx.getW(n);
        for (let i = 0; i < bytes / ebytes; i++) buf.set(8 << size, i, w);
      }
      buf.commit(ctx, d, bytes);
      return true;
    }
    case 3: {
      // INS (general)
      if (q === 0) return false;
      if (size === 3) ctx.vview.setBigUint64(d * 16 + index * 8, ctx.getX(n), true);
      else setLane(ctx, d, 8 << size, index, ctx.getW(n));
      return true;
    }
    case 5: {
      // SMOV
      if (size >= 2 + q) return false;
      const v = getLaneSigned(ctx, n, 8 << size, index);
      if (q) ctx.setX(d, BigInt.asUintN(64, BigInt(v)));
      else ctx.setW(d, v >>> 0);
      return true;
    }
    case 7: {
      // UMOV
      if (q === 0 ? size === 3 : size !== 3) return false;
      if (q) ctx.setX(d, ctx.vview.getBigUint64(n * 16 + index * 8, true));
      else ctx.setW(d, getLane(ctx, n, 8 << size, index));
      return true;
    }
    default:
      return false;
  }
}

/** DUP (element), scalar: MOV Bd/Hd/Sd/Dd, Vn.T[index]. */
export function execScalarCopy(ctx: SimdContext, insn: number): boolean {
  const op = (insn >>> 29) & 1;
  const imm4 = (insn >>> 11) & 15;
  const dec = decodeImm5((insn >>> 16) & 31);
  if (op !== 0 || imm4 !== 0 || dec === undefined) return false;
  const ebytes = 1 << dec.size;
  const src = SA.load(ctx, (insn >>> 5) & 31).u8;
  const d = insn & 31;
  copyElement(src, dec.index, ctx.vregs.subarray(d * 16, d * 16 + 16), 0, ebytes);
  clearHigh(ctx, d, ebytes);
  return true;
}

export function execModImm(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const op = (insn >>> 29) & 1;
  const cmode = (insn >>> 12) & 15;
  const o2 = (insn >>> 11) & 1;
  const imm8 = (((insn >>> 16) & 7) << 5) | ((insn >>> 5) & 31);
  const d = insn & 31;
  if (o2 !== 0) return false; // FMOV (vector, half) needs FEAT_FP16
  if (cmode === 15 && op === 1 && q === 0) return false;
  const [lo, hi] = advSimdExpandImm(op, cmode, imm8);
  const bytes = q ? 16 : 8;
  // ORR/BIC: cmode 0xx1 and 10x1; MVNI: op = 1 in the shifted forms (cmode < 14).
  const isOrrBic = (cmode & 1) === 1 && cmode < 12;
  const v = ctx.vview;
  for (let off = 0; off < bytes; off += 8) {
    const base = d * 16 + off;
    if (isOrrBic) {
      const a = v.getUint32(base, true);
      const b = v.getUint32(base + 4, true);
      v.setUint32(base, op ? a & ~lo : a | lo, true);
      v.setUint32(base + 4, op ? b & ~hi : b | hi, true);
    } else {
      const invert = op === 1 && cmode < 14;
      v.setUint32(base, invert ? ~lo : lo, true);
      v.setUint32(base + 4, invert ? ~hi : hi, true);
    }
  }
  clearHigh(ctx, d, bytes);
  return true;
}

export function execExtract(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const imm4 = (insn >>> 11) & 15;
  if (((insn >>> 22) & 3) !== 0 || (q === 0 && imm4 >= 8)) return false;
  const bytes = q ? 16 : 8;
  const lo = SA.load(ctx, (insn >>> 5) & 31).u8;
  const hi = SB.load(ctx, (insn >>> 16) & 31).u8;
  for (let i = 0; i < bytes; i++) {
    const j = i + imm4;
    buf.bytes[i] = (j < bytes ? lo[j] : hi[j - bytes]) ?? 0;
  }
  buf.commit(ctx, insn & 31, bytes);
  return true;
}

export function execPermute(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 7;
  if ((size === 3 && q === 0) || (opcode & 3) === 0) return false;
  const part = opcode >>> 2;
  const ebytes = 1 << size;
  const bytes = q ? 16 : 8;
  const elements = bytes / ebytes;
  const pairs = elements / 2;
  const a = SA.load(ctx, (insn >>> 5) & 31).u8;
  const b = SB.load(ctx, (insn >>> 16) & 31).u8;
  const out = buf.reset().bytes;
  switch (opcode & 3) {
    case 1: // UZP
      for (let i = 0; i < elements; i++) {
        const j = 2 * i + part;
        if (j < elements) copyElement(a, j, out, i, ebytes);
        else copyElement(b, j - elements, out, i, ebytes);
      }
      break;
    case 2: // TRN
      for (let p = 0; p < pairs; p++) {
        copyElement(a, 2 * p + part, out, 2 * p, ebytes);
        copyElement(b, 2 * p + part, out, 2 * p + 1, ebytes);
      }
      break;
    default: // ZIP
      for (let p = 0; p < pairs; p++) {
        copyElement(a, part * pairs + p, out, 2 * p, ebytes);
        copyElement(b, part * pairs + p, out, 2 * p + 1, ebytes);
      }
  }
  buf.commit(ctx, insn & 31, bytes);
  return true;
}

/** TBL/TBX with 1-4 table registers (consecutive, modulo 32). */
export function execTable(ctx: SimdContext, insn: number): boolean {
  if (((insn >>> 22) & 3) !== 0) return false;
  const q = (insn >>> 30) & 1;
  const len = ((insn >>> 13) & 3) + 1;
  const isTbx = (insn >>> 12) & 1;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const bytes = q ? 16 : 8;
  const table = TABLE_BYTES;
  for (let r = 0; r < len; r++) {
    table.set(ctx.vregs.subarray(((n + r) & 31) * 16, ((n + r) & 31) * 16 + 16), 16 * r);
  }
  const indices = SA.load(ctx, (insn >>> 16) & 31).u8;
  const old = SB.load(ctx, d).u8;
  for (let i = 0; i < bytes; i++) {
    const idx = indices[i] ?? 0;
    buf.bytes[i] = idx < 16 * len ? (table[idx] ?? 0) : isTbx ? (old[i] ?? 0) : 0;
  }
  buf.commit(ctx, d, bytes);
  return true;
}

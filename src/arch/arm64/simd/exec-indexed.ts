// AdvSIMD (scalar) x indexed element: MUL/MLA/MLS, the long multiplies
// (S/UMULL, S/UMLAL, S/UMLSL, SQDMULL, SQDMLAL, SQDMLSL), SQDMULH/SQRDMULH and
// FMUL/FMULX/FMLA/FMLS by element. For 16-bit elements Vm is V0-V15 and the index is
// H:L:M; for 32-bit, H:L; for 64-bit FP, H (L must be 0).

import type { SimdContext } from "./context.js";
import { DOUBLE, SINGLE } from "./fp-format.js";
import { FpBin, fpBinaryAt, fpMulAddAt } from "./fp-lane.js";
import { doublingMulHigh, mask, satBig } from "./int-lane.js";
import { LaneBuffer, getLane, getLaneBig } from "./vreg.js";

const buf = new LaneBuffer();
const scratchBytes = new Uint8Array(24);
const scratch = new DataView(scratchBytes.buffer);

function fpIndexed(
  ctx: SimdContext,
  insn: number,
  scalar: boolean,
  opcode: number,
  u: number,
): boolean {
  const q = (insn >>> 30) & 1;
  const size = (insn >>> 22) & 3;
  const l = (insn >>> 21) & 1;
  const h = (insn >>> 11) & 1;
  if (size < 2) return false; // half precision needs FEAT_FP16
  const sz = size & 1;
  if (sz === 1 && (l === 1 || (!scalar && q === 0))) return false;
  if (u === 1 && opcode !== 9) return false; // only FMULX has U = 1
  const fmt = sz ? DOUBLE : SINGLE;
  const eb = fmt.size >>> 3;
  const index = sz ? h : (h << 1) | l;
  const m = (insn >>> 16) & 31;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const bytes = scalar ? eb : q ? 16 : 8;
  // Scratch: the indexed element at 0, the Vn lane at 8, the addend at 16, so every
  // lane reads the element even when Vd aliases Vm.
  scratchBytes.set(ctx.vregs.subarray(m * 16 + index * eb, m * 16 + index * eb + eb), 0);
  buf.reset();
  for (let off = 0; off < bytes; off += eb) {
    scratchBytes.set(ctx.vregs.subarray(n * 16 + off, n * 16 + off + eb), 8);
    if (opcode === 9) {
      fpBinaryAt(u ? FpBin.MULX : FpBin.MUL, fmt, ctx, scratch, 8, 0, buf.view, off);
    } else {
      scratchBytes.set(ctx.vregs.subarray(d * 16 + off, d * 16 + off + eb), 16);
      fpMulAddAt(fmt, ctx, scratch, 16, false, 8, opcode === 5, 0, buf.view, off);
    }
  }
  buf.commit(ctx, d, bytes);
  return true;
}

export function execIndexed(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 15;
  if (opcode === 1 || opcode === 5 || opcode === 9) return fpIndexed(ctx, insn, scalar, opcode, u);
  if (size !== 1 && size !== 2) return false;
  const l = (insn >>> 21) & 1;
  const mBit = (insn >>> 20) & 1;
  const h = (insn >>> 11) & 1;
  const esize = 8 << size;
  const index = size === 1 ? (h << 2) | (l << 1) | mBit : (h << 1) | l;
  const m = size === 1 ? (insn >>> 16) & 15 : (insn >>> 16) & 31;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const doubling = opcode === 3 || opcode === 7 || opcode === 11;
  const high = opcode === 12 || opcode === 13;
  if (scalar && !doubling && !high) return false;
  if ((doubling || high) && u === 1) return false;
  buf.reset();
  if (opcode === 0 || opcode === 4 || opcode === 8 || high) {
    // Same-size: MLA (U=1), MLS (U=1), MUL (U=0), SQDMULH, SQRDMULH.
    if ((opcode === 8) === (u === 1) && !high) return false;
    const bytes = scalar ? esize >>> 3 : q ? 16 : 8;
    const b = getLane(ctx, m, esize, index);
    for (let e = 0; e < (bytes * 8) / esize; e++) {
      const a = getLane(ctx, n, esize, e);
      let r: number;
      if (high) r = doublingMulHigh(a, b, esize, opcode === 13, ctx);
      else {
        const p = Math.imul(a, b);
        const acc = getLane(ctx, d, esize, e);
        r = mask(opcode === 8 ? p : opcode === 0 ? acc + p : acc - p, esize);
      }
      buf.set(esize, e, r);
    }
    buf.commit(ctx, d, bytes);
    return true;
  }
  // Long forms: opcode 2/6/10 (S/U MLAL, MLSL, MULL) and the doubling ones.
  if (![2, 3, 6, 7, 10, 11].includes(opcode)) return false;
  const unsigned = u === 1;
  const wide = 2 * esize;
  const elements = scalar ? 1 : 64 / esize;
  const part = scalar ? 0 : q;
  const sign = (v: bigint): bigint => (unsigned ? v : BigInt.asIntN(esize, v));
  const b = sign(getLaneBig(ctx, m, esize, index));
  for (let e = 0; e < elements; e++) {
    const a = sign(getLaneBig(ctx, n, esize, part * elements + e));
    const acc = getLaneBig(ctx, d, wide, e);
    let r: bigint;
    if (doubling) {
      const p = satBig(2n * a * b, wide, false, ctx);
      if (opcode === 11) r = p;
      else {
        const ps = BigInt.asIntN(wide, p);
        const accS = BigInt.asIntN(wide, acc);
        r = satBig(opcode === 3 ? accS + ps : accS - ps, wide, false, ctx);
      }
    } else {
      const p = a * b;
      r = opcode === 10 ? p : opcode === 2 ? acc + p : acc - p;
    }
    buf.setBig(wide, e, r);
  }
  buf.commit(ctx, d, scalar ? wide >>> 3 : 16);
  return true;
}

// AdvSIMD (scalar) three different: the long (…L), wide (…W) and narrow-high (…HN)
// forms of add/sub, absolute difference (-accumulate), multiply(-accumulate) long,
// the saturating doubling multiplies (SQDMULL/SQDMLAL/SQDMLSL) and PMULL (8-bit and
// 64-bit polynomial multiply, used by CRC and GCM code). Q selects the "2" forms,
// which read the upper halves of the narrow operands.

import type { SimdContext } from "./context.js";
import { polyMul, satBig } from "./int-lane.js";
import { LaneBuffer, getLaneBig } from "./vreg.js";

const buf = new LaneBuffer();

function pmull(
  ctx: SimdContext,
  n: number,
  m: number,
  d: number,
  size: number,
  part: number,
): boolean {
  if (size === 3) {
    const p = polyMul(getLaneBig(ctx, n, 64, part), getLaneBig(ctx, m, 64, part), 64);
    buf.set64(0, p);
    buf.set64(1, p >> 64n);
  } else {
    for (let e = 0; e < 8; e++) {
      const a = getLaneBig(ctx, n, 8, part * 8 + e);
      buf.setBig(16, e, polyMul(a, getLaneBig(ctx, m, 8, part * 8 + e), 8));
    }
  }
  buf.commit(ctx, d, 16);
  return true;
}

export function execThreeDiff(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 15;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  const d = insn & 31;
  buf.reset();
  if (opcode === 14) {
    if (scalar || u === 1 || size === 1 || size === 2) return false;
    return pmull(ctx, n, m, d, size, q);
  }
  const doubling = opcode === 9 || opcode === 11 || opcode === 13;
  if (scalar && !doubling) return false;
  if (doubling && (u === 1 || size === 0 || size === 3)) return false;
  if (size === 3 || opcode === 15) return false;
  const esize = 8 << size;
  const wide = 2 * esize;
  const elements = scalar ? 1 : 64 / esize;
  const unsigned = u === 1;
  const narrowLane = (reg: number, e: number): bigint => {
    const v = getLaneBig(ctx, reg, esize, q * elements + e);
    return unsigned ? v : BigInt.asIntN(esize, v);
  };
  const wideLane = (reg: number, e: number): bigint => {
    const v = getLaneBig(ctx, reg, wide, e);
    return unsigned ? v : BigInt.asIntN(wide, v);
  };
  if (opcode === 4 || opcode === 6) {
    // ADDHN/RADDHN/SUBHN/RSUBHN: high halves of wide sums into the narrow part.
    if (q === 1) buf.bytes.set(ctx.vregs.subarray(d * 16, d * 16 + 8));
    for (let e = 0; e < elements; e++) {
      const a = getLaneBig(ctx, n, wide, e);
      const b = getLaneBig(ctx, m, wide, e);
      const round = u ? 1n << BigInt(esize - 1) : 0n;
      const r = ((opcode === 4 ? a + b : a - b) + round) >> BigInt(esize);
      buf.setBig(esize, q * elements + e, r);
    }
    buf.commit(ctx, d, q ? 16 : 8);
    return true;
  }
  for (let e = 0; e < elements; e++) {
    const b = narrowLane(m, e);
    const acc = getLaneBig(ctx, d, wide, e);
    let r: bigint;
    switch (opcode) {
      case 0: // ADDL
        r = narrowLane(n, e) + b;
        break;
      case 1: // ADDW
        r = wideLane(n, e) + b;
        break;
      case 2: // SUBL
        r = narrowLane(n, e) - b;
        break;
      case 3: // SUBW
        r = wideLane(n, e) - b;
        break;
      case 5: {
        // ABAL
        const diff = narrowLane(n, e) - b;
        r = acc + (diff < 0n ? -diff : diff);
        break;
      }
      case 7: {
        // ABDL
        const diff = narrowLane(n, e) - b;
        r = diff < 0n ? -diff : diff;
        break;
      }
      case 8: // MLAL
        r = acc + narrowLane(n, e) * b;
        break;
      case 10: // MLSL
        r = acc - narrowLane(n, e) * b;
        break;
      case 12: // MULL
        r = narrowLane(n, e) * b;
        break;
      default: {
        // SQDMULL / SQDMLAL / SQDMLSL: each step saturates (SignedSatQ).
        const product = satBig(2n * narrowLane(n, e) * b, wide, false, ctx);
        if (opcode === 13) {
          r = product;
        } else {
          const p = BigInt.asIntN(wide, product);
          const accS = BigInt.asIntN(wide, acc);
          r = satBig(opcode === 9 ? accS + p : accS - p, wide, false, ctx);
        }
      }
    }
    buf.setBig(wide, e, r);
  }
  buf.commit(ctx, d, scalar ? wide >>> 3 : 16);
  return true;
}

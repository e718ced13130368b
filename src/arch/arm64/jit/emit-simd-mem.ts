// SIMD&FP register loads and stores (LDR/STR B/H/S/D/Q with unsigned offset, unscaled,
// pre/post-index and register offsets; LDP/STP S/D/Q) through an inline probe of the
// TLB mirror (emit-mem.ts probeUnaligned, shared with the integer loads): a miss asks the helper to fill the entry (tlb-fill.ts);
// a miss it declines, a page-crossing access, an SP-alignment question, or a
// misaligned access where it would fault (SCTLR.A set, or Device memory: the
// mirror's flag) bails before any state changes, so the interpreter
// (exec/fpmem.ts) raises every fault. Misaligned accesses to Normal memory stay here:
// compilers emit them (GCC's LDUR Dt of 4-byte-aligned words) and each bail costs an
// exit. Scalar loads zero the rest of the 128-bit register.

import { P, type Gen } from "./gen.js";
import { W } from "./wasm-emit.js";
import { S, simd, lane } from "./wasm-simd.js";
import { probeUnaligned, spCheck } from "./emit-mem.js";
import { vget, vset, type SimdEmit } from "./emit-simd-regs.js";

const LOAD = [W.i64Load8U, W.i64Load16U, W.i64Load32U, W.i64Load];
const STORE = [W.i64Store8, W.i64Store16, W.i64Store32, W.i64Store];

/** log2 of the access size for LDR/STR (SIMD&FP), or undefined for the reserved sizes. */
function scaleOf(insn: number): number | undefined {
  const size = insn >>> 30;
  if ((insn & 0x800000) === 0) return size;
  return size === 0 ? 4 : undefined;
}

/** Loads 1 << scale bytes at g.host into V[rt] (zero-extended) or stores them. */
function transfer(g: Gen, load: boolean, scale: number, rt: number, offset: number): void {
  if (load) {
    vset(g, rt, scale === 4 ? 1 : 0, () => {
      g.get(g.host);
      if (scale === 4) {
        simd(g, S.load);
        g.b.u32(0);
        g.b.u32(offset);
      } else {
        g.mem(LOAD[scale]!, 0, offset);
        simd(g, S.i64x2Splat);
      }
    });
    return;
  }
  g.get(g.host);
  vget(g, rt);
  if (scale === 4) {
    simd(g, S.store);
    g.b.u32(0);
    g.b.u32(offset);
  } else {
    lane(g, S.i64x2Extract, 0);
    g.mem(STORE[scale]!, 0, offset);
  }
}

/** g.ta = Xn/SP + imm (and g.tb = the written-back base for the indexed forms). */
function baseImm(g: Gen, rn: number, imm: number, post: boolean): void {
  g.xsp(rn);
  g.i64(imm, imm < 0 ? -1 : 0);
  g.op(W.i64Add);
  g.set(g.tb);
  if (post) g.xsp(rn);
  else g.get(g.tb);
  g.set(g.ta);
}

function single(op: number, insn: number): SimdEmit | undefined {
  const scale = scaleOf(insn);
  if (scale === undefined) return undefined;
  const load = (op & 1) === 0;
  const rt = insn & 31;
  const rn = (insn >>> 5) & 31;
  let writeback = false;
  let address: (g: Gen) => void;
  if (op <= 257) {
    const imm = ((insn >>> 10) & 0xfff) * (1 << scale);
    address = (g) => baseImm(g, rn, imm, false);
  } else if (op <= 259) {
    const mode = (insn >>> 10) & 3;
    if (mode === 2) return undefined; // no LDTR/STTR for SIMD&FP
    writeback = mode !== 0;
    address = (g) => baseImm(g, rn, (insn << 11) >> 23, mode === 1);
  } else {
    const option = (insn >>> 13) & 7;
    if ((option & 2) === 0) return undefined;
    const rm = (insn >>> 16) & 31;
    const shift = (insn & 0x1000) !== 0 ? scale : 0;
    address = (g) => {
      g.xsp(rn);
      if (option === 3 || option === 7) g.x(rm);
      else {
        g.w(rm);
        g.op(option === 6 ? W.i64ExtendI32S : W.i64ExtendI32U);
      }
      if (shift !== 0) {
        g.i64(shift, 0);
        g.op(W.i64Shl);
      }
      g.op(W.i64Add);
      g.set(g.ta);
    };
  }
  return (g, bail) => {
    address(g);
    spCheck(g, rn, bail);
    probeUnaligned(g, load ? P.RTLB : P.WTLB, 1 << scale, 1 << scale, bail);
    transfer(g, load, scale, rt, 0);
    if (writeback) {
      g.get(g.tb);
      g.setXsp(rn);
    }
  };
}

function pair(op: number, insn: number): SimdEmit | undefined {
  const opc = insn >>> 30;
  if (opc === 3) return undefined;
  const load = op === 263;
  const scale = 2 + opc;
  const bytes = 1 << scale;
  const mode = (insn >>> 23) & 3;
  const rt = insn & 31;
  const rt2 = (insn >>> 10) & 31;
  const rn = (insn >>> 5) & 31;
  const imm = ((insn << 10) >> 25) * bytes;
  return (g, bail) => {
    spCheck(g, rn, bail);
    baseImm(g, rn, imm, mode === 1);
    probeUnaligned(g, load ? P.RTLB : P.WTLB, bytes, 2 * bytes, bail);
    transfer(g, load, scale, rt, 0);
    transfer(g, load, scale, rt2, bytes);
    if (mode === 1 || mode === 3) {
      g.get(g.tb);
      g.setXsp(rn);
    }
  };
}

export function planFpMem(op: number, insn: number): SimdEmit | undefined {
  if (op >= 256 && op <= 261) return single(op, insn);
  if (op === 263 || op === 264) return pair(op, insn);
  return undefined;
}

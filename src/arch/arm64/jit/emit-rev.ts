// Byte and bit reversal (Arm ARM C6.2: RBIT, REV16, REV32, REV; exec/dp.ts cases 88-91)
// in WebAssembly, which has no byte swap: swaps of ever larger pieces under masks, the
// standard reversal network. On the Linux boot `rev x` was the most frequent call-out
// left (0.89 M of 1.6 M: the big-endian fields of the initramfs and device tree).
// None of them reads or writes the flags.

import { W } from "./wasm-emit.js";
import type { Gen } from "./gen.js";

const RBIT = 88;
const REV64 = 91;

export function revSupported(op: number): boolean {
  return op >= RBIT && op <= REV64;
}

/** Swaps adjacent `bits`-wide pieces of the i64 in `g.ta` (mask = the low pieces). */
function swapPieces(g: Gen, bits: number, maskLo: number, maskHi: number): void {
  g.get(g.ta);
  g.i64(bits, 0);
  g.op(W.i64ShrU);
  g.i64(maskLo, maskHi);
  g.op(W.i64And);
  g.get(g.ta);
  g.i64(maskLo, maskHi);
  g.op(W.i64And);
  g.i64(bits, 0);
  g.op(W.i64Shl, W.i64Or);
  g.set(g.ta);
}

export function emitRev(g: Gen, op: number, insn: number): void {
  const sf = insn >>> 31 === 1;
  const rd = insn & 31;
  g.x((insn >>> 5) & 31);
  g.set(g.ta);
  if (op === RBIT) {
    swapPieces(g, 1, 0x55555555, 0x55555555);
    swapPieces(g, 2, 0x33333333, 0x33333333);
    swapPieces(g, 4, 0x0f0f0f0f, 0x0f0f0f0f);
  }
  // Bytes within halfwords (REV16), then halfwords within words (REV32, REV W; RBIT).
  swapPieces(g, 8, 0x00ff00ff, 0x00ff00ff);
  if (op !== RBIT + 1) swapPieces(g, 16, 0x0000ffff, 0x0000ffff);
  g.get(g.ta);
  // Words within the doubleword: REV and RBIT of an X register.
  if (op === REV64 || (op === RBIT && sf)) {
    g.i64(32, 0);
    g.op(W.i64Rotr);
  }
  if (!sf) {
    g.i64(-1, 0);
    g.op(W.i64And);
  }
  g.setX(rd);
}

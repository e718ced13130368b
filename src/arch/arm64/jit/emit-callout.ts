// Instructions a unit has no code for run through the interpreter's executors,
// called from the unit (the "h" import, jit/tier.ts helper): data processing,
// integer and SIMD&FP memory, SIMD. The unit stores the guest state the instruction
// may read into the CPU block first and reloads what it may write afterwards.

import { P, CB_FLAGS, CB_XH, type Gen } from "./gen.js";
import { W } from "./wasm-emit.js";
import { SIMD_OP_BASE } from "../simd/context.js";

/** Pushes the instruction's PC as f64 (the helper sets cpu.pc from it). */
function pushPc(g: Gen, off: number): void {
  g.get(g.va);
  g.i64n(off);
  g.op(W.i64Add, W.f64ConvertI64S);
}

/** How the unit leaves after a call-out: exception taken, or declined (interpret it). */
export interface CalloutExits {
  readonly exception: () => void;
  readonly decline: () => void;
}

/** Stores every cached register and the flags into the CPU block. */
function syncOut(g: Gen): void {
  for (const s of g.usedRegs()) storeReg(g, s);
  [g.nf, g.zf, g.cf, g.vf].forEach((l, i) => {
    g.get(P.CB);
    g.get(l);
    g.mem(W.i32Store, 2, CB_FLAGS + i * 4);
  });
}

/** Reloads the local caching register slot `s` from the CPU block. */
export function loadReg(g: Gen, s: number): void {
  g.get(P.CB);
  g.mem(W.i64Load32U, 2, s * 4);
  g.get(P.CB);
  g.mem(W.i64Load32U, 2, CB_XH + s * 4);
  g.i64(32, 0);
  g.op(W.i64Shl, W.i64Or);
  g.set(g.reg(s));
}

/**
 * An instruction the unit has no code for: the CPU state goes to the CPU block, the
 * interpreter's executor runs it (import "h"), and the registers it may have written
 * (its register fields) and the flags come back. If it took an exception (a fault, a
 * trap, an exit to the VMM) the CPU state is already current and the unit leaves.
 */
export function emitCallout(
  g: Gen,
  op: number,
  insn: number,
  j: number,
  exits: CalloutExits,
): void {
  g.callsOut = true;
  if (op >= SIMD_OP_BASE) {
    emitSimdCallout(g, op, insn, j, exits);
    return;
  }
  syncOut(g);
  g.i32(insn);
  g.i32(op);
  pushPc(g, j * 4);
  g.b.byte(0x10); // call
  g.b.u32(0); // the helper is function 0 (the only import)
  g.if_();
  exits.exception();
  g.end();
  // Reload everything: some write registers no field names (CASP's Rs+1).
  const fields = g.usedRegs();
  for (const s of fields) loadReg(g, s);
  [g.nf, g.zf, g.cf, g.vf].forEach((l, i) => {
    g.get(P.CB);
    g.mem(W.i32Load, 2, CB_FLAGS + i * 4);
    g.set(l);
  });
  g.flagsWritten = true;
  for (const s of fields) g.written[s] = 1;
}

/**
 * SIMD&FP data processing: it cannot fault (the helper declines, and the unit bails,
 * when FP is disabled or the encoding is UNDEFINED), so only the general registers
 * its fields name (DUP, INS, FMOV, conversions) and the flags (FCMP, FCSEL) travel.
 */
function emitSimdCallout(g: Gen, op: number, insn: number, j: number, exits: CalloutExits): void {
  const fields = [...new Set([insn & 31, (insn >>> 5) & 31])].filter((r) => r !== 31);
  for (const s of fields) storeReg(g, s);
  [g.nf, g.zf, g.cf, g.vf].forEach((l, i) => {
    g.get(P.CB);
    g.get(l);
    g.mem(W.i32Store, 2, CB_FLAGS + i * 4);
  });
  g.i32(insn);
  g.i32(op);
  pushPc(g, j * 4);
  g.b.byte(0x10); // call the helper (function 0)
  g.b.u32(0);
  g.if_();
  exits.decline();
  g.end();
  for (const s of fields) {
    loadReg(g, s);
    g.written[s] = 1;
  }
  [g.nf, g.zf, g.cf, g.vf].forEach((l, i) => {
    g.get(P.CB);
    g.mem(W.i32Load, 2, CB_FLAGS + i * 4);
    g.set(l);
  });
  g.flagsWritten = true;
}

/** Stores the local caching register slot `s` into the CPU block. */
export function storeReg(g: Gen, s: number): void {
  g.get(P.CB);
  g.get(g.reg(s));
  g.mem(W.i64Store32, 2, s * 4);
  g.get(P.CB);
  g.get(g.reg(s));
  g.i64(32, 0);
  g.op(W.i64ShrU);
  g.mem(W.i64Store32, 2, CB_XH + s * 4);
}

// TLB misses of compiled loads and stores, filled without leaving the unit. When a
// unit's inline probe of the TLB mirror (emit-mem.ts, emit-simd-mem.ts) fails, it calls
// the tier's helper (function 0, with a negative op that says "fill" and how the access
// looks) instead of bailing at once. The helper translates the access as the
// interpreter's slow path would at this instruction (mmu/memory.ts fillForJit: stage 1,
// stage 2, permissions, the same TLB fill) and answers FILLED when the unit may now do
// it natively; the unit then reads the refilled mirror entry and goes on. Anything else
// (a fault, MMIO, a page crossing, a misaligned access that must fault, a watchpoint,
// a page outside the arena) is declined and the unit bails before the instruction as
// it did before: the interpreter runs it, with the TLB already holding whatever entry
// it would have filled, and raises the fault or makes the exit with precise state.
// On the Linux boot these misses were about 181 K of the units' exits to the
// interpreter, each a return to JavaScript, an interpreted instruction and a dispatch.

import { W } from "./wasm-emit.js";
import type { Gen } from "./gen.js";
import type { CpuState } from "../state.js";

/** The helper's answer when the unit may go on (anything else: bail). */
export const FILLED = 1;

/** How a unit's access looks, as the helper needs it. */
export interface FillAccess {
  readonly write: boolean;
  /** Bytes of one element (1-16): alignment is judged on it. */
  readonly bytes: number;
  /** Bytes in all (twice `bytes` for a pair): the access must stay in its page. */
  readonly span: number;
  /** Natural alignment required whatever SCTLR.A says (LDAR, STLR). */
  readonly strict: boolean;
}

/**
 * The helper's op operand for a fill: negative (every instruction op is >= 0), with the
 * access's shape in the bits of -1 - op: write, log2 bytes (3 bits), pair, strict.
 */
export function fillOp(a: FillAccess): number {
  const log = Math.log2(a.bytes);
  const pair = a.span === 2 * a.bytes ? 1 : 0;
  if (!Number.isInteger(log) || (a.span !== a.bytes && pair === 0))
    throw new Error(`tlb-fill: no such access ${a.bytes}/${a.span}`);
  return -1 - ((a.write ? 1 : 0) | (log << 1) | (pair << 4) | (a.strict ? 32 : 0));
}

/**
 * Emitted where a probe failed, with the address in `g.ta`: asks the helper to fill
 * the entry and bails unless it answers FILLED. The probe then reads the mirror entry
 * at `g.ia`, which the fill wrote (same context, EL, access kind and VA index).
 */
export function emitFill(g: Gen, access: FillAccess, bail: () => void): void {
  g.get(g.ta);
  g.op(W.i32WrapI64);
  g.i32(fillOp(access));
  g.get(g.ta);
  g.i64(32, 0);
  g.op(W.i64ShrS, W.f64ConvertI64S);
  g.b.byte(0x10); // call the helper
  g.b.u32(0);
  g.i32(FILLED);
  g.op(W.i32Ne);
  g.if_();
  bail();
  g.end();
}

/** The helper's side (tier.ts): `op` < 0 from emitFill, `hi` the address's high half. */
export function fillHelper(cpu: CpuState, lo: number, op: number, hi: number): number {
  const shape = -1 - op;
  const bytes = 1 << ((shape >>> 1) & 7);
  const span = (shape & 16) !== 0 ? 2 * bytes : bytes;
  const filled = cpu.mem.fillForJit(lo, hi, shape & 1, bytes, span, (shape & 32) !== 0);
  return filled ? FILLED : 0;
}

// The vector registers of compiled SIMD&FP code: V0-V31 live in the CPU block (gen.ts
// CB_V), so native code and call-outs to the interpreter share one register file.

import { P, CB_V, type Gen } from "./gen.js";
import { S, simd, lane, v128Const } from "./wasm-simd.js";

/**
 * Emits an instruction; `bail` leaves the unit for the interpreter before any change,
 * `callout` emits the call to the interpreter's executor for this instruction (the FP
 * emitters' fallback when a run-time guard fails, emit-fp.ts).
 */
export type SimdEmit = (g: Gen, bail: () => void, callout: () => void) => void;

/** Pushes V[n] as v128. */
export function vget(g: Gen, n: number): void {
  g.get(P.CB);
  simd(g, S.load);
  g.b.u32(4);
  g.b.u32(CB_V + 16 * n);
}

/** V[d] = the v128 `value` pushes; with q = 0 only its low 64 bits, the rest zeroed. */
export function vset(g: Gen, d: number, q: number, value: () => void): void {
  g.get(P.CB);
  value();
  if (q === 0) {
    g.i64(0, 0);
    lane(g, S.i64x2Replace, 1);
  }
  simd(g, S.store);
  g.b.u32(4);
  g.b.u32(CB_V + 16 * d);
}

/** A v128 constant holding `value` (low `8 << size` bits) in every lane. */
export function splatConst(g: Gen, size: number, value: bigint): void {
  const bytes = new Uint8Array(16);
  const eb = 1 << size;
  for (let i = 0; i < 16; i++) bytes[i] = Number((value >> BigInt(8 * (i % eb))) & 0xffn);
  v128Const(g, bytes);
}

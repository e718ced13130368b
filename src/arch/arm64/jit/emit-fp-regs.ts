// The shared pieces of the scalar FP emitters (emit-fp.ts, emit-fma.ts): scalar loads
// and stores of the vector registers in the CPU block, per-unit scratch locals, and the
// run-time guards on FPSR/FPCR (both in the CPU block, gen.ts CB_FPSR/CB_FPCR) that
// decide between the native code and the call-out.

import { P, CB_FPCR, CB_FPSR, CB_V, type Gen } from "./gen.js";
import { W } from "./wasm-emit.js";
import { DOUBLE_OPS, F32, F64, SINGLE_OPS, fconst, type FpType } from "./wasm-fp.js";

export const FPSR_IXC = 1 << 4;
export const FPCR_FZ = 1 << 24;
export const FPCR_RMODE = 3 << 22;

/** The scratch locals of a unit's FP code, per precision (allocated once per Gen). */
export interface Scratch {
  readonly a: number;
  readonly b: number;
  readonly r: number;
}
const scratchOf = new WeakMap<Gen, { s: Scratch; d: Scratch }>();

export function scratch(g: Gen, t: FpType): Scratch {
  let s = scratchOf.get(g);
  if (s === undefined) {
    const three = (type: number): Scratch => ({
      a: g.local(type),
      b: g.local(type),
      r: g.local(type),
    });
    s = { s: three(F32), d: three(F64) };
    scratchOf.set(g, s);
  }
  return t === SINGLE_OPS ? s.s : s.d;
}

export const typeOf = (insn: number): FpType | undefined => {
  const type = (insn >>> 22) & 3;
  return (insn & 0xa0000000) !== 0
    ? undefined
    : type === 0
      ? SINGLE_OPS
      : type === 1
        ? DOUBLE_OPS
        : undefined;
};

/** Pushes scalar V[n] of the type. */
export function load(g: Gen, t: FpType, n: number): void {
  g.get(P.CB);
  g.mem(t.load, t.bytes === 8 ? 3 : 2, CB_V + 16 * n);
}

/** V[d] = local `r` of the type, the rest of the register zeroed. */
export function store(g: Gen, t: FpType, d: number, r: number): void {
  g.get(P.CB);
  g.get(r);
  g.mem(t.store, t.bytes === 8 ? 3 : 2, CB_V + 16 * d);
  if (t.bytes === 4) {
    g.get(P.CB);
    g.i32(0);
    g.mem(W.i32Store, 2, CB_V + 16 * d + 4);
  }
  g.get(P.CB);
  g.i64(0, 0);
  g.mem(W.i64Store, 3, CB_V + 16 * d + 8);
}

/** Pushes 1 when FPSR.IXC is set and FPCR has RMode = RN and FZ = 0. */
export function ixcGuard(g: Gen): void {
  g.get(P.CB);
  g.mem(W.i64Load, 3, CB_FPSR); // FPSR in the low half, FPCR in the high half
  g.i64(FPSR_IXC, FPCR_RMODE | FPCR_FZ);
  g.op(W.i64And);
  g.i64(FPSR_IXC, 0);
  g.op(W.i64Eq);
}

/** Pushes 1 when FPCR.FZ = 0 (and RMode = RN: FRINTI rounds by it). */
export function fpcrGuard(g: Gen): void {
  g.get(P.CB);
  g.mem(W.i32Load, 2, CB_FPCR);
  g.i32(FPCR_RMODE | FPCR_FZ);
  g.op(W.i32And, W.i32Eqz);
}

/** Pushes 1 when local `r` is finite (not NaN, not infinite). */
export function finite(g: Gen, t: FpType, r: number): void {
  g.get(r);
  g.op(t.abs);
  fconst(g, t, Infinity);
  g.op(t.lt);
}

/** if (guard) { native } else { call out }. */
export function guarded(g: Gen, native: () => void, callout: () => void): void {
  g.if_();
  native();
  g.else_();
  callout();
  g.end();
}

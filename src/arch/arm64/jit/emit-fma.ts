// FMADD, FMSUB, FNMADD, FNMSUB (FP data-processing, 3 source) without a fused
// multiply-add in WebAssembly, correctly rounded (round to nearest even) by error-free
// transformations, under the same guards as emit-fp.ts (FPSR.IXC set, FPCR RN without
// FZ; else the interpreter's executor runs it):
//
// - double: Boldo and Melquiond's emulated FMA ("Emulation of FMA and correctly
//   rounded sums: proved algorithms using rounding to odd", IEEE Trans. Computers
//   57(4), 2008, algorithm 5.4): the product exactly as uh + ul (Dekker's TwoProduct,
//   splitting by 2^27 + 1), c + uh exactly as th + tl (TwoSum), then
//   RN(th + RO(tl + ul)) where RO rounds to odd: the nearest sum, stepped one unit
//   toward the exact value when inexact and even. Valid without underflow and
//   overflow: the factors lie in [2^-400, 2^400] and the addend is zero or in
//   [2^-800, 2^800], so every partial term is a normal double and the exact result,
//   when not zero, is far above the smallest normal. A zero factor gives ±0 + c,
//   exact (zeroProduct); other out-of-range operands, NaNs and infinities call out.
// - single: the product of two singles is exact in a double; the sum with the addend
//   rounded to odd in double (53 >= 24 + 2 bits) and then to single is the correctly
//   rounded fused result; the single result must be finite and above the smallest
//   normal (else it may have underflowed or overflowed: call out).
//
// Operand signs follow the Arm ARM (FMADD..FNMSUB): Vd = (o1 ? -Va : Va) + ((o0 != o1) ?
// -Vn : Vn) * Vm, the negations exact, so they apply to the operands before the fused
// operation.

import { W } from "./wasm-emit.js";
import type { SimdEmit } from "./emit-simd-regs.js";
import { DOUBLE_OPS as D, F64, FC, SINGLE_OPS as S, fconst } from "./wasm-fp.js";
import { fpcrGuard, guarded, ixcGuard, load, scratch, store, typeOf } from "./emit-fp-regs.js";
import type { Gen } from "./gen.js";

const SPLITTER = 134217729; // 2^27 + 1

/** The f64 scratch locals of the fused operations (allocated once per unit). */
interface FmaLocals {
  readonly x: number;
  readonly y: number;
  readonly c: number;
  readonly h: number;
  readonly l: number;
  readonly th: number;
  readonly tl: number;
  readonly t: number;
  readonly u: number;
  readonly e: number;
}
const localsOf = new WeakMap<Gen, FmaLocals>();

function locals(g: Gen): FmaLocals {
  let l = localsOf.get(g);
  if (l === undefined) {
    const f = (): number => g.local(F64);
    l = { x: f(), y: f(), c: f(), h: f(), l: f(), th: f(), tl: f(), t: f(), u: f(), e: f() };
    localsOf.set(g, l);
  }
  return l;
}

/** Pushes 1 when lo <= |local v| <= hi. */
function inRange(g: Gen, v: number, lo: number, hi: number): void {
  g.get(v);
  g.op(D.abs);
  fconst(g, D, lo);
  g.op(D.ge);
  g.get(v);
  g.op(D.abs);
  fconst(g, D, hi);
  g.op(D.le, W.i32And);
}

/** (s, err) = TwoSum(a, b): s + err = a + b exactly (Knuth), into locals. */
function twoSum(g: Gen, a: number, b: number, s: number, err: number, bb: number): void {
  g.get(a);
  g.get(b);
  g.op(D.add);
  g.tee(s);
  g.get(a);
  g.op(D.sub);
  g.set(bb);
  // err = (a - (s - bb)) + (b - bb)
  g.get(a);
  g.get(s);
  g.get(bb);
  g.op(D.sub, D.sub);
  g.get(b);
  g.get(bb);
  g.op(D.sub, D.add);
  g.set(err);
}

/** Splits local v into hi + lo (Veltkamp): pushes nothing, sets the two locals. */
function split(g: Gen, v: number, hi: number, lo: number): void {
  fconst(g, D, SPLITTER);
  g.get(v);
  g.op(D.mul);
  g.tee(hi); // t
  g.get(hi);
  g.get(v);
  g.op(D.sub, D.sub); // t - (t - v)
  g.set(hi);
  g.get(v);
  g.get(hi);
  g.op(D.sub);
  g.set(lo);
}

/**
 * Local u = RO(u + e) given u = RN(exact), e = exact - u: when e != 0 and u's last
 * significand bit is 0, step u one unit toward e (its bits +1 when u and e have the
 * same sign, else -1).
 */
function roundToOdd(g: Gen, u: number, e: number): void {
  g.get(e);
  fconst(g, D, 0);
  g.op(D.ne);
  g.get(u);
  g.op(FC.i64ReinterpretF64, W.i32WrapI64);
  g.i32(1);
  g.op(W.i32And, W.i32Eqz, W.i32And);
  g.if_();
  g.get(u);
  g.op(FC.i64ReinterpretF64);
  g.i64(1, 0);
  g.i64(-1, -1);
  g.get(u);
  fconst(g, D, 0);
  g.op(D.gt);
  g.get(e);
  fconst(g, D, 0);
  g.op(D.gt, W.i32Eq);
  g.op(W.select, W.i64Add, FC.f64ReinterpretI64);
  g.set(u);
  g.end();
}

function fmaDouble(
  d: number,
  n: number,
  m: number,
  a: number,
  negA: boolean,
  negN: boolean,
): SimdEmit {
  return (g, _bail, callout) => {
    const L = locals(g);
    load(g, D, n);
    if (negN) g.op(D.neg);
    g.set(L.x);
    load(g, D, m);
    g.set(L.y);
    load(g, D, a);
    if (negA) g.op(D.neg);
    g.set(L.c);
    inRange(g, L.x, 2 ** -400, 2 ** 400);
    inRange(g, L.y, 2 ** -400, 2 ** 400);
    g.op(W.i32And);
    inRange(g, L.c, 2 ** -800, 2 ** 800);
    g.get(L.c);
    fconst(g, D, 0);
    g.op(D.eq, W.i32Or, W.i32And);
    ixcGuard(g);
    g.op(W.i32And);
    guarded(
      g,
      () => {
        // uh = x * y, ul = its error (Dekker): ((xh*yh - uh) + xh*yl) + xl*yh + xl*yl
        const [xh, xl, yh, yl] = [L.th, L.tl, L.u, L.e];
        split(g, L.x, xh, xl);
        split(g, L.y, yh, yl);
        g.get(L.x);
        g.get(L.y);
        g.op(D.mul);
        g.set(L.h);
        g.get(xh);
        g.get(yh);
        g.op(D.mul);
        g.get(L.h);
        g.op(D.sub);
        g.get(xh);
        g.get(yl);
        g.op(D.mul, D.add);
        g.get(xl);
        g.get(yh);
        g.op(D.mul, D.add);
        g.get(xl);
        g.get(yl);
        g.op(D.mul, D.add);
        g.set(L.l);
        twoSum(g, L.c, L.h, L.th, L.tl, L.t); // c + uh = th + tl
        twoSum(g, L.tl, L.l, L.u, L.e, L.t); // tl + ul = u + e
        roundToOdd(g, L.u, L.e);
        g.get(L.th);
        g.get(L.u);
        g.op(D.add);
        g.set(L.x);
        store(g, D, d, L.x);
      },
      () => zeroProduct(g, d, L, callout),
    );
  };
}

/**
 * A zero factor: x * y is an exact ±0 (0 * infinity is a NaN: excluded), so the fused
 * result is ±0 + c, exact, raising nothing with FZ = 0 (the sign of a zero sum follows
 * the rounding mode: RN required). Else the call-out.
 */
function zeroProduct(g: Gen, d: number, L: FmaLocals, callout: () => void): void {
  g.get(L.x);
  g.get(L.y);
  g.op(D.mul);
  g.tee(L.h);
  fconst(g, D, 0);
  g.op(D.eq);
  // A factor must be zero: a product of non-zero factors can underflow to zero.
  for (const v of [L.x, L.y]) {
    g.get(v);
    fconst(g, D, 0);
    g.op(D.eq);
  }
  g.op(W.i32Or, W.i32And);
  g.get(L.c);
  g.op(D.abs);
  fconst(g, D, Infinity);
  g.op(D.lt, W.i32And);
  fpcrGuard(g);
  g.op(W.i32And);
  guarded(
    g,
    () => {
      g.get(L.h);
      g.get(L.c);
      g.op(D.add);
      g.set(L.x);
      store(g, D, d, L.x);
    },
    callout,
  );
}

function fmaSingle(
  d: number,
  n: number,
  m: number,
  a: number,
  negA: boolean,
  negN: boolean,
): SimdEmit {
  return (g, _bail, callout) => {
    const L = locals(g);
    const r = scratch(g, S).r;
    const single = (v: number, neg: boolean, into: number): void => {
      load(g, S, v);
      g.op(FC.f64PromoteF32);
      if (neg) g.op(D.neg);
      g.set(into);
    };
    single(n, negN, L.x);
    single(m, false, L.y);
    single(a, negA, L.c);
    // h = x * y exactly (24 + 24 bits); u + e = h + c exactly; r = RN_single(RO(u + e)).
    g.get(L.x);
    g.get(L.y);
    g.op(D.mul);
    g.set(L.h);
    twoSum(g, L.h, L.c, L.u, L.e, L.t);
    roundToOdd(g, L.u, L.e);
    g.get(L.u);
    g.op(FC.f32DemoteF64);
    g.set(r);
    // Finite operands (else the sums above are meaningless) and a normal result.
    for (const v of [L.x, L.y, L.c]) {
      g.get(v);
      g.op(D.abs);
      fconst(g, D, Infinity);
      g.op(D.lt);
    }
    g.op(W.i32And, W.i32And);
    g.get(r);
    g.op(S.abs);
    fconst(g, S, S.minNormal);
    g.op(S.gt, W.i32And);
    g.get(r);
    g.op(S.abs);
    fconst(g, S, Infinity);
    g.op(S.lt, W.i32And);
    ixcGuard(g);
    g.op(W.i32And);
    guarded(g, () => store(g, S, d, r), callout);
  };
}

/** FMADD, FMSUB, FNMADD, FNMSUB (single and double). */
export function planFma(insn: number): SimdEmit | undefined {
  const t = typeOf(insn);
  if (t === undefined) return undefined;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  const a = (insn >>> 10) & 31;
  const m = (insn >>> 16) & 31;
  const o1 = (insn >>> 21) & 1;
  const o0 = (insn >>> 15) & 1;
  const emit = t === D ? fmaDouble : fmaSingle;
  return emit(d, n, m, a, o1 === 1, o0 !== o1);
}

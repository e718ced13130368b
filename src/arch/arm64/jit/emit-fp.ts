// Scalar FP arithmetic, compares and conversions as WebAssembly f32/f64 code, exact to
// the FPSR bit. WebAssembly's + - * / sqrt and int<->float conversions are IEEE 754
// round-to-nearest-even, exactly what an Arm core computes with FPCR.RMode = RN, so the
// result needs no care; the FPSR's cumulative exception bits do. Each instruction runs
// natively only under a guard that makes every exception either impossible or already
// recorded, and otherwise calls out to the interpreter's executor (which sets FPSR):
//
// - inexact (IXC): cumulative, so once FPSR.IXC is set an inexact result changes
//   nothing. Rounding ops run natively only while IXC is set (the first inexact one is
//   the interpreter's) and FPCR.RMode = RN, FZ = 0 (ixcGuard: one i64 load of FPSR and
//   FPCR, which sit side by side in the CPU block; trap enables are RAZ, sysregs.ts).
// - invalid (IOC), divide by zero (DZC), overflow (OFC), underflow (UFC): the result of
//   an arithmetic op must be finite and strictly above the smallest normal in magnitude.
//   A NaN or infinite operand makes the result NaN or infinite (x / inf = 0 fails too),
//   0/0 and x/0 give NaN or infinity, overflow infinity, and a result tiny before
//   rounding (Arm ARM FPRoundBase: UFC when the unrounded exponent is below the
//   minimum) rounds to at most the smallest normal. Exact zero results call out too.
// - input denormal (IDC) only exists with FZ = 1: the guards require FZ = 0, so
//   subnormal operands are computed exactly as the architecture does (WebAssembly has
//   gradual underflow).
// - NaN propagation never happens natively (WebAssembly's NaN bits are not Arm's).
//
// Compares and FMAX/FMIN raise nothing for non-NaN operands with FZ = 0 (+0 vs -0 is
// the same in both: max gives +0, min -0); FCMP's flags are N = a < b, Z = a == b,
// C = a >= b, V = 0 when ordered (Arm ARM FPCompare). Decoding follows
// simd/exec-fp-scalar.ts; anything not listed there stays a plain call-out. FMADD and
// friends stay call-outs: WebAssembly has no fused multiply-add.

import { W } from "./wasm-emit.js";
import { SimdOp } from "../simd/ops.js";
import type { SimdEmit } from "./emit-simd-regs.js";
import { DOUBLE_OPS, FC, SINGLE_OPS, fconst, truncSat, type FpType } from "./wasm-fp.js";
import { planFma } from "./emit-fma.js";
import {
  finite,
  fpcrGuard,
  guarded,
  ixcGuard,
  load,
  scratch,
  store,
  typeOf,
} from "./emit-fp-regs.js";
import type { Gen } from "./gen.js";

/**
 * Pushes 1 when local `r` is finite and either above the smallest normal in magnitude
 * or an exact zero: one of the `zeros` locals (the operands whose being zero makes a
 * zero result exact: either factor of a product, a quotient's dividend) is zero.
 */
function normalOrExactZero(g: Gen, t: FpType, r: number, zeros: readonly number[]): void {
  g.get(r);
  g.op(t.abs);
  fconst(g, t, t.minNormal);
  g.op(t.gt);
  for (const z of zeros) {
    g.get(z);
    fconst(g, t, 0);
    g.op(t.eq, W.i32Or);
  }
  finite(g, t, r);
  g.op(W.i32And);
}

/** Pushes 1 when neither local is a NaN. */
function ordered(g: Gen, t: FpType, a: number, b: number): void {
  g.get(a);
  g.get(a);
  g.op(t.eq);
  g.get(b);
  g.get(b);
  g.op(t.eq, W.i32And);
}

/** FMUL, FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM, FNMUL by opcode (bits 15:12). */
function dp2(insn: number): SimdEmit | undefined {
  const t = typeOf(insn);
  const opcode = (insn >>> 12) & 15;
  if (t === undefined || opcode > 8) return undefined;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  if (opcode >= 4 && opcode < 8)
    // FMAX/FMIN and the NM forms agree whenever neither operand is a NaN.
    return (g, _bail, callout) => {
      const s = scratch(g, t);
      load(g, t, n);
      g.tee(s.a);
      load(g, t, m);
      g.tee(s.b);
      g.op(opcode & 1 ? t.min : t.max);
      g.set(s.r);
      ordered(g, t, s.a, s.b);
      fpcrGuard(g);
      g.op(W.i32And);
      guarded(g, () => store(g, t, d, s.r), callout);
    };
  const code = [t.mul, t.div, t.add, t.sub, 0, 0, 0, 0, t.mul][opcode]!;
  return (g, _bail, callout) => {
    const s = scratch(g, t);
    load(g, t, n);
    g.tee(s.a);
    load(g, t, m);
    g.tee(s.b);
    g.op(code);
    if (opcode === 8) g.op(t.neg); // FNMUL: -(a * b), rounded once
    g.set(s.r);
    if (opcode === 2 || opcode === 3)
      // A sum below the smallest normal is exact (both operands are multiples of the
      // smallest subnormal), so it raises no UFC; a zero sum is exact too.
      finite(g, t, s.r);
    else normalOrExactZero(g, t, s.r, opcode === 1 ? [s.a] : [s.a, s.b]);
    ixcGuard(g);
    g.op(W.i32And);
    guarded(g, () => store(g, t, d, s.r), callout);
  };
}

/** FSQRT, FCVT single<->double, FRINTN/P/M/Z/I (FP data-processing, 1 source). */
function dp1(insn: number): SimdEmit | undefined {
  const t = typeOf(insn);
  const opcode = (insn >>> 15) & 0x3f;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  if (t === undefined) return undefined;
  if (opcode === 3)
    return (g, _bail, callout) => {
      const s = scratch(g, t);
      load(g, t, n);
      g.op(t.sqrt);
      g.set(s.r);
      // NaN for a negative or NaN operand; never tiny (sqrt of a subnormal is normal).
      g.get(s.r);
      fconst(g, t, Infinity);
      g.op(t.lt);
      ixcGuard(g);
      g.op(W.i32And);
      guarded(g, () => store(g, t, d, s.r), callout);
    };
  if (opcode === 4 && t === DOUBLE_OPS) return narrow(d, n);
  if (opcode === 5 && t === SINGLE_OPS) return widen(d, n);
  // FRINTN (ties to even), P, M, Z and I (FPCR's mode, RN under the guard): they never
  // raise IXC (only FRINTX does); infinities and zeros come back unchanged with their
  // sign, as WebAssembly's nearest/ceil/floor/trunc return them.
  const round = [t.nearest, t.ceil, t.floor, t.trunc, 0, 0, 0, t.nearest][opcode - 8];
  if (round === undefined || round === 0) return undefined;
  return (g, _bail, callout) => {
    const s = scratch(g, t);
    load(g, t, n);
    g.tee(s.a);
    g.op(round);
    g.set(s.r);
    ordered(g, t, s.a, s.a);
    fpcrGuard(g);
    g.op(W.i32And);
    guarded(g, () => store(g, t, d, s.r), callout);
  };
}

/** FCVT Sd, Dn: may be inexact, overflow or underflow. */
function narrow(d: number, n: number): SimdEmit {
  return (g, _bail, callout) => {
    const s = scratch(g, SINGLE_OPS);
    const a = scratch(g, DOUBLE_OPS).a;
    load(g, DOUBLE_OPS, n);
    g.tee(a);
    g.op(FC.f32DemoteF64);
    g.set(s.r);
    // A zero result is exact only from a zero operand (else it underflowed).
    g.get(s.r);
    g.op(SINGLE_OPS.abs);
    fconst(g, SINGLE_OPS, SINGLE_OPS.minNormal);
    g.op(SINGLE_OPS.gt);
    g.get(a);
    fconst(g, DOUBLE_OPS, 0);
    g.op(DOUBLE_OPS.eq, W.i32Or);
    finite(g, SINGLE_OPS, s.r);
    g.op(W.i32And);
    ixcGuard(g);
    g.op(W.i32And);
    guarded(g, () => store(g, SINGLE_OPS, d, s.r), callout);
  };
}

/** FCVT Dd, Sn: exact; a NaN (sNaN: IOC) or, with FZ, a denormal calls out. */
function widen(d: number, n: number): SimdEmit {
  return (g, _bail, callout) => {
    const s = scratch(g, SINGLE_OPS);
    const r = scratch(g, DOUBLE_OPS).r;
    load(g, SINGLE_OPS, n);
    g.tee(s.a);
    g.op(FC.f64PromoteF32);
    g.set(r);
    ordered(g, SINGLE_OPS, s.a, s.a);
    fpcrGuard(g);
    g.op(W.i32And);
    guarded(g, () => store(g, DOUBLE_OPS, d, r), callout);
  };
}

/** FCMP, FCMPE (register or #0.0): NZCV when ordered; a NaN calls out (IOC rules). */
function compare(insn: number): SimdEmit | undefined {
  const t = typeOf(insn);
  if (t === undefined || ((insn >>> 14) & 3) !== 0 || (insn & 7) !== 0) return undefined;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  const withZero = (insn & 8) !== 0;
  return (g, _bail, callout) => {
    const s = scratch(g, t);
    load(g, t, n);
    g.set(s.a);
    if (withZero) fconst(g, t, 0);
    else load(g, t, m);
    g.set(s.b);
    ordered(g, t, s.a, s.b);
    fpcrGuard(g);
    g.op(W.i32And);
    guarded(
      g,
      () => {
        const flag = (code: number, local: number): void => {
          g.get(s.a);
          g.get(s.b);
          g.op(code);
          g.set(local);
        };
        flag(t.lt, g.nf);
        flag(t.eq, g.zf);
        flag(t.ge, g.cf);
        g.i32(0);
        g.set(g.vf);
        g.flagsWritten = true;
      },
      callout,
    );
  };
}

/** SCVTF/UCVTF (opcode 2/3) and FCVTZS/FCVTZU (opcode 0/1, rmode 3), scalar integer. */
function intConv(insn: number): SimdEmit | undefined {
  const t = typeOf(insn & 0x7fffffff);
  const sf = insn >>> 31;
  const rmode = (insn >>> 19) & 3;
  const opcode = (insn >>> 16) & 7;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  if (t === undefined || (insn & 0x20000000) !== 0) return undefined;
  if ((opcode === 2 || opcode === 3) && rmode === 0) {
    const unsigned = opcode & 1;
    const code = FC.convert[t.bytes === 8 ? 1 : 0][sf * 2 + unsigned]!;
    // A 32-bit integer is exact in a double; the other conversions may round.
    const exact = sf === 0 && t === DOUBLE_OPS;
    return (g, _bail, callout) => {
      const s = scratch(g, t);
      const native = (): void => {
        if (sf) g.x(n);
        else g.w(n);
        g.op(code);
        g.set(s.r);
        store(g, t, d, s.r);
      };
      if (exact) return native();
      ixcGuard(g);
      guarded(g, native, callout);
    };
  }
  if ((opcode === 0 || opcode === 1) && rmode === 3) return toInt(t, sf, opcode, d, n);
  return undefined;
}

/** FCVTZS/FCVTZU: truncation of an in-range value; a fraction needs IXC already set. */
function toInt(t: FpType, sf: number, unsigned: number, d: number, n: number): SimdEmit {
  const bits = sf ? 64 : 32;
  // The open range whose truncations fit: (-2^31 - 1, 2^31), (-1, 2^32), ...; -2^63
  // itself is a double and fits, the next double below it is far out.
  const lo = unsigned ? -1 : sf ? -(2 ** 63) : -(2 ** 31) - 1;
  const hi = unsigned ? 2 ** bits : 2 ** (bits - 1);
  const D = DOUBLE_OPS;
  return (g, _bail, callout) => {
    const a = scratch(g, D).a;
    load(g, t, n);
    if (t === SINGLE_OPS) g.op(FC.f64PromoteF32);
    g.tee(a);
    fconst(g, D, lo);
    g.op(sf && !unsigned ? D.ge : D.gt);
    g.get(a);
    fconst(g, D, hi);
    g.op(D.lt, W.i32And);
    // Integral (no rounding: nothing raised whatever FPCR says) or IXC already set.
    g.get(a);
    g.op(D.trunc);
    g.get(a);
    g.op(D.eq);
    ixcGuard(g);
    g.op(W.i32Or, W.i32And);
    guarded(
      g,
      () => {
        g.get(a);
        truncSat(g, sf * 2 + unsigned);
        if (sf) g.setX(d);
        else g.setW(d);
      },
      callout,
    );
  };
}

/** The native emitter of a scalar FP arithmetic/compare/convert instruction, if any. */
export function planFp(op: number, insn: number): SimdEmit | undefined {
  switch (op) {
    case SimdOp.FP_DP2:
      return dp2(insn);
    case SimdOp.FP_DP1:
      return dp1(insn);
    case SimdOp.FP_COMPARE:
      return compare(insn);
    case SimdOp.FP_INT_CONV:
      return intConv(insn);
    case SimdOp.FP_DP3:
      return planFma(insn);
    default:
      return undefined;
  }
}

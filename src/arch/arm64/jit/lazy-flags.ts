// Lazy NZCV in compiled units. A flag-setting add/subtract or logical operation does
// not compute N, Z, C and V: it leaves its operands and result in dedicated locals and
// records what it was in the i32 local `fk` (a FlagKind). Flags are computed only
//   - where a condition is read right after its setter in the same block (B.cond,
//     CSEL, CCMP, ADC's carry): the condition straight from the operands, one compare
//     for most (CMP + B.LT is `a <s b`), never all four flags;
//   - where an instruction the JIT does not classify (a call-out, FCSEL, anything
//     new) or a block that needs them in the locals (flag-liveness.ts) comes next: the
//     four flags of the known kind (`materialize`);
//   - in the epilogue, once per exit, from whatever `fk` says (`materializeDynamic`),
//     so every way out of the unit (continue, INTERPRET bail before a load, STALE,
//     budget) leaves the flags exactly as the interpreter would.
// A flag result overwritten before any of these is never computed.
// The formulas are the interpreter's (interp.ts addFlags/subFlags, Arm ARM J1
// shared/functions/integer AddWithCarry; ConditionHolds in shared/functions/system).

import { W } from "./wasm-emit.js";
import { DYNAMIC, FlagKind, Gen } from "./gen.js";

export { DYNAMIC, FlagKind };

/**
 * Totals over every unit compiled in this process, for measuring (bench scripts):
 * lazy setters, materializations of a known kind in the body (before an unclassified
 * op, on an edge into a needing block), epilogue materializers, DYNAMIC fallbacks.
 */
export const flagTotals = { setters: 0, inBody: 0, epilogues: 0, fallbacks: 0 };

const KINDS = [1, 2, 3, 4, 5, 6];

/** Opcodes and locals of one width (i64 for the 64-bit kinds, i32 for the others). */
interface Ops {
  readonly wide: boolean;
  readonly a: number;
  readonly b: number;
  readonly r: number;
}

function ops(g: Gen, kind: number): Ops {
  const wide = kind <= 3;
  return wide ? { wide, a: g.fa, b: g.fb, r: g.fr } : { wide, a: g.ga, b: g.gb, r: g.gr };
}

function zero(g: Gen, o: Ops): void {
  if (o.wide) g.i64(0, 0);
  else g.i32(0);
}

/** Pushes the sign bit of an operand-width value on the stack as an i32 0/1. */
function sign(g: Gen, o: Ops): void {
  if (o.wide) {
    g.i64(63, 0);
    g.op(W.i64ShrU, W.i32WrapI64);
  } else {
    g.i32(31);
    g.op(W.i32ShrU);
  }
}

/** Pushes V's word: its sign bit is V ((a ^ b) & (a ^ r) for a - b, (a ^ r) & (b ^ r) for a + b). */
function overflowWord(g: Gen, o: Ops, sub: boolean): void {
  const xor = o.wide ? W.i64Xor : W.i32Xor;
  g.get(o.a);
  g.get(sub ? o.b : o.r);
  g.op(xor);
  g.get(sub ? o.a : o.b);
  g.get(o.r);
  g.op(xor, o.wide ? W.i64And : W.i32And);
}

/** Pushes C (carry out; for a subtraction, no borrow). */
function carry(g: Gen, o: Ops, kind: number): void {
  const sub = isSub(kind);
  if (isLogic(kind)) {
    g.i32(0);
    return;
  }
  g.get(sub ? o.a : o.r);
  g.get(sub ? o.b : o.a);
  g.op(sub ? (o.wide ? W.i64GeU : W.i32GeU) : o.wide ? W.i64LtU : W.i32LtU);
}

const isLogic = (kind: number): boolean => kind === FlagKind.LOGIC64 || kind === FlagKind.LOGIC32;
const isSub = (kind: number): boolean => kind === FlagKind.SUB64 || kind === FlagKind.SUB32;

/** N and Z: the result's sign and whether it is zero (every kind of one width alike). */
function setNZ(g: Gen, o: Ops): void {
  const [nf, zf] = g.flagLocals;
  g.get(o.r);
  sign(g, o);
  g.set(nf);
  g.get(o.r);
  g.op(o.wide ? W.i64Eqz : W.i32Eqz);
  g.set(zf);
}

/** C and V of an add/subtract kind; 0 and 0 for a logical one. */
function setCV(g: Gen, o: Ops, kind: number): void {
  const [, , cf, vf] = g.flagLocals;
  carry(g, o, kind);
  g.set(cf);
  if (isLogic(kind)) g.i32(0);
  else {
    overflowWord(g, o, isSub(kind));
    sign(g, o);
  }
  g.set(vf);
}

function clearKind(g: Gen): void {
  g.i32(FlagKind.MATERIALIZED);
  g.set(g.fk);
}

/** Computes the four flag locals from a known kind's operands and (with `clear`) sets fk = 0. */
export function materialize(g: Gen, kind: number, clear = true): void {
  const o = ops(g, kind);
  setNZ(g, o);
  setCV(g, o, kind);
  if (clear) clearKind(g);
  g.flagStats.materialized++;
}

/** Runs `body(k)` for the kind `fk` holds among `kinds` (no test when there is one). */
function byKind(g: Gen, kinds: readonly number[], body: (k: number) => void): void {
  if (kinds.length === 1) {
    body(kinds[0]!);
    return;
  }
  for (const k of kinds) {
    g.get(g.fk);
    g.i32(k);
    g.op(W.i32Eq);
    g.if_();
    body(k);
    g.end();
  }
}

/**
 * Computes the four flag locals from whatever kind `fk` holds at run time, when it
 * is not MATERIALIZED: any kind, or with `kinds` (a bit per FlagKind) only those the
 * unit sets. N and Z depend only on the width, C and V only on the arithmetic kinds
 * (a logical one clears them), which keeps the epilogue short.
 */
export function materializeDynamic(g: Gen, kinds = 0x7e): void {
  const possible = KINDS.filter((k) => (kinds & (1 << k)) !== 0);
  const wide = possible.filter((k) => k <= FlagKind.LOGIC64);
  const narrow = possible.filter((k) => k > FlagKind.LOGIC64);
  g.get(g.fk);
  g.if_();
  if (wide.length > 0 && narrow.length > 0) {
    g.get(g.fk);
    g.i32(FlagKind.SUB32);
    g.op(W.i32LtU);
    g.if_();
    setNZ(g, ops(g, FlagKind.SUB64));
    g.else_();
    setNZ(g, ops(g, FlagKind.SUB32));
    g.end();
  } else setNZ(g, ops(g, possible[0]!));
  const arith = possible.filter((k) => !isLogic(k));
  if (arith.length < possible.length) {
    // A logical kind is possible: C = V = 0 unless an arithmetic kind says otherwise.
    const [, , cf, vf] = g.flagLocals;
    g.i32(0);
    g.set(cf);
    g.i32(0);
    g.set(vf);
    if (arith.length > 0) {
      for (const k of arith) {
        g.get(g.fk);
        g.i32(k);
        g.op(W.i32Eq);
        g.if_();
        setCV(g, ops(g, k), k);
        g.end();
      }
    }
  } else byKind(g, arith, (k) => setCV(g, ops(g, k), k));
  clearKind(g);
  g.end();
}

/**
 * Pushes ConditionHolds(c) as i32 0/1 from a known kind's operands. Each is the
 * condition's meaning for that operation: after a - b, HI is a >u b and GE a >=s b;
 * after a + b, C is r <u a; after a logical op C = V = 0, so GE is N == 0.
 */
export function pendingCond(g: Gen, kind: number, c: number): void {
  const o = ops(g, kind);
  const w = o.wide;
  const sub = isSub(kind);
  const logic = isLogic(kind);
  const cmpR = (op64: number, op32: number): void => {
    // r <op> 0
    g.get(o.r);
    zero(g, o);
    g.op(w ? op64 : op32);
  };
  const base = c >>> 1;
  if (base === 7) {
    g.i32(1);
    return;
  }
  if (base === 0) cmpR(W.i64Eq, W.i32Eq);
  else if (base === 2) cmpR(W.i64LtS, W.i32LtS);
  else if (base === 1) carry(g, o, kind);
  else if (logic) logicCond(g, base, cmpR);
  else if (base === 3) {
    overflowWord(g, o, sub);
    zero(g, o);
    g.op(w ? W.i64LtS : W.i32LtS);
  } else if (sub) {
    // HI: a >u b; GE: a >=s b; GT: a >s b.
    g.get(o.a);
    g.get(o.b);
    if (base === 4) g.op(w ? W.i64GtU : W.i32GtU);
    else if (base === 5) g.op(w ? W.i64GeS : W.i32GeS);
    else g.op(w ? W.i64GtS : W.i32GtS);
  } else addCond(g, o, kind, base);
  if ((c & 1) !== 0) g.op(W.i32Eqz);
}

/** HI, GE and GT after a logical operation (C = V = 0): false, r >=s 0, r >s 0. */
function logicCond(g: Gen, base: number, cmpR: (op64: number, op32: number) => void): void {
  if (base === 3 || base === 4) g.i32(0);
  else if (base === 5) cmpR(W.i64GeS, W.i32GeS);
  else cmpR(W.i64GtS, W.i32GtS);
}

/** HI, GE and GT after a + b, from C and N ^ V (the sign of r ^ V's word). */
function addCond(g: Gen, o: Ops, kind: number, base: number): void {
  const w = o.wide;
  if (base === 4) {
    carry(g, o, kind);
    g.get(o.r);
    g.op(w ? W.i64Eqz : W.i32Eqz, W.i32Eqz, W.i32And);
    return;
  }
  // N == V  <=>  the sign of r ^ ((a ^ r) & (b ^ r)) is clear.
  g.get(o.r);
  overflowWord(g, o, false);
  g.op(w ? W.i64Xor : W.i32Xor);
  zero(g, o);
  g.op(w ? W.i64GeS : W.i32GeS);
  if (base === 6) {
    g.get(o.r);
    g.op(w ? W.i64Eqz : W.i32Eqz, W.i32Eqz, W.i32And);
  }
}

// ---- the operations emitters use ----

/** Computes pending flags into the four locals (before an op that may use them there). */
export function flushFlags(g: Gen): void {
  materializeHere(g);
  g.flagState = FlagKind.MATERIALIZED;
}

/**
 * Computes pending flags into the locals on one control-flow path (a branch to a
 * block that needs them there), leaving what the following code knows unchanged.
 */
export function materializeHere(g: Gen): void {
  if (g.flagState === FlagKind.MATERIALIZED) return;
  if (g.flagState === DYNAMIC) {
    g.flagStats.dynamic++;
    flagTotals.fallbacks++;
    materializeDynamic(g);
  } else {
    flagTotals.inBody++;
    materialize(g, g.flagState);
  }
}

/** A flag-setting op left its operands in fa/fb/fr (or ga/gb/gr): NZCV are `kind`'s. */
export function setPending(g: Gen, kind: number): void {
  g.flagsWritten = true;
  g.flagStats.setters++;
  flagTotals.setters++;
  if (Gen.eagerFlags) {
    materialize(g, kind, false);
    g.flagState = FlagKind.MATERIALIZED;
    return;
  }
  if (g.flagState !== kind) {
    g.i32(kind);
    g.set(g.fk);
  }
  g.flagState = kind;
  g.flagKinds |= 1 << kind;
}

/** N and Z of a logical result in local `r` (i64 when `wide`, else i32); C = V = 0. */
export function setLogicFlags(g: Gen, r: number, wide: boolean): void {
  g.get(r);
  g.set(wide ? g.fr : g.gr);
  setPending(g, wide ? FlagKind.LOGIC64 : FlagKind.LOGIC32);
}

/** An op about to write all four flag locals itself (CCMP, ADCS) after reading them. */
export function beginEagerFlags(g: Gen): void {
  if (g.flagState !== FlagKind.MATERIALIZED) {
    g.i32(FlagKind.MATERIALIZED);
    g.set(g.fk);
  }
  g.flagState = FlagKind.MATERIALIZED;
  g.flagsWritten = true;
}

/** Pushes ConditionHolds(c) as i32 0/1: from the pending operands, or the locals. */
export function readCond(g: Gen, c: number): void {
  if (g.flagState === DYNAMIC) flushFlags(g);
  if (g.flagState === FlagKind.MATERIALIZED) g.cond(c);
  else pendingCond(g, g.flagState, c);
}

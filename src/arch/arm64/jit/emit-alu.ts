// Data-processing instructions as WebAssembly: 64-bit forms in i64, 32-bit forms in
// i32 (zero-extended on write), flags as 0/1 i32 locals. Each emitter mirrors the
// interpreter's case (interp.ts) so both tiers agree bit for bit; `aluSupported`
// refuses the encodings the interpreter treats as UNDEFINED (they end the unit).

import { logicalImmediate, R } from "../bits.js";
import { W } from "./wasm-emit.js";
import type { Gen } from "./gen.js";

const SHIFT64 = [W.i64Shl, W.i64ShrU, W.i64ShrS, W.i64Rotr];
const SHIFT32 = [W.i32Shl, W.i32ShrU, W.i32ShrS, W.i32Rotr];

/** Pushes the shifted-register operand Rm (sf-sized). */
function shifted(g: Gen, sf: boolean, rm: number, type: number, amount: number): void {
  if (sf) {
    g.x(rm);
    if (amount !== 0) {
      g.i64(amount, 0);
      g.op(SHIFT64[type]!);
    }
  } else {
    g.w(rm);
    if (amount !== 0) {
      g.i32(amount);
      g.op(SHIFT32[type]!);
    }
  }
}

/** The wasm opcodes and scratch locals of one operand width. */
interface Width {
  readonly add: number;
  readonly sub: number;
  readonly shrU: number;
  readonly eqz: number;
  readonly geU: number;
  readonly ltU: number;
  readonly xor: number;
  readonly and: number;
  /** Pushes the constant `width - 1` (the sign bit's shift). */
  readonly signShift: (g: Gen) => void;
  /** Narrows a sign bit shifted down to bit 0 into an i32 flag (nothing for i32). */
  readonly toFlag: readonly number[];
  readonly locals: (g: Gen) => readonly [a: number, b: number, c: number];
}

const WIDE: Width = {
  add: W.i64Add,
  sub: W.i64Sub,
  shrU: W.i64ShrU,
  eqz: W.i64Eqz,
  geU: W.i64GeU,
  ltU: W.i64LtU,
  xor: W.i64Xor,
  and: W.i64And,
  signShift: (g) => g.i64(63, 0),
  toFlag: [W.i32WrapI64],
  locals: (g) => [g.ta, g.tb, g.tc],
};

const NARROW: Width = {
  add: W.i32Add,
  sub: W.i32Sub,
  shrU: W.i32ShrU,
  eqz: W.i32Eqz,
  geU: W.i32GeU,
  ltU: W.i32LtU,
  xor: W.i32Xor,
  and: W.i32And,
  signShift: (g) => g.i32(31),
  toFlag: [],
  locals: (g) => [g.ia, g.ib, g.ic],
};

/** Pushes the sign bit of `local` as an i32 0/1 flag. */
function signBit(g: Gen, w: Width, local: number): void {
  g.get(local);
  w.signShift(g);
  g.op(w.shrU, ...w.toFlag);
}

/** NZCV of c = a +/- b (carry = no borrow for a subtraction), as the interpreter sets them. */
function addSubFlags(g: Gen, w: Width, sub: boolean, a: number, b: number, c: number): void {
  signBit(g, w, c);
  g.set(g.nf);
  g.get(c);
  g.op(w.eqz);
  g.set(g.zf);
  // C: a >= b for a subtraction, c < a (unsigned wrap) for an addition.
  g.get(sub ? a : c);
  g.get(sub ? b : a);
  g.op(sub ? w.geU : w.ltU);
  g.set(g.cf);
  // V: the sign of (a ^ b) & (a ^ c) for a subtraction, (a ^ c) & (b ^ c) for an addition.
  g.get(a);
  g.get(sub ? b : c);
  g.op(w.xor);
  g.get(sub ? a : b);
  g.get(c);
  g.op(w.xor, w.and);
  w.signShift(g);
  g.op(w.shrU, ...w.toFlag);
  g.set(g.vf);
  g.flagsWritten = true;
}

/**
 * a +/- b with operands pushed by `pushA`/`pushB` (sf-sized), flags when `flags`;
 * the result is left on the stack as i64 (zero-extended for 32-bit).
 */
function addSub(
  g: Gen,
  sf: boolean,
  sub: boolean,
  flags: boolean,
  pushA: () => void,
  pushB: () => void,
): void {
  const w = sf ? WIDE : NARROW;
  const [a, b, c] = w.locals(g);
  pushA();
  g.set(a);
  pushB();
  g.set(b);
  g.get(a);
  g.get(b);
  g.op(sub ? w.sub : w.add);
  g.set(c);
  if (flags) addSubFlags(g, w, sub, a, b, c);
  g.get(c);
  if (!sf) g.op(W.i64ExtendI32U);
}

/** Whether the op/encoding is one `emitAlu` compiles (valid encodings only). */
export function aluSupported(op: number, insn: number): boolean {
  const sf = insn >>> 31;
  switch (op) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 17:
    case 18:
    case 20:
    case 21:
    case 34:
    case 43:
      return true;
    case 5:
    case 6:
    case 7:
    case 8: {
      const type = (insn >>> 22) & 3;
      const amount = (insn >>> 10) & 0x3f;
      return !(type === 3 || (sf === 0 && amount >= 32));
    }
    case 9:
    case 10:
    case 11:
    case 12:
      return logicalImmediate((insn >>> 10) & 0x1fff, sf);
    case 13:
    case 14:
    case 15:
    case 16:
      return !(sf === 0 && ((insn >>> 10) & 0x3f) >= 32);
    case 19:
      return !(sf === 0 && ((insn >>> 21) & 3) >= 2);
    case 32:
    case 33: {
      const immr = (insn >>> 16) & 0x3f;
      const imms = (insn >>> 10) & 0x3f;
      return !(((insn >>> 22) & 1) !== sf || (sf === 0 && (immr | imms) >= 32));
    }
    default:
      return false;
  }
}

/** Emits one data-processing instruction at page offset `off` (for ADR/ADRP). */
export function emitAlu(g: Gen, op: number, insn: number, off: number): void {
  const sf = insn < 0;
  const rd = insn & 31;
  const rn = (insn >>> 5) & 31;
  switch (op) {
    case 1:
    case 2:
    case 3:
    case 4: {
      let imm = (insn >>> 10) & 0xfff;
      if ((insn & 0x400000) !== 0) imm <<= 12;
      const flags = op === 2 || op === 4;
      addSub(
        g,
        sf,
        op >= 3,
        flags,
        () => (sf ? g.xsp(rn) : g.wsp(rn)),
        () => (sf ? g.i64(imm, 0) : g.i32(imm)),
      );
      if (flags) g.setX(rd);
      else g.setXsp(rd);
      return;
    }
    case 5:
    case 6:
    case 7:
    case 8: {
      const type = (insn >>> 22) & 3;
      const amount = (insn >>> 10) & 0x3f;
      const rm = (insn >>> 16) & 31;
      addSub(
        g,
        sf,
        op >= 7,
        op === 6 || op === 8,
        () => (sf ? g.x(rn) : g.w(rn)),
        () => shifted(g, sf, rm, type, amount),
      );
      g.setX(rd);
      return;
    }
    case 9:
    case 10:
    case 11:
    case 12: {
      logicalImmediate((insn >>> 10) & 0x1fff, sf ? 1 : 0);
      const lo = R.lo;
      const hi = sf ? R.hi : 0;
      const bin = op === 10 ? W.i64Or : op === 11 ? W.i64Xor : W.i64And;
      g.x(rn);
      g.i64(lo, hi);
      g.op(bin);
      if (!sf) {
        g.i64(-1, 0);
        g.op(W.i64And);
      }
      if (op === 12) {
        g.set(g.tc);
        if (sf) g.logicFlags64(g.tc);
        else {
          g.get(g.tc);
          g.op(W.i32WrapI64);
          g.set(g.ic);
          g.logicFlags32(g.ic);
        }
        g.get(g.tc);
        g.setX(rd);
      } else g.setXsp(rd);
      return;
    }
    case 13:
    case 14:
    case 15:
    case 16: {
      const type = (insn >>> 22) & 3;
      const amount = (insn >>> 10) & 0x3f;
      const rm = (insn >>> 16) & 31;
      const invert = (insn & 0x200000) !== 0;
      if (sf) {
        g.x(rn);
        shifted(g, true, rm, type, amount);
        if (invert) {
          g.i64(-1, -1);
          g.op(W.i64Xor);
        }
        g.op(op === 14 ? W.i64Or : op === 15 ? W.i64Xor : W.i64And);
        if (op === 16) {
          g.set(g.tc);
          g.logicFlags64(g.tc);
          g.get(g.tc);
        }
        g.setX(rd);
      } else {
        g.w(rn);
        shifted(g, false, rm, type, amount);
        if (invert) {
          g.i32(-1);
          g.op(W.i32Xor);
        }
        g.op(op === 14 ? W.i32Or : op === 15 ? W.i32Xor : W.i32And);
        if (op === 16) {
          g.set(g.ic);
          g.logicFlags32(g.ic);
          g.get(g.ic);
        }
        g.setW(rd);
      }
      return;
    }
    case 17:
    case 18:
    case 19: {
      if (rd === 31) return;
      const hw = (insn >>> 21) & 3;
      const imm = (insn >>> 5) & 0xffff;
      const sh = (hw & 1) * 16;
      let lo = hw < 2 ? imm << sh : 0;
      let hi = hw < 2 ? 0 : imm << sh;
      if (op === 19) {
        g.x(rd);
        g.i64(hw < 2 ? ~(0xffff << sh) : -1, hw < 2 ? -1 : ~(0xffff << sh));
        g.op(W.i64And);
        g.i64(lo, hi);
        g.op(W.i64Or);
        if (!sf) {
          g.i64(-1, 0);
          g.op(W.i64And);
        }
        g.setX(rd);
        return;
      }
      if (op === 17) {
        lo = ~lo;
        hi = sf ? ~hi : 0;
      }
      g.i64(lo, hi);
      g.setX(rd);
      return;
    }
    case 20:
    case 21: {
      const imm = (((insn << 8) >> 13) << 2) | ((insn >>> 29) & 3);
      // vaBase is the page's VA, so ADRP's Align(PC, 4096) is vaBase itself.
      g.get(g.va);
      if (op === 20) g.i64n(off + imm);
      else g.i64n(imm * 4096);
      g.op(W.i64Add);
      g.setX(rd);
      return;
    }
    case 32:
    case 33: {
      const immr = (insn >>> 16) & 0x3f;
      const imms = (insn >>> 10) & 0x3f;
      if (sf) {
        g.x(rn);
        g.i64(63 - imms, 0);
        g.op(W.i64Shl);
        const shr = op === 33 ? W.i64ShrS : W.i64ShrU;
        if (imms >= immr) {
          g.i64(63 - imms + immr, 0);
          g.op(shr);
        } else {
          g.i64(63 - imms, 0);
          g.op(shr);
          g.i64(64 - immr, 0);
          g.op(W.i64Shl);
        }
        g.setX(rd);
      } else {
        g.w(rn);
        g.i32(31 - imms);
        g.op(W.i32Shl);
        const shr = op === 33 ? W.i32ShrS : W.i32ShrU;
        if (imms >= immr) {
          g.i32(31 - imms + immr);
          g.op(shr);
        } else {
          g.i32(31 - imms);
          g.op(shr);
          g.i32(32 - immr);
          g.op(W.i32Shl);
        }
        g.setW(rd);
      }
      return;
    }
    case 34: {
      const rm = (insn >>> 16) & 31;
      g.x(rn);
      g.x(rm);
      if ((insn & 0x40000000) !== 0) {
        g.i64(-1, -1);
        g.op(W.i64Xor);
      }
      if ((insn & 0x400) !== 0) {
        g.i64(1, 0);
        g.op(W.i64Add);
      }
      g.cond((insn >>> 12) & 15);
      g.op(W.select);
      if (!sf) {
        g.i64(-1, 0);
        g.op(W.i64And);
      }
      g.setX(rd);
      return;
    }
    case 43:
      return;
    default:
      throw new Error(`jit: op ${op} not compilable`);
  }
}

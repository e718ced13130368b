// The common data-processing (register) instructions of exec/dp.ts as WebAssembly:
// EXTR, ADD/SUB (extended register), ADC/SBC, CCMP/CCMN, MADD/MSUB and the widening
// multiply-adds, UDIV/SDIV, the variable shifts and CLZ. The rest of exec/dp.ts is
// called out (compile.ts). Each mirrors its exec/dp.ts case.

import { W } from "./wasm-emit.js";
import type { Gen } from "./gen.js";

export function dpSupported(op: number, insn: number): boolean {
  const sf = insn >>> 31;
  switch (op) {
    case 65:
      return !(((insn >>> 22) & 1) !== sf || (sf === 0 && ((insn >>> 10) & 0x3f) >= 32));
    case 66:
    case 67:
    case 68:
    case 69:
      return ((insn >>> 10) & 7) <= 4;
    case 70:
    case 71:
    case 72:
    case 73:
    case 74:
    case 75:
    case 76:
    case 77:
    case 78:
    case 79:
    case 80:
    case 81:
    case 84:
    case 85:
    case 86:
    case 92:
      return true;
    default:
      return false;
  }
}

/**
 * a + b + carry (b already inverted for subtraction) with NZCV; `pushCarry` pushes
 * the carry-in (i32 for 32-bit, i64 for 64-bit). Leaves the i64 result on the stack
 * when `keep`, zero-extended for 32-bit.
 */
function addWithCarry(
  g: Gen,
  sf: boolean,
  pushA: () => void,
  pushB: () => void,
  pushCarry: () => void,
  flags: boolean,
  keep: boolean,
): void {
  if (sf) {
    pushA();
    g.set(g.ta);
    pushB();
    g.set(g.tb);
    g.get(g.ta);
    g.get(g.tb);
    g.op(W.i64Add);
    g.tee(g.td); // a + b
    pushCarry();
    g.op(W.i64Add);
    g.set(g.tc);
    if (flags) {
      g.get(g.tc);
      g.i64(63, 0);
      g.op(W.i64ShrU, W.i32WrapI64);
      g.set(g.nf);
      g.get(g.tc);
      g.op(W.i64Eqz);
      g.set(g.zf);
      g.get(g.td);
      g.get(g.ta);
      g.op(W.i64LtU);
      g.get(g.tc);
      g.get(g.td);
      g.op(W.i64LtU, W.i32Or);
      g.set(g.cf);
      g.get(g.ta);
      g.get(g.tc);
      g.op(W.i64Xor);
      g.get(g.tb);
      g.get(g.tc);
      g.op(W.i64Xor, W.i64And);
      g.i64(63, 0);
      g.op(W.i64ShrU, W.i32WrapI64);
      g.set(g.vf);
      g.flagsWritten = true;
    }
    if (keep) g.get(g.tc);
    return;
  }
  pushA();
  g.set(g.ia);
  pushB();
  g.set(g.ib);
  g.get(g.ia);
  g.get(g.ib);
  g.op(W.i32Add);
  g.tee(g.host); // a + b (host is free outside memory accesses)
  pushCarry();
  g.op(W.i32Add);
  g.set(g.ic);
  if (flags) {
    g.get(g.ic);
    g.i32(31);
    g.op(W.i32ShrU);
    g.set(g.nf);
    g.get(g.ic);
    g.op(W.i32Eqz);
    g.set(g.zf);
    g.get(g.host);
    g.get(g.ia);
    g.op(W.i32LtU);
    g.get(g.ic);
    g.get(g.host);
    g.op(W.i32LtU, W.i32Or);
    g.set(g.cf);
    g.get(g.ia);
    g.get(g.ic);
    g.op(W.i32Xor);
    g.get(g.ib);
    g.get(g.ic);
    g.op(W.i32Xor, W.i32And);
    g.i32(31);
    g.op(W.i32ShrU);
    g.set(g.vf);
    g.flagsWritten = true;
  }
  if (keep) {
    g.get(g.ic);
    g.op(W.i64ExtendI32U);
  }
}

/** ExtendReg(Rm, option, shift) as i64 (Arm ARM shared/functions/integer). */
function extended(g: Gen, rm: number, option: number, shift: number): void {
  g.x(rm);
  switch (option) {
    case 0:
      g.i64(0xff, 0);
      g.op(W.i64And);
      break;
    case 1:
      g.i64(0xffff, 0);
      g.op(W.i64And);
      break;
    case 2:
      g.i64(-1, 0);
      g.op(W.i64And);
      break;
    case 4:
      g.op(W.i64Extend8S);
      break;
    case 5:
      g.op(W.i64Extend16S);
      break;
    case 6:
      g.op(W.i64Extend32S);
      break;
    default:
      break;
  }
  if (shift !== 0) {
    g.i64(shift, 0);
    g.op(W.i64Shl);
  }
}

const SHIFT64 = [W.i64Shl, W.i64ShrU, W.i64ShrS, W.i64Rotr];
const SHIFT32 = [W.i32Shl, W.i32ShrU, W.i32ShrS, W.i32Rotr];

export function emitDp(g: Gen, op: number, insn: number): void {
  const sf = insn < 0;
  const rd = insn & 31;
  const rn = (insn >>> 5) & 31;
  const rm = (insn >>> 16) & 31;
  const ra = (insn >>> 10) & 31;
  switch (op) {
    case 65: {
      const lsb = (insn >>> 10) & 0x3f;
      if (sf) {
        g.x(rm);
        if (lsb !== 0) {
          g.i64(lsb, 0);
          g.op(W.i64ShrU);
          g.x(rn);
          g.i64(64 - lsb, 0);
          g.op(W.i64Shl, W.i64Or);
        }
        g.setX(rd);
      } else {
        g.w(rm);
        if (lsb !== 0) {
          g.i32(lsb);
          g.op(W.i32ShrU);
          g.w(rn);
          g.i32(32 - lsb);
          g.op(W.i32Shl, W.i32Or);
        }
        g.setW(rd);
      }
      return;
    }
    case 66:
    case 67:
    case 68:
    case 69: {
      const sub = op >= 68;
      const flags = op === 67 || op === 69;
      const option = (insn >>> 13) & 7;
      const shift = (insn >>> 10) & 7;
      const pushB = (): void => {
        extended(g, rm, option, shift);
        if (sub) {
          g.i64(-1, -1);
          g.op(W.i64Xor);
        }
        if (!sf) g.op(W.i32WrapI64);
      };
      addWithCarry(
        g,
        sf,
        () => (sf ? g.xsp(rn) : g.wsp(rn)),
        pushB,
        () => (sf ? g.i64(sub ? 1 : 0, 0) : g.i32(sub ? 1 : 0)),
        flags,
        true,
      );
      if (flags) g.setX(rd);
      else g.setXsp(rd);
      return;
    }
    case 70:
    case 71:
    case 72:
    case 73: {
      const sub = op >= 72;
      const pushB = (): void => {
        if (sf) {
          g.x(rm);
          if (sub) {
            g.i64(-1, -1);
            g.op(W.i64Xor);
          }
        } else {
          g.w(rm);
          if (sub) {
            g.i32(-1);
            g.op(W.i32Xor);
          }
        }
      };
      const carry = (): void => {
        g.get(g.cf);
        if (sf) g.op(W.i64ExtendI32U);
      };
      addWithCarry(
        g,
        sf,
        () => (sf ? g.x(rn) : g.w(rn)),
        pushB,
        carry,
        op === 71 || op === 73,
        true,
      );
      g.setX(rd);
      return;
    }
    case 74:
    case 75: {
      const sub = (insn & 0x40000000) !== 0;
      g.cond((insn >>> 12) & 15);
      g.if_();
      const pushB = (): void => {
        if (sf) {
          if (op === 75) g.i64(rm, 0);
          else g.x(rm);
          if (sub) {
            g.i64(-1, -1);
            g.op(W.i64Xor);
          }
        } else {
          if (op === 75) g.i32(rm);
          else g.w(rm);
          if (sub) {
            g.i32(-1);
            g.op(W.i32Xor);
          }
        }
      };
      addWithCarry(
        g,
        sf,
        () => (sf ? g.x(rn) : g.w(rn)),
        pushB,
        () => (sf ? g.i64(sub ? 1 : 0, 0) : g.i32(sub ? 1 : 0)),
        true,
        false,
      );
      g.else_();
      const nzcv = insn & 15;
      g.i32((nzcv >>> 3) & 1);
      g.set(g.nf);
      g.i32((nzcv >>> 2) & 1);
      g.set(g.zf);
      g.i32((nzcv >>> 1) & 1);
      g.set(g.cf);
      g.i32(nzcv & 1);
      g.set(g.vf);
      g.end();
      g.flagsWritten = true;
      return;
    }
    case 76:
    case 77:
      if (sf) {
        g.x(ra);
        g.x(rn);
        g.x(rm);
        g.op(W.i64Mul, op === 77 ? W.i64Sub : W.i64Add);
        g.setX(rd);
      } else {
        g.w(ra);
        g.w(rn);
        g.w(rm);
        g.op(W.i32Mul, op === 77 ? W.i32Sub : W.i32Add);
        g.setW(rd);
      }
      return;
    case 78:
    case 79:
    case 80:
    case 81: {
      const ext = op <= 79 ? W.i64ExtendI32S : W.i64ExtendI32U;
      g.x(ra);
      g.w(rn);
      g.op(ext);
      g.w(rm);
      g.op(ext, W.i64Mul, op === 79 || op === 81 ? W.i64Sub : W.i64Add);
      g.setX(rd);
      return;
    }
    case 84:
    case 85: {
      // Arm: x / 0 = 0 and INT_MIN / -1 = INT_MIN; wasm traps on both, so the
      // divisor becomes 1 there (and the result is selected to 0 for x / 0).
      const signed = op === 85;
      if (sf) {
        g.x(rn);
        g.set(g.ta);
        g.x(rm);
        g.set(g.tb);
        g.get(g.ta);
        g.i64(1, 0);
        g.get(g.tb);
        g.get(g.tb);
        g.op(W.i64Eqz);
        if (signed) {
          g.get(g.tb);
          g.i64(-1, -1);
          g.op(W.i64Eq);
          g.get(g.ta);
          g.i64(0, -2147483648);
          g.op(W.i64Eq, W.i32And, W.i32Or);
        }
        g.op(W.select, signed ? W.i64DivS : W.i64DivU);
        g.i64(0, 0);
        g.get(g.tb);
        g.op(W.i64Eqz, W.i32Eqz, W.select);
        g.setX(rd);
      } else {
        g.w(rn);
        g.set(g.ia);
        g.w(rm);
        g.set(g.ib);
        g.get(g.ia);
        g.i32(1);
        g.get(g.ib);
        g.get(g.ib);
        g.op(W.i32Eqz);
        if (signed) {
          g.get(g.ib);
          g.i32(-1);
          g.op(W.i32Eq);
          g.get(g.ia);
          g.i32(-2147483648);
          g.op(W.i32Eq, W.i32And, W.i32Or);
        }
        g.op(W.select, signed ? W.i32DivS : W.i32DivU);
        g.i32(0);
        g.get(g.ib);
        g.op(W.i32Eqz, W.i32Eqz, W.select);
        g.setW(rd);
      }
      return;
    }
    case 86: {
      const type = (insn >>> 10) & 3;
      if (sf) {
        g.x(rn);
        g.x(rm);
        g.op(SHIFT64[type]!);
        g.setX(rd);
      } else {
        g.w(rn);
        g.w(rm);
        g.op(SHIFT32[type]!);
        g.setW(rd);
      }
      return;
    }
    case 92:
      if (sf) {
        g.x(rn);
        g.op(W.i64Clz);
        g.setX(rd);
      } else {
        g.w(rn);
        g.op(W.i32Clz);
        g.setW(rd);
      }
      return;
    default:
      throw new Error(`jit: dp op ${op} not compilable`);
  }
}

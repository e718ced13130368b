// AdvSIMD integer instructions as WebAssembly SIMD (v128): the vector registers stay
// in the CPU block (gen.ts CB_V), each instruction loads its sources from there and
// stores its result, so call-outs to the interpreter's executor and native code see
// one register file. Each `plan` decodes the encoding at compile time exactly like the
// interpreter's class executor (simd/exec-*.ts) and returns undefined for what it does
// not emit (reserved encodings included: the call-out then raises UNDEFINED), so the
// JIT and the interpreter agree bit for bit (test/arch/arm64/jit-simd.test.ts checks
// the result against QEMU's golden records). 64-bit (Q = 0) forms compute on the
// whole register and zero the upper half on write, as Arm ARM V[d] = value does.

import { P, CB_FPOK, type Gen } from "./gen.js";
import { W } from "./wasm-emit.js";
import * as V from "./wasm-simd.js";
import { S, simd, shuffle, v128Const } from "./wasm-simd.js";
import { SimdOp } from "../simd/ops.js";
import { planMove } from "./emit-simd-move.js";
import { planFpMem } from "./emit-simd-mem.js";
import { planFp } from "./emit-fp.js";
import { splatConst, vget, vset, type SimdEmit } from "./emit-simd-regs.js";

/** The native emitter of a SIMD&FP instruction, or undefined (it stays a call-out). */
export function planSimd(op: number, insn: number): SimdEmit | undefined {
  const body = planBody(op, insn);
  if (body === undefined) return undefined;
  return (g, bail, callout) => {
    fpCheck(g, bail);
    body(g, bail, callout);
  };
}

function planBody(op: number, insn: number): SimdEmit | undefined {
  switch (op) {
    case SimdOp.THREE_SAME:
      return ((insn >>> 11) & 31) < 0x18 ? threeSame(insn) : undefined;
    case SimdOp.SHIFT_IMM:
      return shiftImm(insn);
    case SimdOp.TWO_MISC:
      return twoMisc(insn);
    default:
      return op >= 256 && op < 0x1000
        ? planFpMem(op, insn)
        : (planMove(op, insn) ?? planFp(op, insn));
  }
}

/** Bails when FP/AdvSIMD is trapped (CPACR, set by the tier at dispatch). */
function fpCheck(g: Gen, bail: () => void): void {
  g.get(P.CB);
  g.mem(W.i32Load, 2, CB_FPOK);
  g.op(W.i32Eqz);
  g.if_();
  bail();
  g.end();
}

const ZERO = new Uint8Array(16);

function binary(d: number, n: number, m: number, q: number, code: number): SimdEmit {
  return (g) =>
    vset(g, d, q, () => {
      vget(g, n);
      vget(g, m);
      simd(g, code);
    });
}

/** AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF (opcode 00011, U:size selects). */
function logic(d: number, n: number, m: number, q: number, key: number): SimdEmit {
  return (g) =>
    vset(g, d, q, () => {
      switch (key) {
        case 0: // AND
        case 1: // BIC: Vn AND NOT Vm
        case 2: // ORR
        case 4: // EOR
          vget(g, n);
          vget(g, m);
          simd(g, [S.and, S.andnot, S.or, 0, S.xor][key]!);
          return;
        case 3: // ORN
          vget(g, n);
          vget(g, m);
          simd(g, S.not);
          simd(g, S.or);
          return;
        case 5: // BSL: Vd selects between Vn (1) and Vm (0)
          vget(g, n);
          vget(g, m);
          vget(g, d);
          break;
        case 6: // BIT: Vn where Vm is 1, else Vd
          vget(g, n);
          vget(g, d);
          vget(g, m);
          break;
        default: // BIF: Vd where Vm is 1, else Vn
          vget(g, d);
          vget(g, n);
          vget(g, m);
      }
      simd(g, S.bitselect);
    });
}

/** Byte lanes of the pairwise view: lane j of the result pairs elements 2j+half. */
function pairLanes(eb: number, bytes: number, half: number): number[] {
  const out: number[] = [];
  const elements = bytes / eb;
  for (let j = 0; j < 16; j++) {
    const k = Math.floor(j / eb);
    const src = 2 * k + half;
    const b = j % eb;
    out.push(src < elements ? src * eb + b : 16 + (src - elements) * eb + b);
  }
  return out.map((x) => x & 31);
}

function threeSame(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 11) & 31;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  if (opcode === 3) return logic(d, n, m, q, u * 4 + size);
  if (size === 3 && q === 0) return undefined; // reserved
  const pick = (table: V.BySize): SimdEmit | undefined => {
    const code = table[size];
    return code === undefined ? undefined : binary(d, n, m, q, code);
  };
  switch (opcode) {
    case 0x06: // CMGT / CMHI
      return pick(u ? V.GT_U : V.GT_S);
    case 0x07: // CMGE / CMHS
      return pick(u ? V.GE_U : V.GE_S);
    case 0x0c: // SMAX / UMAX
      return pick(u ? V.MAX_U : V.MAX_S);
    case 0x0d: // SMIN / UMIN
      return pick(u ? V.MIN_U : V.MIN_S);
    case 0x10: // ADD / SUB
      return pick(u ? V.SUB : V.ADD);
    case 0x11: // CMTST / CMEQ
      if (u) return pick(V.EQ);
      return (g) =>
        vset(g, d, q, () => {
          vget(g, n);
          vget(g, m);
          simd(g, S.and);
          v128Const(g, ZERO);
          simd(g, V.NE[size]!);
        });
    case 0x12: {
      // MLA / MLS
      const mul = V.MUL[size];
      if (mul === undefined) return undefined;
      return (g) =>
        vset(g, d, q, () => {
          vget(g, d);
          vget(g, n);
          vget(g, m);
          simd(g, mul);
          simd(g, (u ? V.SUB : V.ADD)[size]!);
        });
    }
    case 0x13: // MUL (PMUL stays a call-out)
      return u ? undefined : pick(V.MUL);
    case 0x17: {
      // ADDP: pairwise sums of the concatenation Vm:Vn
      if (u) return undefined;
      const eb = 1 << size;
      const bytes = q ? 16 : 8;
      return (g) =>
        vset(g, d, q, () => {
          vget(g, n);
          vget(g, m);
          shuffle(g, pairLanes(eb, bytes, 0));
          vget(g, n);
          vget(g, m);
          shuffle(g, pairLanes(eb, bytes, 1));
          simd(g, V.ADD[size]!);
        });
    }
    default:
      return undefined;
  }
}

/** Pushes V[n] shifted right by `shift` (1..esize): esize gives 0 (unsigned) or the sign. */
function shiftRight(g: Gen, n: number, size: number, shift: number, signed: boolean): void {
  const esize = 8 << size;
  if (!signed && shift === esize) {
    v128Const(g, ZERO);
    return;
  }
  vget(g, n);
  g.i32(Math.min(shift, esize - 1));
  simd(g, (signed ? V.SHR_S : V.SHR_U)[size]!);
}

function shiftImm(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const immh = (insn >>> 19) & 15;
  const immhb = (insn >>> 16) & 0x7f;
  const opcode = (insn >>> 11) & 31;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  if (immh === 0) return undefined;
  const size = 31 - Math.clz32(immh);
  const esize = 8 << size;
  const right = 2 * esize - immhb;
  const left = immhb - esize;
  if (opcode === 0x14) {
    // SSHLL / USHLL (SXTL / UXTL with shift 0), the "2" forms from the high half
    if (size === 3) return undefined;
    const ext = (q ? (u ? V.EXTEND_HIGH_U : V.EXTEND_HIGH_S) : u ? V.EXTEND_LOW_U : V.EXTEND_LOW_S)[
      size
    ]!;
    return (g) =>
      vset(g, d, 1, () => {
        vget(g, n);
        simd(g, ext);
        if (left !== 0) {
          g.i32(left);
          simd(g, V.SHL[size + 1]!);
        }
      });
  }
  if (size === 3 && q === 0) return undefined; // reserved
  const ones = (1n << BigInt(esize)) - 1n;
  switch (opcode) {
    case 0x00: // SSHR / USHR
      return (g) => vset(g, d, q, () => shiftRight(g, n, size, right, u === 0));
    case 0x02: // SSRA / USRA
      return (g) =>
        vset(g, d, q, () => {
          vget(g, d);
          shiftRight(g, n, size, right, u === 0);
          simd(g, V.ADD[size]!);
        });
    case 0x08: {
      // SRI: the bits shifted in come from Vn, the top `shift` bits stay Vd's
      if (!u) return undefined;
      const mask = ones >> BigInt(right);
      return (g) =>
        vset(g, d, q, () => {
          vget(g, d);
          splatConst(g, size, mask);
          simd(g, S.andnot);
          shiftRight(g, n, size, right, false);
          simd(g, S.or);
        });
    }
    case 0x0a: {
      // SHL / SLI
      const shl = (g: Gen): void => {
        vget(g, n);
        if (left !== 0) {
          g.i32(left);
          simd(g, V.SHL[size]!);
        }
      };
      if (!u) return (g) => vset(g, d, q, () => shl(g));
      const mask = (ones << BigInt(left)) & ones;
      return (g) =>
        vset(g, d, q, () => {
          vget(g, d);
          splatConst(g, size, mask);
          simd(g, S.andnot);
          shl(g);
          simd(g, S.or);
        });
    }
    default:
      return undefined;
  }
}

/** Byte lanes reversing `eb`-byte elements inside `container`-byte groups (REV16/32/64). */
function revLanes(eb: number, container: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 16; i++) {
    const base = i & ~(container - 1);
    const k = Math.floor((i & (container - 1)) / eb);
    out.push(base + (container / eb - 1 - k) * eb + (i % eb));
  }
  return out;
}

function twoMisc(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 31;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  const unary = (code: number | undefined): SimdEmit | undefined =>
    code === undefined
      ? undefined
      : (g) =>
          vset(g, d, q, () => {
            vget(g, n);
            simd(g, code);
          });
  const vsZero = (code: number | undefined, zeroFirst: boolean): SimdEmit | undefined =>
    code === undefined
      ? undefined
      : (g) =>
          vset(g, d, q, () => {
            if (zeroFirst) v128Const(g, ZERO);
            vget(g, n);
            if (!zeroFirst) v128Const(g, ZERO);
            simd(g, code);
          });
  const key = (u << 5) | opcode;
  switch (key) {
    case 0x00: // REV64
    case 0x20: // REV32
    case 0x01: {
      // REV16
      const container = key === 0x00 ? 8 : key === 0x20 ? 4 : 2;
      if (8 << size >= container * 8) return undefined;
      const lanes = revLanes(1 << size, container);
      return (g) =>
        vset(g, d, q, () => {
          vget(g, n);
          vget(g, n);
          shuffle(g, lanes);
        });
    }
    case 0x05: // CNT
      return size === 0 ? unary(S.i8x16Popcnt) : undefined;
    case 0x25: // NOT (RBIT for size 1 stays a call-out)
      return size === 0 ? unary(S.not) : undefined;
    case 0x33: {
      // SHLL / SHLL2: widen and shift by the element size
      if (size === 3) return undefined;
      const ext = (q ? V.EXTEND_HIGH_U : V.EXTEND_LOW_U)[size]!;
      return (g) =>
        vset(g, d, 1, () => {
          vget(g, n);
          simd(g, ext);
          g.i32(8 << size);
          simd(g, V.SHL[size + 1]!);
        });
    }
    case 0x12: {
      // XTN / XTN2: the low half of each element; XTN2 keeps Vd's low 64 bits
      if (size === 3) return undefined;
      const eb = 1 << size;
      const lanes: number[] = [];
      for (let j = 0; j < 8; j++) lanes.push(Math.floor(j / eb) * 2 * eb + (j % eb));
      const all = q
        ? [...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => 16 + i), ...lanes]
        : [...lanes, ...lanes];
      return (g) =>
        vset(g, d, q, () => {
          vget(g, n);
          vget(g, d);
          shuffle(g, all);
        });
    }
  }
  if (size === 3 && q === 0) return undefined; // reserved
  switch (key) {
    case 0x08: // CMGT #0
      return vsZero(V.GT_S[size], false);
    case 0x28: // CMGE #0
      return vsZero(V.GE_S[size], false);
    case 0x09: // CMEQ #0
      return vsZero(V.EQ[size], false);
    case 0x29: // CMLE #0: 0 >= x
      return vsZero(V.GE_S[size], true);
    case 0x0a: // CMLT #0: 0 > x
      return vsZero(V.GT_S[size], true);
    case 0x0b: // ABS
      return unary(V.ABS[size]);
    case 0x2b: // NEG
      return unary(V.NEG[size]);
    default:
      return undefined;
  }
}

/**
 * The compile.ts hook: emits the instruction natively if it can, else returns false.
 * `callout` emits the instruction's call-out (a native emitter's run-time fallback).
 */
export function emitSimd(
  g: Gen,
  op: number,
  insn: number,
  bail: () => void,
  callout: () => void,
): boolean {
  const emit = op >= 256 ? planSimd(op, insn) : undefined;
  if (emit === undefined) return false;
  emit(g, bail, callout);
  return true;
}

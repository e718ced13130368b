// SIMD&FP moves as WebAssembly: element copies (DUP, INS, UMOV, SMOV, scalar DUP),
// MOVI/MVNI/ORR/BIC (immediate), EXT and the permutes (shuffles computed at compile
// time), and the scalar FP moves that raise no FP exception: FMOV between general and
// SIMD&FP registers, FMOV/FABS/FNEG (register), FMOV (immediate) and FCSEL. Decoding
// and reserved encodings follow simd/exec-copy.ts and simd/exec-fp-scalar.ts.

import type { Gen } from "./gen.js";
import { W } from "./wasm-emit.js";
import * as V from "./wasm-simd.js";
import { S, simd, lane, shuffle, v128Const } from "./wasm-simd.js";
import { SimdOp } from "../simd/ops.js";
import { advSimdExpandImm, vfpExpandImm } from "../simd/simd-imm.js";
import { DOUBLE, SINGLE } from "../simd/fp-format.js";
import { vget, vset, type SimdEmit } from "./emit-simd-regs.js";

export function planMove(op: number, insn: number): SimdEmit | undefined {
  switch (op) {
    case SimdOp.COPY:
      return copy(insn);
    case SimdOp.SCALAR_COPY:
      return scalarCopy(insn);
    case SimdOp.MOD_IMM:
      return modImm(insn);
    case SimdOp.EXTRACT:
      return extract(insn);
    case SimdOp.PERMUTE:
      return permute(insn);
    case SimdOp.FP_INT_CONV:
      return fmovGeneral(insn);
    case SimdOp.FP_DP1:
      return fmovRegister(insn);
    case SimdOp.FP_IMM:
      return fmovImmediate(insn);
    case SimdOp.FP_CSEL:
      return fcsel(insn);
    default:
      return undefined;
  }
}

/** Element size index and index of imm5 (AdvSIMD copy), or undefined if reserved. */
function imm5Of(insn: number): { size: number; index: number } | undefined {
  const imm5 = (insn >>> 16) & 31;
  if ((imm5 & 15) === 0) return undefined;
  const size = 31 - Math.clz32(imm5 & -imm5);
  return { size, index: imm5 >>> (size + 1) };
}

const EXTRACT_U = [S.i8x16ExtractU, S.i16x8ExtractU, S.i32x4Extract, S.i64x2Extract];

/** Byte lanes selecting element `index` of the first operand into every lane. */
function dupLanes(eb: number, index: number): number[] {
  return Array.from({ length: 16 }, (_, i) => index * eb + (i % eb));
}

function copy(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const op = (insn >>> 29) & 1;
  const imm4 = (insn >>> 11) & 15;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const dec = imm5Of(insn);
  if (dec === undefined) return undefined;
  const { size, index } = dec;
  const eb = 1 << size;
  if (op === 1) {
    // INS (element): Vd[index] = Vn[imm4 >> size], the other lanes unchanged
    if (q === 0) return undefined;
    const from = imm4 >>> size;
    const lanes = Array.from({ length: 16 }, (_, i) =>
      Math.floor(i / eb) === index ? from * eb + (i % eb) : 16 + i,
    );
    return (g) =>
      vset(g, d, 1, () => {
        vget(g, n);
        vget(g, d);
        shuffle(g, lanes);
      });
  }
  switch (imm4) {
    case 0: // DUP (element)
      if (size === 3 && q === 0) return undefined;
      return (g) =>
        vset(g, d, q, () => {
          vget(g, n);
          vget(g, n);
          shuffle(g, dupLanes(eb, index));
        });
    case 1: // DUP (general)
      if (size === 3 && q === 0) return undefined;
      return (g) =>
        vset(g, d, q, () => {
          if (size === 3) g.x(n);
          else g.w(n);
          simd(g, V.SPLAT[size]!);
        });
    case 3: // INS (general)
      if (q === 0) return undefined;
      return (g) =>
        vset(g, d, 1, () => {
          vget(g, d);
          if (size === 3) g.x(n);
          else g.w(n);
          lane(g, V.REPLACE[size]!, index);
        });
    case 5: // SMOV
      if (size >= 2 + q) return undefined;
      return (g) => {
        vget(g, n);
        lane(
          g,
          size === 0 ? S.i8x16ExtractS : size === 1 ? S.i16x8ExtractS : S.i32x4Extract,
          index,
        );
        if (q) {
          g.op(W.i64ExtendI32S);
          g.setX(d);
        } else g.setW(d);
      };
    case 7: // UMOV
      if (q === 0 ? size === 3 : size !== 3) return undefined;
      return (g) => {
        vget(g, n);
        lane(g, EXTRACT_U[size]!, index);
        if (q) g.setX(d);
        else g.setW(d);
      };
    default:
      return undefined;
  }
}

/** DUP (element), scalar: the element to lane 0, the rest of Vd zero. */
function scalarCopy(insn: number): SimdEmit | undefined {
  const dec = imm5Of(insn);
  if (((insn >>> 29) & 1) !== 0 || ((insn >>> 11) & 15) !== 0 || dec === undefined)
    return undefined;
  const eb = 1 << dec.size;
  const lanes = Array.from({ length: 16 }, (_, i) => (i < eb ? dec.index * eb + i : 16));
  const n = (insn >>> 5) & 31;
  return (g) =>
    vset(g, insn & 31, 1, () => {
      vget(g, n);
      v128Const(g, new Uint8Array(16));
      shuffle(g, lanes);
    });
}

function modImm(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const op = (insn >>> 29) & 1;
  const cmode = (insn >>> 12) & 15;
  const imm8 = (((insn >>> 16) & 7) << 5) | ((insn >>> 5) & 31);
  const d = insn & 31;
  if (((insn >>> 11) & 1) !== 0 || (cmode === 15 && op === 1 && q === 0)) return undefined;
  const [lo, hi] = advSimdExpandImm(op, cmode, imm8);
  const isOrrBic = (cmode & 1) === 1 && cmode < 12;
  const invert = !isOrrBic && op === 1 && cmode < 14;
  const word = (v: number): number[] => {
    const x = invert ? ~v : v;
    return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
  };
  const half = [...word(lo), ...word(hi)];
  const bytes = [...half, ...half];
  return (g) =>
    vset(g, d, q, () => {
      if (isOrrBic) vget(g, d);
      v128Const(g, bytes);
      if (isOrrBic) simd(g, op ? S.andnot : S.or);
    });
}

function extract(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const imm4 = (insn >>> 11) & 15;
  if (((insn >>> 22) & 3) !== 0 || (q === 0 && imm4 >= 8)) return undefined;
  const bytes = q ? 16 : 8;
  const lanes = Array.from({ length: 16 }, (_, i) => {
    const j = i + imm4;
    return j < bytes ? j : 16 + ((j - bytes) & 15);
  });
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  return (g) =>
    vset(g, insn & 31, q, () => {
      vget(g, n);
      vget(g, m);
      shuffle(g, lanes);
    });
}

/** UZP1/2, TRN1/2, ZIP1/2 as a byte shuffle of (Vn, Vm), as simd/exec-copy.ts permutes. */
function permute(insn: number): SimdEmit | undefined {
  const q = (insn >>> 30) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 7;
  if ((size === 3 && q === 0) || (opcode & 3) === 0) return undefined;
  const part = opcode >>> 2;
  const eb = 1 << size;
  const elements = (q ? 16 : 8) / eb;
  const pairs = elements / 2;
  // Element e of Vn is lane e, of Vm lane 16 / eb + e (in elements of the shuffle).
  const a = (e: number): number => e;
  const b = (e: number): number => 16 / eb + e;
  const src: number[] = [];
  switch (opcode & 3) {
    case 1: // UZP
      for (let i = 0; i < elements; i++) {
        const j = 2 * i + part;
        src.push(j < elements ? a(j) : b(j - elements));
      }
      break;
    case 2: // TRN
      for (let p = 0; p < pairs; p++) src.push(a(2 * p + part), b(2 * p + part));
      break;
    default: // ZIP
      for (let p = 0; p < pairs; p++) src.push(a(part * pairs + p), b(part * pairs + p));
  }
  const lanes = Array.from(
    { length: 16 },
    (_, i) => (src[Math.floor(i / eb)] ?? 0) * eb + (i % eb),
  );
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  return (g) =>
    vset(g, insn & 31, q, () => {
      vget(g, n);
      vget(g, m);
      shuffle(g, lanes);
    });
}

/** M and S (bits 31, 29) zero, type single or double: the scalar FP classes' checks. */
function scalarType(insn: number): number | undefined {
  const type = (insn >>> 22) & 3;
  return (insn & 0xa0000000) === 0 && type < 2 ? type : undefined;
}

/** Pushes the low 32 (type 0) or 64 bits of V[n] as a v128 with the rest zero. */
function scalarOf(g: Gen, n: number, type: number): void {
  vget(g, n);
  if (type === 0) v128Const(g, [255, 255, 255, 255]);
  else v128Const(g, [255, 255, 255, 255, 255, 255, 255, 255]);
  simd(g, S.and);
}

/** FMOV between general and SIMD&FP registers (no FP16): bit copies. */
function fmovGeneral(insn: number): SimdEmit | undefined {
  if ((insn & 0x20000000) !== 0) return undefined;
  const sf = insn >>> 31;
  const type = (insn >>> 22) & 3;
  const rmode = (insn >>> 19) & 3;
  const opcode = (insn >>> 16) & 7;
  if (opcode < 6) return undefined;
  const toVector = opcode === 7;
  const d = insn & 31;
  const n = (insn >>> 5) & 31;
  if (rmode === 0 && ((sf === 0 && type === 0) || (sf === 1 && type === 1))) {
    if (toVector)
      return (g) =>
        vset(g, d, 0, () => {
          if (sf) g.x(n);
          else {
            g.w(n);
            g.op(W.i64ExtendI32U);
          }
          simd(g, S.i64x2Splat); // lane 1 is zeroed below (vset, q = 0)
        });
    return (g) => {
      vget(g, n);
      if (sf) {
        lane(g, S.i64x2Extract, 0);
        g.setX(d);
      } else {
        lane(g, S.i32x4Extract, 0);
        g.setW(d);
      }
    };
  }
  if (rmode === 1 && sf === 1 && type === 2) {
    // FMOV Xd, Vn.D[1] / FMOV Vd.D[1], Xn: the other half of Vd is preserved.
    if (toVector)
      return (g) =>
        vset(g, d, 1, () => {
          vget(g, d);
          g.x(n);
          lane(g, S.i64x2Replace, 1);
        });
    return (g) => {
      vget(g, n);
      lane(g, S.i64x2Extract, 1);
      g.setX(d);
    };
  }
  return undefined;
}

/** FMOV, FABS, FNEG (register): sign-bit operations, no FP exception even for NaNs. */
function fmovRegister(insn: number): SimdEmit | undefined {
  const type = scalarType(insn);
  const opcode = (insn >>> 15) & 0x3f;
  if (type === undefined || opcode > 2) return undefined;
  const n = (insn >>> 5) & 31;
  const signByte = type === 0 ? 3 : 7;
  const sign = new Uint8Array(16);
  sign[signByte] = 0x80;
  return (g) =>
    vset(g, insn & 31, 1, () => {
      scalarOf(g, n, type);
      if (opcode !== 0) {
        v128Const(g, sign);
        simd(g, opcode === 1 ? S.andnot : S.xor);
      }
    });
}

function fmovImmediate(insn: number): SimdEmit | undefined {
  const type = scalarType(insn);
  if (type === undefined || ((insn >>> 5) & 31) !== 0) return undefined;
  const fmt = type === 0 ? SINGLE : DOUBLE;
  const bits = vfpExpandImm((insn >>> 13) & 0xff, fmt);
  const bytes = Array.from({ length: 16 }, (_, i) =>
    i < 8 ? Number((bits >> BigInt(8 * i)) & 0xffn) : 0,
  );
  return (g) => vset(g, insn & 31, 1, () => v128Const(g, bytes));
}

function fcsel(insn: number): SimdEmit | undefined {
  const type = scalarType(insn);
  if (type === undefined) return undefined;
  const n = (insn >>> 5) & 31;
  const m = (insn >>> 16) & 31;
  const cond = (insn >>> 12) & 15;
  return (g) =>
    vset(g, insn & 31, 1, () => {
      scalarOf(g, n, type);
      scalarOf(g, m, type);
      g.cond(cond);
      g.op(W.select);
    });
}

// WebAssembly SIMD (the 128-bit `v128` proposal, standard since 2021; Node 20 and
// Chromium run it without flags): the value type and the opcodes the SIMD&FP emitters
// use. Every opcode follows the 0xfd prefix as a LEB128 u32 (WebAssembly SIMD
// specification, "Binary format", instruction table).

import type { Gen } from "./gen.js";

export const V128 = 0x7b;

export const S = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i8x16Splat: 0x0f,
  i16x8Splat: 0x10,
  i32x4Splat: 0x11,
  i64x2Splat: 0x12,
  i8x16ExtractS: 0x15,
  i8x16ExtractU: 0x16,
  i8x16Replace: 0x17,
  i16x8ExtractS: 0x18,
  i16x8ExtractU: 0x19,
  i16x8Replace: 0x1a,
  i32x4Extract: 0x1b,
  i32x4Replace: 0x1c,
  i64x2Extract: 0x1d,
  i64x2Replace: 0x1e,
  i8x16Eq: 0x23,
  i8x16Ne: 0x24,
  i8x16GtS: 0x27,
  i8x16GtU: 0x28,
  i8x16GeS: 0x2b,
  i8x16GeU: 0x2c,
  i16x8Eq: 0x2d,
  i16x8Ne: 0x2e,
  i16x8GtS: 0x31,
  i16x8GtU: 0x32,
  i16x8GeS: 0x35,
  i16x8GeU: 0x36,
  i32x4Eq: 0x37,
  i32x4Ne: 0x38,
  i32x4GtS: 0x3b,
  i32x4GtU: 0x3c,
  i32x4GeS: 0x3f,
  i32x4GeU: 0x40,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  i8x16Abs: 0x60,
  i8x16Neg: 0x61,
  i8x16Popcnt: 0x62,
  i8x16Shl: 0x6b,
  i8x16ShrS: 0x6c,
  i8x16ShrU: 0x6d,
  i8x16Add: 0x6e,
  i8x16Sub: 0x71,
  i8x16MinS: 0x76,
  i8x16MinU: 0x77,
  i8x16MaxS: 0x78,
  i8x16MaxU: 0x79,
  i16x8Abs: 0x80,
  i16x8Neg: 0x81,
  i16x8ExtendLowI8x16S: 0x87,
  i16x8ExtendHighI8x16S: 0x88,
  i16x8ExtendLowI8x16U: 0x89,
  i16x8ExtendHighI8x16U: 0x8a,
  i16x8Shl: 0x8b,
  i16x8ShrS: 0x8c,
  i16x8ShrU: 0x8d,
  i16x8Add: 0x8e,
  i16x8Sub: 0x91,
  i16x8Mul: 0x95,
  i16x8MinS: 0x96,
  i16x8MinU: 0x97,
  i16x8MaxS: 0x98,
  i16x8MaxU: 0x99,
  i32x4Abs: 0xa0,
  i32x4Neg: 0xa1,
  i32x4ExtendLowI16x8S: 0xa7,
  i32x4ExtendHighI16x8S: 0xa8,
  i32x4ExtendLowI16x8U: 0xa9,
  i32x4ExtendHighI16x8U: 0xaa,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  i32x4Mul: 0xb5,
  i32x4MinS: 0xb6,
  i32x4MinU: 0xb7,
  i32x4MaxS: 0xb8,
  i32x4MaxU: 0xb9,
  i64x2Abs: 0xc0,
  i64x2Neg: 0xc1,
  i64x2ExtendLowI32x4S: 0xc7,
  i64x2ExtendHighI32x4S: 0xc8,
  i64x2ExtendLowI32x4U: 0xc9,
  i64x2ExtendHighI32x4U: 0xca,
  i64x2Shl: 0xcb,
  i64x2ShrS: 0xcc,
  i64x2ShrU: 0xcd,
  i64x2Add: 0xce,
  i64x2Sub: 0xd1,
  i64x2Eq: 0xd6,
  i64x2Ne: 0xd7,
  i64x2GtS: 0xd9,
  i64x2GeS: 0xdb,
} as const;

/** Per element size (0 = 8 bits .. 3 = 64 bits): the opcodes of one operation. */
export type BySize = readonly [
  number | undefined,
  number | undefined,
  number | undefined,
  number | undefined,
];

export const ADD: BySize = [S.i8x16Add, S.i16x8Add, S.i32x4Add, S.i64x2Add];
export const SUB: BySize = [S.i8x16Sub, S.i16x8Sub, S.i32x4Sub, S.i64x2Sub];
export const SHL: BySize = [S.i8x16Shl, S.i16x8Shl, S.i32x4Shl, S.i64x2Shl];
export const SHR_U: BySize = [S.i8x16ShrU, S.i16x8ShrU, S.i32x4ShrU, S.i64x2ShrU];
export const SHR_S: BySize = [S.i8x16ShrS, S.i16x8ShrS, S.i32x4ShrS, S.i64x2ShrS];
export const EQ: BySize = [S.i8x16Eq, S.i16x8Eq, S.i32x4Eq, S.i64x2Eq];
export const NE: BySize = [S.i8x16Ne, S.i16x8Ne, S.i32x4Ne, S.i64x2Ne];
export const GT_S: BySize = [S.i8x16GtS, S.i16x8GtS, S.i32x4GtS, S.i64x2GtS];
export const GE_S: BySize = [S.i8x16GeS, S.i16x8GeS, S.i32x4GeS, S.i64x2GeS];
export const GT_U: BySize = [S.i8x16GtU, S.i16x8GtU, S.i32x4GtU, undefined];
export const GE_U: BySize = [S.i8x16GeU, S.i16x8GeU, S.i32x4GeU, undefined];
export const MUL: BySize = [undefined, S.i16x8Mul, S.i32x4Mul, undefined];
export const MAX_S: BySize = [S.i8x16MaxS, S.i16x8MaxS, S.i32x4MaxS, undefined];
export const MAX_U: BySize = [S.i8x16MaxU, S.i16x8MaxU, S.i32x4MaxU, undefined];
export const MIN_S: BySize = [S.i8x16MinS, S.i16x8MinS, S.i32x4MinS, undefined];
export const MIN_U: BySize = [S.i8x16MinU, S.i16x8MinU, S.i32x4MinU, undefined];
export const ABS: BySize = [S.i8x16Abs, S.i16x8Abs, S.i32x4Abs, S.i64x2Abs];
export const NEG: BySize = [S.i8x16Neg, S.i16x8Neg, S.i32x4Neg, S.i64x2Neg];
/** Widening of the low / high half, signed / unsigned, by source element size. */
export const EXTEND_LOW_S: BySize = [
  S.i16x8ExtendLowI8x16S,
  S.i32x4ExtendLowI16x8S,
  S.i64x2ExtendLowI32x4S,
  undefined,
];
export const EXTEND_HIGH_S: BySize = [
  S.i16x8ExtendHighI8x16S,
  S.i32x4ExtendHighI16x8S,
  S.i64x2ExtendHighI32x4S,
  undefined,
];
export const EXTEND_LOW_U: BySize = [
  S.i16x8ExtendLowI8x16U,
  S.i32x4ExtendLowI16x8U,
  S.i64x2ExtendLowI32x4U,
  undefined,
];
export const EXTEND_HIGH_U: BySize = [
  S.i16x8ExtendHighI8x16U,
  S.i32x4ExtendHighI16x8U,
  S.i64x2ExtendHighI32x4U,
  undefined,
];
export const SPLAT: BySize = [S.i8x16Splat, S.i16x8Splat, S.i32x4Splat, S.i64x2Splat];
export const REPLACE: BySize = [S.i8x16Replace, S.i16x8Replace, S.i32x4Replace, S.i64x2Replace];

/** Emits one SIMD instruction (prefix 0xfd and its opcode). */
export function simd(g: Gen, code: number): void {
  g.b.byte(0xfd);
  g.b.u32(code);
}

/** v128.const of 16 bytes. */
export function v128Const(g: Gen, bytes: ArrayLike<number>): void {
  simd(g, S.const);
  for (let i = 0; i < 16; i++) g.b.byte((bytes[i] ?? 0) & 0xff);
}

/** i8x16.shuffle of the two v128 operands (lane indexes 0-15 the first, 16-31 the second). */
export function shuffle(g: Gen, lanes: ArrayLike<number>): void {
  simd(g, S.shuffle);
  for (let i = 0; i < 16; i++) g.b.byte(lanes[i] ?? 0);
}

/** A lane instruction (extract/replace) with its lane index. */
export function lane(g: Gen, code: number, index: number): void {
  simd(g, code);
  g.b.byte(index);
}

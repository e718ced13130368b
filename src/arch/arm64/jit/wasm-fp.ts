// WebAssembly's scalar floating-point instructions (f32/f64: IEEE 754 binary32/64 with
// round-to-nearest-even and gradual underflow, WebAssembly core specification 4.3.3)
// as the FP emitters (emit-fp.ts) use them: one table per precision so an emitter is
// written once for single and double. Opcode numbers from the core specification's
// binary format (5.4.7 numeric instructions; 0xfc-prefixed saturating truncations).

import type { Gen } from "./gen.js";

export const F32 = 0x7d;
export const F64 = 0x7c;

/** The opcodes of one precision. */
export interface FpType {
  readonly valueType: number;
  /** Bytes of the scalar in a vector register. */
  readonly bytes: 4 | 8;
  readonly load: number;
  readonly store: number;
  readonly abs: number;
  readonly neg: number;
  readonly sqrt: number;
  readonly add: number;
  readonly sub: number;
  readonly mul: number;
  readonly div: number;
  readonly min: number;
  readonly max: number;
  readonly eq: number;
  readonly ne: number;
  readonly le: number;
  readonly lt: number;
  readonly gt: number;
  readonly ge: number;
  readonly ceil: number;
  readonly floor: number;
  readonly trunc: number;
  readonly nearest: number;
  /** The smallest positive normal number (2^-126, 2^-1022). */
  readonly minNormal: number;
}

export const SINGLE_OPS: FpType = {
  valueType: F32,
  bytes: 4,
  load: 0x2a,
  store: 0x38,
  abs: 0x8b,
  neg: 0x8c,
  sqrt: 0x91,
  add: 0x92,
  sub: 0x93,
  mul: 0x94,
  div: 0x95,
  min: 0x96,
  max: 0x97,
  eq: 0x5b,
  ne: 0x5c,
  le: 0x5f,
  lt: 0x5d,
  gt: 0x5e,
  ge: 0x60,
  ceil: 0x8d,
  floor: 0x8e,
  trunc: 0x8f,
  nearest: 0x90,
  minNormal: 2 ** -126,
};

export const DOUBLE_OPS: FpType = {
  valueType: F64,
  bytes: 8,
  load: 0x2b,
  store: 0x39,
  abs: 0x99,
  neg: 0x9a,
  sqrt: 0x9f,
  add: 0xa0,
  sub: 0xa1,
  mul: 0xa2,
  div: 0xa3,
  min: 0xa4,
  max: 0xa5,
  eq: 0x61,
  ne: 0x62,
  le: 0x65,
  lt: 0x63,
  gt: 0x64,
  ge: 0x66,
  ceil: 0x9b,
  floor: 0x9c,
  trunc: 0x9d,
  nearest: 0x9e,
  minNormal: 2 ** -1022,
};

/** Conversions (core spec 5.4.7). */
export const FC = {
  f32DemoteF64: 0xb6,
  f64PromoteF32: 0xbb,
  i64ReinterpretF64: 0xbd,
  f64ReinterpretI64: 0xbf,
  /** fN.convert_iM_{s,u}: [f32, f64][i32 s, i32 u, i64 s, i64 u]. */
  convert: [
    [0xb2, 0xb3, 0xb4, 0xb5],
    [0xb7, 0xb8, 0xb9, 0xba],
  ],
  /** iM.trunc_sat_f64_{s,u} after the 0xfc prefix: [i32 s, i32 u, i64 s, i64 u]. */
  truncSatF64: [0x02, 0x03, 0x06, 0x07],
} as const;

/** Pushes a constant of the type. */
export function fconst(g: Gen, t: FpType, v: number): void {
  if (t.bytes === 4) {
    g.b.byte(0x43);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) g.b.byte(x);
  } else {
    g.b.byte(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (const x of b) g.b.byte(x);
  }
}

/** A saturating float-to-integer truncation (never traps). */
export function truncSat(g: Gen, index: number): void {
  g.b.byte(0xfc);
  g.b.u32(FC.truncSatF64[index]!);
}

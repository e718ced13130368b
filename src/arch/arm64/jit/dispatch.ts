// Chaining without JavaScript: a dispatcher loop in WebAssembly that, after a unit
// leaves with CONTINUE, finds the unit for the next PC itself (the exec TLB mirror
// gives the page's place in the arena, a hash table in the arena maps the address of
// an entry instruction to the unit's table slot and block) and calls it through a
// WebAssembly.Table. It returns to JavaScript only when no unit is found, a unit needs
// the interpreter, or the budget is spent: crossing JS <-> wasm costs far more than a
// wasm-to-wasm call (measured: README.md, JIT tier).

import { Bytes, I32, I64, W } from "./wasm-emit.js";
import { CB_KIND, CB_PC, PARAMS } from "./gen.js";

/** Slots of the entry hash table (8 bytes each: key = entry address, value). */
export const HASH_SLOTS = 1 << 17;
export const HASH_BYTES = HASH_SLOTS * 8;
/** An erased slot: never an instruction address (those are multiples of 4). */
export const TOMBSTONE = 1;

/** The slot of `key` the probe sequence starts at (same function as the wasm). */
export function hashSlot(key: number): number {
  return (Math.imul(key, 0x9e3779b1 | 0) >>> 15) & (HASH_SLOTS - 1);
}

/** Packs a unit's table slot and entry block into a hash value. */
export function hashValue(slot: number, block: number): number {
  return slot * 512 + block;
}

export type Dispatcher = (
  budget: number,
  xTlb: number,
  rTlb: number,
  wTlb: number,
  cb: number,
  hash: number,
) => number;

const enum L {
  BUDGET = 0,
  XTLB = 1,
  RTLB = 2,
  WTLB = 3,
  CB = 4,
  HASH = 5,
  TOTAL = 6,
  PC = 7,
  E = 8,
  HOST = 9,
  H = 10,
  KEY = 11,
  N = 12,
}

/** The dispatcher module: imports "e" "m" (the arena) and "e" "t" (the unit table). */
export function dispatcherModule(): Uint8Array {
  const b = new Bytes();
  const op = (...c: number[]): void => c.forEach((x) => b.byte(x));
  const get = (l: number): void => (b.byte(W.localGet), b.u32(l));
  const set = (l: number): void => (b.byte(W.localSet), b.u32(l));
  const i32 = (v: number): void => (b.byte(W.i32Const), b.s32(v));
  const mem = (o: number, align: number, off: number): void => (
    b.byte(o),
    b.u32(align),
    b.u32(off)
  );
  const retTotal = (): void => {
    get(L.TOTAL);
    op(W.return);
  };
  op(W.loop, 0x40); // $next (depth counted below)
  // pc = the exit PC of the last unit (or the start PC JS wrote)
  get(L.CB);
  mem(0x2b, 3, CB_PC); // f64.load
  op(W.i64TruncF64S);
  set(L.PC);
  // misaligned: the interpreter raises the fault
  get(L.PC);
  op(W.i32WrapI64);
  i32(3);
  op(W.i32And, W.if, 0x40);
  retTotal();
  op(W.end);
  // exec TLB mirror: the page must be present
  get(L.XTLB);
  get(L.PC);
  op(W.i32WrapI64);
  i32(12);
  op(W.i32ShrU);
  i32(1023);
  op(W.i32And);
  i32(4);
  op(W.i32Shl, W.i32Add);
  b.byte(W.localTee);
  b.u32(L.E);
  mem(W.i64Load, 3, 0);
  get(L.PC);
  b.byte(W.i64Const);
  b.s64(-4096, -1);
  op(W.i64And, W.i64Ne, W.if, 0x40);
  retTotal();
  op(W.end);
  get(L.E);
  mem(W.i32Load, 2, 8);
  get(L.PC);
  op(W.i32WrapI64);
  i32(0xfff);
  op(W.i32And, W.i32Add);
  set(L.HOST);
  // h = hashSlot(host)
  get(L.HOST);
  i32(0x9e3779b1 | 0);
  op(W.i32Mul);
  i32(15);
  op(W.i32ShrU);
  i32(HASH_SLOTS - 1);
  op(W.i32And);
  set(L.H);
  op(W.block, 0x40); // $found
  op(W.loop, 0x40); // $probe
  get(L.HASH);
  get(L.H);
  i32(3);
  op(W.i32Shl, W.i32Add);
  mem(W.i32Load, 2, 0);
  b.byte(W.localTee);
  b.u32(L.KEY);
  op(W.i32Eqz, W.if, 0x40);
  retTotal();
  op(W.end);
  get(L.KEY);
  get(L.HOST);
  op(W.i32Eq, W.brIf, 1); // to $found
  get(L.H);
  i32(1);
  op(W.i32Add);
  i32(HASH_SLOTS - 1);
  op(W.i32And);
  set(L.H);
  op(W.br, 0); // $probe
  op(W.end, W.end);
  // n = table[value >> 9](value & 511, vaBase, budget - total, page, rTlb, wTlb, cb)
  get(L.HASH);
  get(L.H);
  i32(3);
  op(W.i32Shl, W.i32Add);
  mem(W.i32Load, 2, 4);
  set(L.KEY);
  get(L.KEY);
  i32(511);
  op(W.i32And);
  get(L.PC);
  b.byte(W.i64Const);
  b.s64(-4096, -1);
  op(W.i64And, W.f64ConvertI64S);
  get(L.BUDGET);
  get(L.TOTAL);
  op(W.i32Sub);
  get(L.E);
  mem(W.i32Load, 2, 8);
  get(L.RTLB);
  get(L.WTLB);
  get(L.CB);
  get(L.KEY);
  i32(9);
  op(W.i32ShrU);
  op(0x11); // call_indirect
  b.u32(0); // type 0 (a unit)
  b.u32(0); // table 0
  b.byte(W.localTee);
  b.u32(L.N);
  get(L.TOTAL);
  op(W.i32Add);
  set(L.TOTAL);
  // leave unless the unit continued, made progress and budget is left
  get(L.CB);
  mem(W.i32Load, 2, CB_KIND);
  get(L.N);
  op(W.i32Eqz, W.i32Or);
  get(L.TOTAL);
  get(L.BUDGET);
  op(W.i32GeU, W.i32Or, W.if, 0x40);
  retTotal();
  op(W.end);
  op(W.br, 0); // $next
  op(W.end);
  get(L.TOTAL);
  return moduleBytes(b);
}

function moduleBytes(body: Bytes): Uint8Array {
  const out = new Bytes();
  for (const x of [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) out.byte(x);
  const section = (id: number, content: Bytes): void => {
    out.byte(id);
    out.u32(content.length);
    out.bytes(content);
  };
  const name = (b: Bytes, n: string): void => {
    b.u32(n.length);
    for (let i = 0; i < n.length; i++) b.byte(n.charCodeAt(i));
  };
  const type = new Bytes();
  type.u32(2);
  for (const [params, result] of [
    [[...PARAMS], I32],
    [[I32, I32, I32, I32, I32, I32], I32],
  ] as const) {
    type.byte(0x60);
    type.u32(params.length);
    for (const p of params) type.byte(p);
    type.u32(1);
    type.byte(result);
  }
  section(1, type);
  const imp = new Bytes();
  imp.u32(2);
  name(imp, "e");
  name(imp, "m");
  imp.byte(0x02);
  imp.byte(0x03);
  imp.u32(0);
  imp.u32(65536);
  name(imp, "e");
  name(imp, "t");
  imp.byte(0x01); // table
  imp.byte(0x70); // funcref
  imp.byte(0x00); // limits: min only
  imp.u32(0);
  section(2, imp);
  const fn = new Bytes();
  fn.u32(1);
  fn.u32(1);
  section(3, fn);
  const exp = new Bytes();
  exp.u32(1);
  name(exp, "run");
  exp.byte(0x00);
  exp.u32(0);
  section(7, exp);
  const f = new Bytes();
  f.u32(3); // locals: total (i32), pc (i64), e..n (5 x i32)
  f.u32(1);
  f.byte(I32);
  f.u32(1);
  f.byte(I64);
  f.u32(5);
  f.byte(I32);
  f.bytes(body);
  f.byte(W.end);
  const code = new Bytes();
  code.u32(1);
  code.u32(f.length);
  code.bytes(f);
  section(10, code);
  return out.result();
}

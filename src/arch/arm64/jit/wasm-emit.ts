// A minimal WebAssembly binary writer: one module with one imported shared memory and
// one exported function, the shape every compiled unit has (jit/compile.ts). Opcode
// numbers follow the WebAssembly core specification (binary format, section 5.4).

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;

/** Opcodes used by the compiler (WebAssembly core spec 5.4). */
export const W = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i64Load8S: 0x30,
  i64Load8U: 0x31,
  i64Load16S: 0x32,
  i64Load16U: 0x33,
  i64Load32S: 0x34,
  i64Load32U: 0x35,
  i32Store: 0x36,
  i64Store: 0x37,
  f64Store: 0x39,
  i64Store8: 0x3c,
  i64Store16: 0x3d,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i64Ne: 0x52,
  i64LtU: 0x54,
  i64LeS: 0x57,
  i64LeU: 0x58,
  i64GeS: 0x59,
  i64GeU: 0x5a,
  i32Clz: 0x67,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32DivU: 0x6e,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i32Rotr: 0x78,
  i64Clz: 0x79,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64DivS: 0x7f,
  i64DivU: 0x80,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64ShrU: 0x88,
  i64Rotr: 0x8a,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
  i64TruncF64S: 0xb0,
  f64ConvertI64S: 0xb9,
  i64Extend8S: 0xc2,
  i64Extend16S: 0xc3,
  i64Extend32S: 0xc4,
} as const;

/** A growable byte buffer with LEB128 writers. */
export class Bytes {
  private buf = new Uint8Array(4096);
  length = 0;

  byte(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }

  u32(v: number): void {
    let x = v >>> 0;
    do {
      const b = x & 0x7f;
      x >>>= 7;
      this.byte(x !== 0 ? b | 0x80 : b);
    } while (x !== 0);
  }

  /** Signed LEB128 of a 32-bit value. */
  s32(v: number): void {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of a 64-bit value given as (lo, hi) int32 halves. */
  s64(lo: number, hi: number): void {
    let l = lo >>> 0;
    let h = hi | 0;
    for (;;) {
      const b = l & 0x7f;
      // Arithmetic shift of the 64-bit pair by 7.
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>= 7;
      const done =
        (h === 0 && l === 0 && (b & 0x40) === 0) ||
        (h === -1 && l === 0xffffffff && (b & 0x40) !== 0);
      if (done) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  bytes(other: Bytes): void {
    this.raw(other.buf.subarray(0, other.length));
  }

  raw(data: Uint8Array): void {
    const need = this.length + data.length;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(data, this.length);
    this.length = need;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** One function's locals (types) and body (without the final `end`). */
export interface FunctionCode {
  readonly locals: readonly number[];
  readonly body: Bytes;
}

/**
 * The module: (import "e" "h" (func (helper type))) as function 0,
 * (import "e" "m" (memory 0 65536 shared)), and the functions (all of type
 * params -> result), exported as "0", "1", ... (function indexes 1, 2, ...).
 */
export function buildModule(
  params: readonly number[],
  result: number,
  funcs: readonly FunctionCode[],
  helper: { params: readonly number[]; result: number },
): Uint8Array {
  const out = new Bytes();
  for (const b of [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) out.byte(b);
  const section = (id: number, content: Bytes): void => {
    out.byte(id);
    out.u32(content.length);
    out.bytes(content);
  };
  const type = new Bytes();
  type.u32(2);
  for (const t of [{ params, result }, helper]) {
    type.byte(0x60);
    type.u32(t.params.length);
    for (const p of t.params) type.byte(p);
    type.u32(1);
    type.byte(t.result);
  }
  section(1, type);
  const imp = new Bytes();
  const name = (b: Bytes, n: string): void => {
    b.u32(n.length);
    for (let i = 0; i < n.length; i++) b.byte(n.charCodeAt(i));
  };
  imp.u32(2);
  name(imp, "e");
  name(imp, "h");
  imp.byte(0x00); // function
  imp.u32(1); // of type 1
  name(imp, "e");
  name(imp, "m");
  imp.byte(0x02); // memory
  imp.byte(0x03); // limits: shared, with maximum
  imp.u32(0);
  imp.u32(65536);
  section(2, imp);
  const fn = new Bytes();
  fn.u32(funcs.length);
  for (let i = 0; i < funcs.length; i++) fn.u32(0); // of type 0
  section(3, fn);
  const exp = new Bytes();
  exp.u32(funcs.length);
  funcs.forEach((_, i) => {
    name(exp, String(i));
    exp.byte(0x00);
    exp.u32(i + 1); // after the imported helper
  });
  section(7, exp);
  const code = new Bytes();
  code.u32(funcs.length);
  for (const fc of funcs) {
    const f = new Bytes();
    // Locals grouped by runs of the same type.
    const groups: [number, number][] = [];
    for (const t of fc.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    f.u32(groups.length);
    for (const [count, t] of groups) {
      f.u32(count);
      f.byte(t);
    }
    f.bytes(fc.body);
    f.byte(W.end);
    code.u32(f.length);
    code.bytes(f);
  }
  section(10, code);
  return out.result();
}

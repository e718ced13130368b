// Scratch lane arrays for the integer hot paths: operands are copied out of the
// register file (a 16-byte memcpy) into aligned typed arrays, computed on with plain
// indexed loads (the typed-array store wraps to the element width, which is exactly
// the Arm truncation), and copied back. Elements are little-endian like the register
// file, so the host must be little-endian (checked once at load).

import { invariant } from "../../../lib/assert.js";
import type { SimdContext } from "./context.js";

invariant(
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1,
  "SIMD lanes need a little-endian host",
);

export type Lanes = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array;

/** 32 bytes: room for a pairwise concatenation of two registers. */
export class Scratch {
  readonly buffer = new ArrayBuffer(32);
  readonly u8 = new Uint8Array(this.buffer);
  readonly u16 = new Uint16Array(this.buffer);
  readonly u32 = new Uint32Array(this.buffer);
  readonly i8 = new Int8Array(this.buffer);
  readonly i16 = new Int16Array(this.buffer);
  readonly i32 = new Int32Array(this.buffer);
  readonly view = new DataView(this.buffer);

  /** Elements of `esize` bits (8, 16, 32), signed or unsigned. */
  lanes(esize: number, signed: boolean): Lanes {
    if (esize === 8) return signed ? this.i8 : this.u8;
    if (esize === 16) return signed ? this.i16 : this.u16;
    return signed ? this.i32 : this.u32;
  }

  /** Copies `bytes` bytes of register `reg` to byte offset `at` (multiples of 4). */
  load(ctx: SimdContext, reg: number, at = 0, bytes = 16): this {
    // Word copies through the DataView: no subarray objects on the hot path.
    const v = ctx.vview;
    const base = reg * 16;
    const w = at >>> 2;
    for (let i = 0; i < bytes >>> 2; i++) this.u32[w + i] = v.getUint32(base + 4 * i, true);
    return this;
  }

  clear(): this {
    this.u8.fill(0);
    return this;
  }

  /** Writes the first `bytes` bytes to register `reg` and zeroes the rest of it. */
  store(ctx: SimdContext, reg: number, bytes: number): void {
    const v = ctx.vview;
    const base = reg * 16;
    const first = this.u32[0] ?? 0;
    // Scalar B and H results keep only their low bytes.
    v.setUint32(base, bytes >= 4 ? first : first & ((1 << (8 * bytes)) - 1), true);
    for (let i = 1; i < 4; i++) {
      v.setUint32(base + 4 * i, 4 * i < bytes ? (this.u32[i] ?? 0) : 0, true);
    }
  }
}

export const SA = new Scratch();
export const SB = new Scratch();
export const SD = new Scratch();
export const SR = new Scratch();

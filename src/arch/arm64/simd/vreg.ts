// Lane access to the vector register file (V0..V31, 16 bytes each, little-endian
// lanes, SimdContext.vregs). Every write of a scalar or 64-bit vector result zeroes
// the rest of the 128-bit register (Arm ARM: V[n] = value writes Zeros beyond width).

import type { SimdContext } from "./context.js";

/** Byte offset of lane `index` of size `esize` bits in register `reg`. */
export function laneOffset(reg: number, esize: number, index: number): number {
  return reg * 16 + index * (esize >>> 3);
}

/** Unsigned lane value for esize 8, 16 or 32. */
export function getLane(ctx: SimdContext, reg: number, esize: number, index: number): number {
  const off = laneOffset(reg, esize, index);
  switch (esize) {
    case 8:
      return ctx.vregs[off] ?? 0;
    case 16:
      return ctx.vview.getUint16(off, true);
    default:
      return ctx.vview.getUint32(off, true);
  }
}

/** Signed lane value for esize 8, 16 or 32. */
export function getLaneSigned(ctx: SimdContext, reg: number, esize: number, index: number): number {
  const off = laneOffset(reg, esize, index);
  switch (esize) {
    case 8:
      return ctx.vview.getInt8(off);
    case 16:
      return ctx.vview.getInt16(off, true);
    default:
      return ctx.vview.getInt32(off, true);
  }
}

/** Stores the low `esize` bits of `value` (esize 8, 16 or 32). */
export function setLane(
  ctx: SimdContext,
  reg: number,
  esize: number,
  index: number,
  value: number,
): void {
  const off = laneOffset(reg, esize, index);
  switch (esize) {
    case 8:
      ctx.vview.setUint8(off, value & 0xff);
      return;
    case 16:
      ctx.vview.setUint16(off, value & 0xffff, true);
      return;
    default:
      ctx.vview.setUint32(off, value >>> 0, true);
  }
}

export function getLane64(ctx: SimdContext, reg: number, index: number): bigint {
  return ctx.vview.getBigUint64(reg * 16 + index * 8, true);
}

export function setLane64(ctx: SimdContext, reg: number, index: number, value: bigint): void {
  ctx.vview.setBigUint64(reg * 16 + index * 8, BigInt.asUintN(64, value), true);
}

/** Unsigned lane of any element size as a bigint (esize 8..64). */
export function getLaneBig(ctx: SimdContext, reg: number, esize: number, index: number): bigint {
  return esize === 64 ? getLane64(ctx, reg, index) : BigInt(getLane(ctx, reg, esize, index));
}

export function setLaneBig(
  ctx: SimdContext,
  reg: number,
  esize: number,
  index: number,
  value: bigint,
): void {
  if (esize === 64) setLane64(ctx, reg, index, value);
  else setLane(ctx, reg, esize, index, Number(BigInt.asUintN(esize, value)));
}

/** Zeroes bytes [fromByte, 16) of register `reg`. */
export function clearHigh(ctx: SimdContext, reg: number, fromByte: number): void {
  if (fromByte < 16) ctx.vregs.fill(0, reg * 16 + fromByte, reg * 16 + 16);
}

/**
 * A scratch register file used to compute a result before it is written: vector
 * instructions read all sources before writing Vd (Rd may equal Rn or Rm).
 */
export class LaneBuffer {
  readonly bytes = new Uint8Array(16);
  readonly view = new DataView(this.bytes.buffer);

  reset(): this {
    this.bytes.fill(0);
    return this;
  }

  set(esize: number, index: number, value: number): void {
    const off = index * (esize >>> 3);
    if (esize === 8) this.bytes[off] = value & 0xff;
    else if (esize === 16) this.view.setUint16(off, value & 0xffff, true);
    else this.view.setUint32(off, value >>> 0, true);
  }

  set64(index: number, value: bigint): void {
    this.view.setBigUint64(index * 8, BigInt.asUintN(64, value), true);
  }

  setBig(esize: number, index: number, value: bigint): void {
    if (esize === 64) this.set64(index, value);
    else this.set(esize, index, Number(BigInt.asUintN(esize, value)));
  }

  /** Writes the first `bytes` bytes to Vd and zeroes the rest of Vd (word copies). */
  commit(ctx: SimdContext, reg: number, bytes: number): void {
    const v = ctx.vview;
    const base = reg * 16;
    const first = this.view.getUint32(0, true);
    v.setUint32(base, bytes >= 4 ? first : first & ((1 << (8 * bytes)) - 1), true);
    for (let i = 4; i < 16; i += 4)
      v.setUint32(base + i, i < bytes ? this.view.getUint32(i, true) : 0, true);
  }
}

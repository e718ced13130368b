// Deterministic inputs for the QEMU golden tests: the recorder and the test both
// rebuild a record's full register state from (kind, seed), so golden.json only has
// to hold the outputs that changed.

export type InputKind = "i" | "s" | "d" | "h" | "m";

export interface InputState {
  readonly v: Uint8Array; // V0-V31
  readonly x: bigint[]; // X0-X30
  readonly fpcr: number;
  readonly nzcv: number;
}

export const STATE_BYTES = 792; // harness.c struct state

class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    // xorshift32
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.next() % xs.length] as T;
  }
  u64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
}

const S_SPECIAL = [
  0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x00000001, 0x007fffff,
  0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345, 0x7fa00000, 0x4b000000,
  0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x5f000000, 0x4f800000, 0xcf000000, 0x3effffff,
  0x4effffff, 0x00400000, 0x01000000, 0x7f000000, 0x4f000000, 0xdf000000, 0x3f7fffff,
];
const D_SPECIAL = [
  0n,
  0x8000000000000000n,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0x7fefffffffffffffn,
  0x0010000000000000n,
  0x0000000000000001n,
  0x000fffffffffffffn,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0x7ff0000000000001n,
  0xfff8000000abcdefn,
  0x7ff4000000000000n,
  0x4330000000000000n,
  0x3fe0000000000000n,
  0x3ff8000000000000n,
  0x4004000000000000n,
  0xc004000000000000n,
  0x43e0000000000000n,
  0x41f0000000000000n,
  0xc1e0000000000000n,
  0x47efffffe0000000n,
  0x36a0000000000000n,
  0x3810000000000000n,
  0x0008000000000000n,
  0x7fe0000000000000n,
  0x43dfffffffffffffn,
  0x3fefffffffffffffn,
  0x41dfffffffc00000n,
  0xc3e0000000000000n,
  0x380fffffffffffffn,
  0x47effffff0000000n,
];
const H_SPECIAL = [
  0, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0xfe12,
  0x3800, 0x3e00,
];
// RN, RP, RM, RZ, FZ, DN, FZ+RZ, FZ+DN, AHP.
export const FPCRS = [
  0, 0x400000, 0x800000, 0xc00000, 0x1000000, 0x2000000, 0x1c00000, 0x3000000, 0x4000000,
];
const INT_EDGE = [
  0n,
  1n,
  0xffffffffffffffffn,
  0x8000000000000000n,
  0x7fffffffffffffffn,
  0x20000000000001n,
  0xffffffffn,
  0x80000000n,
  0x7fffffffn,
  0x1fffffffffffffn,
  0x8000000000000401n,
  0x7ffffffffffffdffn,
];

function randomS(r: Rng): number {
  switch (r.next() % 4) {
    case 0:
      return r.pick(S_SPECIAL);
    case 1:
      return r.next();
    default:
      // Moderate exponents (values near 1), where most arithmetic happens.
      return (
        (((r.next() & 1) << 31) | ((110 + (r.next() % 40)) << 23) | (r.next() & 0x7fffff)) >>> 0
      );
  }
}

function randomD(r: Rng): bigint {
  switch (r.next() % 4) {
    case 0:
      return r.pick(D_SPECIAL);
    case 1:
      return r.u64();
    default: {
      const exp = BigInt(1000 + (r.next() % 48));
      return (BigInt(r.next() & 1) << 63n) | (exp << 52n) | (r.u64() & 0xfffffffffffffn);
    }
  }
}

function fill(r: Rng, kind: InputKind, dv: DataView, off: number): number {
  const k = kind === "m" ? r.pick(["i", "s", "d", "i"] as const) : kind;
  switch (k) {
    case "s":
      dv.setUint32(off, randomS(r), true);
      dv.setUint32(off + 4, randomS(r), true);
      return 8;
    case "d":
      dv.setBigUint64(off, randomD(r), true);
      return 8;
    case "h":
      for (let j = 0; j < 8; j += 2) {
        dv.setUint16(off + j, r.next() % 2 ? r.pick(H_SPECIAL) : r.next() & 0xffff, true);
      }
      return 8;
    default:
      for (let j = 0; j < 8; j++) {
        dv.setUint8(
          off + j,
          r.next() % 4 === 0 ? r.pick([0, 1, 0x7f, 0x80, 0xff, 0xfe]) : r.next() & 0xff,
        );
      }
      return 8;
  }
}

/** Makes V3 = -(V1 * V2) in every lane so that FMA tests see exact cancellation. */
function cancellation(dv: DataView, kind: InputKind): void {
  if (kind === "d") {
    for (let e = 0; e < 2; e++) {
      const p = dv.getFloat64(16 + 8 * e, true) * dv.getFloat64(32 + 8 * e, true);
      if (Number.isFinite(p)) dv.setFloat64(48 + 8 * e, -p, true);
    }
  } else if (kind === "s") {
    for (let e = 0; e < 4; e++) {
      const p = Math.fround(dv.getFloat32(16 + 4 * e, true) * dv.getFloat32(32 + 4 * e, true));
      if (Number.isFinite(p)) dv.setFloat32(48 + 4 * e, -p, true);
    }
  }
}

export function makeInput(kind: InputKind, seed: number, fpcrChoice: number): InputState {
  const r = new Rng((seed * 2654435761) >>> 0);
  const v = new Uint8Array(512);
  const dv = new DataView(v.buffer);
  for (let off = 0; off < 512;) off += fill(r, kind, dv, off);
  if (r.next() % 3 === 0) cancellation(dv, kind);
  const x: bigint[] = [];
  for (let j = 0; j < 31; j++) x.push(r.next() % 3 === 0 ? r.pick(INT_EDGE) : r.u64());
  const fpcr = FPCRS[fpcrChoice % FPCRS.length] ?? 0;
  return { v, x, fpcr, nzcv: ((r.next() & 15) << 28) >>> 0 };
}

export function encodeState(s: InputState): Buffer {
  const b = Buffer.alloc(STATE_BYTES);
  Buffer.from(s.v).copy(b, 0);
  s.x.forEach((value, j) => b.writeBigUInt64LE(value, 512 + 8 * j));
  b.writeBigUInt64LE(BigInt(s.fpcr), 768);
  b.writeBigUInt64LE(BigInt(s.nzcv), 784);
  return b;
}

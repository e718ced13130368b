// 64-bit integer helpers over (lo, hi) int32 halves. Registers live in two Int32Arrays
// (see README.md: halves with a branchless carry beat BigInt by 5-30x in V8), so every
// 64-bit operation is spelled out on halves here. Results that do not fit one return
// value are left in `R.lo` / `R.hi` (a module-level scratch pair, no allocation).

export const R = { lo: 0, hi: 0 };

/** Carry out of bit 31 of a + b (+ carry-in) given the 32-bit sum. */
export function carry32(a: number, b: number, sum: number): number {
  return ((a & b) | ((a | b) & ~sum)) >>> 31;
}

/** Signed overflow of a + b given the sum (bit 31 of the result). */
export function overflow32(a: number, b: number, sum: number): number {
  return ((a ^ sum) & (b ^ sum)) >>> 31;
}

/** Logical shift left of a 64-bit value by 0..63. */
export function lsl64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    R.lo = lo;
    R.hi = hi;
  } else if (n < 32) {
    R.hi = (hi << n) | (lo >>> (32 - n));
    R.lo = lo << n;
  } else {
    R.hi = lo << (n - 32);
    R.lo = 0;
  }
}

export function lsr64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    R.lo = lo;
    R.hi = hi;
  } else if (n < 32) {
    R.lo = (lo >>> n) | (hi << (32 - n));
    R.hi = hi >>> n;
  } else {
    R.lo = hi >>> (n - 32);
    R.hi = 0;
  }
}

export function asr64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    R.lo = lo;
    R.hi = hi;
  } else if (n < 32) {
    R.lo = (lo >>> n) | (hi << (32 - n));
    R.hi = hi >> n;
  } else {
    R.lo = hi >> (n - 32);
    R.hi = hi >> 31;
  }
}

export function ror64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    R.lo = lo;
    R.hi = hi;
  } else if (n < 32) {
    R.lo = (lo >>> n) | (hi << (32 - n));
    R.hi = (hi >>> n) | (lo << (32 - n));
  } else if (n === 32) {
    R.lo = hi;
    R.hi = lo;
  } else {
    const m = n - 32;
    R.lo = (hi >>> m) | (lo << (32 - m));
    R.hi = (lo >>> m) | (hi << (32 - m));
  }
}

export function ror32(v: number, n: number): number {
  return n === 0 ? v | 0 : (v >>> n) | (v << (32 - n));
}

/** Low 64 bits of the product of two 64-bit values. */
export function mul64(al: number, ah: number, bl: number, bh: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0 + (t >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  const hiLoLo = a1 * b1 + Math.floor(m1 / 65536) + Math.floor(m2 / 65536);
  R.lo = Math.imul(al, bl);
  R.hi = (hiLoLo + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

export function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function fromBig(v: bigint): void {
  R.lo = Number(BigInt.asIntN(32, v));
  R.hi = Number(BigInt.asIntN(32, v >> 32n));
}

/** A 64-bit value as a signed number (exact while it fits 53 bits: every canonical VA). */
export function toSignedNumber(lo: number, hi: number): number {
  return hi * 4294967296 + (lo >>> 0);
}

export function clz32(v: number): number {
  return Math.clz32(v);
}

export function rbit32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return (v >>> 16) | (v << 16);
}

export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/**
 * DecodeBitMasks (Arm ARM J1, shared/functions/bitmasks) for logical immediates and
 * bitfield moves: sets R.lo/R.hi to wmask and T.lo/T.hi to tmask. Returns false for
 * reserved encodings (the instruction is UNDEFINED).
 */
export const T = { lo: 0, hi: 0 };
export function decodeBitMasks(
  n: number,
  imms: number,
  immr: number,
  immediate: boolean,
  datasize: number,
): boolean {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return false;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return false;
  const levels = (1 << len) - 1;
  if (immediate && (imms & levels) === levels) return false;
  const esize = 1 << len;
  if (esize > datasize) return false;
  const s = imms & levels;
  const r = immr & levels;
  const d = (s - r) & levels;
  // welem = Ones(s + 1) rotated right by r within esize; telem = Ones(d + 1).
  const welem = onesBig(s + 1);
  const telem = onesBig(d + 1);
  const eb = BigInt(esize);
  const emask = (1n << eb) - 1n;
  const rr = BigInt(r);
  const wrot = rr === 0n ? welem : ((welem >> rr) | (welem << (eb - rr))) & emask;
  let w = 0n;
  let t = 0n;
  for (let i = 0; i < datasize; i += esize) {
    w |= wrot << BigInt(i);
    t |= telem << BigInt(i);
  }
  fromBig(t);
  T.lo = R.lo;
  T.hi = R.hi;
  fromBig(w);
  return true;
}

function onesBig(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

// Logical immediates are decoded once per (N, immr, imms) and cached: the hot path of
// AND/ORR/EOR (immediate) is then two array loads. valid: 0 unknown, 1 ok, 2 reserved.
const immLo = new Int32Array(8192 * 2);
const immHi = new Int32Array(8192 * 2);
const immValid = new Uint8Array(8192 * 2);

/** The logical immediate for bits 22:10 (N:immr:imms) into R; false if reserved. */
export function logicalImmediate(bits13: number, sf: number): boolean {
  const key = (bits13 << 1) | sf;
  let v = immValid[key]!;
  if (v === 0) {
    const n = bits13 >>> 12;
    const ok =
      (sf !== 0 || n === 0) &&
      decodeBitMasks(n, bits13 & 0x3f, (bits13 >>> 6) & 0x3f, true, sf ? 64 : 32);
    v = ok ? 1 : 2;
    immValid[key] = v;
    if (ok) {
      immLo[key] = R.lo;
      immHi[key] = sf ? R.hi : 0;
    }
  }
  R.lo = immLo[key]!;
  R.hi = immHi[key]!;
  return v === 1;
}

/** Ones(n) for 0 <= n <= 64 into R. */
export function ones64(n: number): void {
  if (n >= 64) {
    R.lo = -1;
    R.hi = -1;
  } else if (n >= 32) {
    R.lo = -1;
    R.hi = n === 32 ? 0 : -1 >>> (64 - n);
  } else {
    R.lo = n === 0 ? 0 : -1 >>> (32 - n);
    R.hi = 0;
  }
}

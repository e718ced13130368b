// Immediate expansion: VFPExpandImm (FMOV scalar/vector immediate) and
// AdvSIMDExpandImm (MOVI/MVNI/ORR/BIC/FMOV vector), Arm ARM shared/functions/vector.

import type { FpFormat } from "./fp-format.js";

/** VFPExpandImm(imm8) for `fmt`: sign a, exponent NOT(b):b...b:cd, fraction efgh:0... */
export function vfpExpandImm(imm8: number, fmt: FpFormat): bigint {
  const sign = BigInt((imm8 >>> 7) & 1);
  const b = (imm8 >>> 6) & 1;
  const e = fmt.ebits;
  let exp = (b ^ 1) << (e - 1);
  if (b) exp |= ((1 << (e - 3)) - 1) << 2;
  exp |= (imm8 >>> 4) & 3;
  const frac = BigInt(imm8 & 15) << BigInt(fmt.fbits - 4);
  return (sign << BigInt(fmt.size - 1)) | (BigInt(exp) << BigInt(fmt.fbits)) | frac;
}

/** The 64-bit AdvSIMDExpandImm(op, cmode, imm8) as [low word, high word]. */
export function advSimdExpandImm(op: number, cmode: number, imm8: number): [number, number] {
  let w: number;
  switch (cmode >>> 1) {
    case 0:
      w = imm8;
      break;
    case 1:
      w = imm8 << 8;
      break;
    case 2:
      w = imm8 << 16;
      break;
    case 3:
      w = imm8 << 24;
      break;
    case 4:
      w = imm8 | (imm8 << 16);
      break;
    case 5:
      w = (imm8 << 8) | (imm8 << 24);
      break;
    case 6:
      w = (cmode & 1) === 0 ? (imm8 << 8) | 0xff : (imm8 << 16) | 0xffff;
      break;
    default:
      return expandCmode111(op, cmode & 1, imm8);
  }
  return [w >>> 0, w >>> 0];
}

function expandCmode111(op: number, cmode0: number, imm8: number): [number, number] {
  if (cmode0 === 0 && op === 0) {
    const w = imm8 * 0x01010101;
    return [w >>> 0, w >>> 0];
  }
  if (cmode0 === 0) {
    // Each bit of imm8 becomes a byte of ones or zeros (bit 7 -> byte 7).
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 4; i++) {
      if ((imm8 >>> i) & 1) lo |= 0xff << (8 * i);
      if ((imm8 >>> (i + 4)) & 1) hi |= 0xff << (8 * i);
    }
    return [lo >>> 0, hi >>> 0];
  }
  const a = (imm8 >>> 7) & 1;
  const b = (imm8 >>> 6) & 1;
  const cdefgh = imm8 & 0x3f;
  if (op === 0) {
    // a:NOT(b):b^5:cdefgh:0^19, replicated (FMOV .2S/.4S).
    const w = (a << 31) | ((b ^ 1) << 30) | ((b ? 0x1f : 0) << 25) | (cdefgh << 19);
    return [w >>> 0, w >>> 0];
  }
  // a:NOT(b):b^8:cdefgh:0^48 (FMOV .2D).
  const hi = (a << 31) | ((b ^ 1) << 30) | ((b ? 0xff : 0) << 22) | (cdefgh << 16);
  return [0, hi >>> 0];
}

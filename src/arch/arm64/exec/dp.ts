// Data processing outside the hot set (Arm ARM C6.2): bitfield insert, extract,
// extended-register add/sub, add/sub with carry, conditional compare, multiply and
// divide, variable shifts, CRC32 and the one-source bit operations.

import type { CpuState as Cpu } from "../state.js";
import {
  R,
  T,
  toBig,
  fromBig,
  mul64,
  lsl64,
  lsr64,
  decodeBitMasks,
  rbit32,
  bswap32,
  ror64,
  ror32,
} from "../bits.js";
import { adds32, adds64, add64, conditionHolds, extendReg, shift32, shift64 } from "../alu.js";

const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

function crcTable(poly: number): Int32Array {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c;
  }
  return t;
}

function write(cpu: Cpu, rd: number, lo: number, hi: number, sf: number): void {
  if (rd === 31) return;
  cpu.xl[rd] = lo;
  cpu.xh[rd] = sf ? hi : 0;
}

function writeBig(cpu: Cpu, rd: number, v: bigint): void {
  if (rd === 31) return;
  fromBig(BigInt.asUintN(64, v));
  cpu.xl[rd] = R.lo;
  cpu.xh[rd] = R.hi;
}

function big(cpu: Cpu, n: number): bigint {
  return toBig(cpu.xl[n]!, cpu.xh[n]!);
}

export function execDataProcessing(cpu: Cpu, op: number, insn: number): void {
  const xl = cpu.xl;
  const xh = cpu.xh;
  const sf = insn >>> 31;
  const rd = insn & 31;
  const rn = (insn >>> 5) & 31;
  const rm = (insn >>> 16) & 31;
  switch (op) {
    case 64 /* BFM */: {
      const immr = (insn >>> 16) & 0x3f;
      const imms = (insn >>> 10) & 0x3f;
      const size = sf ? 64 : 32;
      if (((insn >>> 22) & 1) !== sf || (sf === 0 && (immr | imms) >= 32))
        return cpu.undefinedInstruction();
      if (!decodeBitMasks(sf, imms, immr, false, size)) return cpu.undefinedInstruction();
      const wl = R.lo;
      const wh = R.hi;
      const tl = T.lo;
      const th = T.hi;
      let sl: number;
      let sh: number;
      if (sf) {
        ror64(xl[rn]!, xh[rn]!, immr);
        sl = R.lo;
        sh = R.hi;
      } else {
        sl = ror32(xl[rn]!, immr);
        sh = 0;
      }
      const dl = xl[rd]!;
      const dh = xh[rd]!;
      const botL = (dl & ~wl) | (sl & wl);
      const botH = (dh & ~wh) | (sh & wh);
      write(cpu, rd, (dl & ~tl) | (botL & tl), (dh & ~th) | (botH & th), sf);
      return;
    }
    case 65 /* EXTR */: {
      const lsb = (insn >>> 10) & 0x3f;
      if (((insn >>> 22) & 1) !== sf || (sf === 0 && lsb >= 32)) return cpu.undefinedInstruction();
      if (sf) {
        lsr64(xl[rm]!, xh[rm]!, lsb);
        const l = R.lo;
        const h = R.hi;
        if (lsb === 0) return write(cpu, rd, l, h, 1);
        lsl64(xl[rn]!, xh[rn]!, 64 - lsb);
        return write(cpu, rd, l | R.lo, h | R.hi, 1);
      }
      const m = xl[rm]!;
      return write(cpu, rd, lsb === 0 ? m : (m >>> lsb) | (xl[rn]! << (32 - lsb)), 0, 0);
    }
    case 66 /* ADD_EXT */:
    case 67 /* ADDS_EXT */:
    case 68 /* SUB_EXT */:
    case 69 /* SUBS_EXT */: {
      const shift = (insn >>> 10) & 7;
      if (shift > 4) return cpu.undefinedInstruction();
      extendReg(xl[rm]!, xh[rm]!, (insn >>> 13) & 7, shift);
      let bl = R.lo;
      let bh = R.hi;
      const sub = op >= 68;
      if (sub) {
        bl = ~bl;
        bh = ~bh;
      }
      const s = rn + ((rn + 1) >> 5);
      const flags = op === 67 || op === 69;
      if (sf) {
        if (flags) adds64(cpu, xl[s]!, xh[s]!, bl, bh, sub ? 1 : 0);
        else add64(xl[s]!, xh[s]!, bl, bh, sub ? 1 : 0);
      } else {
        R.lo = flags ? adds32(cpu, xl[s]!, bl, sub ? 1 : 0) : (xl[s]! + bl + (sub ? 1 : 0)) | 0;
        R.hi = 0;
      }
      if (flags) return write(cpu, rd, R.lo, R.hi, sf);
      const d = rd + ((rd + 1) >> 5);
      xl[d] = R.lo;
      xh[d] = sf ? R.hi : 0;
      return;
    }
    case 70 /* ADC */:
    case 71 /* ADCS */:
    case 72 /* SBC */:
    case 73 /* SBCS */: {
      const sub = op >= 72;
      const flags = op === 71 || op === 73;
      const bl = sub ? ~xl[rm]! : xl[rm]!;
      const bh = sub ? ~xh[rm]! : xh[rm]!;
      if (sf) {
        if (flags) adds64(cpu, xl[rn]!, xh[rn]!, bl, bh, cpu.cf);
        else add64(xl[rn]!, xh[rn]!, bl, bh, cpu.cf);
        return write(cpu, rd, R.lo, R.hi, 1);
      }
      const r = flags ? adds32(cpu, xl[rn]!, bl, cpu.cf) : (xl[rn]! + bl + cpu.cf) | 0;
      return write(cpu, rd, r, 0, 0);
    }
    case 74 /* CCMP_REG */:
    case 75 /* CCMP_IMM */: {
      const cond = (insn >>> 12) & 15;
      if (!conditionHolds(cpu, cond)) {
        cpu.setNzcv((insn & 15) << 28);
        return;
      }
      const sub = (insn & 0x40000000) !== 0;
      let bl = op === 75 ? rm : xl[rm]!;
      let bh = op === 75 ? 0 : xh[rm]!;
      if (sub) {
        bl = ~bl;
        bh = ~bh;
      }
      if (sf) adds64(cpu, xl[rn]!, xh[rn]!, bl, bh, sub ? 1 : 0);
      else adds32(cpu, xl[rn]!, bl, sub ? 1 : 0);
      return;
    }
    case 76 /* MADD */:
    case 77 /* MSUB */: {
      const ra = (insn >>> 10) & 31;
      if (sf) {
        mul64(xl[rn]!, xh[rn]!, xl[rm]!, xh[rm]!);
        let pl = R.lo;
        let ph = R.hi;
        if (op === 77) {
          pl = ~pl;
          ph = ~ph;
        }
        add64(xl[ra]!, xh[ra]!, pl, ph, op === 77 ? 1 : 0);
        return write(cpu, rd, R.lo, R.hi, 1);
      }
      const p = Math.imul(xl[rn]!, xl[rm]!);
      return write(cpu, rd, op === 77 ? (xl[ra]! - p) | 0 : (xl[ra]! + p) | 0, 0, 0);
    }
    case 78 /* SMADDL */:
    case 79 /* SMSUBL */:
    case 80 /* UMADDL */:
    case 81 /* UMSUBL */: {
      const ra = (insn >>> 10) & 31;
      const signed = op <= 79;
      const a = signed ? BigInt(xl[rn]!) : BigInt(xl[rn]! >>> 0);
      const b = signed ? BigInt(xl[rm]!) : BigInt(xl[rm]! >>> 0);
      const p = a * b;
      const acc = big(cpu, ra);
      return writeBig(cpu, rd, op === 79 || op === 81 ? acc - p : acc + p);
    }
    case 82 /* SMULH */:
      return writeBig(
        cpu,
        rd,
        (BigInt.asIntN(64, big(cpu, rn)) * BigInt.asIntN(64, big(cpu, rm))) >> 64n,
      );
    case 83 /* UMULH */:
      return writeBig(cpu, rd, (big(cpu, rn) * big(cpu, rm)) >> 64n);
    case 84 /* UDIV */:
    case 85 /* SDIV */:
      return divide(cpu, op === 85, sf, rd, rn, rm);
    case 86 /* SHIFTV */: {
      const type = (insn >>> 10) & 3;
      if (sf) {
        shift64(xl[rn]!, xh[rn]!, type, xl[rm]! & 63);
        return write(cpu, rd, R.lo, R.hi, 1);
      }
      return write(cpu, rd, shift32(xl[rn]!, type, xl[rm]! & 31), 0, 0);
    }
    case 87 /* CRC32 */: {
      const sz = (insn >>> 10) & 3;
      if ((sz === 3) !== (sf === 1)) return cpu.undefinedInstruction();
      const table = (insn & 0x1000) !== 0 ? CRC32C_TABLE : CRC32_TABLE;
      let crc = xl[rn]!;
      const bytes = 1 << sz;
      for (let i = 0; i < bytes; i++) {
        const b = i < 4 ? (xl[rm]! >>> (8 * i)) & 0xff : (xh[rm]! >>> (8 * (i - 4))) & 0xff;
        crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
      }
      return write(cpu, rd, crc, 0, 0);
    }
    case 88 /* RBIT */:
      if (sf) return write(cpu, rd, rbit32(xh[rn]!), rbit32(xl[rn]!), 1);
      return write(cpu, rd, rbit32(xl[rn]!), 0, 0);
    case 89 /* REV16 */: {
      const sw = (v: number): number => ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
      return write(cpu, rd, sw(xl[rn]!), sw(xh[rn]!), sf);
    }
    case 90 /* REV32 */:
      return write(cpu, rd, bswap32(xl[rn]!), bswap32(xh[rn]!), sf);
    case 91 /* REV64 */:
      return write(cpu, rd, bswap32(xh[rn]!), bswap32(xl[rn]!), 1);
    case 92 /* CLZ */:
      if (sf) {
        const h = xh[rn]!;
        return write(cpu, rd, h !== 0 ? Math.clz32(h) : 32 + Math.clz32(xl[rn]!), 0, 1);
      }
      return write(cpu, rd, Math.clz32(xl[rn]!), 0, 0);
    case 93 /* CLS */: {
      if (sf) {
        const l = xl[rn]!;
        const h = xh[rn]!;
        // x<63:1> EOR x<62:0>, a 63-bit value; its leading zeros over 63 bits.
        const yh = ((h >>> 1) ^ h) & 0x7fffffff;
        const yl = (l >>> 1) ^ (h << 31) ^ l;
        const lz = yh !== 0 ? Math.clz32(yh) - 1 : 31 + Math.clz32(yl);
        return write(cpu, rd, lz, 0, 1);
      }
      const v = xl[rn]!;
      return write(cpu, rd, Math.clz32(((v >>> 1) ^ v) & 0x7fffffff) - 1, 0, 0);
    }
    default:
      return cpu.undefinedInstruction();
  }
}

function divide(cpu: Cpu, signed: boolean, sf: number, rd: number, rn: number, rm: number): void {
  const xl = cpu.xl;
  const xh = cpu.xh;
  if (!sf) {
    const a = xl[rn]!;
    const b = xl[rm]!;
    let q: number;
    if (b === 0) q = 0;
    else if (signed) q = a === -2147483648 && b === -1 ? a : Math.trunc(a / b);
    else q = Math.floor((a >>> 0) / (b >>> 0));
    return write(cpu, rd, q | 0, 0, 0);
  }
  const ah = xh[rn]!;
  const bh = xh[rm]!;
  if (!signed && ah === 0 && bh === 0) {
    const b = xl[rm]! >>> 0;
    return write(cpu, rd, b === 0 ? 0 : Math.floor((xl[rn]! >>> 0) / b) | 0, 0, 1);
  }
  let a = big(cpu, rn);
  let b = big(cpu, rm);
  if (b === 0n) return write(cpu, rd, 0, 0, 1);
  if (signed) {
    a = BigInt.asIntN(64, a);
    b = BigInt.asIntN(64, b);
  }
  return writeBig(cpu, rd, a / b);
}

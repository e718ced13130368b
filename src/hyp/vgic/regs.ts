// The interrupt-state registers that the distributor (SPIs) and the redistributors'
// SGI_base frames (SGIs and PPIs) share, decoded once: the bit-per-INTID set/clear
// registers, IPRIORITYR (byte-accessible) and ICFGR (two bits per INTID).

import { PRIORITY_MASK, type IrqBank } from "./state.js";

/** Offsets (from the frame) of the bit-per-INTID registers, and what they do. */
export const BitReg = {
  IGROUPR: 0x080,
  ISENABLER: 0x100,
  ICENABLER: 0x180,
  ISPENDR: 0x200,
  ICPENDR: 0x280,
  ISACTIVER: 0x300,
  ICACTIVER: 0x380,
  IGRPMODR: 0xd00,
} as const;
export const IPRIORITYR = 0x400;
export const ICFGR = 0xc00;

/** Which bit register an offset falls in, and the first INTID it covers. */
export function decodeBitReg(offset: number): { reg: number; firstIntid: number } | undefined {
  for (const reg of Object.values(BitReg)) {
    if (offset >= reg && offset < reg + 0x80)
      return { reg, firstIntid: ((offset - reg) >> 2) * 32 };
  }
  return undefined;
}

/**
 * Reads or writes 32 INTIDs of a bit register. `map(intid)` gives the bank index,
 * or undefined for INTIDs that do not exist here (RAZ/WI).
 */
export function accessBitReg(
  reg: number,
  bank: IrqBank,
  firstIntid: number,
  map: (intid: number) => number | undefined,
  write: number | undefined,
): number {
  let value = 0;
  for (let b = 0; b < 32; b++) {
    const i = map(firstIntid + b);
    if (i === undefined) continue;
    const bit = write === undefined ? 0 : (write >>> b) & 1;
    switch (reg) {
      case BitReg.IGROUPR:
        if (write !== undefined) bank.group[i] = bit;
        else value |= bank.group[i]! << b;
        break;
      case BitReg.IGRPMODR:
        if (write !== undefined) bank.grpmod[i] = bit;
        else value |= bank.grpmod[i]! << b;
        break;
      case BitReg.ISENABLER:
      case BitReg.ICENABLER:
        if (write !== undefined) {
          if (bit) bank.setEnabled(i, reg === BitReg.ISENABLER ? 1 : 0);
        } else value |= bank.enabled[i]! << b;
        break;
      case BitReg.ISPENDR:
      case BitReg.ICPENDR:
        if (write !== undefined) {
          if (bit) bank.setLatch(i, reg === BitReg.ISPENDR ? 1 : 0);
        } else value |= (bank.pending(i) ? 1 : 0) << b;
        break;
      case BitReg.ISACTIVER:
      case BitReg.ICACTIVER:
        if (write !== undefined) {
          if (bit) bank.setActive(i, reg === BitReg.ISACTIVER ? 1 : 0);
        } else value |= bank.active[i]! << b;
        break;
    }
  }
  return value >>> 0;
}

/** IPRIORITYR: one byte per INTID, `size` bytes from `firstIntid`. */
export function accessPriority(
  bank: IrqBank,
  firstIntid: number,
  size: number,
  map: (intid: number) => number | undefined,
  write: bigint | undefined,
): bigint {
  let value = 0n;
  for (let k = 0; k < size; k++) {
    const i = map(firstIntid + k);
    if (i === undefined) continue;
    if (write !== undefined)
      bank.priority[i] = Number((write >> BigInt(8 * k)) & 0xffn) & PRIORITY_MASK;
    else value |= BigInt(bank.priority[i]!) << BigInt(8 * k);
  }
  return value;
}

/**
 * ICFGR: two bits per INTID (bit 1 set = edge). For the SGI/PPI and SPI banks the
 * SGIs (INTIDs 0..15) are read-only edge; `sgis` is false for the extended SPIs,
 * whose bank indices start at 0.
 */
export function accessConfig(
  bank: IrqBank,
  firstIntid: number,
  map: (intid: number) => number | undefined,
  write: number | undefined,
  sgis = true,
): number {
  let value = 0;
  for (let k = 0; k < 16; k++) {
    const intid = firstIntid + k;
    const i = map(intid);
    if (i === undefined) continue;
    if (write !== undefined) {
      if (intid >= 16 || !sgis) bank.edge[i] = (write >>> (2 * k + 1)) & 1;
    } else value |= bank.edge[i]! << (2 * k + 1);
  }
  return value >>> 0;
}

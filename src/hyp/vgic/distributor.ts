// GICD, the distributor frame (64 KiB at 0x0800_0000): global enables, SPI state and
// routing (IHI 0069 12.9). Affinity routing is always on (ARE reads as one) and
// there is one security state (DS = 1), so the SGI/PPI registers here are RAZ/WI.

import type { GicCore } from "./gic.js";
import { DistCtlr } from "./gic.js";
import {
  ICFGR,
  IPRIORITYR,
  accessBitReg,
  accessConfig,
  accessPriority,
  decodeBitReg,
} from "./regs.js";

export const GICD_SIZE = 0x1_0000;
const Reg = {
  CTLR: 0x0000,
  TYPER: 0x0004,
  IIDR: 0x0008,
  TYPER2: 0x000c,
  STATUSR: 0x0010,
  IROUTER: 0x6000,
  PIDR2: 0xffe8,
} as const;
/** Arm as implementer (0x43B), a made-up product/revision of 0. */
export const GIC_IIDR = 0x0000_043b;
/** PIDR2.ArchRev = 3: GICv3. */
export const GIC_PIDR2 = 0x3b;

export class Distributor {
  constructor(private readonly gic: GicCore) {}

  private spiIndex = (intid: number): number | undefined =>
    intid >= 32 && intid < this.gic.spiLimit ? intid : undefined;

  /** GICD_TYPER: ITLinesNumber, IDbits = 9 (10-bit INTIDs), no LPIs, one security state. */
  typer(): number {
    const itLines = Math.ceil(this.gic.spiLimit / 32) - 1;
    return ((9 << 19) | (itLines & 0x1f)) >>> 0;
  }

  read(offset: number, size: number): bigint {
    if (offset >= Reg.IROUTER + 0x100 && offset < Reg.IROUTER + 8 * 1020) {
      const n = (offset - Reg.IROUTER) >> 3;
      const route = this.spiIndex(n) === undefined ? 0n : this.gic.routes[n]!;
      return (offset & 4) !== 0 ? route >> 32n : size === 8 ? route : route & 0xffff_ffffn;
    }
    if (offset >= IPRIORITYR && offset < IPRIORITYR + 1020)
      return accessPriority(this.gic.spis, offset - IPRIORITYR, size, this.spiIndex, undefined);
    if (size !== 4) return 0n;
    const bit = decodeBitReg(offset);
    if (bit)
      return BigInt(accessBitReg(bit.reg, this.gic.spis, bit.firstIntid, this.spiIndex, undefined));
    if (offset >= ICFGR && offset < ICFGR + 0x100)
      return BigInt(
        accessConfig(this.gic.spis, ((offset - ICFGR) >> 2) * 16, this.spiIndex, undefined),
      );
    switch (offset) {
      case Reg.CTLR:
        return BigInt(this.gic.ctlr | DistCtlr.ARE | DistCtlr.DS);
      case Reg.TYPER:
        return BigInt(this.typer());
      case Reg.IIDR:
        return BigInt(GIC_IIDR);
      case Reg.PIDR2:
        return BigInt(GIC_PIDR2);
      default:
        return 0n; // TYPER2, STATUSR, ITARGETSR, NSACR, SGIR...: RAZ
    }
  }

  write(offset: number, size: number, value: bigint): void {
    const gic = this.gic;
    if (offset >= Reg.IROUTER + 0x100 && offset < Reg.IROUTER + 8 * 1020) {
      const n = (offset - Reg.IROUTER) >> 3;
      if (this.spiIndex(n) === undefined) return;
      const old = gic.routes[n]!;
      const mask = 0xff_80ff_ffffn; // Aff3 39:32, IRM 31, Aff2..Aff0 23:0
      let next: bigint;
      if (size === 8) next = value;
      else if ((offset & 4) !== 0) next = (old & 0xffff_ffffn) | ((value & 0xffff_ffffn) << 32n);
      else next = (old & ~0xffff_ffffn) | (value & 0xffff_ffffn);
      const before = gic.targetOf(n);
      gic.routes[n] = next & mask;
      if (before !== undefined) gic.update(before);
      gic.updateSpi(n);
      return;
    }
    if (offset >= IPRIORITYR && offset < IPRIORITYR + 1020) {
      accessPriority(gic.spis, offset - IPRIORITYR, size, this.spiIndex, value);
      gic.updateAll();
      return;
    }
    if (size !== 4) return;
    const v = Number(value & 0xffff_ffffn);
    const bit = decodeBitReg(offset);
    if (bit) {
      accessBitReg(bit.reg, gic.spis, bit.firstIntid, this.spiIndex, v);
      gic.updateAll();
      return;
    }
    if (offset >= ICFGR && offset < ICFGR + 0x100) {
      accessConfig(gic.spis, ((offset - ICFGR) >> 2) * 16, this.spiIndex, v);
      return;
    }
    if (offset === Reg.CTLR) {
      gic.ctlr = v & (DistCtlr.ENABLE_GRP0 | DistCtlr.ENABLE_GRP1);
      gic.updateAll();
    }
  }
}

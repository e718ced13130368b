// GICD, the distributor frame (64 KiB at 0x0800_0000): global enables, SPI state and
// routing (IHI 0069 12.9). Affinity routing is always on (ARE reads as one) and
// there is one security state (DS = 1), so the SGI/PPI registers here are RAZ/WI.

import type { GicCore } from "./gic.js";
import { DistCtlr } from "./gic.js";
import { ESPI_BASE, ESPI_COUNT } from "./state.js";
import {
  BitReg,
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

/**
 * Extended SPI registers (GICv3.1, IHI 0069 12.9): the bit registers at 0x1000 + 0x200
 * per kind in the order of `ESPI_BIT_REGS`, IPRIORITYRnE 0x2000, ICFGRnE 0x3000,
 * IGRPMODRnE 0x3400, IROUTERnE 0x8000.
 */
const ESPI_BIT_REGS = [
  BitReg.IGROUPR,
  BitReg.ISENABLER,
  BitReg.ICENABLER,
  BitReg.ISPENDR,
  BitReg.ICPENDR,
  BitReg.ISACTIVER,
  BitReg.ICACTIVER,
] as const;
const ESPI = {
  BITS: 0x1000,
  BITS_END: 0x1e00,
  IPRIORITYR: 0x2000,
  ICFGR: 0x3000,
  IGRPMODR: 0x3400,
  IROUTER: 0x8000,
} as const;
const espiIndex = (i: number): number | undefined => (i >= 0 && i < ESPI_COUNT ? i : undefined);

/** The ESPI bit register at `offset`, and the first ESPI (0-based) it covers. */
function decodeEspiBitReg(offset: number): { reg: number; first: number } | undefined {
  if (offset >= ESPI.IGRPMODR && offset < ESPI.IGRPMODR + 0x80)
    return { reg: BitReg.IGRPMODR, first: ((offset - ESPI.IGRPMODR) >> 2) * 32 };
  if (offset < ESPI.BITS || offset >= ESPI.BITS_END) return undefined;
  const reg = ESPI_BIT_REGS[(offset - ESPI.BITS) >> 9];
  const within = (offset - ESPI.BITS) & 0x1ff;
  if (reg === undefined || within >= 0x80) return undefined;
  return { reg, first: (within >> 2) * 32 };
}
/** Arm as implementer (0x43B), a made-up product/revision of 0. */
export const GIC_IIDR = 0x0000_043b;
/** PIDR2.ArchRev = 3: GICv3. */
export const GIC_PIDR2 = 0x3b;

export class Distributor {
  constructor(private readonly gic: GicCore) {}

  private spiIndex = (intid: number): number | undefined =>
    intid >= 32 && intid < this.gic.spiLimit ? intid : undefined;

  /**
   * GICD_TYPER: ITLinesNumber, ESPI (bit 8) with ESPI_range 31 (1024 extended SPIs),
   * IDbits = 12 (13-bit INTIDs cover 5119), no LPIs, one security state.
   */
  typer(): number {
    const itLines = Math.ceil(this.gic.spiLimit / 32) - 1;
    const espiRange = ESPI_COUNT / 32 - 1;
    return ((espiRange << 27) | (12 << 19) | (1 << 8) | (itLines & 0x1f)) >>> 0;
  }

  /** IROUTER / IROUTERnE: the route table and index for `offset`, if it is one. */
  private router(offset: number): { table: bigint[]; i: number; intid: number } | undefined {
    if (offset >= Reg.IROUTER + 0x100 && offset < Reg.IROUTER + 8 * 1020) {
      const n = (offset - Reg.IROUTER) >> 3;
      return this.spiIndex(n) === undefined
        ? undefined
        : { table: this.gic.routes, i: n, intid: n };
    }
    if (offset >= ESPI.IROUTER && offset < ESPI.IROUTER + 8 * ESPI_COUNT) {
      const n = (offset - ESPI.IROUTER) >> 3;
      return { table: this.gic.espiRoutes, i: n, intid: ESPI_BASE + n };
    }
    return undefined;
  }

  private readEspi(offset: number, size: number): bigint | undefined {
    const g = this.gic;
    if (offset >= ESPI.IPRIORITYR && offset < ESPI.IPRIORITYR + ESPI_COUNT)
      return accessPriority(g.espis, offset - ESPI.IPRIORITYR, size, espiIndex, undefined);
    if (size !== 4) return undefined;
    const bit = decodeEspiBitReg(offset);
    if (bit) return BigInt(accessBitReg(bit.reg, g.espis, bit.first, espiIndex, undefined));
    if (offset >= ESPI.ICFGR && offset < ESPI.ICFGR + ESPI_COUNT / 4) {
      return BigInt(accessConfig(g.espis, ((offset - ESPI.ICFGR) >> 2) * 16, espiIndex, undefined));
    }
    return undefined;
  }

  private writeEspi(offset: number, size: number, value: bigint): boolean {
    const g = this.gic;
    if (offset >= ESPI.IPRIORITYR && offset < ESPI.IPRIORITYR + ESPI_COUNT) {
      accessPriority(g.espis, offset - ESPI.IPRIORITYR, size, espiIndex, value);
    } else if (size === 4) {
      const v = Number(value & 0xffff_ffffn);
      const bit = decodeEspiBitReg(offset);
      if (bit) accessBitReg(bit.reg, g.espis, bit.first, espiIndex, v);
      else if (offset >= ESPI.ICFGR && offset < ESPI.ICFGR + ESPI_COUNT / 4)
        accessConfig(g.espis, ((offset - ESPI.ICFGR) >> 2) * 16, espiIndex, v, false);
      else return false;
    } else return false;
    g.updateAll();
    return true;
  }

  read(offset: number, size: number): bigint {
    const r = this.router(offset);
    if (r) {
      const route = r.table[r.i]!;
      return (offset & 4) !== 0 ? route >> 32n : size === 8 ? route : route & 0xffff_ffffn;
    }
    const espi = this.readEspi(offset, size);
    if (espi !== undefined) return espi;
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
    const r = this.router(offset);
    if (r) {
      const old = r.table[r.i]!;
      const mask = 0xff_80ff_ffffn; // Aff3 39:32, IRM 31, Aff2..Aff0 23:0
      let next: bigint;
      if (size === 8) next = value;
      else if ((offset & 4) !== 0) next = (old & 0xffff_ffffn) | ((value & 0xffff_ffffn) << 32n);
      else next = (old & ~0xffff_ffffn) | (value & 0xffff_ffffn);
      const before = gic.targetOf(r.intid);
      gic.setRoute(r.intid, next & mask);
      if (before !== undefined) gic.update(before);
      gic.updateSpi(r.intid);
      return;
    }
    if (this.writeEspi(offset, size, value)) return;
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

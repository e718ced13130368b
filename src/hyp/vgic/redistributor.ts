// GICR, one redistributor per vCPU (128 KiB each from 0x080A_0000): RD_base with
// TYPER (affinity, processor number, Last) and WAKER, and SGI_base with the banked
// SGI/PPI state (IHI 0069 12.10, 12.11). No LPIs: CTLR, PROPBASER and PENDBASER are
// RAZ/WI.

import { GIC_IIDR, GIC_PIDR2 } from "./distributor.js";
import type { GicCore } from "./gic.js";
import {
  ICFGR,
  IPRIORITYR,
  accessBitReg,
  accessConfig,
  accessPriority,
  decodeBitReg,
} from "./regs.js";
import type { IrqBank } from "./state.js";

export const GICR_STRIDE = 0x2_0000;
const SGI_BASE = 0x1_0000;
const Reg = {
  CTLR: 0x0,
  IIDR: 0x4,
  TYPER: 0x8,
  TYPER_HI: 0xc,
  WAKER: 0x14,
  PIDR2: 0xffe8,
} as const;
const WAKER_PROCESSOR_SLEEP = 1 << 1;
const WAKER_CHILDREN_ASLEEP = 1 << 2;
const TYPER_LAST = 1n << 4n;

const privateIndex = (intid: number): number | undefined => (intid < 32 ? intid : undefined);

export class Redistributors {
  constructor(private readonly gic: GicCore) {}

  /** GICR_TYPER of frame `index`: the affinity of the vCPU that frame belongs to. */
  typer(index: number): bigint {
    const mpidr = this.gic.mpidrOf(index);
    const aff =
      (((mpidr >> 32n) & 0xffn) << 24n) | (((mpidr >> 16n) & 0xffn) << 16n) | (mpidr & 0xffffn);
    const last = index === this.gic.maxVcpus - 1 ? TYPER_LAST : 0n;
    return (aff << 32n) | (BigInt(index) << 8n) | last;
  }

  private bank(index: number): IrqBank | undefined {
    return this.gic.slots[index]?.bank;
  }

  read(index: number, offset: number, size: number): bigint {
    if (offset >= SGI_BASE) return this.readSgi(index, offset - SGI_BASE, size);
    if (offset === Reg.TYPER && size === 8) return this.typer(index);
    if (size !== 4) return 0n;
    switch (offset) {
      case Reg.IIDR:
        return BigInt(GIC_IIDR);
      case Reg.TYPER:
        return this.typer(index) & 0xffff_ffffn;
      case Reg.TYPER_HI:
        return this.typer(index) >> 32n;
      case Reg.WAKER: {
        const asleep = this.gic.slots[index]?.cpu.asleep ?? true;
        return asleep ? BigInt(WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP) : 0n;
      }
      case Reg.PIDR2:
        return BigInt(GIC_PIDR2);
      default:
        return 0n;
    }
  }

  write(index: number, offset: number, size: number, value: bigint): void {
    if (offset >= SGI_BASE) return this.writeSgi(index, offset - SGI_BASE, size, value);
    if (offset === Reg.WAKER && size === 4) {
      const slot = this.gic.slots[index];
      // ChildrenAsleep follows ProcessorSleep at once: there is nothing to quiesce.
      if (slot) slot.cpu.asleep = (Number(value) & WAKER_PROCESSOR_SLEEP) !== 0;
    }
  }

  private readSgi(index: number, offset: number, size: number): bigint {
    const bank = this.bank(index);
    if (!bank) return 0n;
    if (offset >= IPRIORITYR && offset < IPRIORITYR + 32)
      return accessPriority(bank, offset - IPRIORITYR, size, privateIndex, undefined);
    if (size !== 4) return 0n;
    const bit = decodeBitReg(offset);
    if (bit && bit.firstIntid === 0)
      return BigInt(accessBitReg(bit.reg, bank, 0, privateIndex, undefined));
    if (offset === ICFGR || offset === ICFGR + 4)
      return BigInt(accessConfig(bank, (offset - ICFGR) * 4, privateIndex, undefined));
    return 0n;
  }

  private writeSgi(index: number, offset: number, size: number, value: bigint): void {
    const bank = this.bank(index);
    if (!bank) return;
    if (offset >= IPRIORITYR && offset < IPRIORITYR + 32) {
      accessPriority(bank, offset - IPRIORITYR, size, privateIndex, value);
    } else if (size === 4) {
      const v = Number(value & 0xffff_ffffn);
      const bit = decodeBitReg(offset);
      if (bit && bit.firstIntid === 0) accessBitReg(bit.reg, bank, 0, privateIndex, v);
      else if (offset === ICFGR + 4) accessConfig(bank, 16, privateIndex, v);
      else return;
    } else return;
    this.gic.update(index);
  }
}

// The GIC CPU interface of one vCPU: the ICC_*_EL1 system registers the CPU routes to
// the hypervisor (GicCpuInterface). Keys are op0 << 14 | op1 << 11 | CRn << 7 |
// CRm << 3 | op2 (IHI 0069 12.2).

import type { GicCpuInterface } from "../cpu.js";
import { iccKey } from "../cpu.js";
import type { GicCore } from "./gic.js";
import { PRIORITY_MASK } from "./state.js";

export const Icc = {
  PMR: iccKey(3, 0, 4, 6, 0),
  IAR0: iccKey(3, 0, 12, 8, 0),
  EOIR0: iccKey(3, 0, 12, 8, 1),
  HPPIR0: iccKey(3, 0, 12, 8, 2),
  BPR0: iccKey(3, 0, 12, 8, 3),
  AP0R0: iccKey(3, 0, 12, 8, 4),
  AP1R0: iccKey(3, 0, 12, 9, 0),
  DIR: iccKey(3, 0, 12, 11, 1),
  RPR: iccKey(3, 0, 12, 11, 3),
  SGI1R: iccKey(3, 0, 12, 11, 5),
  ASGI1R: iccKey(3, 0, 12, 11, 6),
  SGI0R: iccKey(3, 0, 12, 11, 7),
  IAR1: iccKey(3, 0, 12, 12, 0),
  EOIR1: iccKey(3, 0, 12, 12, 1),
  HPPIR1: iccKey(3, 0, 12, 12, 2),
  BPR1: iccKey(3, 0, 12, 12, 3),
  CTLR: iccKey(3, 0, 12, 12, 4),
  SRE: iccKey(3, 0, 12, 12, 5),
  IGRPEN0: iccKey(3, 0, 12, 12, 6),
  IGRPEN1: iccKey(3, 0, 12, 12, 7),
} as const;

/** ICC_CTLR_EL1 read-only fields: PRIbits = 4 (5 bits), IDbits = 0 (16), A3V, ExtRange. */
const CTLR_RO = (4 << 8) | (1 << 15) | (1 << 19);
const CTLR_CBPR = 1;
const CTLR_EOIMODE = 2;
/** SRE, DFB, DIB read as one: system register access only. */
const SRE_VALUE = 0x7n;
const SPURIOUS_ID = 1023n;

export class CpuInterface implements GicCpuInterface {
  constructor(
    private readonly gic: GicCore,
    private readonly index: number,
  ) {}

  private get state() {
    return this.gic.slots[this.index]!.cpu;
  }

  /** AP<g>R0: one bit per active group priority (priority >> 3 with five bits). */
  private activePriorities(group: number): bigint {
    let bits = 0n;
    for (const a of this.state.activeStack)
      if (a.group === group) bits |= 1n << BigInt(a.priority >> 3);
    return bits;
  }

  setPmuLevel(level: boolean): void {
    this.gic.setPmuLevel(this.index, level);
  }

  read(key: number): bigint | undefined {
    const s = this.state;
    switch (key) {
      case Icc.PMR:
        return BigInt(s.pmr);
      case Icc.IAR1:
        return BigInt(this.gic.acknowledge(this.index, 1));
      case Icc.IAR0:
        return BigInt(this.gic.acknowledge(this.index, 0));
      case Icc.HPPIR1:
      case Icc.HPPIR0: {
        // A group disabled in ICC_IGRPEN<n> has no pending interrupt to report
        // (IHI 0069 12.2.16/17: the HPPIR pseudocode returns 1023 then).
        const group = key === Icc.HPPIR1 ? 1 : 0;
        if (!(group === 1 ? s.igrpen1 : s.igrpen0)) return SPURIOUS_ID;
        const c = this.gic.highest(this.index, group);
        return c ? BigInt(c.intid) : SPURIOUS_ID;
      }
      case Icc.BPR0:
        return BigInt(s.bpr0);
      case Icc.BPR1:
        return BigInt(s.cbpr ? Math.min(s.bpr0 + 1, 7) : s.bpr1);
      case Icc.RPR:
        return BigInt(s.runningPriority);
      case Icc.CTLR:
        return BigInt(CTLR_RO | (s.cbpr ? CTLR_CBPR : 0) | (s.eoiMode ? CTLR_EOIMODE : 0));
      case Icc.SRE:
        return SRE_VALUE;
      case Icc.IGRPEN0:
        return s.igrpen0 ? 1n : 0n;
      case Icc.IGRPEN1:
        return s.igrpen1 ? 1n : 0n;
      case Icc.AP0R0:
        return this.activePriorities(0);
      case Icc.AP1R0:
        return this.activePriorities(1);
      case Icc.AP0R0 + 1:
      case Icc.AP0R0 + 2:
      case Icc.AP0R0 + 3:
      case Icc.AP1R0 + 1:
      case Icc.AP1R0 + 2:
      case Icc.AP1R0 + 3:
        return 0n; // unimplemented with five priority bits: RAZ/WI
      default:
        // Unknown, or write-only (EOIR, DIR, SGI*R): an MRS of it is UNDEFINED.
        return undefined;
    }
  }

  write(key: number, value: bigint): boolean {
    const s = this.state;
    const v = Number(value & 0xffff_ffffn);
    switch (key) {
      case Icc.PMR:
        s.pmr = v & PRIORITY_MASK;
        break;
      case Icc.EOIR1:
        this.gic.endOfInterrupt(this.index, v & 0xffffff, 1);
        return true;
      case Icc.EOIR0:
        this.gic.endOfInterrupt(this.index, v & 0xffffff, 0);
        return true;
      case Icc.DIR:
        this.gic.deactivate(this.index, v & 0xffffff);
        return true;
      case Icc.SGI1R:
      case Icc.ASGI1R:
      case Icc.SGI0R:
        this.gic.sendSgi(this.index, value);
        return true;
      case Icc.BPR0:
        s.bpr0 = Math.max(2, v & 7);
        break;
      case Icc.BPR1:
        if (!s.cbpr) s.bpr1 = Math.max(3, v & 7);
        break;
      case Icc.CTLR:
        s.cbpr = (v & CTLR_CBPR) !== 0;
        s.eoiMode = (v & CTLR_EOIMODE) !== 0;
        break;
      case Icc.IGRPEN0:
        s.igrpen0 = (v & 1) !== 0;
        break;
      case Icc.IGRPEN1:
        s.igrpen1 = (v & 1) !== 0;
        break;
      case Icc.AP0R0:
      case Icc.AP1R0:
        // Software writes zero to forget active priorities (Linux does at CPU bring-up).
        if (v === 0) {
          const group = key === Icc.AP0R0 ? 0 : 1;
          const keep = s.activeStack.filter((a) => a.group !== group);
          s.activeStack.length = 0;
          s.activeStack.push(...keep);
        }
        break;
      case Icc.AP0R0 + 1:
      case Icc.AP0R0 + 2:
      case Icc.AP0R0 + 3:
      case Icc.AP1R0 + 1:
      case Icc.AP1R0 + 2:
      case Icc.AP1R0 + 3:
      case Icc.SRE:
        return true;
      default:
        // Unknown, or read-only (IAR, HPPIR, RPR): an MSR to it is UNDEFINED.
        return false;
    }
    this.gic.update(this.index);
    return true;
  }
}

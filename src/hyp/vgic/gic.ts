// The virtual GICv3 core: routing, pending/active transitions, highest-priority
// selection and the IRQ/FIQ lines of each vCPU. The register files (distributor,
// redistributors, ICC_* system registers) are thin decoders on top of this.

import { isSpi } from "../virq.js";
import type { VirqSource } from "../virq.js";
import type { VcpuIrqPort } from "../vic.js";
import { DEFAULT_MPIDR_MAPPING, indexToMpidr, mpidrToIndex, type MpidrMapping } from "../mpidr.js";
import {
  CpuIfState,
  ESPI_BASE,
  ESPI_COUNT,
  IrqBank,
  MAX_INTID,
  SPURIOUS,
  PMU_PPI,
  TIMER_PHYSICAL_PPI,
  TIMER_VIRTUAL_PPI,
  type Candidate,
} from "./state.js";

/** GICD_CTLR with a single security state (DS = 1). */
export const DistCtlr = {
  ENABLE_GRP0: 1,
  ENABLE_GRP1: 2,
  ARE: 1 << 4,
  DS: 1 << 6,
  RWP: 1 << 31,
} as const;

export interface VcpuSlot {
  readonly port: VcpuIrqPort;
  readonly mpidr: bigint;
  readonly cpu: CpuIfState;
  readonly bank: IrqBank;
  irq: boolean;
  fiq: boolean;
}

export class GicCore {
  readonly spis = new IrqBank(MAX_INTID);
  /** IROUTER per SPI: affinity (Aff3 39:32, Aff2..Aff0 23:0) and IRM (bit 31). */
  readonly routes: bigint[] = new Array<bigint>(MAX_INTID).fill(0n);
  /** Extended SPIs, indexed by INTID - 4096, and their IROUTERnE. */
  readonly espis = new IrqBank(ESPI_COUNT);
  readonly espiRoutes: bigint[] = new Array<bigint>(ESPI_COUNT).fill(0n);
  readonly slots: (VcpuSlot | undefined)[];
  /** EnableGrp0 | EnableGrp1; ARE and DS always read as one. */
  ctlr = 0;
  /**
   * The vCPU each SPI (by INTID) and extended SPI (by INTID - 4096) is routed to, -1
   * for none; recomputed from IROUTER and the connected vCPUs' affinities when either
   * changes, so selection never re-derives it per interrupt.
   */
  private readonly spiTargets = new Int16Array(MAX_INTID).fill(-1);
  private readonly espiTargets = new Int16Array(ESPI_COUNT).fill(-1);

  constructor(
    readonly maxVcpus: number,
    readonly spiLimit: number,
    private readonly sourceOf: (virq: number) => VirqSource | undefined,
    /** The vic's index <-> MPIDR mapping: IROUTER and SGI targets name vCPUs through it. */
    readonly mapping: MpidrMapping = DEFAULT_MPIDR_MAPPING,
  ) {
    this.slots = new Array<VcpuSlot | undefined>(maxVcpus).fill(undefined);
    // SPIs reset as level-sensitive, group 0, disabled, priority 0 (IHI 0069 12.9).
  }

  connect(index: number, port: VcpuIrqPort, mpidr: bigint): VcpuSlot {
    const bank = new IrqBank(32);
    bank.edge.fill(1, 0, 16); // SGIs are always edge-triggered
    const slot: VcpuSlot = { port, mpidr, cpu: new CpuIfState(), bank, irq: false, fiq: false };
    this.slots[index] = slot;
    this.retarget();
    return slot;
  }

  disconnect(index: number): void {
    this.slots[index] = undefined;
    this.retarget();
  }

  /** Recomputes every SPI's target (a vCPU connected or went away). */
  private retarget(): void {
    for (let i = 32; i < this.spiLimit; i++) this.spiTargets[i] = this.targetOf(i) ?? -1;
    for (let i = 0; i < ESPI_COUNT; i++) this.espiTargets[i] = this.targetOf(ESPI_BASE + i) ?? -1;
  }

  /** IROUTER(nE) write: the route of one SPI and its cached target. */
  setRoute(intid: number, route: bigint): void {
    if (intid >= ESPI_BASE) this.espiRoutes[intid - ESPI_BASE] = route;
    else this.routes[intid] = route;
    const t = this.targetOf(intid) ?? -1;
    if (intid >= ESPI_BASE) this.espiTargets[intid - ESPI_BASE] = t;
    else this.spiTargets[intid] = t;
  }

  /** The bank and index holding `intid` as seen by vCPU `vcpu`. */
  locate(vcpu: number, intid: number): { bank: IrqBank; i: number } | undefined {
    if (intid < 32) {
      const s = this.slots[vcpu];
      return s ? { bank: s.bank, i: intid } : undefined;
    }
    if (intid < this.spiLimit) return { bank: this.spis, i: intid };
    if (intid >= ESPI_BASE && intid < ESPI_BASE + ESPI_COUNT)
      return { bank: this.espis, i: intid - ESPI_BASE };
    return undefined;
  }

  /** The vCPU an SPI or extended SPI is routed to (IRM = 1: the first vCPU stands for "any"). */
  targetOf(spi: number): number | undefined {
    const route = (spi >= ESPI_BASE ? this.espiRoutes[spi - ESPI_BASE] : this.routes[spi]) ?? 0n;
    if ((route & (1n << 31n)) !== 0n) return this.slots.findIndex((s) => s !== undefined);
    const idx = this.vcpuFor(route);
    return idx !== undefined && this.slots[idx] ? idx : undefined;
  }

  /**
   * The vCPU index an affinity names through the mapping, or undefined for a field
   * with bits outside its mask or an index past the vCPUs (vgic_get_index_for_mpidr).
   */
  vcpuFor(affinity: bigint): number | undefined {
    const idx = mpidrToIndex(this.mapping, affinity);
    return idx !== undefined && idx < this.maxVcpus ? idx : undefined;
  }

  /** MPIDR_EL1 of the vCPU at `index` (also for a frame whose vCPU is not connected). */
  mpidrOf(index: number): bigint {
    return this.slots[index]?.mpidr ?? indexToMpidr(this.mapping, index);
  }

  // --- inputs ----------------------------------------------------------------------

  validSpi(virq: number): boolean {
    return isSpi(virq) && (virq < this.spiLimit || virq >= ESPI_BASE);
  }

  assertSpi(intid: number): void {
    const loc = this.validSpi(intid) ? this.locate(0, intid) : undefined;
    if (!loc) return;
    loc.bank.setLatch(loc.i, 1);
    this.updateSpi(intid);
  }

  clearSpi(intid: number): void {
    const loc = this.validSpi(intid) ? this.locate(0, intid) : undefined;
    if (!loc) return;
    loc.bank.setLatch(loc.i, 0);
    this.updateSpi(intid);
  }

  setTimerLevels(vcpu: number, outputs: number): void {
    const s = this.slots[vcpu];
    if (!s) return;
    const v = outputs & 1;
    const p = (outputs >> 1) & 1;
    if (s.bank.level[TIMER_VIRTUAL_PPI] === v && s.bank.level[TIMER_PHYSICAL_PPI] === p) return;
    s.bank.setLevel(TIMER_VIRTUAL_PPI, v);
    s.bank.setLevel(TIMER_PHYSICAL_PPI, p);
    this.update(vcpu);
  }

  /** The PMU overflow interrupt of a vCPU, PPI 7 = INTID 23, a level (as QEMU virt wires it). */
  setPmuLevel(vcpu: number, level: boolean): void {
    const s = this.slots[vcpu];
    const v = level ? 1 : 0;
    if (!s || s.bank.level[PMU_PPI] === v) return;
    s.bank.setLevel(PMU_PPI, v);
    this.update(vcpu);
  }

  /**
   * ICC_SGI1R_EL1 / ICC_SGI0R_EL1: makes SGI `intid` pending on the targets. IRM = 1:
   * every other vCPU; else each TargetList bit names Aff0 = RS * 16 + bit with the
   * register's Aff1..Aff3, a vCPU through the mapping; names of no vCPU are ignored
   * (vgic_icc_generate_sgi, hyp/vm/vgic/src/deliver.c).
   */
  sendSgi(from: number, value: bigint): void {
    const intid = Number((value >> 24n) & 0xfn);
    const pend = (i: number): void => {
      const s = this.slots[i];
      if (!s) return;
      s.bank.setLatch(intid, 1);
      this.update(i);
    };
    if (((value >> 40n) & 1n) === 1n) {
      this.slots.forEach((_s, i) => i !== from && pend(i));
      return;
    }
    const targets = Number(value & 0xffffn);
    const rs = BigInt(Number((value >> 44n) & 0xfn) * 16);
    // Aff1 23:16, Aff2 39:32, Aff3 55:48 of the register moved to MPIDR positions.
    const upper =
      (((value >> 16n) & 0xffn) << 8n) |
      (((value >> 32n) & 0xffn) << 16n) |
      (((value >> 48n) & 0xffn) << 32n);
    for (let bit = 0; bit < 16; bit++) {
      if (((targets >> bit) & 1) === 0) continue;
      const i = this.vcpuFor(upper | (rs + BigInt(bit)));
      if (i !== undefined) pend(i);
    }
  }

  // --- selection --------------------------------------------------------------------

  /**
   * The highest-priority eligible interrupt for `vcpu` (lowest INTID wins ties), of
   * `group` or of either: pending, enabled, not active (the banks' candidate sets),
   * its group enabled in GICD_CTLR, routed here. Looks only at candidates.
   */
  highest(vcpu: number, group?: number): Candidate | undefined {
    const s = this.slots[vcpu];
    if (!s) return undefined;
    const sel = this.selection;
    sel.reset(group, this.ctlr);
    for (const i of s.bank.candidates) sel.consider(s.bank, i, i);
    for (const i of this.spis.candidates)
      if (this.spiTargets[i] === vcpu) sel.consider(this.spis, i, i);
    for (const i of this.espis.candidates)
      if (this.espiTargets[i] === vcpu) sel.consider(this.espis, i, ESPI_BASE + i);
    return sel.result();
  }

  private readonly selection = new Selection();

  /** Would `c` be signalled now: above the priority mask and preempting what runs. */
  signals(vcpu: number, c: Candidate): boolean {
    const s = this.slots[vcpu]!;
    const cpu = s.cpu;
    if (c.group === 1 ? !cpu.igrpen1 : !cpu.igrpen0) return false;
    if (c.priority >= cpu.pmr) return false;
    const running = cpu.runningPriority;
    return (
      running === 0xff ||
      cpu.groupPriority(c.priority, c.group) < cpu.groupPriority(running, c.group)
    );
  }

  /** Recomputes the IRQ/FIQ lines of `vcpu` and wakes it if something is deliverable. */
  update(vcpu: number): void {
    const s = this.slots[vcpu];
    if (!s) return;
    const g1 = this.highest(vcpu, 1);
    const g0 = this.highest(vcpu, 0);
    const irq = g1 !== undefined && this.signals(vcpu, g1);
    const fiq = g0 !== undefined && this.signals(vcpu, g0);
    if (irq !== s.irq) {
      s.irq = irq;
      s.port.setIrqLine(irq);
    }
    s.fiq = fiq;
    if (irq || fiq) s.port.kick();
  }

  updateSpi(intid: number): void {
    const t = this.targetOf(intid);
    if (t !== undefined) this.update(t);
  }

  updateAll(): void {
    for (let i = 0; i < this.slots.length; i++) this.update(i);
  }

  // --- acknowledge / end of interrupt -----------------------------------------------------

  /** ICC_IAR1_EL1 / ICC_IAR0_EL1: acknowledges the highest signalled interrupt. */
  acknowledge(vcpu: number, group: number): number {
    const c = this.highest(vcpu, group);
    if (!c || !this.signals(vcpu, c)) return SPURIOUS;
    const loc = this.locate(vcpu, c.intid)!;
    loc.bank.setActive(loc.i, 1);
    loc.bank.setLatch(loc.i, 0); // an edge is consumed; a level line stays pending
    this.slots[vcpu]!.cpu.activeStack.push({ intid: c.intid, priority: c.priority, group });
    this.update(vcpu);
    return c.intid;
  }

  /** ICC_EOIR: drops the running priority; with EOImode 0 it also deactivates. */
  endOfInterrupt(vcpu: number, intid: number, group: number): void {
    const s = this.slots[vcpu];
    if (!s) return;
    const stack = s.cpu.activeStack;
    const top = stack[stack.length - 1];
    // EOI must name the most recently acknowledged interrupt (IHI 0069 4.1.1): otherwise
    // the write is UNPREDICTABLE; we ignore it.
    if (!top || top.intid !== intid || top.group !== group) return;
    stack.pop();
    if (!s.cpu.eoiMode) this.deactivate(vcpu, intid);
    else this.update(vcpu);
  }

  /** ICC_DIR or EOImode 0: the interrupt is no longer active; a held level re-pends. */
  deactivate(vcpu: number, intid: number): void {
    const loc = this.locate(vcpu, intid);
    if (!loc) return;
    loc.bank.setActive(loc.i, 0);
    if (intid >= 32 && !loc.bank.edge[loc.i] && this.sourceOf(intid)?.isAsserted())
      loc.bank.setLatch(loc.i, 1);
    if (intid >= 32) this.updateSpi(intid);
    else this.update(vcpu);
  }

  hasPending(vcpu: number): boolean {
    const s = this.slots[vcpu];
    if (!s) return false;
    this.update(vcpu);
    return s.irq || s.fiq;
  }
}

/** The running best of one selection (reused: selection runs on every ICC access). */
class Selection {
  private group: number | undefined;
  private ctlr = 0;
  private intid = -1;
  private priority = 0;
  private bestGroup = 0;

  reset(group: number | undefined, ctlr: number): void {
    this.group = group;
    this.ctlr = ctlr;
    this.intid = -1;
  }

  consider(bank: IrqBank, i: number, intid: number): void {
    const g = bank.group[i]!;
    if (this.group !== undefined && g !== this.group) return;
    if ((this.ctlr & (g ? DistCtlr.ENABLE_GRP1 : DistCtlr.ENABLE_GRP0)) === 0) return;
    const p = bank.priority[i]!;
    if (this.intid >= 0 && (p > this.priority || (p === this.priority && intid > this.intid)))
      return;
    this.intid = intid;
    this.priority = p;
    this.bestGroup = g;
  }

  result(): Candidate | undefined {
    if (this.intid < 0) return undefined;
    return { intid: this.intid, priority: this.priority, group: this.bestGroup };
  }
}

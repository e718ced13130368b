// Interrupt state of the virtual GICv3 (Arm IHI 0069): per INTID enable, pending
// (an edge latch, or the line level for level-sensitive inputs), active, priority,
// group and trigger; the banked SGIs/PPIs of each vCPU and the shared SPIs; and the
// priority arithmetic the CPU interface and the distributor share.

export const SPURIOUS = 1023;
export const MAX_INTID = 1020;
/** Extended SPIs (GICv3.1): INTIDs 4096..5119. */
export const ESPI_BASE = 4096;
export const ESPI_COUNT = 1024;
/** Five implemented priority bits (ICC_CTLR_EL1.PRIbits = 4): the low three read as zero. */
export const PRIORITY_MASK = 0xf8;
export const IDLE_PRIORITY = 0xff;
export const TIMER_VIRTUAL_PPI = 27;
export const TIMER_PHYSICAL_PPI = 30;
/** The PMU overflow interrupt: PPI 7, INTID 23 (QEMU virt: VIRTUAL_PMU_IRQ). */
export const PMU_PPI = 23;

/**
 * One bank of interrupt state (32 private INTIDs, or every SPI). Enable, pending and
 * active change only through the setters, which keep `candidates` exact: the indices
 * that are enabled, pending and not active. Selecting the highest-priority interrupt
 * then looks at those few instead of scanning the bank (the scan was 39% of a Linux
 * boot's CPU time). Priority and group are read at selection time, so they are
 * plain arrays.
 */
export class IrqBank {
  readonly enabled: Uint8Array;
  readonly latch: Uint8Array;
  readonly level: Uint8Array;
  readonly active: Uint8Array;
  readonly priority: Uint8Array;
  readonly group: Uint8Array;
  readonly grpmod: Uint8Array;
  /** 1 = edge-triggered (ICFGR 0b10), 0 = level. */
  readonly edge: Uint8Array;
  /** Indices that are enabled, pending (latch or level) and not active. */
  readonly candidates = new Set<number>();

  constructor(readonly size: number) {
    this.enabled = new Uint8Array(size);
    this.latch = new Uint8Array(size);
    this.level = new Uint8Array(size);
    this.active = new Uint8Array(size);
    this.priority = new Uint8Array(size);
    this.group = new Uint8Array(size);
    this.grpmod = new Uint8Array(size);
    this.edge = new Uint8Array(size);
  }

  pending(i: number): boolean {
    return this.latch[i] === 1 || this.level[i] === 1;
  }

  setEnabled(i: number, v: number): void {
    this.enabled[i] = v;
    this.refresh(i);
  }

  setLatch(i: number, v: number): void {
    this.latch[i] = v;
    this.refresh(i);
  }

  setLevel(i: number, v: number): void {
    this.level[i] = v;
    this.refresh(i);
  }

  setActive(i: number, v: number): void {
    this.active[i] = v;
    this.refresh(i);
  }

  private refresh(i: number): void {
    if (this.enabled[i] === 1 && this.active[i] === 0 && this.pending(i)) this.candidates.add(i);
    else this.candidates.delete(i);
  }
}

/** The CPU interface state of one vCPU (ICC_* registers). */
export class CpuIfState {
  pmr = 0;
  bpr0 = 2;
  bpr1 = 3;
  eoiMode = false;
  cbpr = false;
  igrpen0 = false;
  igrpen1 = false;
  /** GICR_WAKER.ProcessorSleep (reset 1: the redistributor starts asleep). */
  asleep = true;
  /** Active priorities, most recent (highest) last: the running priority is its top. */
  readonly activeStack: { intid: number; priority: number; group: number }[] = [];

  get runningPriority(): number {
    const top = this.activeStack[this.activeStack.length - 1];
    return top ? top.priority : IDLE_PRIORITY;
  }

  /** The group priority of `p` for preemption (the subpriority bits below BPR cleared). */
  groupPriority(p: number, group: number): number {
    const bpr = group === 0 || this.cbpr ? this.bpr0 : this.bpr1 - 1;
    const sub = (1 << (bpr + 1)) - 1;
    return p & ~sub & 0xff;
  }
}

export interface Candidate {
  readonly intid: number;
  readonly priority: number;
  readonly group: number;
}

// The virtual interrupt controller object (partition_create_vic). For a native VM
// its backend is the VM's VirqSink; for a guest it is the virtual GICv3, created at
// activation with the configured number of vCPUs. Sources bind to VIRQ numbers of a
// vic and hold a reference to it while bound.

import { HypError } from "./abi/errors.js";
import type { GicCpuInterface } from "./cpu.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import type { VirqController, VirqSource, VirqTarget } from "./virq.js";
import { TraceCat, type Tracer } from "../lib/trace.js";
import { traceIrq } from "./trace-irq.js";
import { DEFAULT_MPIDR_MAPPING, makeMpidrMapping, type MpidrMapping } from "./mpidr.js";

export const VIC_MAX_VCPUS = 64;
/** SPIs 32..1019: 988 possible VIRQs. */
export const VIC_MAX_VIRQS = 988;
/** vic_option_flags bits we accept: max_msis_valid (0), disable_default_addr (1). */
const VIC_OPTIONS_VALID = 0x3n;

/** How the virtual GIC drives one vCPU. */
export interface VcpuIrqPort {
  /** The level of the vCPU's IRQ line (an interrupt is deliverable to it). */
  setIrqLine(level: boolean): void;
  /** An interrupt became pending for the vCPU: wake it if it waits in WFI. */
  kick(): void;
}

/** A GIC register access by a vCPU (an emulated stage-2 abort). */
export interface GicAccess {
  readonly ipa: number;
  readonly size: number;
  readonly isWrite: boolean;
  readonly value: bigint;
}

/** What a guest vic needs from its backend beyond routing VIRQs: the virtual GICv3. */
export interface GuestIrqBackend extends VirqController {
  dispose(): void;
  /** Connects the vCPU at `index`; returns its ICC_* system register interface. */
  connectVcpu(index: number, port: VcpuIrqPort, mpidr: bigint): GicCpuInterface;
  disconnectVcpu(index: number): void;
  /** True if `ipa` is in the distributor or a redistributor frame. */
  claims(ipa: number): boolean;
  /** Emulates a GICD/GICR access by vCPU `index`; returns the value read (0 for writes). */
  mmio(index: number, access: GicAccess): bigint;
  /** The generic timer outputs of vCPU `index` (bit 0 virtual, bit 1 EL1 physical). */
  setTimerOutputs(index: number, outputs: number): void;
  /** An enabled interrupt is pending for vCPU `index` (WFI wakes, whatever PSTATE says). */
  hasPending(index: number): boolean;
}

export type BackendFactory = (vic: Vic) => GuestIrqBackend;

/** A vCPU as the vic sees it: an attachment slot. */
export interface VicVcpu {
  readonly vicIndex: number;
  /** Where the vCPU's trace events go: [VMID, vCPU index]. */
  traceIdentity?(): readonly [number, number];
}

export class Vic extends HypObject implements VirqTarget {
  /** Gunyah's vgic defaults: one vCPU, no SPI sources until vic_configure. */
  maxVcpus = 1;
  maxVirqs = 0;
  /** How vic indices become MPIDRs (vgic_set_mpidr_mapping; fixed once active). */
  mpidrMapping: MpidrMapping = DEFAULT_MPIDR_MAPPING;
  private backendValue: VirqController | undefined;
  private guestBackend: GuestIrqBackend | undefined;
  private readonly sources = new Map<number, VirqSource>();
  readonly vcpus: (VicVcpu | undefined)[] = [];
  /** Set by the kernel when tracing: raised interrupts are recorded (category "irq"). */
  tracer: Tracer | undefined;

  constructor(
    registry: ObjectRegistry,
    private readonly factory: BackendFactory | undefined,
    nativeBackend?: VirqController,
  ) {
    super("vic", registry);
    this.backendValue = nativeBackend;
  }

  get backend(): VirqController | undefined {
    return this.backendValue;
  }

  /** The virtual GIC of a guest vic (undefined for a native VM's vic). */
  get gic(): GuestIrqBackend | undefined {
    return this.guestBackend;
  }

  get isNative(): boolean {
    return this.factory === undefined;
  }

  get boundSources(): number {
    return this.sources.size;
  }

  sourceOf(virq: number): VirqSource | undefined {
    return this.sources.get(virq);
  }

  configure(maxVcpus: bigint, maxVirqs: bigint, options: bigint, maxMsis = 0n): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if ((options & ~VIC_OPTIONS_VALID) !== 0n) return HypError.ARGUMENT_INVALID;
    // No virtual LPIs (no ITS): a non-zero MSI count is refused, as Gunyah's vgic does.
    if (maxMsis !== 0n) return HypError.ARGUMENT_INVALID;
    if (maxVcpus < 1n || maxVcpus > BigInt(VIC_MAX_VCPUS)) return HypError.ARGUMENT_INVALID;
    if (maxVirqs > BigInt(VIC_MAX_VIRQS)) return HypError.ARGUMENT_INVALID;
    this.maxVcpus = Number(maxVcpus);
    this.maxVirqs = Number(maxVirqs);
    return HypError.OK;
  }

  /**
   * vgic_set_mpidr_mapping: only in INIT (OBJECT_STATE, checked before the arguments
   * as distrib.c does under the vic's lock), then the mapping's own checks.
   */
  setMpidrMapping(mask: bigint, shifts: readonly bigint[], mt: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    const m = makeMpidrMapping(mask, shifts, mt);
    if (!m.ok) return m.error;
    this.mpidrMapping = m.value;
    return HypError.OK;
  }

  protected onActivate(): number {
    if (this.factory) {
      this.guestBackend = this.factory(this);
      this.backendValue = this.guestBackend;
    }
    return HypError.OK;
  }

  protected onDestroy(): void {
    this.guestBackend?.dispose();
    this.guestBackend = undefined;
    this.backendValue = undefined;
    this.sources.clear();
  }

  /** vic_attach_vcpu bookkeeping; the vCPU keeps a reference to the vic. */
  attachVcpu(vcpu: VicVcpu, index: number): number {
    if (index < 0 || index >= this.maxVcpus) return HypError.ARGUMENT_INVALID;
    if (this.vcpus[index]) return HypError.BUSY;
    this.vcpus[index] = vcpu;
    return HypError.OK;
  }

  detachVcpu(vcpu: VicVcpu): void {
    const i = this.vcpus.indexOf(vcpu);
    if (i >= 0) this.vcpus[i] = undefined;
  }

  // --- VirqTarget -----------------------------------------------------------------

  bindSource(virq: number, source: VirqSource): number {
    const b = this.backendValue;
    if (!b || !this.isActive) return HypError.OBJECT_STATE;
    if (!b.validVirq(virq)) return HypError.ARGUMENT_INVALID;
    if (this.sources.has(virq)) return HypError.VIRQ_BOUND;
    this.sources.set(virq, source);
    return HypError.OK;
  }

  unbindSource(virq: number, source: VirqSource): void {
    if (this.sources.get(virq) !== source) return;
    this.sources.delete(virq);
    this.backendValue?.clear(virq);
  }

  assertVirq(virq: number, source?: string): void {
    if (!this.sources.has(virq)) return;
    if (this.tracer?.enabled(TraceCat.IRQ) && this.guestBackend) {
      // SPIs have no vCPU of their own: they go on the VM's first vCPU's track.
      const track = this.vcpus.find((v) => v)?.traceIdentity?.() ?? [0, 0];
      traceIrq(this.tracer, track, "raise", virq, source);
    }
    this.backendValue?.assert(virq);
  }

  clearVirq(virq: number): void {
    if (this.sources.has(virq)) this.backendValue?.clear(virq);
  }
}

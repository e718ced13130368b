// Threads configured as vCPUs: attachment to an address space, cspace, vic and vPM
// group (all while the thread is INIT), power state, the run-wakeup and halt VIRQs,
// and the PSCI power operations. The proxy-scheduled run loop is in vcpu-run.ts.

import { HypError } from "./abi/errors.js";
import { BootContext } from "./boot-context.js";
import { PoweronFlags, VcpuOption, VcpuVirqType } from "./abi/objects.js";
import type { Addrspace } from "./addrspace.js";
import type { CallerContext } from "./context.js";
import type { Arm64Cpu, CpuFactory, GicCpuInterface, Stage2Abort } from "./cpu.js";
import type { Cspace } from "./cspace.js";
import { DEFAULT_MPIDR_MAPPING, indexToMpidr, type MpidrMapping } from "./mpidr.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import { handlePsci, type PsciVcpu } from "./psci.js";
import { VcpuCounters, type RunStatsLog } from "./run-stats.js";
import type { SystemClock, Waiter } from "./time.js";
import type { GuestIrqBackend, Vic, VicVcpu } from "./vic.js";
import { VirqBinding } from "./virq.js";
import type { VpmGroup, VpmMember } from "./vpm.js";
import { TraceCat, type Tracer } from "../lib/trace.js";
import { tracedCpuInterface } from "./trace-irq.js";

const OPTIONS_VALID =
  VcpuOption.PINNED |
  VcpuOption.RING_BUFFER |
  VcpuOption.AMU_COUNTING_DISABLED |
  VcpuOption.SVE_ALLOWED |
  VcpuOption.DEBUG_ALLOWED |
  VcpuOption.TRACE_ALLOWED |
  VcpuOption.CRITICAL |
  VcpuOption.VCPU_RUN_SCHEDULED;
export const MAX_AFFINITY = 63;
/** VCPU_MAX_PRIORITY of Gunyah's FPRR scheduler. */
export const MAX_PRIORITY = 63;

export interface VcpuServices {
  readonly clock: SystemClock;
  /** Where the vCPU's run statistics are kept (optional: tests build vCPUs without). */
  readonly runStats?: RunStatsLog;
  readonly cpuFactory: CpuFactory | undefined;
  readonly counterFrequency: number;
  /** Present when tracing: run slices and exits are recorded. */
  readonly tracer?: Tracer | undefined;
  /** Dispatches a guest HVC/SMC in the vCPU's own context; returns X0..X3. */
  readonly hvc: (vcpu: Vcpu, functionId: number, args: readonly bigint[]) => readonly bigint[];
}

/** Why a vCPU stopped for good until its host acts (PSCI_SYSTEM_RESET data). */
export interface ResetRequest {
  readonly kind: number;
  readonly type: bigint;
  readonly cookie: bigint;
  /** SYSTEM_RESET2 made with the SMC64 function ID. */
  readonly smc64: boolean;
}

/** An exit the host must answer (resume1 = EMULATE / RETRY / FAULT) before the vCPU goes on. */
export interface PendingExit {
  readonly kind: "mmio" | "page-fault";
  readonly abort: Stage2Abort;
}

export class Vcpu extends HypObject implements PsciVcpu, VpmMember, Waiter, VicVcpu, CallerContext {
  options = 0;
  affinity = 0;
  addrspace: Addrspace | undefined;
  cspace: Cspace | undefined;
  vic: Vic | undefined;
  vicIndex = -1;
  vpm: VpmGroup | undefined;
  vpmIndex = -1;
  cpu: Arm64Cpu | undefined;
  mpidr = 0n;
  on = false;
  /** In WFI (0) or PSCI CPU_SUSPEND (1), until an interrupt is pending. */
  sleep: 0 | 1 | undefined;
  /**
   * The sleeping vCPU was woken (an interrupt became pending for it, or its timer
   * deadline passed) and will run at its next vcpu_run: Gunyah unblocks the thread at
   * that moment. Until then it still counts as runnable, so the clock does not jump
   * past an interrupt nobody has taken yet and vcpu_run_check says BUSY.
   */
  woken = false;
  /** Instructions left of the current vcpu_run slice after an exit to the host (0: none). */
  sliceLeft = 0;
  /** The power_state argument of the last CPU_SUSPEND. */
  suspendPowerState = 0n;
  exited = false;
  killed = false;
  faulted = false;
  /** vcpu_run FAULT data (IPA, PC, reason: VcpuFaultReason) while `faulted`. */
  faultData: readonly [bigint, bigint, bigint] = [0n, 0n, 0n];
  /** Where the last injected fetch abort sent the guest (nested-abort detection). */
  lastInjectedFetch: { readonly pc: number; readonly retired: number } | undefined;
  reset: ResetRequest | undefined;
  pending: PendingExit | undefined;
  /** Exit counters and instructions retired, for `gunyah run --stats` and the benchmarks. */
  counters: VcpuCounters | undefined;
  /** Inside vcpu_run (a nested run of the same vCPU reports BLOCKED). */
  running = false;
  readonly haltVirq = new VirqBinding({ isAsserted: () => false }, "vcpu-halt");
  readonly wakeupVirq = new VirqBinding({ isAsserted: () => false }, "vcpu-wakeup");
  private readonly bootRegs = new BootContext();
  readonly psci = { psci: (fid: number, args: readonly bigint[]) => handlePsci(this, fid, args) };

  constructor(
    registry: ObjectRegistry,
    readonly services: VcpuServices,
  ) {
    super("thread", registry);
  }

  get memory(): Addrspace | undefined {
    return this.addrspace;
  }

  /** A trace's (pid, tid): the VM's VMID and the vCPU's index. */
  traceIdentity(): readonly [number, number] {
    return [this.addrspace?.vmid ?? 0, this.vicIndex];
  }

  get gic(): GuestIrqBackend | undefined {
    return this.vic?.gic;
  }

  get poweredOn(): boolean {
    return this.on;
  }

  get waiting(): boolean {
    return this.sleep !== undefined;
  }

  get runnable(): boolean {
    if (!this.on || this.killed || this.faulted || this.reset) return false;
    return this.sleep === undefined || this.woken;
  }

  get proxyScheduled(): boolean {
    return (this.options & VcpuOption.VCPU_RUN_SCHEDULED) !== 0;
  }

  // --- configuration (INIT only) ---------------------------------------------------

  configure(options: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if ((options & ~BigInt(OPTIONS_VALID)) !== 0n) return HypError.ARGUMENT_INVALID;
    this.options = Number(options);
    return HypError.OK;
  }

  /** FPRR priority (0..63), INIT only; the proxy scheduler records it. */
  priority = 32;
  timesliceNs = 5_000_000n;

  setPriority(priority: bigint): number {
    if (priority > BigInt(MAX_PRIORITY)) return HypError.DENIED;
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    this.priority = Number(priority);
    return HypError.OK;
  }

  setTimeslice(ns: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if (ns === 0n) return HypError.ARGUMENT_INVALID;
    this.timesliceNs = ns;
    return HypError.OK;
  }

  setAffinity(affinity: bigint): number {
    if (affinity > BigInt(MAX_AFFINITY)) return HypError.ARGUMENT_INVALID;
    this.affinity = Number(affinity);
    return HypError.OK;
  }

  attachAddrspace(addrspace: Addrspace): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    this.addrspace?.put();
    this.addrspace = addrspace.get();
    return HypError.OK;
  }

  attachCspace(cspace: Cspace): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    this.cspace?.put();
    this.cspace = cspace.get();
    return HypError.OK;
  }

  attachVic(vic: Vic, index: number): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if (this.vic) return HypError.BUSY;
    const a = vic.attachVcpu(this, index);
    if (a !== HypError.OK) return a;
    this.vic = vic.get();
    this.vicIndex = index;
    return HypError.OK;
  }

  attachVpm(group: VpmGroup, index: number): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if (this.vpm) return HypError.BUSY;
    const a = group.attach(this, index);
    if (a !== HypError.OK) return a;
    this.vpm = group.get();
    this.vpmIndex = index;
    return HypError.OK;
  }

  protected onActivate(): number {
    const as = this.addrspace;
    if (!as) return HypError.OBJECT_CONFIG;
    const factory = this.services.cpuFactory;
    if (!factory) return HypError.FAILURE;
    // MPIDR_EL1 is the vic index through the vic's mapping (vgic_set_mpidr_mapping;
    // distrib.c, vgic_handle_object_activate_thread). Without a vic: the vPM group
    // index (else the affinity) through the default mapping.
    const index = this.vic ? this.vicIndex : this.vpm ? this.vpmIndex : this.affinity;
    this.mpidr = indexToMpidr(this.vic?.mpidrMapping ?? DEFAULT_MPIDR_MAPPING, index);
    let gic: GicCpuInterface | undefined;
    const g = this.gic;
    if (g)
      gic = g.connectVcpu(
        this.vicIndex,
        { setIrqLine: (level) => this.cpu?.setIrqLine(level), kick: () => this.kick() },
        this.mpidr,
      );
    const tracer = this.services.tracer;
    if (gic && tracer?.enabled(TraceCat.IRQ))
      gic = tracedCpuInterface(tracer, gic, () => this.traceIdentity());
    const cpu = factory({
      mode: "system",
      memory: as,
      tlbBroadcast: as,
      mpidr: this.mpidr,
      counter: this.services.clock.counter,
      counterFrequency: this.services.counterFrequency,
      ...(gic ? { gic } : {}),
    });
    this.cpu = cpu;
    this.counters = new VcpuCounters(index);
    this.counters.attach(cpu);
    this.services.runStats?.add(this.counters);
    as.attachCpu(cpu);
    this.services.clock.addCpu(cpu);
    this.services.clock.track(this);
    return HypError.OK;
  }

  protected onDestroy(): void {
    this.counters?.freeze();
    const clock = this.services.clock;
    clock.untrack(this);
    if (this.cpu) {
      clock.removeCpu(this.cpu);
      this.addrspace?.detachCpu(this.cpu);
    }
    this.gic?.disconnectVcpu(this.vicIndex);
    this.haltVirq.unbind();
    this.wakeupVirq.unbind();
    this.vic?.detachVcpu(this);
    this.vic?.put();
    this.vpm?.detach(this);
    this.vpm?.put();
    this.addrspace?.put();
    this.cspace?.put();
    this.vic = undefined;
    this.vpm = undefined;
    this.addrspace = undefined;
    this.cspace = undefined;
    this.cpu = undefined;
  }

  // --- VIRQs ---------------------------------------------------------------------------

  /**
   * vcpu_bind_virq. As in Gunyah's vcpu_run module, binding the run-wakeup VIRQ also
   * makes the vCPU proxy-scheduled; binding while it runs is BUSY.
   */
  bindVirq(vic: Vic, virq: bigint, type: bigint): number {
    const binding = this.binding(type);
    if (!binding || virq > 0xffff_ffffn) return HypError.ARGUMENT_INVALID;
    if (this.running) return HypError.BUSY;
    const e = binding.bind(vic, Number(virq));
    if (e === HypError.OK && binding === this.wakeupVirq)
      this.options |= VcpuOption.VCPU_RUN_SCHEDULED;
    return e;
  }

  binding(type: bigint): VirqBinding | undefined {
    if (type === BigInt(VcpuVirqType.HALT)) return this.haltVirq;
    if (type === BigInt(VcpuVirqType.VCPU_RUN_WAKEUP)) return this.wakeupVirq;
    return undefined;
  }

  /** Raises the run-wakeup VIRQ so the host calls vcpu_run again. */
  wake(): void {
    this.services.clock.cancel(this);
    if (this.sleep !== undefined) this.woken = true;
    this.wakeupVirq.assert();
  }

  /** The vGIC made an interrupt pending for this vCPU (inside vcpu_run it is seen directly). */
  kick(): void {
    if (this.sleep !== undefined && !this.running) this.wake();
  }

  private halt(): void {
    this.services.clock.cancel(this);
    this.haltVirq.assert();
  }

  // --- power -----------------------------------------------------------------------------

  poweron(entry: bigint, context: bigint, flags: bigint): number {
    if ((flags & ~BigInt(PoweronFlags.PRESERVE_ENTRY_POINT | PoweronFlags.PRESERVE_CONTEXT)) !== 0n)
      return HypError.ARGUMENT_INVALID;
    if (entry > BigInt(Number.MAX_SAFE_INTEGER)) return HypError.ARGUMENT_INVALID;
    if (this.killed) return HypError.OBJECT_STATE;
    if (this.on) return HypError.BUSY;
    this.powerOn(
      entry,
      context,
      (flags & BigInt(PoweronFlags.PRESERVE_ENTRY_POINT)) !== 0n,
      (flags & BigInt(PoweronFlags.PRESERVE_CONTEXT)) !== 0n,
    );
    // The host's run loop may be waiting for this vCPU: tell it (Gunyah's vcpu_run
    // raises the wakeup VIRQ on power-on).
    this.wakeupVirq.assert();
    return HypError.OK;
  }

  private powerOn(entry: bigint, context: bigint, keepPc: boolean, keepX0: boolean): void {
    const cpu = this.cpu;
    if (!cpu) return;
    cpu.reset(Number(entry));
    this.bootRegs.applyTo(cpu);
    if (!keepPc) cpu.pc = Number(entry);
    if (!keepX0) cpu.setX(0, context);
    this.on = true;
    this.sleep = undefined;
    this.sliceLeft = 0;
    this.exited = false;
    this.faulted = false;
    this.lastInjectedFetch = undefined;
    this.reset = undefined;
    this.pending = undefined;
    this.vpm?.update();
  }

  poweroff(flags: bigint): number {
    if ((flags & ~1n) !== 0n) return HypError.ARGUMENT_INVALID;
    if (!this.on) return HypError.OBJECT_STATE;
    this.on = false;
    this.sleep = undefined;
    this.services.clock.cancel(this);
    this.vpm?.update();
    return HypError.OK;
  }

  kill(): number {
    if (this.killed) return HypError.OBJECT_STATE;
    this.killed = true;
    this.on = false;
    this.sleep = undefined;
    this.vpm?.update();
    this.halt();
    this.wakeupVirq.assert();
    return HypError.OK;
  }

  /**
   * vcpu_register_write: only while powered off (BUSY otherwise); kept and applied
   * again after the power-on reset, so it may also precede activation.
   */
  registerWrite(set: bigint, index: bigint, value: bigint): number {
    if (this.on) return HypError.BUSY;
    return this.bootRegs.set(set, index, value, this.cpu);
  }

  // --- PSCI --------------------------------------------------------------------------------

  /** The vic's MPIDR mapping (PSCI tells an unknown MPIDR from a missing vCPU with it). */
  get mpidrMapping(): MpidrMapping | undefined {
    return this.vic?.mpidrMapping;
  }

  siblings(): Vcpu[] {
    const list = this.vpm ? this.vpm.members : this.vic ? this.vic.vcpus : [this];
    return list.filter((v): v is Vcpu => v instanceof Vcpu);
  }

  powerOnFromPsci(entry: bigint, context: bigint): void {
    this.powerOn(entry, context, false, false);
    this.wake();
  }

  cpuOff(): void {
    this.on = false;
    this.sleep = undefined;
    this.vpm?.update();
  }

  suspend(powerState: bigint): void {
    this.sleep = 1;
    this.suspendPowerState = powerState;
  }

  systemOff(): void {
    for (const v of this.siblings()) {
      v.on = false;
      v.exited = true;
      v.sleep = undefined;
      v.vpm?.update();
      v.halt();
      if (v !== this) v.wakeupVirq.assert();
    }
    if (!this.siblings().includes(this)) {
      this.on = false;
      this.exited = true;
      this.halt();
    }
  }

  systemReset(kind: number, type: bigint, cookie: bigint, smc64 = false): void {
    this.reset = { kind, type, cookie, smc64 };
    for (const v of this.siblings()) {
      if (v === this) continue;
      v.on = false;
      v.sleep = undefined;
      v.wakeupVirq.assert();
    }
    this.vpm?.update();
    this.halt();
  }

  markFaulted(reason: number, ipa = 0n, pc = 0n): void {
    this.faulted = true;
    this.faultData = [ipa, pc, BigInt(reason)];
    this.halt();
  }
}

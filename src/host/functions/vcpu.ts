// The VCPU function and its handle (Linux v17 gunyah_vcpu.c). `run()` is the v17 run
// loop (gunyah-abi.md section 4): it calls vcpu_run until something needs the VMM
// (MMIO, a STATUS change, an unresolved page fault) and reports it in the shared run
// structure. It yields to the event loop between hypercalls so the RM, interrupts and
// devices progress in this single-threaded system.

import { DEBUG_STOP_WRITE, HypError } from "../../hyp/abi/index.js";
import { VcpuDebug } from "./vcpu-debug.js";
import { mmioResume, pageFaultResume, remapStatus, RunState, VmmioAction } from "./vcpu-resume.js";
import { RateLimitedLog } from "../../lib/log.js";
import { ok } from "../../lib/result.js";
import { HypResourceType, VmStatus } from "../../rm/protocol/index.js";
import { Errno, fail, type HostResult } from "../errors.js";
import { FaultKind } from "../fault-ring.js";
import { AsyncMutex } from "../mutex.js";
import type { HostResource, ResourceTicket } from "../resources.js";
import { RUN_STRUCTURE_SIZE, RunStructure, VmExitStatus, type VcpuExit } from "../run-structure.js";
import type { VmContext, VmRef } from "../vm-context.js";
import { macrotask } from "../../lib/macrotask.js";

/** Our own copy of why the last run returned; the shared page is never trusted for it. */
type RunState = "unknown" | "ready" | "mmio-read" | "mmio-write" | "page-fault" | "system-down";

const log = new RateLimitedLog("host/vcpu");

/** Non-yielding iterations allowed before the loop yields anyway. */
const MAX_BURST = 64;
/** Consecutive "already provided" page faults at one address before it is reported. */
const MAX_SAME_FAULT = 16;

const yieldToEventLoop = () => new Promise<void>((resolve) => macrotask(resolve));

/** A vCPU handle: its run structure and `run()`. Close it when done. */
export class Vcpu {
  /** The shared run structure (v17 `struct gunyah_vcpu_run`), one page. */
  readonly runStructure: SharedArrayBuffer;
  /** VCPU_MMAP_SIZE: the size of the run structure. */
  readonly mmapSize = RUN_STRUCTURE_SIZE;

  private readonly run_: RunStructure;
  private readonly runLock = new AsyncMutex();
  private state: RunState = "unknown";
  private mmioReadLen = 0;
  private resource: HostResource | undefined;
  private unbindVirq: (() => void) | undefined;
  private bound = true;
  private closed = false;
  private readyFlag = false;
  private wake: (() => void) | undefined;
  private readonly stopWatching: () => void;
  /** The resource ticket for this vCPU (VIRTUAL_CPU, label = id). */
  readonly ticket: ResourceTicket;

  /** @internal Created by the VCPU function. */
  constructor(
    readonly id: number,
    private readonly ctx: VmContext,
    private readonly vmRef: VmRef,
  ) {
    this.run_ = new RunStructure();
    this.runStructure = this.run_.buffer;
    // A VM exit must wake a vCPU sleeping in EXPECTS_WAKEUP (gunyah_vcpu_rm_notification).
    this.stopWatching = ctx.onStatusChange(() => {
      if (ctx.status() !== VmStatus.RUNNING) this.complete();
    });
    this.ticket = {
      type: HypResourceType.VIRTUAL_CPU,
      label: id,
      populate: (r) => this.populate(r),
      unpopulate: (r) => this.unpopulate(r),
    };
    ctx.turns?.join({ id, canRun: () => this.canRun(), granted: () => this.complete() });
  }

  /** For the turn scheduler: the hypervisor says this vCPU could run now. */
  private canRun(): boolean {
    const cap = this.resource?.capId;
    if (cap === undefined || !this.bound || this.closed) return false;
    return this.ctx.hyp.vcpuRunCheckCode(cap) === HypError.BUSY;
  }

  /** Ends this vCPU's turn (with the "turns" policy; else nothing). */
  private endTurn(): void {
    this.ctx.turns?.pass(this.id);
  }

  /** The current exit, decoded from the run structure. */
  get exit(): VcpuExit {
    return this.run_.decode();
  }

  /**
   * Sets or clears immediate_exit (also settable directly in the run structure). Set
   * here, it also wakes a run() waiting for the vCPU's wakeup (KVM's vCPU kick).
   */
  set immediateExit(value: boolean) {
    this.run_.immediateExit = value;
    if (value) this.complete();
  }

  private debug_: VcpuDebug | undefined;

  /** gunyah-ts debug extension: registers, memory and guest debug (functions/vcpu-debug.ts). */
  get debug(): VcpuDebug {
    this.debug_ ??= new VcpuDebug(this.ctx, () => (this.closed ? undefined : this.resource?.capId));
    return this.debug_;
  }

  get immediateExit(): boolean {
    return this.run_.immediateExit;
  }

  private populate(r: HostResource): boolean {
    if (this.resource) {
      log.warn(`vcpu${this.id} already has a resource; is a label configured twice?`);
      return false;
    }
    this.resource = r;
    // The wakeup VIRQ (vcpu_bind_virq type 1, bound by the RM); without one the run
    // loop falls back to its wakeup timeout.
    if (r.virq !== undefined)
      this.unbindVirq = this.ctx.onVirq(r.virq, () => {
        this.complete();
        // A parked turn looks again for a vCPU that can run (vcpu-turns.ts).
        this.ctx.turns?.poke();
      });
    return true;
  }

  private unpopulate(r: HostResource): void {
    if (this.resource !== r) return;
    this.run_.immediateExit = true;
    this.unbindVirq?.();
    this.unbindVirq = undefined;
    this.resource = undefined;
    this.complete();
  }

  /** @internal The function was removed (VM_REMOVE_FUNCTION or teardown). */
  unbind(): void {
    this.bound = false;
    this.ctx.turns?.leave(this.id);
    this.stopWatching();
    this.complete();
  }

  /** Closes this handle: drops its reference to the VM. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.turns?.leave(this.id);
    this.vmRef.drop();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private complete(): void {
    this.readyFlag = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Waits for the wakeup interrupt (or a VM status change, or the timeout). */
  private async waitReady(): Promise<void> {
    if (!this.readyFlag) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, this.ctx.runOptions.wakeupTimeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // Re-armed before the next vcpu_run: an interrupt after this point is not lost.
    this.readyFlag = false;
  }

  /** True if the VM runs; otherwise writes the STATUS exit (gunyah_vcpu_check_system). */
  private checkSystem(): boolean {
    const status = this.ctx.status();
    if (status === VmStatus.RUNNING) return true;
    const info = this.ctx.exitInfo();
    this.run_.writeStatus(remapStatus(status), info.type, info.reason, info.reasonSize);
    this.state = "system-down";
    return false;
  }

  /**
   * VCPU_RUN: runs the vCPU until the VMM must act. Resolves with the exit (also in
   * `runStructure`), or EINTR (immediate_exit), ENODEV (function removed or no
   * resource yet), EBADF (handle closed), or a mapped hypervisor error.
   */
  async run(): Promise<HostResult<VcpuExit>> {
    if (this.closed) return fail("EBADF", "vCPU handle is closed");
    if (!this.bound) return fail("ENODEV", "vCPU function was removed");
    // A run in progress keeps the VM alive, as the ioctl's file reference does in
    // Linux: closing the handle meanwhile defers teardown until run() returns.
    const ref = this.ctx.acquire();
    if (!ref) return fail("ENODEV", "VM is being torn down");
    const release = await this.runLock.lock();
    try {
      // A start in progress is waited for, as Linux's run blocks on the VM's status
      // lock while VM_START runs, rather than seeing a not-yet-RUNNING VM as down.
      await this.ctx.startSettled();
      return await this.runLocked();
    } finally {
      release();
      ref.drop();
    }
  }

  private async runLocked(): Promise<HostResult<VcpuExit>> {
    if (!this.resource)
      return fail("ENODEV", `vcpu${this.id} has no hypervisor resource (VM not started?)`);
    let resume: [bigint, bigint, bigint] = [0n, 0n, 0n];
    switch (this.state) {
      case "unknown":
        if (!this.checkSystem()) return ok(this.exit);
        this.state = "ready";
        break;
      case "mmio-read":
      case "mmio-write": {
        const r = mmioResume(this.run_, this.state === "mmio-read", this.mmioReadLen);
        if (!r.ok) return r;
        resume = r.value;
        this.state = "ready";
        break;
      }
      case "page-fault": {
        const r = pageFaultResume(this.run_);
        if (!r.ok) return r;
        resume = r.value;
        this.state = "ready";
        break;
      }
      case "system-down":
        return ok(this.exit);
      case "ready":
        break;
    }

    // Wakeups before this run are stale: the hypervisor keeps a pending interrupt
    // pending, so the next vcpu_run sees it anyway.
    this.readyFlag = false;
    let burst = 0;
    let lastFault = -1;
    let sameFault = 0;
    const turns = this.ctx.turns;
    for (;;) {
      if (this.run_.immediateExit) {
        this.endTurn();
        return fail("EINTR", "immediate_exit is set");
      }
      const cap = this.resource?.capId;
      if (cap === undefined || !this.bound) {
        this.endTurn();
        return fail("ENODEV", "vCPU resource was removed");
      }
      if (turns && !turns.holds(this.id)) {
        // Not this vCPU's turn: wait for it (or a kick, a status change, the timeout).
        await this.waitReady();
        if (!this.checkSystem()) return ok(this.exit);
        continue;
      }
      const r = this.ctx.hyp.vcpuRun(cap, resume);
      resume = [0n, 0n, 0n];
      if (!r.ok) {
        if (r.error.origin.hypError === HypError.RETRY) {
          await yieldToEventLoop();
          continue;
        }
        this.endTurn();
        return r;
      }
      const [d0, d1, d2] = r.value.data;
      let yieldNow = false;
      switch (r.value.state) {
        case RunState.READY:
        case RunState.BLOCKED:
          this.endTurn();
          yieldNow = true;
          break;
        case RunState.POWERED_OFF:
        case RunState.PSCI_SYSTEM_RESET:
        case RunState.EXPECTS_WAKEUP:
          // Off because the VM is going down or until another vCPU turns it on; or
          // asleep until its wakeup. With turns, the next turn comes when it can run.
          this.endTurn();
          if (!this.checkSystem()) return ok(this.exit);
          if (turns) {
            yieldNow = true;
            break;
          }
          await this.waitReady();
          if (!this.checkSystem()) return ok(this.exit);
          break;
        case RunState.VMMIO_READ:
        case RunState.VMMIO_WRITE: {
          const isWrite = r.value.state === RunState.VMMIO_WRITE;
          const handled = this.handleMmio(d0, d1, d2, isWrite);
          if (!handled) return ok(this.exit);
          resume = [0n, VmmioAction.EMULATE, 0n];
          break;
        }
        case RunState.PAGE_FAULT: {
          const gpa = d0;
          sameFault = Number(gpa) === lastFault ? sameFault + 1 : 0;
          lastFault = Number(gpa);
          const attempt = this.demandPage(gpa, sameFault >= MAX_SAME_FAULT);
          if (attempt !== 0) {
            this.run_.writePageFault(gpa, attempt);
            this.state = "page-fault";
            return ok(this.exit);
          }
          break;
        }
        case RunState.DEBUG_STOP:
          // gunyah-ts debug extension: the next run() continues from the stop.
          this.run_.writeDebug(Number(d0 & 0xffn), d1, d2, (d0 & DEBUG_STOP_WRITE) !== 0n);
          return ok(this.exit);
        case RunState.FAULT:
          this.endTurn();
          this.ctx.faultRing.push({
            vcpu: this.id,
            kind: FaultKind.VCPU_FAULT,
            address: d0,
            info0: d1,
            info1: d2,
          });
          this.run_.writeStatus(
            VmExitStatus.CRASHED,
            this.ctx.exitInfo().type,
            new Uint8Array(0),
            0,
          );
          this.state = "system-down";
          return ok(this.exit);
        default:
          this.ctx.faultRing.push({
            vcpu: this.id,
            kind: FaultKind.UNKNOWN_VCPU_STATE,
            address: r.value.state,
            info0: d0,
            info1: d1,
          });
          log.warn(`vcpu${this.id}: unknown vcpu_run state 0x${r.value.state.toString(16)}`);
          this.endTurn();
          yieldNow = true;
          break;
      }
      if (yieldNow || ++burst >= MAX_BURST) {
        burst = 0;
        await yieldToEventLoop();
      }
    }
  }

  /**
   * A VMMIO exit: a write an ioeventfd matches is handled here (true); anything else
   * goes to the VMM through the run structure (false).
   */
  private handleMmio(addr: bigint, size: bigint, value: bigint, isWrite: boolean): boolean {
    let len = Number(size);
    if (len > 8 || len < 1) {
      log.warn(`vcpu${this.id}: VMMIO access of ${size} bytes`);
      len = Math.min(Math.max(len, 1), 8);
    }
    if (isWrite && this.ctx.io.dispatchWrite(addr, len, value)) return true;
    this.run_.writeMmio(addr, len, isWrite, value);
    this.state = isWrite ? "mmio-write" : "mmio-read";
    this.mmioReadLen = len;
    return false;
  }

  /** Demand paging; 0 when the vCPU can retry, else the negative errno of the failure. */
  private demandPage(gpa: bigint, stuck: boolean): number {
    const addr = Number(gpa);
    if (!Number.isSafeInteger(addr)) return -Errno.EFAULT;
    const binding = this.ctx.findBinding(addr);
    if (!binding) return -Errno.ENOENT;
    const r = this.ctx.pager.provide(addr, binding);
    if (r.ok) return 0;
    if (r.error.code === "EAGAIN") return stuck ? -Errno.EFAULT : 0;
    return r.error.errno;
  }
}

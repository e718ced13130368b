// All-stop control of a VM's vCPUs for a debugger: the GdbTarget the stub drives. Each
// vCPU loop (vcpu-loop.ts) asks `hold()` before every run(); while the gate is halted
// the loops park there. Halting asks every vCPU to leave run() (immediate_exit plus a
// kick, KVM's way) and reports the stop once every loop is parked; resuming arms the
// debug configuration on every vCPU through the host's debug extension and releases
// the loops (or only the stepped one). Registers and memory are touched only while
// halted, when no vCPU is inside run().

import { err, ok, type Result } from "../../lib/result.js";
import type { VcpuPort } from "../host-port.js";
import type { RunView } from "../run-structure.js";
import type { GdbTarget, StopEvent, WatchRequest } from "./stub.js";

interface Loop {
  readonly vcpu: VcpuPort;
  readonly view: RunView;
  parked: boolean;
  release: (() => void) | undefined;
  /** Released for this resume (all on continue, one on step). */
  runnable: boolean;
}

export interface GateEvents {
  stopped(event: StopEvent): void;
  /** The debugger asked to kill the guest. */
  kill(): void;
}

export class DebugGate implements GdbTarget {
  private readonly loops: Loop[] = [];
  private halting: boolean;
  private pending: StopEvent | undefined;
  private events: GateEvents | undefined;

  constructor(
    private readonly vcpus: readonly VcpuPort[],
    startHalted: boolean,
  ) {
    this.halting = startHalted;
    if (startHalted) this.pending = { vcpu: 0, reason: "interrupt" };
  }

  get vcpuCount(): number {
    return this.vcpus.length;
  }

  /** True while every vCPU is parked (or none has started): registers are safe to touch. */
  get halted(): boolean {
    return this.halting && this.loops.every((l) => l.parked);
  }

  /** The stop a newly attached debugger sees when the gate is already halted. */
  get stopEvent(): StopEvent | undefined {
    return this.halted
      ? (this.pending ?? this.reported ?? { vcpu: 0, reason: "interrupt" })
      : undefined;
  }

  listen(events: GateEvents | undefined): void {
    this.events = events;
  }

  /** Registers a vCPU loop (before its first hold). */
  attach(vcpu: VcpuPort, view: RunView): void {
    this.loops.push({ vcpu, view, parked: false, release: undefined, runnable: !this.halting });
  }

  private loop(vcpu: VcpuPort): Loop | undefined {
    return this.loops.find((l) => l.vcpu === vcpu);
  }

  /** Called by a vCPU loop before each run(): waits while halted (or not released). */
  async hold(vcpu: VcpuPort): Promise<void> {
    const l = this.loop(vcpu);
    if (!l) return;
    while ((this.halting || !l.runnable) && !this.closed) {
      l.parked = true;
      this.checkHalted();
      await new Promise<void>((resolve) => (l.release = resolve));
      l.release = undefined;
    }
    l.parked = false;
  }

  /** A vCPU's run() ended with a debug exit: everything stops. */
  debugStop(
    vcpu: VcpuPort,
    exit: { stop: StopEvent["reason"]; address: bigint; isWrite: boolean },
  ): void {
    const event: StopEvent =
      exit.stop === "watchpoint"
        ? { vcpu: vcpu.index, reason: "watchpoint", address: exit.address, isWrite: exit.isWrite }
        : { vcpu: vcpu.index, reason: exit.stop };
    this.pending ??= event;
    this.halt();
  }

  /** A vCPU loop ended for good (the VM stopped): it no longer counts. */
  leave(vcpu: VcpuPort): void {
    const at = this.loops.findIndex((l) => l.vcpu === vcpu);
    if (at >= 0) this.loops.splice(at, 1);
  }

  private halt(): void {
    this.halting = true;
    for (const l of this.loops) {
      if (l.parked) continue;
      l.view.requestImmediateExit();
      l.vcpu.kick?.();
    }
    this.checkHalted();
  }

  private checkHalted(): void {
    if (!this.halting || !this.loops.every((l) => l.parked) || this.pending === undefined) return;
    const event = this.pending;
    // Reported once; a later `?` gets it again from the stub's own record.
    this.pending = undefined;
    this.reported = event;
    this.events?.stopped(event);
  }

  private reported: StopEvent | undefined;
  private closed = false;

  /** The run is over (powered off, timeout, kill): parked loops go and see it. */
  shutdown(): void {
    this.closed = true;
    this.events = undefined;
    for (const l of this.loops) l.release?.();
  }

  // ---- GdbTarget ----

  private debugPort(vcpu: number) {
    const v = this.vcpus[vcpu];
    if (!v?.debug) return err("no such vCPU, or the host has no debug extension");
    if (!this.halted) return err("the guest is running");
    return ok(v.debug);
  }

  readRegister(vcpu: number, reg: number): Result<bigint, string> {
    const d = this.debugPort(vcpu);
    if (!d.ok) return d;
    const r = d.value.readRegister(reg);
    return r.ok ? r : err(r.error.message);
  }

  writeRegister(vcpu: number, reg: number, value: bigint): Result<void, string> {
    const d = this.debugPort(vcpu);
    if (!d.ok) return d;
    const r = d.value.writeRegister(reg, value);
    return r.ok ? r : err(r.error.message);
  }

  readMemory(vcpu: number, address: bigint, length: number): Result<Uint8Array, string> {
    const d = this.debugPort(vcpu);
    if (!d.ok) return d;
    const r = d.value.readMemory(address, length);
    return r.ok ? r : err(r.error.message);
  }

  writeMemory(vcpu: number, address: bigint, data: Uint8Array): Result<void, string> {
    const d = this.debugPort(vcpu);
    if (!d.ok) return d;
    const r = d.value.writeMemory(address, data);
    return r.ok ? r : err(r.error.message);
  }

  resume(arm: { breakpoints: bigint[]; watchpoints: WatchRequest[] }, step?: number): void {
    const watchpoints = arm.watchpoints.map((w) => ({
      address: w.address,
      length: w.length,
      read: w.type !== 2,
      write: w.type !== 3,
    }));
    for (const l of this.loops) {
      const r = l.vcpu.debug?.configure({
        breakpoints: arm.breakpoints,
        watchpoints,
        step: step === l.vcpu.index,
      });
      // A refused configuration (too many breakpoints...) still resumes; the stub
      // already bounded the counts, so this is a host without the extension.
      void r;
      l.runnable = step === undefined || step === l.vcpu.index;
    }
    this.pending = undefined;
    this.halting = false;
    this.releaseRunnable();
  }

  private releaseRunnable(): void {
    for (const l of this.loops) {
      if (!l.runnable) continue;
      l.view.clearImmediateExit();
      l.release?.();
    }
  }

  interrupt(): void {
    this.pending ??= { vcpu: this.reported?.vcpu ?? 0, reason: "interrupt" };
    this.halt();
  }

  detach(): void {
    for (const l of this.loops) {
      l.vcpu.debug?.configure({ breakpoints: [], watchpoints: [], step: false });
      l.runnable = true;
    }
    this.events = undefined;
    this.pending = undefined;
    this.halting = false;
    this.releaseRunnable();
  }

  kill(): void {
    this.events?.kill();
  }
}

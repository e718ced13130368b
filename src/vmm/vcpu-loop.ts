// One run loop per vCPU (the VMM's half of VCPU_RUN, gunyah-abi.md section 4): run,
// read the exit from the shared structure, emulate MMIO on the bus, and hand anything
// that ends the VM (STATUS, an unresolved PAGE_FAULT, a host error) to the Stopper,
// which records the first outcome and tells every other loop to leave.

import { RateLimitedLog } from "../lib/log.js";
import { describeBusError, type MmioBus } from "./bus.js";
import type { VcpuPort } from "./host-port.js";
import { ExitType, type RunOutcome } from "./outcome.js";
import { Resume, RunView, VmStatusCode, type RunExit } from "./run-structure.js";
import { macrotask } from "../lib/macrotask.js";
import type { DebugGate } from "./gdb/gate.js";
import { TraceCat } from "../lib/trace.js";
import { traceMmio, type MmioTrace } from "./trace-mmio.js";

/** Collects the first outcome of a run and makes every vCPU leave `run()`. */
export class Stopper {
  private first: RunOutcome | undefined;
  private readonly views: RunView[] = [];
  private readonly waiters: Array<(o: RunOutcome) => void> = [];

  get outcome(): RunOutcome | undefined {
    return this.first;
  }

  get stopped(): boolean {
    return this.first !== undefined;
  }

  watch(view: RunView): void {
    this.views.push(view);
    if (this.first) view.requestImmediateExit();
  }

  stop(outcome: RunOutcome): void {
    if (this.first) return;
    this.first = outcome;
    for (const v of this.views) v.requestImmediateExit();
    for (const wake of this.waiters.splice(0)) wake(outcome);
  }

  /** Resolves with the first outcome, whenever it comes. */
  wait(): Promise<RunOutcome> {
    if (this.first) return Promise.resolve(this.first);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * Emulates one MMIO exit; a refused access is answered with FAULT (an external abort).
 * Returns the value a read gave the guest, undefined for a write or a refused access.
 */
export function handleMmio(
  mmioLog: RateLimitedLog,
  bus: MmioBus,
  view: RunView,
  exit: Extract<RunExit, { kind: "mmio" }>,
): bigint | undefined {
  if (exit.isWrite) {
    const r = bus.write(exit.address, exit.width, exit.value);
    if (r.ok) view.setMmioResume(Resume.HANDLED);
    else {
      mmioLog.warn(`write: ${describeBusError(r.error)}`);
      view.setMmioResume(Resume.FAULT);
    }
    return undefined;
  }
  const r = bus.read(exit.address, exit.width);
  if (r.ok) {
    view.completeMmioRead(exit.width, r.value);
    return r.value;
  }
  mmioLog.warn(`read: ${describeBusError(r.error)}`);
  view.setMmioResume(Resume.FAULT);
  return undefined;
}

/** What a STATUS exit means for the run (exit info passed through raw by the host). */
export function outcomeOfStatus(exit: Extract<RunExit, { kind: "status" }>): RunOutcome {
  const { status, exitType, reason } = exit;
  if (status === VmStatusCode.EXITED) {
    if (exitType === ExitType.PSCI_POWER_OFF) return { kind: "powered-off" };
    if (exitType === ExitType.PSCI_SYSTEM_RESET || exitType === ExitType.PSCI_SYSTEM_RESET2)
      return { kind: "reset", exitType };
    return { kind: "exited", exitType, reason };
  }
  return { kind: "crashed", status, exitType, reason };
}

/**
 * MMIO exits handled back to back before the loop yields to the event loop. A guest
 * polling a device register exits on every access, and each exit and resume is only a
 * promise (a microtask): without a macrotask turn now and then, timers (--timeout),
 * console input and the other vCPUs' loops would starve.
 */
export const EXITS_PER_YIELD = 64;

const yieldToEventLoop = () => new Promise<void>((resolve) => macrotask(resolve));

/**
 * What the VMM does when the guest touches an IPA that is neither RAM nor a device
 * (a PAGE_FAULT exit the host's demand pager could not resolve): "fault" answers with
 * the FAULT resume action, so the hypervisor injects a synchronous external abort and
 * the guest's handler decides, as on hardware, KVM and QEMU (the default); "stop"
 * ends the run with a verdict naming the address (`--on-unbacked stop`, for debugging).
 */
export type UnbackedPolicy = "fault" | "stop";

export interface VcpuLoopOptions {
  /** Rate-limited log shared by the guest's vCPUs. */
  readonly log?: RateLimitedLog;
  readonly onUnbacked?: UnbackedPolicy;
  /** A debugger's all-stop gate (gdb/gate.ts): the loop parks there while halted. */
  readonly gate?: DebugGate;
  /** Records the MMIO exits emulated here (category "exit"), when tracing. */
  readonly trace?: MmioTrace;
}

/** Runs one vCPU until the stopper has an outcome. */
export async function runVcpu(
  vcpu: VcpuPort,
  bus: MmioBus,
  stopper: Stopper,
  options: VcpuLoopOptions = {},
): Promise<void> {
  const view = new RunView(vcpu.runStructure);
  stopper.watch(view);
  const gate = options.gate;
  gate?.attach(vcpu, view);
  try {
    await loop(vcpu, view, bus, stopper, options);
  } finally {
    gate?.leave(vcpu);
  }
}

async function loop(
  vcpu: VcpuPort,
  view: RunView,
  bus: MmioBus,
  stopper: Stopper,
  options: VcpuLoopOptions,
): Promise<void> {
  const log = options.log ?? new RateLimitedLog("vmm: mmio");
  const onUnbacked = options.onUnbacked ?? "fault";
  const gate = options.gate;
  const trace = options.trace;
  let exits = 0;
  while (!stopper.stopped) {
    if (++exits >= EXITS_PER_YIELD) {
      exits = 0;
      await yieldToEventLoop();
      if (stopper.stopped) return;
    }
    // A debugger holds the vCPU here while the guest is stopped (all-stop).
    if (gate) await gate.hold(vcpu);
    if (stopper.stopped) return;
    const r = await vcpu.run();
    if (stopper.stopped) return;
    if (!r.ok && gate && r.error.message.startsWith("EINTR")) {
      // The gate asked every vCPU to leave run(); it parks this one at the next hold.
      view.clearImmediateExit();
      continue;
    }
    if (!r.ok) {
      stopper.stop({ kind: "host-error", vcpu: vcpu.index, message: r.error.message });
      return;
    }
    const exit = view.exit();
    switch (exit.kind) {
      case "mmio": {
        const start = trace?.tracer.enabled(TraceCat.EXIT) ? trace.tracer.now() : undefined;
        const value = handleMmio(log, bus, view, exit);
        if (start !== undefined) traceMmio(trace!, vcpu.index, bus, exit, value, start);
        break;
      }
      case "status":
        stopper.stop(outcomeOfStatus(exit));
        return;
      case "page-fault":
        // The host already tried demand paging: the address is neither RAM nor MMIO.
        view.setPageFaultResume(Resume.FAULT);
        if (onUnbacked === "fault") {
          log.warn(
            `vCPU ${vcpu.index} accessed 0x${exit.address.toString(16)}, which is neither RAM nor a device: external abort injected`,
          );
          break;
        }
        stopper.stop({
          kind: "page-fault",
          vcpu: vcpu.index,
          address: exit.address,
          attempt: exit.attempt,
        });
        return;
      case "debug":
        // Only a debugger arms these (gdb/gate.ts); without one it is a host error.
        if (!gate) {
          stopper.stop({ kind: "unknown-exit", vcpu: vcpu.index, code: 0x100 });
          return;
        }
        gate.debugStop(vcpu, exit);
        break;
      case "unknown":
        stopper.stop({ kind: "unknown-exit", vcpu: vcpu.index, code: exit.code });
        return;
    }
  }
}

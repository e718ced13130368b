// A VM's state inside the host driver (Linux v17 `struct gunyah_vm`): status and exit
// info kept current from RM notifications, the configuration recorded before start,
// tickets, bindings, functions, in-host I/O handlers, the demand pager and the fault
// ring. Reference counted: the last reference schedules teardown on a later turn so
// the caller never blocks in it.

import type { NativeVm } from "../hyp/abi/index.js";
import { RateLimitedLog } from "../lib/log.js";
import {
  RmNotification,
  VmExitedNotification,
  VmStatus,
  VmStatusNotification,
} from "../rm/protocol/index.js";
import { BindingTable } from "./bindings.js";
import { DemandPager } from "./demand-pager.js";
import type { HostResult } from "./errors.js";
import { FaultRingProducer } from "./fault-ring.js";
import { FunctionInstances, type FunctionTypeRegistry } from "./functions/registry.js";
import type { HostHypercalls } from "./hypercalls.js";
import { IoHandlerTable } from "./io-handlers.js";
import { RefCount } from "./refcount.js";
import { TicketRegistry } from "./resources.js";
import type { RmCalls } from "./rm/calls.js";
import { canTransition } from "./vm-status.js";
import type { ExitInfo, RunOptions, VmContext, VmRef } from "./vm-context.js";
import { macrotask } from "../lib/macrotask.js";
import { VcpuTurns } from "./functions/vcpu-turns.js";

/** The services of the host driver every VM uses (the "device"). */
export interface HostServices {
  readonly native: NativeVm;
  readonly hyp: HostHypercalls;
  readonly rm: RmCalls;
  readonly functionTypes: FunctionTypeRegistry<VmContext>;
  /** Host RAM base: memory extents are offsets from it. */
  readonly ramBase: number;
}

export interface VmOptions {
  readonly runOptions?: Partial<RunOptions>;
  /** Fault ring entries (power of two). */
  readonly faultRingEntries?: number;
  /** How long teardown waits for a status change before asking the RM (ms). */
  readonly statusTimeoutMs?: number;
  /**
   * How long teardown waits in all for VM_RESET to finish while the RM reports the
   * VM RESETTING (ms; default 60,000: the RM's staged reset of a large guest on a
   * loaded machine takes seconds).
   */
  readonly resetTimeoutMs?: number;
}

/** The DTB parcel lent to the VM at start. */
export interface DtbParcel {
  readonly handle: number;
  readonly gpa: number;
  readonly size: number;
}

const log = new RateLimitedLog("host/vm");
const EMPTY_EXIT: ExitInfo = { type: 0, reasonSize: 0, reason: new Uint8Array(0) };

export class VmCore implements VmContext {
  readonly tickets = new TicketRegistry();
  readonly io = new IoHandlerTable();
  readonly bindings = new BindingTable();
  readonly pager: DemandPager;
  readonly faultRing: FaultRingProducer;
  readonly functions: FunctionInstances<VmContext>;
  readonly refs: RefCount;
  readonly runOptions: RunOptions;
  readonly turns: VcpuTurns | undefined;
  readonly statusTimeoutMs: number;
  readonly resetTimeoutMs: number;

  vmid: number | undefined;
  dtbConfig: { gpa: number; size: number } | undefined;
  readonly bootContext = new Map<number, bigint>();
  /** The vRTC's time base (ns since the epoch) to send at start (vm.setTimeBase). */
  timeBaseNs: bigint | undefined;
  dtbParcel: DtbParcel | undefined;
  /** The start in progress or done (VM_START is attempted once). */
  startPromise: Promise<HostResult<void>> | undefined;
  tearingDown = false;
  /** Resolves when teardown has finished. */
  readonly released: Promise<void>;

  private vmStatus: number = VmStatus.NONE;
  private exit: ExitInfo = EMPTY_EXIT;
  private readonly statusListeners = new Set<() => void>();
  private readonly unsubscribe: Array<() => void> = [];
  private resolveReleased!: () => void;

  constructor(
    readonly services: HostServices,
    private readonly teardown: (core: VmCore) => Promise<void>,
    options: VmOptions = {},
  ) {
    this.pager = new DemandPager(services.hyp, services.ramBase);
    this.faultRing = new FaultRingProducer(options.faultRingEntries);
    this.functions = new FunctionInstances(services.functionTypes, this);
    this.runOptions = { wakeupTimeoutMs: 10, scheduling: "free", ...options.runOptions };
    this.turns = this.runOptions.scheduling === "turns" ? new VcpuTurns() : undefined;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 5000;
    this.resetTimeoutMs = options.resetTimeoutMs ?? 60_000;
    this.released = new Promise((resolve) => (this.resolveReleased = resolve));
    this.refs = new RefCount(() => this.scheduleTeardown());
    const registered = this.pager.registerTickets(this.tickets);
    if (!registered.ok)
      throw new Error(`fresh VM ticket registry refused: ${registered.error.message}`);
    // Register for RM notifications before any call that could cause one (start sequence step 1).
    const client = services.rm.client;
    this.unsubscribe.push(
      client.onNotification(RmNotification.VM_STATUS, (p) => this.onVmStatus(p)),
      client.onNotification(RmNotification.VM_EXITED, (p) => this.onVmExited(p)),
    );
  }

  get hyp(): HostHypercalls {
    return this.services.hyp;
  }

  status(): number {
    return this.vmStatus;
  }

  exitInfo(): ExitInfo {
    return this.exit;
  }

  findBinding(gpa: number) {
    return this.bindings.find(gpa);
  }

  onVirq(virq: number, handler: () => void): () => void {
    return this.services.native.virqs.onVirq(virq, handler);
  }

  async startSettled(): Promise<void> {
    if (this.startPromise) await this.startPromise;
  }

  onStatusChange(fn: () => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  acquire(): VmRef | undefined {
    if (this.tearingDown || !this.refs.tryGet()) return undefined;
    let dropped = false;
    return {
      drop: () => {
        if (dropped) return;
        dropped = true;
        this.refs.put();
      },
    };
  }

  /** Moves to `next` if the status table allows it from the current status. */
  setStatus(next: number): boolean {
    if (next === this.vmStatus) return true;
    if (!canTransition(this.vmStatus, next)) {
      log.warn(`vm ${this.vmid}: ignoring status ${next} in status ${this.vmStatus}`);
      return false;
    }
    this.vmStatus = next;
    for (const fn of [...this.statusListeners]) fn();
    return true;
  }

  /** Forces a status the host itself decided (e.g. INIT_FAILED after VM_INIT failed). */
  forceStatus(next: number): void {
    this.vmStatus = next;
    for (const fn of [...this.statusListeners]) fn();
  }

  /** Waits until `pred(status)` holds or the timeout passes; returns whether it held. */
  waitStatus(
    pred: (status: number) => boolean,
    timeoutMs = this.statusTimeoutMs,
  ): Promise<boolean> {
    if (pred(this.vmStatus)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const stop = this.onStatusChange(() => {
        if (!pred(this.vmStatus)) return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
      const timer = setTimeout(() => {
        stop();
        resolve(pred(this.vmStatus));
      }, timeoutMs);
    });
  }

  unsubscribeNotifications(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private onVmStatus(payload: Uint8Array): void {
    const n = VmStatusNotification.decode(payload);
    if (!n || this.vmid === undefined || n.vmid !== this.vmid) return;
    this.setStatus(n.vmStatus);
  }

  private onVmExited(payload: Uint8Array): void {
    const n = VmExitedNotification.decode(payload);
    if (!n || this.vmid === undefined || n.vmid !== this.vmid) return;
    // The reason is passed through raw (review demand); at most 8 bytes are kept.
    const available = payload.subarray(VmExitedNotification.size);
    const kept = Math.min(n.reasonSize, 8, available.length);
    this.exit = { type: n.exitType, reasonSize: n.reasonSize, reason: available.slice(0, kept) };
    if (!this.setStatus(VmStatus.EXITED)) {
      for (const fn of [...this.statusListeners]) fn();
    }
  }

  private scheduleTeardown(): void {
    this.tearingDown = true;
    macrotask(() => {
      this.teardown(this)
        .catch((e: unknown) => log.warn(`vm ${this.vmid}: teardown failed: ${String(e)}`))
        .finally(() => this.resolveReleased());
    });
  }
}

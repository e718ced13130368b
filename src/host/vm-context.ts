// What a VM's functions (vCPUs, irqfds, ioeventfds) may use of their VM. They hold a
// counted reference to the VM (VmRef) rather than pointers into its parts, so the VM
// cannot be torn down under them (review demand, gunyah-abi.md section 5).

import type { Binding } from "./bindings.js";
import type { DemandPager } from "./demand-pager.js";
import type { FaultRingProducer } from "./fault-ring.js";
import type { HostHypercalls } from "./hypercalls.js";
import type { IoHandlerTable } from "./io-handlers.js";
import type { TicketRegistry } from "./resources.js";
import type { VcpuTurns } from "./functions/vcpu-turns.js";

/** The raw exit information of the RM's VM_EXITED notification. */
export interface ExitInfo {
  readonly type: number;
  readonly reasonSize: number;
  /** At most the first 8 bytes of the reason (GUNYAH_VM_MAX_EXIT_REASON_SIZE). */
  readonly reason: Uint8Array;
}

/** A counted reference to a VM; the VM lives until every reference is dropped. */
export interface VmRef {
  drop(): void;
}

export interface VmContext {
  readonly tickets: TicketRegistry;
  readonly hyp: HostHypercalls;
  readonly io: IoHandlerTable;
  readonly pager: DemandPager;
  readonly faultRing: FaultRingProducer;
  /** The RM status of the VM (VmStatus). */
  status(): number;
  exitInfo(): ExitInfo;
  findBinding(gpa: number): Binding | undefined;
  /** Takes a reference to the VM; undefined once it is being torn down. */
  acquire(): VmRef | undefined;
  /** Registers a handler for one of the host's VIRQs; returns an unsubscribe. */
  onVirq(virq: number, handler: () => void): () => void;
  /** Calls `fn` whenever the VM exits or its status changes; returns an unsubscribe. */
  onStatusChange(fn: () => void): () => void;
  /** Resolves when a start in progress has finished (at once if none is). */
  startSettled(): Promise<void>;
  /** Options for the run loop. */
  readonly runOptions: RunOptions;
  /** The VM's turn scheduler, with `runOptions.scheduling` "turns" (else undefined). */
  readonly turns: VcpuTurns | undefined;
}

export interface RunOptions {
  /** How long a vCPU waits for its wakeup interrupt before polling again (ms). */
  readonly wakeupTimeoutMs: number;
  /**
   * How the VM's vCPUs share the host: "free" (default), each run loop calls
   * vcpu_run whenever the event loop lets it; "turns", one vCPU at a time in a fixed
   * order with turns measured in guest instructions, so a multi-vCPU run is a
   * deterministic function of its inputs (functions/vcpu-turns.ts). With "turns"
   * every vCPU function must have a run loop, or the others wait for its turn.
   */
  readonly scheduling: "free" | "turns";
}

// How code that is not an emulated vCPU (the RM and the host, "native" VMs whose
// kernels are TypeScript) issues hypercalls and receives virtual interrupts. The
// hypervisor binds each port to the calling VM's identity (its cspace and address
// space), exactly as HVC #0 from that VM's EL1 would be.

/** X0..X3 after the call: X0 is the error code (or SMCCC return), X1..X3 results. */
export type HypercallResult = readonly [bigint, bigint, bigint, bigint];

export interface HypercallPort {
  /**
   * HVC #0 with `functionId` in W0 and `args` in X1..X7 (missing ones are 0).
   * Synchronous, like the instruction; never throws for bad arguments.
   */
  hvc(functionId: number, args: readonly bigint[]): HypercallResult;
}

/** Delivery of virtual interrupts to a native VM (its "GIC"). */
export interface VirqSink {
  /**
   * Registers the handler for a VIRQ number of this VM. The hypervisor calls it on a
   * later event-loop turn (never re-entrantly from inside a hypercall) each time the
   * interrupt is asserted; level interrupts are re-delivered while still asserted
   * after the handler returns.
   */
  onVirq(virq: number, handler: () => void): () => void;
}

// How code that is not an emulated vCPU (the RM and the host, "native" VMs whose
// kernels are TypeScript) issues hypercalls and receives virtual interrupts. The
// hypervisor binds each port to the calling VM's identity (its cspace and address
// space), exactly as HVC #0 from that VM's EL1 would be.

/**
 * X0..X3 after the call: X0 is the error code (or SMCCC return), X1..X3 results.
 * vcpu_run and vcpu_run_check also return X4 (state_data_2) as a fifth element.
 */
export type HypercallResult = readonly [bigint, bigint, bigint, bigint, ...bigint[]];

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

/**
 * A native VM's view of its own RAM: IPA-addressed, checked against the VM's own
 * stage-2 mappings on every access (a page lent away is unreachable, like an unmapped
 * direct map). Errors are hypervisor error codes (ADDR_INVALID, DENIED).
 */
export interface NativeMemory {
  read(ipa: number, length: number): { ok: true; value: Uint8Array } | { ok: false; error: number };
  write(
    ipa: number,
    data: Uint8Array,
  ): { ok: true; value: undefined } | { ok: false; error: number };
}

/** A VM whose kernel is TypeScript (the RM, the host): its hypercall port, interrupts and RAM. */
export interface NativeVm {
  readonly vmid: number;
  readonly hvc: HypercallPort;
  readonly virqs: VirqSink;
  readonly memory: NativeMemory;
  /**
   * The system counter as the VM's kernel reads CNTVCT_EL0 (no virtual offset): what
   * a host stamps a wall-clock reading with (VM_SET_TIME_BASE's sys_timer_ref).
   */
  counter(): bigint;
}

/** The root VM (the RM) starts with caps, in its own cspace, to everything it manages. */
export interface RootVmCaps {
  readonly partition: bigint;
  readonly cspace: bigint;
  readonly addrspace: bigint;
  /** A memory extent covering all physical RAM not owned by the RM itself. */
  readonly memextent: bigint;
  /** The RM's own virtual interrupt controller (its VirqSink), for binding VIRQs to it. */
  readonly vic: bigint;
  /** Physical RAM managed by the RM: [base, base + size). */
  readonly ramBase: number;
  readonly ramSize: number;
}

export interface RootVm extends NativeVm {
  readonly caps: RootVmCaps;
}

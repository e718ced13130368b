// Deterministic scheduling of one VM's vCPUs (gunyah-ts host policy, opt-in with
// `runOptions.scheduling = "turns"`). Gunyah proxy-schedules a vCPU on the host thread
// that calls vcpu_run, so which vCPU runs when is the host's choice. Left to the event
// loop (the "free" policy), that choice follows promise and timer order and wall-clock
// timeouts, and with two or more vCPUs the guest clock (the instructions retired by
// every vCPU, hyp/time.ts) reads differently run after run.
//
// Here only one of the VM's vCPUs holds the turn at a time; every run loop waits for
// its turn before calling vcpu_run. A turn lasts until vcpu_run says READY (the
// hypervisor's slice of RUN_SLICE instructions, which exits to the VMM do not restart)
// or that the vCPU cannot run (EXPECTS_WAKEUP, POWERED_OFF, ...). Exits handled by
// the VMM (MMIO, page faults) stay inside the turn. The next holder is the first vCPU
// after the last holder, in id order, that the hypervisor says could run now
// (vcpu_run_check answers BUSY): a function of hypervisor state at a point fixed in
// guest instructions, never of when a host promise or timer fires. When none can run,
// the turn is parked until a wakeup VIRQ (or any other kick) asks again; the
// hypervisor's clock has meanwhile jumped to the next timer deadline.

/** One vCPU as the scheduler sees it. */
export interface TurnMember {
  readonly id: number;
  /** True when the hypervisor says the vCPU could run now (vcpu_run_check: BUSY). */
  canRun(): boolean;
  /** It is this vCPU's turn: wake its run loop. */
  granted(): void;
}

export class VcpuTurns {
  private readonly members = new Map<number, TurnMember>();
  private holder: number | undefined;
  /** The id of the last holder: the next search starts after it. */
  private last = -1;

  join(member: TurnMember): void {
    this.members.set(member.id, member);
  }

  /** The vCPU's function is gone: it takes no more turns. */
  leave(id: number): void {
    this.members.delete(id);
    if (this.holder === id) this.pass(id);
  }

  /** True if `id` holds the turn; when nobody does, first looks for a holder. */
  holds(id: number): boolean {
    if (this.holder === undefined) this.pick();
    return this.holder === id;
  }

  /** Ends `id`'s turn (a no-op if it does not hold it) and hands it on. */
  pass(id: number): void {
    if (this.holder !== id) return;
    this.holder = undefined;
    this.pick();
  }

  /** Something may have made a vCPU runnable: if the turn is parked, look again. */
  poke(): void {
    if (this.holder === undefined) this.pick();
  }

  get current(): number | undefined {
    return this.holder;
  }

  private pick(): void {
    const ids = [...this.members.keys()].sort((a, b) => a - b);
    const start = ids.findIndex((id) => id > this.last);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(Math.max(start, 0) + i) % ids.length]!;
      const m = this.members.get(id)!;
      if (!m.canRun()) continue;
      this.holder = id;
      this.last = id;
      m.granted();
      return;
    }
  }
}

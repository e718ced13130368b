// Guest time. The system counter (CNTPCT) either derives from instructions retired
// (the default: one tick per instruction, summed over every vCPU, so runs are
// deterministic) or from the wall clock, at CNTFRQ ticks per second.
//
// Waiting vCPUs: a vCPU that returns EXPECTS_WAKEUP with a timer deadline is
// registered here. After every vcpu_run slice (any vCPU) waiters whose deadline has
// passed are woken (their run-wakeup VIRQ is raised). In instructions mode nothing
// advances the counter while every vCPU waits, so on a later event-loop turn, if no
// vCPU is runnable (powered on and not waiting), virtual time jumps to the earliest
// deadline and those waiters are woken: idle time costs no host time, and the host's
// devices got one event-loop turn to raise an interrupt first. In wall mode a host
// timer fires at the deadline instead.

import { macrotask } from "../lib/macrotask.js";
import { TraceCat, type Tracer } from "../lib/trace.js";

export type TimeMode = "instructions" | "wall";

/** A CPU as far as the counter is concerned. */
export interface RetiringCpu {
  readonly instructionsRetired: number;
}

export interface Waiter {
  /** Raises the vCPU's run-wakeup VIRQ and clears its wait. */
  wake(): void;
  /** Powered on and not waiting: it will run when its host calls vcpu_run. */
  readonly runnable: boolean;
}

export class SystemClock {
  private base = 0n;
  /** Instructions of CPUs already destroyed (base also holds virtual time jumps). */
  private retiredByGone = 0n;
  private readonly cpus = new Set<RetiringCpu>();
  private readonly start = performance.now();
  private readonly waiters = new Map<Waiter, bigint | undefined>();
  private readonly all = new Set<Waiter>();
  private checkScheduled = false;
  private wallTimer: ReturnType<typeof setTimeout> | undefined;
  /** Records idle jumps when tracing. */
  tracer: Tracer | undefined;

  constructor(
    readonly mode: TimeMode,
    readonly frequency: number,
  ) {}

  /** The system counter now. */
  now(): bigint {
    if (this.mode === "wall")
      return BigInt(Math.floor(((performance.now() - this.start) * this.frequency) / 1000));
    let n = this.base;
    for (const c of this.cpus) n += BigInt(c.instructionsRetired);
    return n;
  }

  readonly counter = (): bigint => this.now();

  addCpu(cpu: RetiringCpu): void {
    this.cpus.add(cpu);
  }

  /** A destroyed CPU's instructions stay counted: the counter never goes back. */
  removeCpu(cpu: RetiringCpu): void {
    if (!this.cpus.delete(cpu)) return;
    this.base += BigInt(cpu.instructionsRetired);
    this.retiredByGone += BigInt(cpu.instructionsRetired);
  }

  /** Guest instructions retired by every CPU so far, without virtual time jumps. */
  instructionsRetired(): bigint {
    let n = this.retiredByGone;
    for (const c of this.cpus) n += BigInt(c.instructionsRetired);
    return n;
  }

  /**
   * Instructions to run before `deadline` is reached (instructions mode), capped. A
   * deadline already passed (the timer fires and stays asserted) does not shorten
   * the slice: its level is already visible to the vGIC.
   */
  budgetUntil(deadline: bigint | undefined, cap: number): number {
    if (deadline === undefined || this.mode === "wall") return cap;
    const left = deadline - this.now();
    if (left <= 0n) return cap;
    return left < BigInt(cap) ? Number(left) : cap;
  }

  /** Virtual time jump (instructions mode only). */
  advanceTo(t: bigint): void {
    const now = this.now();
    if (this.mode === "instructions" && t > now) this.base += t - now;
  }

  // --- waiting vCPUs -----------------------------------------------------------------

  track(w: Waiter): void {
    this.all.add(w);
  }

  untrack(w: Waiter): void {
    this.all.delete(w);
    this.waiters.delete(w);
  }

  /**
   * Registers a waiting vCPU. Only a future deadline can wake it: a timer that has
   * already fired and still could not wake the vCPU (the GIC masks it) never will.
   */
  wait(w: Waiter, deadline: bigint | undefined): void {
    this.waiters.set(w, deadline !== undefined && deadline > this.now() ? deadline : undefined);
    this.schedule();
  }

  cancel(w: Waiter): void {
    this.waiters.delete(w);
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** Wakes every waiter whose deadline has passed. */
  poll(): void {
    if (this.waiters.size === 0) return;
    const now = this.now();
    for (const [w, d] of [...this.waiters]) {
      if (d !== undefined && d <= now) {
        this.waiters.delete(w);
        w.wake();
      }
    }
  }

  private earliest(): bigint | undefined {
    let min: bigint | undefined;
    for (const d of this.waiters.values())
      if (d !== undefined && (min === undefined || d < min)) min = d;
    return min;
  }

  private schedule(): void {
    if (this.mode === "wall") {
      const d = this.earliest();
      if (this.wallTimer) clearTimeout(this.wallTimer);
      this.wallTimer = undefined;
      if (d === undefined) return;
      const ms = Math.max(0, (Number(d - this.now()) * 1000) / this.frequency);
      this.wallTimer = setTimeout(() => {
        this.wallTimer = undefined;
        this.poll();
        if (this.waiters.size > 0) this.schedule();
      }, ms);
      this.wallTimer.unref?.();
      return;
    }
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    macrotask(() => {
      this.checkScheduled = false;
      this.jumpIfIdle();
    });
  }

  /** Instructions mode: when nothing can run, time passes at once to the next deadline. */
  jumpIfIdle(): void {
    this.poll();
    if ([...this.all].some((w) => w.runnable)) return;
    const d = this.earliest();
    if (d === undefined) return;
    const from = this.now();
    this.advanceTo(d);
    if (this.tracer?.enabled(TraceCat.EXIT))
      this.tracer.instant(TraceCat.EXIT, "idle_jump", 0, 0, { from: Number(from), to: Number(d) });
    this.poll();
  }

  dispose(): void {
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.wallTimer = undefined;
    this.waiters.clear();
  }
}

// Virtual interrupt plumbing shared by every source (msgqueue, doorbell, vCPU, vPM)
// and every controller (a native VM's VirqSink, a guest's virtual GICv3).
// Sources are sampled again after delivery (native) or at deactivation (vGIC), so a
// condition that still holds re-pends the interrupt: level semantics without
// polling, as Gunyah's virq_check_pending event does.

import { HypError } from "./abi/errors.js";

export interface VirqSource {
  /** True while the condition behind the interrupt still holds (level re-sample). */
  isAsserted(): boolean;
}

export interface VirqController {
  /** Whether `virq` is a number this controller can route (SPI ranges). */
  validVirq(virq: number): boolean;
  /** Latches `virq` pending; delivery happens later, never inside the caller. */
  assert(virq: number): void;
  /** The source bound to `virq` was removed: drop any pending state for it. */
  clear(virq: number): void;
}

/** SPIs 32..1019 and extended SPIs 4096..5119 (gunyah-abi.md section 2). */
export function isSpi(virq: number): boolean {
  return (virq >= 32 && virq <= 1019) || (virq >= 4096 && virq <= 5119);
}

/** The object a source binds to: the vic (kept alive by the binding). */
export interface VirqTarget {
  get(): VirqTarget;
  put(): void;
  bindSource(virq: number, source: VirqSource): number;
  unbindSource(virq: number, source: VirqSource): void;
  /** `source` names what raised it, for traces ("doorbell", "msgqueue", ...). */
  assertVirq(virq: number, source?: string): void;
  clearVirq(virq: number): void;
}

/**
 * One source's binding to (vic, virq). Binding twice is VIRQ_BOUND; unbinding an
 * unbound source is a no-op (OK), as Gunyah's vic_unbind_sync.
 */
export class VirqBinding {
  private target: VirqTarget | undefined;
  private virqNumber = 0;

  constructor(
    private readonly source: VirqSource,
    /** What kind of source this is, for traces. */
    readonly kind = "virq",
  ) {}

  get bound(): boolean {
    return this.target !== undefined;
  }

  get virq(): number {
    return this.virqNumber;
  }

  bind(target: VirqTarget, virq: number): number {
    if (this.target) return HypError.VIRQ_BOUND;
    const e = target.bindSource(virq, this.source);
    if (e !== HypError.OK) return e;
    this.target = target.get();
    this.virqNumber = virq;
    return HypError.OK;
  }

  unbind(): number {
    const t = this.target;
    if (!t) return HypError.OK;
    t.unbindSource(this.virqNumber, this.source);
    this.target = undefined;
    t.put();
    return HypError.OK;
  }

  /** Raises the interrupt if bound (an unbound source raises nothing). */
  assert(): void {
    this.target?.assertVirq(this.virqNumber, this.kind);
  }

  /** Withdraws a pending, undelivered interrupt (virq_clear). */
  clear(): void {
    this.target?.clearVirq(this.virqNumber);
  }
}

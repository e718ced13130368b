// A native VM's interrupt controller: the VirqSink its TypeScript kernel registers
// handlers with. Deliveries are queued and run on a later event-loop turn, never
// re-entrantly inside the hypercall that raised them; after each handler the
// source is sampled again and re-delivered while still asserted (level).

import type { VirqSink } from "./abi/port.js";
import { isSpi, type VirqController, type VirqSource } from "./virq.js";
import { macrotask } from "../lib/macrotask.js";

export class NativeVirqSink implements VirqSink, VirqController {
  private readonly handlers = new Map<number, () => void>();
  private readonly pending = new Set<number>();
  private scheduled = false;
  private closed = false;

  constructor(private readonly sourceOf: (virq: number) => VirqSource | undefined) {}

  onVirq(virq: number, handler: () => void): () => void {
    this.handlers.set(virq, handler);
    if (this.pending.has(virq)) this.schedule();
    return () => {
      if (this.handlers.get(virq) === handler) this.handlers.delete(virq);
    };
  }

  validVirq(virq: number): boolean {
    return isSpi(virq);
  }

  assert(virq: number): void {
    this.pending.add(virq);
    if (this.handlers.has(virq)) this.schedule();
  }

  clear(virq: number): void {
    this.pending.delete(virq);
  }

  /** Stops deliveries (the VM's vic was destroyed). */
  close(): void {
    this.closed = true;
    this.pending.clear();
    this.handlers.clear();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    macrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    try {
      for (const virq of [...this.pending]) {
        const handler = this.handlers.get(virq);
        if (!handler) continue; // stays pending until someone listens
        this.pending.delete(virq);
        try {
          // A throwing handler is a bug in the native kernel: it propagates (fail
          // fast), but the level re-sample and later deliveries still happen.
          handler();
        } finally {
          if (this.sourceOf(virq)?.isAsserted()) this.pending.add(virq);
        }
      }
    } finally {
      if ([...this.pending].some((v) => this.handlers.has(v))) this.schedule();
    }
  }
}

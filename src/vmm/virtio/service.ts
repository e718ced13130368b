// One servicing pass over a queue: the device backend pulls chains through a
// QueueService; malformed chains go straight back with length 0, a chain the backend
// leaves is returned for it, and a broken ring stops the pass (the transport then sets
// DEVICE_NEEDS_RESET). Split from mmio.ts so the transport stays about registers.

import { invariant } from "../../lib/assert.js";
import type { QueueService, VirtioBackend } from "./backend.js";
import type { Chain } from "./chain.js";
import type { SplitQueue } from "./queue.js";

export interface ServiceHooks {
  /** False once the device stopped (NEEDS_RESET, FAILED, reset). */
  active(): boolean;
  fail(reason: string): void;
  warn(message: string): void;
  /** The pass used its budget: service the queue again on a later turn. */
  again(): void;
}

/** Services `queue` once; returns how many used elements were published. */
export function serviceQueue(
  queue: SplitQueue,
  index: number,
  backend: VirtioBackend,
  hooks: ServiceHooks,
): number {
  // At most one queue's worth of chains per pass: a guest refilling the ring as fast
  // as we drain it cannot hold the event loop; the rest is serviced on the next turn.
  let budget = queue.areas.size;
  let outstanding: Chain | undefined;
  let used = 0;
  const push = (head: number, written: number): void => {
    const r = queue.push(head, written);
    if (!r.ok) hooks.fail(r.error);
    else used++;
  };
  const service: QueueService = {
    next: () => {
      if (outstanding) push(outstanding.head, 0);
      outstanding = undefined;
      while (hooks.active() && budget > 0) {
        budget--;
        const r = queue.pop();
        switch (r.kind) {
          case "empty":
            return undefined;
          case "broken":
            hooks.fail(r.reason);
            return undefined;
          case "malformed":
            hooks.warn(`queue ${index}: chain at head ${r.head} refused: ${r.error}`);
            push(r.head, 0);
            continue;
          case "chain":
            outstanding = r.chain;
            return r.chain;
        }
      }
      if (budget === 0 && hooks.active()) hooks.again();
      return undefined;
    },
    complete: (chain, written) => {
      invariant(chain === outstanding, "a backend completes the chain it was given, once");
      outstanding = undefined;
      push(chain.head, Math.min(written, chain.writableBytes));
    },
  };
  // With VIRTIO_F_EVENT_IDX, buffers made available while we published avail_event
  // might not be notified: one more pass takes them (2.7.10). Two passes at most: a
  // backend that leaves buffers on purpose (console input) does not loop.
  for (let pass = 0; pass < 2 && hooks.active(); pass++) {
    backend.service(index, service);
    if (outstanding) push(outstanding.head, 0);
    outstanding = undefined;
    const more = queue.publishAvailEvent();
    if (!more.ok) hooks.fail(more.error);
    if (!more.ok || !more.value) break;
  }
  return used;
}

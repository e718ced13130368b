// Doorbells (gunyah-abi.md section 2): 64 flag bits, an enable mask and an ack mask
// (reset: 0, ~0, 0). send ORs flags in and raises the VIRQ if flags & enable, then
// clears the acked bits; receive clears the given bits; mask re-evaluates. The VIRQ
// is level while flags & enable stays non-zero.

import { HypError } from "./abi/errors.js";
import { U64_MAX } from "../lib/checked.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import { VirqBinding } from "./virq.js";

export class Doorbell extends HypObject {
  flags = 0n;
  enableMask = U64_MAX;
  ackMask = 0n;
  readonly virq = new VirqBinding(
    { isAsserted: () => (this.flags & this.enableMask) !== 0n },
    "doorbell",
  );

  constructor(registry: ObjectRegistry) {
    super("doorbell", registry);
  }

  protected onActivate(): number {
    return HypError.OK;
  }

  protected onDestroy(): void {
    this.virq.unbind();
  }

  /** Returns the flags before the call. */
  send(newFlags: bigint): bigint {
    const old = this.flags;
    this.flags = (this.flags | newFlags) & U64_MAX;
    this.evaluate();
    return old;
  }

  receive(clearFlags: bigint): bigint {
    const old = this.flags;
    this.flags &= ~clearFlags & U64_MAX;
    return old;
  }

  reset(): void {
    this.virq.clear();
    this.flags = 0n;
    this.enableMask = U64_MAX;
    this.ackMask = 0n;
  }

  /**
   * New masks (Gunyah's doorbell_mask): if no enabled flag is set any more the pending
   * VIRQ is withdrawn; if one becomes enabled it is raised; either way, while some
   * enabled flag is set the acked flags are cleared.
   */
  mask(enable: bigint, ack: bigint): void {
    const was = (this.flags & this.enableMask) !== 0n;
    this.enableMask = enable & U64_MAX;
    this.ackMask = ack & U64_MAX;
    const now = (this.flags & this.enableMask) !== 0n;
    if (was && !now) this.virq.clear();
    else if (!was && now) this.evaluate();
    else if (was && now) this.flags &= ~this.ackMask & U64_MAX;
  }

  private evaluate(): void {
    if ((this.flags & this.enableMask) === 0n) return;
    this.virq.assert();
    this.flags &= ~this.ackMask & U64_MAX;
  }
}

// Message queues (gunyah-abi.md section 2): a bounded FIFO of messages between two
// VMs, with a receive VIRQ (raised on push, or when the count reaches the
// not-empty threshold; level while it stays there) and a send VIRQ (raised when a
// receive brings the count down to the not-full threshold). The error contract is
// the documented one: MSGQUEUE_FULL, ARGUMENT_SIZE, ADDR_INVALID, MSGQUEUE_EMPTY;
// a failed call changes nothing.

import { HypError } from "./abi/errors.js";
import { MSGQUEUE_MAX_DEPTH, MSGQUEUE_MAX_SIZE } from "./abi/objects.js";
import { err, ok, type Result } from "../lib/result.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import { VirqBinding } from "./virq.js";

/** count_t sentinels of msgqueue_configure_send/receive (msgqueue.tc). */
export const MSGQUEUE_THRESHOLD_UNCHANGED = 0xffff_ffffn;
export const MSGQUEUE_THRESHOLD_MAXIMUM = 0xffff_fffen;
export const MSGQUEUE_DELAY_UNCHANGED = 0xffff_ffffn;

/** Where message bytes come from and go to (the caller's own stage 2). */
export interface MessageBuffer {
  read(ipa: number, length: number): Result<Uint8Array, number>;
  write(ipa: number, data: Uint8Array): Result<undefined, number>;
}

export class Msgqueue extends HypObject {
  depth = 0;
  maxSize = 0;
  notFullThreshold = 0;
  notEmptyThreshold = 1;
  private readonly queue: Uint8Array[] = [];
  private pushLatched = false;
  readonly sendVirq = new VirqBinding({ isAsserted: () => false }, "msgqueue-send");
  readonly receiveVirq = new VirqBinding(
    { isAsserted: () => this.queue.length >= this.notEmptyThreshold },
    "msgqueue-receive",
  );

  constructor(registry: ObjectRegistry) {
    super("msgqueue", registry);
  }

  get count(): number {
    return this.queue.length;
  }

  /** msgqueue_configure: create_info bits 15:0 depth, 31:16 max message size. */
  configure(createInfo: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if (createInfo >> 32n !== 0n) return HypError.ARGUMENT_INVALID;
    const depth = Number(createInfo & 0xffffn);
    const maxSize = Number((createInfo >> 16n) & 0xffffn);
    if (depth < 1 || depth > MSGQUEUE_MAX_DEPTH) return HypError.ARGUMENT_INVALID;
    if (maxSize < 1 || maxSize > MSGQUEUE_MAX_SIZE) return HypError.ARGUMENT_INVALID;
    this.depth = depth;
    this.maxSize = maxSize;
    this.notFullThreshold = depth - 1;
    this.notEmptyThreshold = 1;
    return HypError.OK;
  }

  protected onActivate(): number {
    return this.depth === 0 ? HypError.OBJECT_CONFIG : HypError.OK;
  }

  protected onDestroy(): void {
    this.sendVirq.unbind();
    this.receiveVirq.unbind();
    this.queue.length = 0;
  }

  /**
   * msgqueue_configure_send: the count at or below which the send VIRQ fires
   * (0..depth-1, or UNCHANGED). Hold-off delays are not implemented: only
   * DELAY_UNCHANGED is accepted (UNIMPLEMENTED otherwise), as in Gunyah.
   */
  configureSend(threshold: bigint, delay: bigint): number {
    if (delay !== MSGQUEUE_DELAY_UNCHANGED) return HypError.UNIMPLEMENTED;
    if (threshold === MSGQUEUE_THRESHOLD_UNCHANGED) return HypError.OK;
    if (threshold >= BigInt(this.depth)) return HypError.ARGUMENT_INVALID;
    this.notFullThreshold = Number(threshold);
    if (this.queue.length <= this.notFullThreshold) this.sendVirq.assert();
    else this.sendVirq.clear();
    return HypError.OK;
  }

  /** msgqueue_configure_receive: the count at which the receive VIRQ fires (1..depth, MAXIMUM, UNCHANGED). */
  configureReceive(threshold: bigint, delay: bigint): number {
    if (delay !== MSGQUEUE_DELAY_UNCHANGED) return HypError.UNIMPLEMENTED;
    if (threshold === MSGQUEUE_THRESHOLD_UNCHANGED) return HypError.OK;
    if (threshold === MSGQUEUE_THRESHOLD_MAXIMUM) {
      this.notEmptyThreshold = this.depth;
      return HypError.OK;
    }
    if (threshold < 1n || threshold > BigInt(this.depth)) return HypError.ARGUMENT_INVALID;
    this.notEmptyThreshold = Number(threshold);
    if (this.queue.length >= this.notEmptyThreshold) this.receiveVirq.assert();
    else this.receiveVirq.clear();
    return HypError.OK;
  }

  /**
   * Returns not_full. Checked in Gunyah's order: a full queue first, then the size
   * (above the maximum: ARGUMENT_SIZE), then the buffer (ADDR_INVALID). A zero-length
   * message is valid, as in Gunyah.
   */
  send(size: bigint, buffer: bigint, push: boolean, mem: MessageBuffer): Result<boolean, number> {
    if (this.queue.length >= this.depth) return err(HypError.MSGQUEUE_FULL);
    if (size > BigInt(this.maxSize)) return err(HypError.ARGUMENT_SIZE);
    if (buffer > BigInt(Number.MAX_SAFE_INTEGER)) return err(HypError.ADDR_INVALID);
    const data = mem.read(Number(buffer), Number(size));
    if (!data.ok) return err(HypError.ADDR_INVALID);
    this.queue.push(data.value);
    if (push) this.pushLatched = true;
    if (push || this.queue.length === this.notEmptyThreshold) this.receiveVirq.assert();
    return ok(this.queue.length < this.depth);
  }

  /** Returns (size, not_empty). A message larger than the buffer stays queued. */
  receive(
    buffer: bigint,
    maxSize: bigint,
    mem: MessageBuffer,
  ): Result<{ size: number; notEmpty: boolean }, number> {
    const head = this.queue[0];
    if (!head) return err(HypError.MSGQUEUE_EMPTY);
    if (BigInt(head.length) > maxSize) return err(HypError.ARGUMENT_SIZE);
    if (buffer > BigInt(Number.MAX_SAFE_INTEGER)) return err(HypError.ADDR_INVALID);
    const w = mem.write(Number(buffer), head);
    if (!w.ok) return err(HypError.ADDR_INVALID);
    this.queue.shift();
    if (this.queue.length === 0) this.pushLatched = false;
    this.afterDequeue(this.queue.length + 1);
    return ok({ size: head.length, notEmpty: this.queue.length > 0 });
  }

  /** Empties the queue; as Gunyah, a non-empty flush raises the send VIRQ and withdraws the receive one. */
  flush(): void {
    if (this.queue.length !== 0) {
      this.sendVirq.assert();
      this.receiveVirq.clear();
    }
    this.queue.length = 0;
    this.pushLatched = false;
  }

  /** The send VIRQ fires when the count falls from above the threshold to it or below. */
  private afterDequeue(before: number): void {
    if (before > this.notFullThreshold && this.queue.length <= this.notFullThreshold)
      this.sendVirq.assert();
  }

  get pushPending(): boolean {
    return this.pushLatched;
  }
}

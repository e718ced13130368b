// The host's RM RPC client (Linux v17 rsc_mgr.c): one request outstanding at a time
// under a lock, 16-bit cyclic sequence numbers, fragmentation and reassembly from
// rm/protocol, a receive loop that drops malformed packets and keeps reading (review
// demand, gunyah-abi.md section 5), and notification dispatch by message id.

import { HypError } from "../../hyp/abi/index.js";
import { RateLimitedLog } from "../../lib/log.js";
import { ok } from "../../lib/result.js";
import {
  fragmentMessage,
  HypErrorData,
  MsgType,
  parseReply,
  Reassembler,
  RmError,
  rmMessageName,
  RPC_MAX_FRAGMENTS,
  RPC_MAX_PAYLOAD_PER_PACKET,
  type RpcMessage,
} from "../../rm/protocol/index.js";
import { fail, fromRmError, type HostResult } from "../errors.js";
import { AsyncMutex } from "../mutex.js";
import type { RmTransport } from "./transport.js";

/** Linux refuses requests longer than 62 fragments' worth of payload. */
export const RM_MAX_REQUEST_SIZE = RPC_MAX_FRAGMENTS * RPC_MAX_PAYLOAD_PER_PACKET;

/** Test-only: returns an RM error code to fail a call with, before it is sent. */
export type RmCallInjector = (msgId: number, payload: Uint8Array) => number | undefined;

export type NotificationHandler = (payload: Uint8Array) => void;

export interface RmClientOptions {
  /** How long a call waits for its reply (default 30 s). */
  readonly timeoutMs?: number;
  /** While a call waits, the queue is also polled this often, in case an edge was lost. */
  readonly pollMs?: number;
}

interface PendingCall {
  readonly seq: number;
  readonly msgId: number;
  readonly resolve: (reply: HostResult<Uint8Array>) => void;
}

const log = new RateLimitedLog("host/rm-client");

export class RmClient {
  /** Test-only fault injection, consulted before every call. */
  injector: RmCallInjector | undefined;
  readonly stats = { malformed: 0, unexpected: 0, notifications: 0, calls: 0 };

  private readonly lock = new AsyncMutex();
  private readonly reassembler = new Reassembler();
  private readonly handlers = new Map<number, Set<NotificationHandler>>();
  private readonly sendWaiters: Array<() => void> = [];
  private readonly unsubscribe: Array<() => void>;
  private pending: PendingCall | undefined;
  private nextSeq = 0;
  private draining = false;
  private closed = false;

  constructor(
    private readonly transport: RmTransport,
    private readonly options: RmClientOptions = {},
  ) {
    this.unsubscribe = [
      transport.onReceivable(() => this.drain()),
      transport.onSendable(() => this.wakeSenders()),
    ];
  }

  /** Registers for a notification id (VM_STATUS, VM_EXITED, MEM_*); returns an unsubscribe. */
  onNotification(msgId: number, handler: NotificationHandler): () => void {
    let set = this.handlers.get(msgId);
    if (!set) this.handlers.set(msgId, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /**
   * Sends a request and resolves with the reply's data (after the RM error word), or
   * the RM error mapped to an errno the way Linux does.
   */
  async call(msgId: number, payload: Uint8Array): Promise<HostResult<Uint8Array>> {
    return this.lock.run(() => this.callLocked(msgId, payload));
  }

  /** Stops listening; pending and later calls fail with ENODEV. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    this.pending?.resolve(fail("ENODEV", "RM client closed"));
    this.pending = undefined;
    this.wakeSenders();
  }

  private async callLocked(msgId: number, payload: Uint8Array): Promise<HostResult<Uint8Array>> {
    const name = rmMessageName(msgId);
    if (this.closed) return fail("ENODEV", `${name}: RM client closed`);
    const injected = this.injector?.(msgId, payload);
    if (injected !== undefined && injected !== RmError.OK)
      return { ok: false, error: fromRmError(injected, name) };
    if (payload.length > RM_MAX_REQUEST_SIZE)
      return fail("E2BIG", `${name}: ${payload.length} bytes`);

    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    const packets = fragmentMessage({ type: MsgType.REQUEST, seq, msgId, payload });
    if (!packets.ok) return fail("E2BIG", `${name}: too large`);
    this.stats.calls++;

    const reply = new Promise<HostResult<Uint8Array>>((resolve) => {
      this.pending = { seq, msgId, resolve };
    });
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (const packet of packets.value) {
      const sent = await this.sendPacket(packet.bytes, packet.push, deadline);
      if (!sent.ok) {
        this.pending = undefined;
        return { ok: false, error: sent.error };
      }
    }
    const poll = setInterval(() => this.drain(), this.options.pollMs ?? 10);
    const timer = setTimeout(() => {
      if (this.pending?.seq === seq) {
        this.pending.resolve(fail("ETIMEDOUT", `${name}: no reply in ${timeoutMs} ms`));
      }
    }, timeoutMs);
    this.drain();
    const result = await reply;
    clearInterval(poll);
    clearTimeout(timer);
    this.pending = undefined;
    if (!result.ok) return result;
    const parsed = parseReply(result.value);
    if (!parsed) return fail("EBADMSG", `${name}: reply without an error word`);
    if (parsed.error !== RmError.OK) {
      // Error data, where a call defines it, is the hypervisor's error (4 bytes).
      const hyp = HypErrorData.decodeExact(parsed.data)?.hypError;
      return { ok: false, error: fromRmError(parsed.error, name, hyp) };
    }
    return ok(parsed.data);
  }

  /** Sends one packet, waiting for the send VIRQ while the queue is full. */
  private async sendPacket(
    bytes: Uint8Array,
    push: boolean,
    deadline: number,
  ): Promise<HostResult<void>> {
    for (;;) {
      if (this.closed) return fail("ENODEV", "RM client closed");
      const r = this.transport.send(bytes, push);
      if (r.ok) return r;
      if (r.error.origin.hypError !== HypError.MSGQUEUE_FULL) return r;
      if (Date.now() >= deadline) return fail("ETIMEDOUT", "RM send queue stayed full");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5);
        this.sendWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wakeSenders(): void {
    for (const wake of this.sendWaiters.splice(0)) wake();
  }

  /** Reads every queued packet. A bad packet is dropped and reading goes on. */
  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      for (;;) {
        const r = this.transport.receive();
        if (!r.ok) {
          log.warn(`receive failed: ${r.error.message}`);
          return;
        }
        if (!r.value) return;
        this.handlePacket(r.value);
      }
    } finally {
      this.draining = false;
    }
  }

  private handlePacket(packet: Uint8Array): void {
    const result = this.reassembler.push(packet);
    switch (result.kind) {
      case "pending":
        return;
      case "dropped":
        this.stats.malformed++;
        log.warn(`dropped a packet from the RM: ${result.reason}`);
        return;
      case "message":
        this.dispatch(result.message);
        return;
    }
  }

  private dispatch(message: RpcMessage): void {
    switch (message.type) {
      case MsgType.REPLY: {
        const p = this.pending;
        if (!p || p.seq !== message.seq || p.msgId !== message.msgId) {
          this.stats.unexpected++;
          log.warn(`unexpected reply ${rmMessageName(message.msgId)} seq ${message.seq}`);
          return;
        }
        this.pending = undefined;
        p.resolve(ok(message.payload));
        return;
      }
      case MsgType.NOTIFICATION:
        this.stats.notifications++;
        for (const handler of [...(this.handlers.get(message.msgId) ?? [])])
          handler(message.payload);
        return;
      case MsgType.REQUEST:
        // The host serves no RM requests.
        this.stats.unexpected++;
        return;
    }
  }
}

// RPC transport over a message-queue pair per client VM (gunyah-abi.md section 3).
// The RM receives a client's packets on one queue and answers on the other. On the
// receive VIRQ it drains the queue with msgqueue_receive; a malformed packet is
// skipped and reading continues (the receive loop never gives up on a queue because
// of one bad message). Outgoing messages are fragmented; if the send queue is full
// the rest waits for the send (not-full) VIRQ.

import { HypError, type NativeMemory, type VirqSink } from "../hyp/abi/index.js";
import { RateLimitedLog } from "../lib/log.js";
import type { Hyp } from "./hvc.js";
import {
  fragmentMessage,
  MsgType,
  Reassembler,
  RPC_MAX_PACKET_SIZE,
  type RpcMessage,
  type RpcPacket,
} from "./protocol/index.js";
import { macrotask } from "../lib/macrotask.js";

/** One client's queue pair, as caps in the RM's cspace and VIRQs of the RM's vic. */
export interface RpcEndpoint {
  readonly clientVmid: number;
  /** Client -> RM queue: the RM holds the receive cap. */
  readonly rxCap: bigint;
  /** RM -> client queue: the RM holds the send cap. */
  readonly txCap: bigint;
  /** Receive (not-empty) VIRQ of rxCap, in the RM's vic. */
  readonly rxVirq: number;
  /** Send (not-full) VIRQ of txCap, in the RM's vic. */
  readonly txVirq: number;
}

/** A buffer in the RM's own RAM for msgqueue_send/receive (IPAs in its address space). */
export interface PacketBuffer {
  readonly ipa: number;
  readonly memory: NativeMemory;
}

/** At most this many packets per VIRQ before yielding to the event loop. */
const DRAIN_BUDGET = 256;
/** Outgoing packets held per client while its queue is full; beyond this, drop. */
const OUTBOX_LIMIT = 4096;
/**
 * Notifications are dropped earlier than replies, so that events another VM can
 * trigger (MEM_NOTIFY, exits) can never crowd a slow client's replies out.
 */
const NOTIFICATION_BACKLOG_LIMIT = 1024;

export interface ChannelStats {
  packetsIn: number;
  packetsOut: number;
  dropped: number;
  messagesIn: number;
  sendFailures: number;
}

export class RpcChannel {
  readonly reassembler = new Reassembler();
  readonly stats: ChannelStats = {
    packetsIn: 0,
    packetsOut: 0,
    dropped: 0,
    messagesIn: 0,
    sendFailures: 0,
  };
  private readonly outbox: RpcPacket[] = [];
  private readonly unbind: (() => void)[] = [];
  private readonly log: RateLimitedLog;
  private drainScheduled = false;
  private closed = false;

  constructor(
    private readonly hyp: Hyp,
    virqs: VirqSink,
    private readonly buffer: PacketBuffer,
    readonly endpoint: RpcEndpoint,
    private readonly onMessage: (channel: RpcChannel, message: RpcMessage) => void,
  ) {
    this.log = new RateLimitedLog(`rm: client ${endpoint.clientVmid}`);
    this.unbind.push(virqs.onVirq(endpoint.rxVirq, () => this.drain()));
    this.unbind.push(virqs.onVirq(endpoint.txVirq, () => this.flush()));
  }

  get clientVmid(): number {
    return this.endpoint.clientVmid;
  }

  /** Reads every packet now in the receive queue (up to a budget per call). */
  drain(): void {
    if (this.closed) return;
    for (let n = 0; n < DRAIN_BUDGET; n++) {
      const r = this.hyp.msgqueueReceive(this.endpoint.rxCap, this.buffer.ipa, RPC_MAX_PACKET_SIZE);
      if (!r.ok) {
        if (r.error !== HypError.MSGQUEUE_EMPTY)
          this.log.warn(`msgqueue_receive: error ${r.error}`);
        return;
      }
      this.stats.packetsIn++;
      const bytes = this.buffer.memory.read(this.buffer.ipa, r.value.size);
      if (!bytes.ok) {
        this.log.warn(`cannot read the packet buffer: error ${bytes.error}`);
        return;
      }
      this.accept(bytes.value);
      if (!r.value.notEmpty) return;
    }
    this.scheduleDrain();
  }

  /** Feeds one packet (from the queue, or a datagram) through the receiver rules. */
  accept(packet: Uint8Array): void {
    const result = this.reassembler.push(packet);
    switch (result.kind) {
      case "dropped":
        this.stats.dropped++;
        this.log.warn(`dropped a packet: ${result.reason}`);
        return;
      case "pending":
        return;
      case "message":
        this.stats.messagesIn++;
        this.onMessage(this, result.message);
        return;
    }
  }

  /** Fragments and sends a message; what the queue cannot take now waits for its VIRQ. */
  send(message: RpcMessage): boolean {
    if (this.closed) return false;
    if (message.type === MsgType.NOTIFICATION && this.outbox.length >= NOTIFICATION_BACKLOG_LIMIT) {
      this.stats.sendFailures++;
      this.log.warn("client is not reading its queue; notification dropped");
      return false;
    }
    const packets = fragmentMessage(message);
    if (!packets.ok) {
      this.stats.sendFailures++;
      this.log.warn(`message 0x${message.msgId.toString(16)} too large to send`);
      return false;
    }
    if (this.outbox.length + packets.value.length > OUTBOX_LIMIT) {
      this.stats.sendFailures++;
      this.log.warn("client is not reading its queue; message dropped");
      return false;
    }
    this.outbox.push(...packets.value);
    this.flush();
    return true;
  }

  /** Sends queued packets until the queue is full or the outbox empty. */
  flush(): void {
    while (!this.closed && this.outbox.length > 0) {
      const packet = this.outbox[0]!;
      const wrote = this.buffer.memory.write(this.buffer.ipa, packet.bytes);
      if (!wrote.ok) {
        this.log.warn(`cannot write the packet buffer: error ${wrote.error}`);
        return;
      }
      const r = this.hyp.msgqueueSend(
        this.endpoint.txCap,
        packet.bytes.length,
        this.buffer.ipa,
        packet.push,
      );
      if (!r.ok && r.error === HypError.MSGQUEUE_FULL) return; // resumed by the send VIRQ
      this.outbox.shift();
      if (!r.ok) {
        this.stats.sendFailures++;
        this.log.warn(`msgqueue_send: error ${r.error}`);
        continue;
      }
      this.stats.packetsOut++;
    }
  }

  get pendingOut(): number {
    return this.outbox.length;
  }

  close(): void {
    this.closed = true;
    for (const u of this.unbind) u();
    this.outbox.length = 0;
    this.reassembler.reset();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    macrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }
}

// Splitting RM messages into packets and putting them back together (section 3).
// Shared by the RM and the host so both sides apply the same receiver rules.

import { err, ok, type Result } from "../../lib/result.js";
import {
  decodeHeader,
  encodeHeader,
  MsgType,
  RPC_HEADER_SIZE,
  RPC_MAX_FRAGMENTS,
  RPC_MAX_MESSAGE_SIZE,
  RPC_MAX_PAYLOAD_PER_PACKET,
  type HeaderError,
} from "./header.js";

/** A complete message: a request, reply or notification with its whole payload. */
export interface RpcMessage {
  readonly type: Exclude<MsgType, typeof MsgType.CONTINUATION>;
  readonly seq: number;
  readonly msgId: number;
  readonly payload: Uint8Array;
}

/** One packet to send; `push` is set on the last one (msgqueue_send flag bit 0). */
export interface RpcPacket {
  readonly bytes: Uint8Array;
  readonly push: boolean;
}

/**
 * Splits a message into packets of at most 240 bytes. The first packet carries the
 * type and the number of continuations that follow; each continuation repeats the
 * id, seq and count with type CONTINUATION. Refuses payloads above 14,616 bytes.
 */
export function fragmentMessage(msg: RpcMessage): Result<RpcPacket[], "too-large"> {
  const size = msg.payload.length;
  if (size > RPC_MAX_MESSAGE_SIZE) return err("too-large");
  const packetCount = Math.max(1, Math.ceil(size / RPC_MAX_PAYLOAD_PER_PACKET));
  const fragments = packetCount - 1;
  const packets: RpcPacket[] = [];
  for (let i = 0; i < packetCount; i++) {
    const chunk = msg.payload.subarray(
      i * RPC_MAX_PAYLOAD_PER_PACKET,
      (i + 1) * RPC_MAX_PAYLOAD_PER_PACKET,
    );
    const bytes = new Uint8Array(RPC_HEADER_SIZE + chunk.length);
    encodeHeader(
      {
        type: i === 0 ? msg.type : MsgType.CONTINUATION,
        fragments,
        seq: msg.seq,
        msgId: msg.msgId,
      },
      bytes,
    );
    bytes.set(chunk, RPC_HEADER_SIZE);
    packets.push({ bytes, push: i === packetCount - 1 });
  }
  return ok(packets);
}

export type DropReason =
  | HeaderError
  | "oversized-packet"
  | "orphan-continuation"
  | "mismatched-continuation"
  | "too-large";

/** What one packet did to the reassembler. */
export type ReassemblyResult =
  | { readonly kind: "message"; readonly message: RpcMessage }
  | { readonly kind: "pending" }
  | { readonly kind: "dropped"; readonly reason: DropReason };

interface Partial {
  readonly type: RpcMessage["type"];
  readonly seq: number;
  readonly msgId: number;
  readonly fragments: number;
  received: number;
  readonly chunks: Uint8Array[];
  size: number;
}

/**
 * Receiver rules (section 3, hardening.md "Resource Manager RPC"): drop packets
 * shorter than the header, with a bad version or header size, or a fragment count
 * above 62; drop a continuation with nothing in progress or a mismatched id, seq or
 * count; a new non-continuation packet discards any partial message; a message
 * never exceeds 14,616 bytes. One instance per peer and direction.
 */
export class Reassembler {
  private partial: Partial | undefined;
  /** Counters, for tests and diagnostics. */
  readonly stats = { messages: 0, dropped: 0, discardedPartials: 0 };

  constructor(private readonly maxPacketSize = RPC_HEADER_SIZE + RPC_MAX_PAYLOAD_PER_PACKET) {}

  get inProgress(): boolean {
    return this.partial !== undefined;
  }

  /** Forgets any partial message (e.g. the peer was reset). */
  reset(): void {
    this.partial = undefined;
  }

  push(packet: Uint8Array): ReassemblyResult {
    if (packet.length > this.maxPacketSize) return this.drop("oversized-packet");
    const header = decodeHeader(packet);
    if (!header.ok) return this.drop(header.error);
    const h = header.value;
    const body = packet.subarray(RPC_HEADER_SIZE);

    if (h.type === MsgType.CONTINUATION) {
      const p = this.partial;
      if (!p) return this.drop("orphan-continuation");
      if (p.msgId !== h.msgId || p.seq !== h.seq || p.fragments !== h.fragments) {
        // The stream is out of step: the partial message can never complete.
        this.partial = undefined;
        this.stats.discardedPartials++;
        return this.drop("mismatched-continuation");
      }
      if (p.size + body.length > RPC_MAX_MESSAGE_SIZE) {
        this.partial = undefined;
        this.stats.discardedPartials++;
        return this.drop("too-large");
      }
      p.chunks.push(body.slice());
      p.size += body.length;
      p.received++;
      return p.received === p.fragments ? this.complete(p) : { kind: "pending" };
    }

    if (this.partial) {
      this.partial = undefined;
      this.stats.discardedPartials++;
    }
    const start: Partial = {
      type: h.type,
      seq: h.seq,
      msgId: h.msgId,
      fragments: h.fragments,
      received: 0,
      chunks: [body.slice()],
      size: body.length,
    };
    if (h.fragments === 0) return this.complete(start);
    this.partial = start;
    return { kind: "pending" };
  }

  private complete(p: Partial): ReassemblyResult {
    this.partial = undefined;
    const payload = new Uint8Array(p.size);
    let at = 0;
    for (const c of p.chunks) {
      payload.set(c, at);
      at += c.length;
    }
    this.stats.messages++;
    return {
      kind: "message",
      message: { type: p.type, seq: p.seq, msgId: p.msgId, payload },
    };
  }

  private drop(reason: DropReason): ReassemblyResult {
    this.stats.dropped++;
    return { kind: "dropped", reason };
  }
}

/** The fragment limit, re-exported for peers that size their buffers. */
export { RPC_MAX_FRAGMENTS };

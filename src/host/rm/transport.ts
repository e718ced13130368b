// The host's packet transport to the RM: its message-queue pair (gunyah-abi.md
// section 3, "Transport"). Packets are staged in a page of the host's own RAM because
// msgqueue_send/receive take buffer IPAs in the caller's address space.

import { HypError, type NativeVm } from "../../hyp/abi/index.js";
import { ok } from "../../lib/result.js";
import { RPC_MAX_PACKET_SIZE } from "../../rm/protocol/index.js";
import { fail, fromHypError, type HostResult } from "../errors.js";
import type { HostHypercalls } from "../hypercalls.js";

export interface RmTransport {
  /** Sends one packet; EAGAIN (hypError MSGQUEUE_FULL) when the queue is full. */
  send(packet: Uint8Array, push: boolean): HostResult<void>;
  /** Takes one packet, or undefined when the queue is empty. */
  receive(): HostResult<Uint8Array | undefined>;
  /** Called when packets may be waiting (the receive VIRQ). */
  onReceivable(handler: () => void): () => void;
  /** Called when the send queue drained below its not-full threshold (the send VIRQ). */
  onSendable(handler: () => void): () => void;
}

export interface MsgqTransportConfig {
  readonly vm: NativeVm;
  readonly hyp: HostHypercalls;
  readonly txCap: bigint;
  readonly rxCap: bigint;
  readonly txVirq: number;
  readonly rxVirq: number;
  /** IPA of a host page used as the send buffer; the receive buffer follows 256 bytes later. */
  readonly bufferIpa: number;
}

const RX_BUFFER_OFFSET = 256;

export class MsgqTransport implements RmTransport {
  constructor(private readonly config: MsgqTransportConfig) {}

  send(packet: Uint8Array, push: boolean): HostResult<void> {
    if (packet.length === 0 || packet.length > RPC_MAX_PACKET_SIZE) {
      return fail("EINVAL", `RM packet of ${packet.length} bytes`);
    }
    const staged = this.config.vm.memory.write(this.config.bufferIpa, packet);
    if (!staged.ok) return { ok: false, error: fromHypError(staged.error, "stage RM packet") };
    const sent = this.config.hyp.msgqSend(
      this.config.txCap,
      packet.length,
      this.config.bufferIpa,
      push,
    );
    return sent.ok ? ok(undefined) : sent;
  }

  receive(): HostResult<Uint8Array | undefined> {
    const rxIpa = this.config.bufferIpa + RX_BUFFER_OFFSET;
    const r = this.config.hyp.msgqReceive(this.config.rxCap, rxIpa, RPC_MAX_PACKET_SIZE);
    if (!r.ok) {
      if (r.error.origin.hypError === HypError.MSGQUEUE_EMPTY) return ok(undefined);
      return r;
    }
    if (r.value.size > RPC_MAX_PACKET_SIZE) {
      return fail("EIO", `msgqueue_receive reported ${r.value.size} bytes`);
    }
    const data = this.config.vm.memory.read(rxIpa, r.value.size);
    if (!data.ok) return { ok: false, error: fromHypError(data.error, "read RM packet") };
    return ok(data.value.slice());
  }

  onReceivable(handler: () => void): () => void {
    return this.config.vm.virqs.onVirq(this.config.rxVirq, handler);
  }

  onSendable(handler: () => void): () => void {
    return this.config.vm.virqs.onVirq(this.config.txVirq, handler);
  }
}

// A minimal RM client acting as the host VM in tests: it talks to the RM exactly as a
// host driver does, with msgqueue_send / msgqueue_receive hypercalls on the caps and
// VIRQs the platform handed it, through buffers in its own RAM.

import { Call, HypError, hypercallId, hypErrorFromX0, RES0 } from "../../../src/hyp/abi/index.js";
import type { HostBootInfo } from "../../../src/platform/index.js";
import {
  fragmentMessage,
  MsgType,
  parseReply,
  Reassembler,
  RPC_MAX_PACKET_SIZE,
  type RpcMessage,
} from "../../../src/rm/protocol/index.js";

export interface CallResult {
  readonly error: number;
  readonly data: Uint8Array;
}

export class TestHostClient {
  private seq = 1;
  private readonly reassembler = new Reassembler();
  private readonly pending = new Map<number, (m: RpcMessage) => void>();
  readonly notifications: RpcMessage[] = [];
  /** Replies nobody waited for (to requests sent with sendPacket). */
  readonly strayReplies: RpcMessage[] = [];
  private readonly notificationWaiters: (() => void)[] = [];
  readonly bufferIpa: number;

  constructor(readonly host: HostBootInfo) {
    this.bufferIpa = host.ram.base + host.ram.size - 4096;
    host.vm.virqs.onVirq(host.rmRxVirq, () => this.drain());
  }

  private hvc(call: number, args: bigint[]): [number, bigint, bigint] {
    const [x0, x1, x2] = this.host.vm.hvc.hvc(hypercallId(call), args);
    return [hypErrorFromX0(x0), x1, x2];
  }

  /** Sends one raw packet (for malformed-input tests). Returns the hypervisor error. */
  sendPacket(bytes: Uint8Array, push = true): number {
    const w = this.host.vm.memory.write(this.bufferIpa, bytes);
    if (!w.ok) throw new Error(`buffer write failed: ${w.error}`);
    const [e] = this.hvc(Call.MSGQUEUE_SEND, [
      this.host.rmTxCap,
      BigInt(bytes.length),
      BigInt(this.bufferIpa),
      push ? 1n : 0n,
      RES0,
    ]);
    return e;
  }

  private drain(): void {
    for (;;) {
      const [e, size, notEmpty] = this.hvc(Call.MSGQUEUE_RECEIVE, [
        this.host.rmRxCap,
        BigInt(this.bufferIpa),
        BigInt(RPC_MAX_PACKET_SIZE),
        RES0,
      ]);
      if (e === HypError.MSGQUEUE_EMPTY) return;
      if (e !== HypError.OK) throw new Error(`msgqueue_receive: ${e}`);
      const bytes = this.host.vm.memory.read(this.bufferIpa, Number(size));
      if (!bytes.ok) throw new Error("buffer read failed");
      const r = this.reassembler.push(bytes.value);
      if (r.kind === "message") this.deliver(r.message);
      if (notEmpty === 0n) return;
    }
  }

  private deliver(m: RpcMessage): void {
    if (m.type === MsgType.NOTIFICATION) {
      this.notifications.push(m);
      for (const w of this.notificationWaiters.splice(0)) w();
      return;
    }
    const waiter = this.pending.get(m.seq);
    if (waiter) {
      this.pending.delete(m.seq);
      waiter(m);
    } else this.strayReplies.push(m);
  }

  /** One request -> its reply (fragmented as needed). */
  call(msgId: number, payload: Uint8Array, timeoutMs = 5000): Promise<CallResult> {
    // Sequence numbers from 0x8000 up, so raw test packets (low seqs) never collide.
    const seq = 0x8000 | this.seq;
    this.seq = (this.seq + 1) & 0x7fff;
    const packets = fragmentMessage({ type: MsgType.REQUEST, seq, msgId, payload });
    if (!packets.ok) return Promise.reject(new Error("request too large"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`no reply to 0x${msgId.toString(16)} seq ${seq}`));
      }, timeoutMs);
      this.pending.set(seq, (m) => {
        clearTimeout(timer);
        if (m.msgId !== msgId) return reject(new Error("reply id mismatch"));
        const r = parseReply(m.payload);
        if (!r) return reject(new Error("short reply"));
        resolve(r);
      });
      for (const p of packets.value) {
        const e = this.sendPacket(p.bytes, p.push);
        if (e !== HypError.OK) {
          clearTimeout(timer);
          this.pending.delete(seq);
          reject(new Error(`msgqueue_send: ${e}`));
          return;
        }
      }
    });
  }

  /** A position in the notification log, for waitNotification's `since`. */
  mark(): number {
    return this.notifications.length;
  }

  /** Waits until a notification matching `pred` has arrived (at or after `since`). */
  async waitNotification(
    pred: (m: RpcMessage) => boolean,
    since = 0,
    timeoutMs = 5000,
  ): Promise<RpcMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.notifications.slice(since).find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error("notification did not arrive");
      await new Promise<void>((resolve) => {
        this.notificationWaiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

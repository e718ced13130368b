// virtio-console (virtio 1.2 section 5.3), port 0 only (no VIRTIO_CONSOLE_F_MULTIPORT):
// queue 0 (receiveq) takes bytes from the host's input, queue 1 (transmitq) sends the
// guest's bytes to the output. Receive buffers are taken only when input is waiting,
// so no chain is ever held between events.

import type { GuestRam } from "../guest-ram.js";
import {
  readSegments,
  writeSegments,
  type BackendHost,
  type QueueService,
  type VirtioBackend,
} from "./backend.js";
import { DeviceId } from "./constants.js";

export const CONSOLE_RX = 0;
export const CONSOLE_TX = 1;
/** Input waiting for receive buffers at most; more is dropped and counted. */
export const CONSOLE_INPUT_LIMIT = 64 * 1024;
const TX_CHUNK = 64 * 1024;

export class VirtioConsole implements VirtioBackend {
  readonly name = "console";
  readonly deviceId = DeviceId.CONSOLE;
  readonly queueMax = [64, 64];
  readonly features = 0n;
  /** struct virtio_console_config (5.3.4): cols, rows, max_nr_ports (emerg_wr is write-only). */
  readonly config = [
    { offset: 0, width: 2, value: () => 0n },
    { offset: 2, width: 2, value: () => 0n },
    { offset: 4, width: 4, value: () => 1n },
  ] as const;
  private host: BackendHost | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Input bytes dropped because the guest was not reading. */
  dropped = 0;

  constructor(private readonly output: (bytes: Uint8Array) => void) {}

  attach(host: BackendHost): void {
    this.host = host;
  }

  reset(): void {}

  /** Host input for the guest; returns how many bytes were accepted. */
  receive(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, CONSOLE_INPUT_LIMIT - this.pendingBytes);
    this.dropped += bytes.length - n;
    if (n > 0) {
      this.pending.push(bytes.slice(0, n));
      this.pendingBytes += n;
      this.host?.kick(CONSOLE_RX);
    }
    return n;
  }

  service(index: number, queue: QueueService): void {
    const ram = this.host?.ram;
    if (ram === undefined) return;
    if (index === CONSOLE_RX) this.serviceReceive(ram, queue);
    else this.serviceTransmit(ram, queue);
  }

  private serviceReceive(ram: GuestRam, queue: QueueService): void {
    while (this.pendingBytes > 0) {
      const c = queue.next();
      if (c === undefined) return;
      const take = this.take(c.writableBytes);
      const w = writeSegments(ram, c.writable, 0, take);
      queue.complete(c, w.ok ? take.length : 0);
    }
  }

  private take(max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.pendingBytes));
    let at = 0;
    while (at < out.length) {
      const head = this.pending[0];
      if (head === undefined) break;
      const n = Math.min(head.length, out.length - at);
      out.set(head.subarray(0, n), at);
      at += n;
      if (n === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(n);
    }
    this.pendingBytes -= out.length;
    return out;
  }

  private serviceTransmit(ram: GuestRam, queue: QueueService): void {
    for (let c = queue.next(); c !== undefined; c = queue.next()) {
      for (let done = 0; done < c.readableBytes; done += TX_CHUNK) {
        const r = readSegments(ram, c.readable, done, TX_CHUNK);
        if (!r.ok) break;
        this.output(r.value);
      }
      queue.complete(c, 0);
    }
  }
}

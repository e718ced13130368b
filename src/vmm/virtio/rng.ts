// virtio-rng (virtio 1.2 section 5.4): one request queue of device-writable buffers,
// filled with bytes from the host's cryptographic generator.

import type { GuestRam } from "../guest-ram.js";
import {
  writeSegments,
  type BackendHost,
  type QueueService,
  type VirtioBackend,
} from "./backend.js";
import { DeviceId } from "./constants.js";

/** Bytes given per request at most: the device may write less than offered (5.4.6). */
export const RNG_MAX_PER_REQUEST = 64 * 1024;

/** getRandomValues fills at most 65536 bytes per call (Web Crypto API, QuotaExceededError). */
const GET_RANDOM_MAX = 65536;

/** The host's CSPRNG through Web Crypto, available in Node 20 and in browsers alike. */
export function fillRandom(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += GET_RANDOM_MAX)
    globalThis.crypto.getRandomValues(bytes.subarray(at, at + GET_RANDOM_MAX));
}

export class VirtioRng implements VirtioBackend {
  readonly name = "rng";
  readonly deviceId = DeviceId.ENTROPY;
  readonly queueMax = [64];
  readonly features = 0n;
  readonly config = [];
  private ram: GuestRam | undefined;

  constructor(private readonly fill: (bytes: Uint8Array) => void = fillRandom) {}

  attach(host: BackendHost): void {
    this.ram = host.ram;
  }

  reset(): void {}

  service(_index: number, queue: QueueService): void {
    const ram = this.ram;
    for (let c = queue.next(); c !== undefined && ram !== undefined; c = queue.next()) {
      // 5.4.6.1: the driver places only device-writable buffers; anything else is refused.
      if (c.readable.length > 0) {
        queue.complete(c, 0);
        continue;
      }
      const bytes = new Uint8Array(Math.min(c.writableBytes, RNG_MAX_PER_REQUEST));
      this.fill(bytes);
      queue.complete(c, writeSegments(ram, c.writable, 0, bytes).ok ? bytes.length : 0);
    }
  }
}

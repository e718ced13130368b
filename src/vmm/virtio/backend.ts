// What a virtio device (blk, rng, console) is to the virtio-mmio transport: its ID,
// features, queues and configuration fields, and a `service` function that takes
// checked chains from a queue and completes them. The transport owns the registers,
// the status machine, the rings and interrupts; a backend never touches a ring.

import { err, ok, type Result } from "../../lib/result.js";
import type { GuestRam, GuestRamError } from "../guest-ram.js";
import type { Chain, Segment } from "./chain.js";

/** A device's view of one queue while it is serviced. */
export interface QueueService {
  /** The next well-formed chain, or undefined (empty, or the queue is broken). */
  next(): Chain | undefined;
  /** Returns `chain` to the used ring with `written` bytes written into its buffers. */
  complete(chain: Chain, written: number): void;
}

/** What the transport gives a backend. */
export interface BackendHost {
  readonly ram: GuestRam;
  /** Asks for queue `index` to be serviced (input arrived); deferred while busy. */
  kick(index: number): void;
}

/** A field of the device-specific configuration space (accessed at its own width). */
export interface ConfigField {
  readonly offset: number;
  readonly width: 1 | 2 | 4 | 8;
  readonly value: () => bigint;
}

export interface VirtioBackend {
  readonly name: string;
  readonly deviceId: number;
  /** Device-specific feature bits (0-23) offered; the transport adds its own. */
  readonly features: bigint;
  /** QueueNumMax of each queue (power of two, <= 32768). */
  readonly queueMax: readonly number[];
  readonly config: readonly ConfigField[];
  attach(host: BackendHost): void;
  /** Services queue `index` once DRIVER_OK is set; chains not completed get length 0. */
  service(index: number, queue: QueueService): void;
  /** The device was reset (status 0): drop per-driver state. */
  reset(): void;
}

/** Copies bytes of the readable (or writable) part starting at `offset` into guest RAM
 *  or out of it, segment by segment. */
function pieces(
  segments: readonly Segment[],
  offset: number,
  length: number,
): { gpa: number; at: number; length: number }[] {
  const out: { gpa: number; at: number; length: number }[] = [];
  let skip = offset;
  let done = 0;
  for (const s of segments) {
    if (done >= length) break;
    if (skip >= s.length) {
      skip -= s.length;
      continue;
    }
    const n = Math.min(s.length - skip, length - done);
    out.push({ gpa: s.gpa + skip, at: done, length: n });
    done += n;
    skip = 0;
  }
  return out;
}

/** Reads up to `length` bytes of `segments` from byte `offset` (fewer at the end). */
export function readSegments(
  ram: GuestRam,
  segments: readonly Segment[],
  offset: number,
  length: number,
): Result<Uint8Array, GuestRamError> {
  const parts = pieces(segments, offset, length);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  for (const p of parts) {
    const r = ram.read(p.gpa, p.length);
    if (!r.ok) return r;
    out.set(r.value, p.at);
  }
  return ok(out);
}

/** Writes `bytes` into `segments` from byte `offset`; fails if they do not fit. */
export function writeSegments(
  ram: GuestRam,
  segments: readonly Segment[],
  offset: number,
  bytes: Uint8Array,
): Result<void, GuestRamError | { readonly kind: "too-short" }> {
  const parts = pieces(segments, offset, bytes.length);
  if (parts.reduce((n, p) => n + p.length, 0) !== bytes.length) return err({ kind: "too-short" });
  for (const p of parts) {
    const r = ram.write(p.gpa, bytes.subarray(p.at, p.at + p.length));
    if (!r.ok) return r;
  }
  return ok();
}

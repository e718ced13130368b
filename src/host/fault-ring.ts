// The fault-report ring shared with the VMM (gunyah-abi.md section 5): a
// SharedArrayBuffer with a header { size, producer, consumer, reserved } followed by
// fixed-size entries. The host is the single producer, the VMM the single consumer.
// The producer never trusts shared memory: it keeps its own producer index and
// capacity, and validates the consumer index before every use, so a consumer that
// writes garbage loses reports but can never make the host write out of bounds.

import { layout, u32, u64 } from "../lib/layout.js";
import { isPowerOfTwo } from "../lib/checked.js";
import { VcpuFaultReason } from "../hyp/abi/objects.js";

export const FaultRingHeader = layout({ size: u32, producer: u32, consumer: u32, reserved: u32 });
export const FaultEntry = layout({ vcpu: u32, kind: u32, address: u64, info0: u64, info1: u64 });

/** What a report describes. */
export const FaultKind = {
  /** vcpu_run returned FAULT: the vCPU took a fault the hypervisor could not handle. */
  VCPU_FAULT: 1,
  /** vcpu_run returned a state this host does not know. */
  UNKNOWN_VCPU_STATE: 2,
  /** A guest page fault that demand paging could not resolve. */
  PAGE_FAULT: 3,
} as const;

export interface FaultReport {
  readonly vcpu: number;
  readonly kind: number;
  readonly address: bigint;
  readonly info0: bigint;
  readonly info1: bigint;
}

const H_SIZE = FaultRingHeader.offsets.size / 4;
const H_PRODUCER = FaultRingHeader.offsets.producer / 4;
const H_CONSUMER = FaultRingHeader.offsets.consumer / 4;

export const DEFAULT_FAULT_RING_ENTRIES = 64;

export class FaultRingProducer {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly view: DataView;
  private produced = 0;
  /** Reports lost because the ring was full. */
  dropped = 0;
  /** Reports lost because the consumer index was not a valid position. */
  invalidConsumer = 0;

  constructor(entries = DEFAULT_FAULT_RING_ENTRIES) {
    if (!isPowerOfTwo(entries) || entries > 1 << 16) throw new RangeError("fault ring entries");
    this.capacity = entries;
    // A new SharedArrayBuffer is zero-filled: no stale host data reaches the VMM.
    this.buffer = new SharedArrayBuffer(FaultRingHeader.size + entries * FaultEntry.size);
    this.header = new Int32Array(this.buffer, 0, FaultRingHeader.size / 4);
    this.view = new DataView(this.buffer);
    Atomics.store(this.header, H_SIZE, entries);
  }

  /** Publishes a report; false if it was dropped (ring full or consumer index invalid). */
  push(report: FaultReport): boolean {
    const consumer = Atomics.load(this.header, H_CONSUMER) >>> 0;
    const used = (this.produced - consumer) >>> 0;
    if (used > this.capacity) {
      // Garbage: the consumer claims to have read entries never produced, or lags by
      // more than the ring holds. Drop the report and keep serving.
      this.invalidConsumer++;
      return false;
    }
    if (used === this.capacity) {
      this.dropped++;
      return false;
    }
    const slot = this.produced & (this.capacity - 1);
    FaultEntry.encodeInto(report, this.view, FaultRingHeader.size + slot * FaultEntry.size);
    this.produced = (this.produced + 1) >>> 0;
    // The store-release of the index publishes the entry written above.
    Atomics.store(this.header, H_PRODUCER, this.produced | 0);
    Atomics.notify(this.header, H_PRODUCER);
    return true;
  }
}

/** The VMM's side: reads reports and advances the consumer index. */
export class FaultRingConsumer {
  private readonly header: Int32Array;
  private readonly capacity: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, FaultRingHeader.size / 4);
    const size = Atomics.load(this.header, H_SIZE) >>> 0;
    const fits = FaultRingHeader.size + size * FaultEntry.size <= buffer.byteLength;
    if (!isPowerOfTwo(size) || !fits) throw new RangeError("fault ring header is corrupt");
    this.capacity = size;
  }

  /** Reports produced and not yet consumed. */
  get pending(): number {
    const producer = Atomics.load(this.header, H_PRODUCER) >>> 0;
    const consumer = Atomics.load(this.header, H_CONSUMER) >>> 0;
    return Math.min((producer - consumer) >>> 0, this.capacity);
  }

  /** Takes the next report, or undefined when the ring is empty. */
  next(): FaultReport | undefined {
    const producer = Atomics.load(this.header, H_PRODUCER) >>> 0;
    const consumer = Atomics.load(this.header, H_CONSUMER) >>> 0;
    if (producer === consumer) return undefined;
    const slot = consumer & (this.capacity - 1);
    const entry = FaultEntry.decode(
      new Uint8Array(this.buffer),
      FaultRingHeader.size + slot * FaultEntry.size,
    );
    Atomics.store(this.header, H_CONSUMER, ((consumer + 1) >>> 0) | 0);
    return entry;
  }

  /** Takes every pending report. */
  drain(): FaultReport[] {
    const out: FaultReport[] = [];
    for (let r = this.next(); r; r = this.next()) out.push(r);
    return out;
  }
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/** Why the hypervisor stopped a vCPU (vcpu_run FAULT data2), in words. */
function vcpuFaultReason(reason: bigint): string {
  switch (Number(reason)) {
    case VcpuFaultReason.NESTED_ABORT:
      return "exception vector unreachable (an exception was taken with no handler mapped there)";
    case VcpuFaultReason.INTERNAL:
      return "internal error in the emulated CPU";
    default:
      return `fault reason ${reason}`;
  }
}

/** One line a VMM can show a user for a report (the entry's fields decoded). */
export function describeFaultReport(r: FaultReport): string {
  switch (r.kind) {
    case FaultKind.VCPU_FAULT:
      // address = the IPA of the access, info0 = the PC, info1 = the reason.
      return `vCPU ${r.vcpu}: ${vcpuFaultReason(r.info1)} at PC ${hex(r.info0)}, IPA ${hex(r.address)}`;
    case FaultKind.PAGE_FAULT:
      return `vCPU ${r.vcpu}: page fault at guest address ${hex(r.address)} that demand paging could not resolve`;
    case FaultKind.UNKNOWN_VCPU_STATE:
      return `vCPU ${r.vcpu}: vcpu_run returned unknown state ${r.address}`;
    default:
      return `vCPU ${r.vcpu}: fault report of kind ${r.kind}`;
  }
}

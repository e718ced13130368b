// A small guest-side virtio driver for tests: a sparse fake guest RAM that records every
// access the device makes, and a driver that programs the virtio-mmio registers and
// writes descriptors and rings as Linux's virtio_mmio and virtio_ring would.
import assert from "node:assert/strict";
import { err, ok } from "../../../src/lib/result.js";
import type { GuestRam, GuestRamError } from "../../../src/vmm/guest-ram.js";
import type { InterruptLine } from "../../../src/vmm/device.js";
import type { VirtioMmio } from "../../../src/vmm/virtio/index.js";
import { VirtioConstants as C } from "../../../src/vmm/virtio/index.js";

const { Reg, Status } = C;
export const RAM_BASE = 0x4000_0000;
const PAGE = 4096;

/** Guest RAM as 4 KiB pages created on first touch, so it can be declared huge. */
export class FakeRam implements GuestRam {
  private readonly pages = new Map<number, Uint8Array>();
  /** Accesses the device made outside RAM (its own checks should prevent all of them). */
  outOfRange = 0;
  /** Every access: [kind, gpa, length]. */
  readonly log: ["r" | "w", number, number][] = [];
  /** Pages (gpa >> 12) the host cannot reach, as if lent to the guest. */
  readonly lent = new Set<number>();

  constructor(
    readonly base = RAM_BASE,
    readonly size = 0x10_0000,
  ) {}

  private check(gpa: number, length: number): GuestRamError | undefined {
    if (!Number.isSafeInteger(gpa) || gpa < this.base || gpa + length > this.base + this.size) {
      this.outOfRange++;
      return { kind: "out-of-range", gpa, length };
    }
    for (let p = Math.floor(gpa / PAGE); p * PAGE < gpa + length; p++)
      if (this.lent.has(p)) return { kind: "inaccessible", gpa, message: "lent" };
    return undefined;
  }

  private page(n: number): Uint8Array {
    let p = this.pages.get(n);
    if (!p) this.pages.set(n, (p = new Uint8Array(PAGE)));
    return p;
  }

  read(gpa: number, length: number) {
    this.log.push(["r", gpa, length]);
    if (length === 0) return ok(new Uint8Array(0));
    const e = this.check(gpa, length);
    if (e) return err(e);
    return ok(this.peek(gpa, length));
  }

  write(gpa: number, bytes: Uint8Array) {
    this.log.push(["w", gpa, bytes.length]);
    if (bytes.length === 0) return ok();
    const e = this.check(gpa, bytes.length);
    if (e) return err(e);
    this.poke(gpa, bytes);
    return ok();
  }

  /** Test-side access, not logged. */
  peek(gpa: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const a = gpa + done;
      const n = Math.min(length - done, PAGE - (a % PAGE));
      out.set(this.page(Math.floor(a / PAGE)).subarray(a % PAGE, (a % PAGE) + n), done);
      done += n;
    }
    return out;
  }

  poke(gpa: number, bytes: Uint8Array | readonly number[]): void {
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    for (let done = 0; done < data.length;) {
      const a = gpa + done;
      const n = Math.min(data.length - done, PAGE - (a % PAGE));
      this.page(Math.floor(a / PAGE)).set(data.subarray(done, done + n), a % PAGE);
      done += n;
    }
  }

  u16(gpa: number): number {
    const b = this.peek(gpa, 2);
    return (b[0] ?? 0) | ((b[1] ?? 0) << 8);
  }

  setU16(gpa: number, v: number): void {
    this.poke(gpa, [v & 0xff, (v >> 8) & 0xff]);
  }
}

export class FakeLine implements InterruptLine {
  level = false;
  rises = 0;
  set(level: boolean): void {
    if (level && !this.level) this.rises++;
    this.level = level;
  }
}

export interface Desc {
  addr: number | bigint;
  len: number;
  flags?: number;
  next?: number;
}

export function encodeDesc(d: Desc): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(d.addr), true);
  v.setUint32(8, d.len >>> 0, true);
  v.setUint16(12, d.flags ?? 0, true);
  v.setUint16(14, d.next ?? 0, true);
  return b;
}

/** The driver's side of one split virtqueue (2.7.13). */
export class DriverQueue {
  private availIdx = 0;
  private lastUsed = 0;
  constructor(
    readonly ram: FakeRam,
    readonly size: number,
    readonly desc: number,
    readonly avail: number,
    readonly used: number,
  ) {}

  setDesc(i: number, d: Desc): void {
    this.ram.poke(this.desc + 16 * i, encodeDesc(d));
  }

  /** Writes descriptors i.. as a chain (NEXT links i -> i+1) and makes head i available. */
  chain(first: number, descs: Desc[]): number {
    descs.forEach((d, k) => {
      const last = k === descs.length - 1;
      this.setDesc(first + k, {
        ...d,
        flags: (d.flags ?? 0) | (last ? 0 : C.DescFlag.NEXT),
        next: last ? 0 : first + k + 1,
      });
    });
    this.offer(first);
    return first;
  }

  offer(head: number): void {
    this.ram.setU16(this.avail + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.ram.setU16(this.avail + 2, this.availIdx);
  }

  /** Sets the available index directly (hostile drivers). */
  setAvailIdx(v: number): void {
    this.availIdx = v & 0xffff;
    this.ram.setU16(this.avail + 2, this.availIdx);
  }

  setAvailFlags(v: number): void {
    this.ram.setU16(this.avail, v);
  }

  /** Used elements published since the last call. */
  takeUsed(): { id: number; len: number }[] {
    const out: { id: number; len: number }[] = [];
    const idx = this.ram.u16(this.used + 2);
    while (this.lastUsed !== idx) {
      const e = new DataView(
        this.ram.peek(this.used + 4 + 8 * (this.lastUsed % this.size), 8).buffer,
      );
      out.push({ id: e.getUint32(0, true), len: e.getUint32(4, true) });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }
}

/** Drives a VirtioMmio's registers like Linux's virtio_mmio (4.2.3). */
export class Driver {
  constructor(
    readonly dev: VirtioMmio,
    readonly ram: FakeRam,
  ) {}

  read(off: number, width: 1 | 2 | 4 = 4): number {
    const r = this.dev.read(off, width);
    assert.ok(r.ok, `read 0x${off.toString(16)}: ${r.ok ? "" : r.error.reason}`);
    return Number(r.value);
  }

  write(off: number, v: number | bigint, width: 1 | 2 | 4 = 4): void {
    const r = this.dev.write(off, width, BigInt(v));
    assert.ok(r.ok, `write 0x${off.toString(16)}: ${r.ok ? "" : r.error.reason}`);
  }

  tryWrite(off: number, v: number | bigint, width: 1 | 2 | 4 = 4): boolean {
    return this.dev.write(off, width, BigInt(v)).ok;
  }

  deviceFeatures(): bigint {
    this.write(Reg.DeviceFeaturesSel, 1);
    const hi = BigInt(this.read(Reg.DeviceFeatures));
    this.write(Reg.DeviceFeaturesSel, 0);
    return (hi << 32n) | BigInt(this.read(Reg.DeviceFeatures));
  }

  /** Steps 1-6 of 3.1.1; returns whether FEATURES_OK stuck. */
  negotiate(features?: bigint): boolean {
    this.write(Reg.Status, 0);
    this.write(Reg.Status, Status.ACKNOWLEDGE);
    this.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER);
    const f = features ?? this.deviceFeatures();
    this.write(Reg.DriverFeaturesSel, 1);
    this.write(Reg.DriverFeatures, Number(f >> 32n));
    this.write(Reg.DriverFeaturesSel, 0);
    this.write(Reg.DriverFeatures, Number(f & 0xffff_ffffn));
    this.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK);
    return (this.read(Reg.Status) & Status.FEATURES_OK) !== 0;
  }

  /** Queue `index` of `size` at RAM_BASE + index * 64 KiB (desc, +4 KiB avail, +8 KiB used). */
  setupQueue(index: number, size = 16): DriverQueue {
    const at = this.ram.base + index * 0x1_0000;
    const q = new DriverQueue(this.ram, size, at, at + 0x1000, at + 0x2000);
    this.ram.poke(at, new Uint8Array(0x3000)); // fresh, zeroed rings as vring_create_virtqueue's
    this.write(Reg.QueueSel, index);
    assert.equal(this.read(Reg.QueueReady), 0);
    this.write(Reg.QueueNum, size);
    this.write(Reg.QueueDescLow, q.desc);
    this.write(Reg.QueueDescHigh, 0);
    this.write(Reg.QueueDriverLow, q.avail);
    this.write(Reg.QueueDriverHigh, 0);
    this.write(Reg.QueueDeviceLow, q.used);
    this.write(Reg.QueueDeviceHigh, 0);
    this.write(Reg.QueueReady, 1);
    return q;
  }

  driverOk(): void {
    this.write(Reg.Status, this.read(Reg.Status) | Status.DRIVER_OK);
  }

  notify(index: number): void {
    this.write(Reg.QueueNotify, index);
  }

  /** Linux's vm_interrupt: read status, acknowledge it. */
  ackInterrupt(): number {
    const s = this.read(Reg.InterruptStatus);
    this.write(Reg.InterruptAck, s);
    return s;
  }
}

/** Buffers for tests live from RAM_BASE + 512 KiB. */
export const BUF = RAM_BASE + 0x8_0000;

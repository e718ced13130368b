// The virtio-mmio transport, Version 2 (virtio 1.2 section 4.2.2): registers, feature
// negotiation, the status machine (status.ts), queue set-up and used-buffer interrupts
// around a device backend (backend.ts). Every register access a guest could get wrong
// is refused with a DeviceFault (the bus answers it with an external abort).

import { err, ok, type Result } from "../../lib/result.js";
import { invariant } from "../../lib/assert.js";
import { isPowerOfTwo, u64ToSafe } from "../../lib/checked.js";
import { RateLimitedLog } from "../../lib/log.js";
import type { AccessWidth, DeviceFault, InterruptLine, MmioDevice } from "../device.js";
import type { GuestRam } from "../guest-ram.js";
import type { Segment } from "./chain.js";
import { readConfig } from "./config-space.js";
import * as C from "./constants.js";
import type { VirtioBackend } from "./backend.js";
import { serviceQueue } from "./service.js";
import { areaExtents, checkAreas, SplitQueue } from "./queue.js";
import { nextStatus, RESET_STATUS, statusValue, type DeviceStatus } from "./status.js";
import { macrotask } from "../../lib/macrotask.js";

const { Reg } = C;

interface QueueRegs {
  num: number;
  /** Low and high words of the three area addresses, as written. */
  readonly addr: { desc: [number, number]; avail: [number, number]; used: [number, number] };
  live: SplitQueue | undefined;
}

export interface VirtioMmioOptions {
  /** Offer VIRTIO_F_INDIRECT_DESC (default true). */
  readonly indirect?: boolean;
  /** Offer VIRTIO_F_EVENT_IDX (default false: flags-based suppression only). */
  readonly eventIdx?: boolean;
}

const refuse = (reason: string): Result<never, DeviceFault> => err({ reason });

/** Register names of the virtio 1.2 spec (4.2.2), by offset; config space by its offset. */
const REG_NAMES = new Map<number, string>(Object.entries(C.Reg).map(([k, v]) => [v, k]));

export function virtioRegisterName(offset: number): string {
  if (offset >= C.VIRTIO_CONFIG_OFFSET)
    return `Config+0x${(offset - C.VIRTIO_CONFIG_OFFSET).toString(16)}`;
  return REG_NAMES.get(offset) ?? `0x${offset.toString(16)}`;
}

export class VirtioMmio implements MmioDevice {
  readonly size = C.VIRTIO_MMIO_SIZE;
  readonly widths: readonly AccessWidth[] = [1, 2, 4];
  readonly name: string;
  /** Every feature bit this device offers (device-specific + transport). */
  readonly offered: bigint;
  private status: DeviceStatus = RESET_STATUS;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private readonly queues: QueueRegs[];
  private busy = false;
  private readonly pendingKicks = new Set<number>();
  private readonly log: RateLimitedLog;

  constructor(
    private readonly backend: VirtioBackend,
    private readonly ram: GuestRam,
    private readonly irq: InterruptLine | undefined,
    options: VirtioMmioOptions = {},
  ) {
    for (const max of backend.queueMax)
      invariant(isPowerOfTwo(max) && max <= C.MAX_QUEUE_SIZE, `bad queue size ${max}`);
    this.name = `virtio-${backend.name}`;
    this.log = new RateLimitedLog(this.name);
    this.offered =
      backend.features |
      C.Feature.VERSION_1 |
      (options.indirect === false ? 0n : C.Feature.RING_INDIRECT_DESC) |
      (options.eventIdx === true ? C.Feature.RING_EVENT_IDX : 0n);
    this.queues = backend.queueMax.map(() => this.freshQueue());
    this.resetQueues();
    backend.attach({ ram, kick: (i) => this.kick(i) });
  }

  registerName(offset: number): string {
    return virtioRegisterName(offset);
  }

  /** Status as the driver reads it. */
  get statusRegister(): number {
    return statusValue(this.status);
  }

  /** Features the driver accepted (meaningful once FEATURES_OK is set). */
  get negotiated(): bigint {
    return this.driverFeatures;
  }

  read(offset: number, width: AccessWidth): Result<bigint, DeviceFault> {
    if (this.busy) return refuse("register access while the device is busy (re-entrant DMA)");
    if (offset >= C.VIRTIO_CONFIG_OFFSET) {
      const r = readConfig(this.backend.config, offset - C.VIRTIO_CONFIG_OFFSET, width);
      return r.ok ? ok(r.value) : refuse(r.error);
    }
    if (width !== 4) return refuse(`${width}-byte access to register 0x${offset.toString(16)}`);
    const r = this.readRegister(offset);
    return r === undefined
      ? refuse(`register 0x${offset.toString(16)} is not readable`)
      : ok(BigInt(r >>> 0));
  }

  private readRegister(offset: number): number | undefined {
    switch (offset) {
      case Reg.MagicValue:
        return C.VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return C.VIRTIO_MMIO_VERSION;
      case Reg.DeviceId:
        return this.backend.deviceId;
      case Reg.VendorId:
        return C.VIRTIO_VENDOR_ID;
      case Reg.DeviceFeatures:
        return this.deviceFeaturesSel > 1
          ? 0
          : Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case Reg.QueueNumMax:
        return this.backend.queueMax[this.queueSel] ?? 0;
      case Reg.QueueReady:
        return this.queues[this.queueSel]?.live ? 1 : 0;
      case Reg.InterruptStatus:
        return this.interruptStatus;
      case Reg.Status:
        return statusValue(this.status);
      case Reg.ConfigGeneration:
        return this.configGeneration;
      default:
        return undefined;
    }
  }

  write(offset: number, width: AccessWidth, value: bigint): Result<void, DeviceFault> {
    if (this.busy) return refuse("register access while the device is busy (re-entrant DMA)");
    if (offset >= C.VIRTIO_CONFIG_OFFSET) return refuse("the configuration space is read-only");
    if (width !== 4) return refuse(`${width}-byte access to register 0x${offset.toString(16)}`);
    const v = Number(value & 0xffff_ffffn);
    switch (offset) {
      case Reg.DeviceFeaturesSel:
        this.deviceFeaturesSel = v;
        return ok();
      case Reg.DriverFeaturesSel:
        this.driverFeaturesSel = v;
        return ok();
      case Reg.DriverFeatures:
        return this.writeDriverFeatures(v);
      case Reg.QueueSel:
        if (v >= this.queues.length) return refuse(`QueueSel ${v} >= ${this.queues.length} queues`);
        this.queueSel = v;
        return ok();
      case Reg.QueueNum:
        return this.writeQueueNum(v);
      case Reg.QueueReady:
        return this.writeQueueReady(v);
      case Reg.QueueNotify:
        if (v >= this.queues.length)
          return refuse(`QueueNotify ${v} >= ${this.queues.length} queues`);
        this.kick(v);
        return ok();
      case Reg.InterruptAck:
        if ((v & ~(C.Interrupt.USED_BUFFER | C.Interrupt.CONFIG_CHANGE)) !== 0)
          return refuse(`InterruptACK 0x${v.toString(16)} has undefined bits`);
        this.interruptStatus &= ~v;
        this.irq?.set(this.interruptStatus !== 0);
        return ok();
      case Reg.Status:
        return this.writeStatus(v);
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        return this.writeQueueAddress(offset, v);
      default:
        return refuse(`register 0x${offset.toString(16)} is not writable`);
    }
  }

  private writeDriverFeatures(v: number): Result<void, DeviceFault> {
    const { stage, failed } = this.status;
    if (stage !== "driver" || failed)
      return refuse(
        `DriverFeatures written in stage ${stage} (3.1.1: after DRIVER, before FEATURES_OK)`,
      );
    if (this.driverFeaturesSel > 1) return v === 0 ? ok() : refuse("feature bits above 63");
    const shift = BigInt(32 * this.driverFeaturesSel);
    const word = BigInt(v) << shift;
    if ((word & ~this.offered) !== 0n)
      return refuse(`features 0x${word.toString(16)} include bits the device did not offer`);
    this.driverFeatures = (this.driverFeatures & ~(0xffff_ffffn << shift)) | word;
    return ok();
  }

  private writeStatus(v: number): Result<void, DeviceFault> {
    const next = nextStatus(this.status, v);
    switch (next.kind) {
      case "reset":
        this.reset();
        return ok();
      case "refused":
        return refuse(next.reason);
      case "move": {
        const from = this.status.stage;
        // 3.1.1 step 6: FEATURES_OK stays clear if the device rejects the subset; the
        // driver re-reads Status to find out. Version 2 requires VIRTIO_F_VERSION_1.
        if (next.next.stage === "features-ok" && from === "driver") {
          if ((this.driverFeatures & C.Feature.VERSION_1) === 0n) {
            this.log.warn("FEATURES_OK without VIRTIO_F_VERSION_1: left clear");
            this.status = { ...next.next, stage: from }; // a FAILED in the same write stays
            return ok();
          }
        }
        this.status = next.next;
        if (next.next.stage === "driver-ok" && from !== "driver-ok")
          for (let i = 0; i < this.queues.length; i++) this.kick(i);
        return ok();
      }
    }
  }

  /** Queue registers may be written between FEATURES_OK and DRIVER_OK, while not ready. */
  private setupQueue(): QueueRegs | string {
    const q = this.queues[this.queueSel];
    invariant(q !== undefined, "QueueSel is checked on write");
    if (this.status.stage !== "features-ok" || this.status.failed)
      return `queue set-up in stage ${this.status.stage} (4.2.3.2: after FEATURES_OK, before DRIVER_OK)`;
    if (q.live) return `queue ${this.queueSel} set up while ready`;
    return q;
  }

  private writeQueueNum(v: number): Result<void, DeviceFault> {
    const q = this.setupQueue();
    if (typeof q === "string") return refuse(q);
    const max = this.backend.queueMax[this.queueSel] ?? 0;
    if (v === 0 || v > max || !isPowerOfTwo(v))
      return refuse(`QueueNum ${v}: must be a power of two in 1..${max} (2.7)`);
    q.num = v;
    return ok();
  }

  private writeQueueAddress(offset: number, v: number): Result<void, DeviceFault> {
    const q = this.setupQueue();
    if (typeof q === "string") return refuse(q);
    const area =
      offset < Reg.QueueDriverLow
        ? q.addr.desc
        : offset < Reg.QueueDeviceLow
          ? q.addr.avail
          : q.addr.used;
    area[(offset & 4) === 0 ? 0 : 1] = v;
    return ok();
  }

  private writeQueueReady(v: number): Result<void, DeviceFault> {
    const q = this.queues[this.queueSel];
    invariant(q !== undefined, "QueueSel is checked on write");
    if (v === 0) {
      // Disabling is always allowed (Linux writes 0 after a reset when it deletes vqs).
      q.live = undefined;
      return ok();
    }
    if (v !== 1) return refuse(`QueueReady ${v}`);
    const setup = this.setupQueue();
    if (typeof setup === "string") return refuse(setup);
    const addr = (w: [number, number]) => u64ToSafe((BigInt(w[1]) << 32n) | BigInt(w[0])) ?? -1;
    const areas = {
      size: q.num,
      desc: addr(q.addr.desc),
      avail: addr(q.addr.avail),
      used: addr(q.addr.used),
    };
    const bad = checkAreas(this.ram, areas);
    if (bad !== undefined) return refuse(`queue ${this.queueSel}: ${bad}`);
    const has = (f: bigint) => (this.driverFeatures & f) !== 0n;
    q.live = new SplitQueue(
      this.ram,
      areas,
      has(C.Feature.RING_INDIRECT_DESC),
      has(C.Feature.RING_EVENT_IDX),
      () => this.ringAreas(),
    );
    return ok();
  }

  /** Every live queue's areas: buffers must not overlap any of them. */
  private ringAreas(): Segment[] {
    return this.queues.flatMap((q) => (q.live ? areaExtents(q.live.areas) : []));
  }

  private freshQueue(): QueueRegs {
    return { num: 0, addr: { desc: [0, 0], avail: [0, 0], used: [0, 0] }, live: undefined };
  }

  private resetQueues(): void {
    this.queues.forEach((_, i) => {
      this.queues[i] = { ...this.freshQueue(), num: this.backend.queueMax[i] ?? 0 };
    });
  }

  /** Status 0 (4.2.3.1): all queue state, features and interrupts are dropped. */
  private reset(): void {
    this.status = RESET_STATUS;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.resetQueues();
    this.pendingKicks.clear();
    this.interruptStatus = 0;
    this.irq?.set(false);
    this.backend.reset();
  }

  private active(): boolean {
    const s = this.status;
    return s.stage === "driver-ok" && !s.failed && !s.needsReset;
  }

  /** The device broke (a ring is unusable): DEVICE_NEEDS_RESET and a config interrupt (2.1.2). */
  private fail(reason: string): void {
    this.log.warn(`needs reset: ${reason}`);
    this.status = { ...this.status, needsReset: true };
    this.raise(C.Interrupt.CONFIG_CHANGE);
  }

  private raise(bit: number): void {
    this.interruptStatus |= bit;
    this.irq?.set(true);
  }

  /** Services queue `index`; a kick during servicing (from the device) runs after it. */
  private kick(index: number): void {
    if (this.busy) {
      this.pendingKicks.add(index);
      return;
    }
    this.busy = true;
    try {
      this.serviceQueue(index);
      while (this.pendingKicks.size > 0) {
        const [next] = this.pendingKicks;
        invariant(next !== undefined, "non-empty set");
        this.pendingKicks.delete(next);
        this.serviceQueue(next);
      }
    } finally {
      this.busy = false;
    }
  }

  private serviceQueue(index: number): void {
    const q = this.queues[index]?.live;
    if (!q || !this.active()) return;
    const before = q.usedIndex;
    const used = serviceQueue(q, index, this.backend, {
      active: () => this.active(),
      fail: (reason) => this.fail(reason),
      warn: (message) => this.log.warn(message),
      again: () => macrotask(() => this.kick(index)),
    });
    if (used > 0 && this.active()) {
      const want = q.wantsInterrupt(before);
      if (!want.ok) this.fail(want.error);
      else if (want.value) this.raise(C.Interrupt.USED_BUFFER);
    }
  }
}

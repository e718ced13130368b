// Split virtqueue handling (virtio 1.2 section 2.7) against hostile chains: every
// malformed chain comes back with length 0 and the queue keeps working; a broken ring
// sets DEVICE_NEEDS_RESET with a configuration-change interrupt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../../src/lib/log.js";
import {
  VirtioMmio,
  VirtioConstants as C,
  type Chain,
  type QueueService,
  type VirtioBackend,
} from "../../../src/vmm/virtio/index.js";
import { BUF, Driver, FakeLine, FakeRam, encodeDesc, RAM_BASE } from "./driver.js";

setLogSink(() => {});
const { DescFlag, Status, Reg } = C;
const W = DescFlag.WRITE;

/** A backend that records each chain and completes it as fully written. */
class Recorder implements VirtioBackend {
  readonly name = "test";
  readonly deviceId = 42;
  readonly features = 0n;
  readonly queueMax = [16, 16];
  readonly config = [];
  readonly chains: Chain[] = [];
  onService: ((q: QueueService) => void) | undefined;
  attach(): void {}
  reset(): void {}
  service(_i: number, q: QueueService): void {
    if (this.onService) return this.onService(q);
    for (let c = q.next(); c; c = q.next()) {
      this.chains.push(c);
      q.complete(c, c.writableBytes);
    }
  }
}

function setup(opts: { features?: bigint; ram?: FakeRam; eventIdx?: boolean } = {}) {
  const ram = opts.ram ?? new FakeRam();
  const line = new FakeLine();
  const backend = new Recorder();
  const dev = new VirtioMmio(backend, ram, line, { eventIdx: opts.eventIdx ?? false });
  const drv = new Driver(dev, ram);
  assert.ok(drv.negotiate(opts.features ?? C.Feature.VERSION_1 | C.Feature.RING_INDIRECT_DESC));
  const q = drv.setupQueue(0);
  drv.setupQueue(1);
  drv.driverOk();
  return { ram, line, backend, dev, drv, q };
}

test("a well-formed chain reaches the device and its head comes back with the length written", () => {
  const { q, drv, backend, line, ram } = setup();
  q.chain(0, [
    { addr: BUF, len: 16 },
    { addr: BUF + 0x100, len: 64, flags: W },
  ]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 64 }]);
  assert.equal(backend.chains.length, 1);
  assert.deepEqual(backend.chains[0]?.readable, [{ gpa: BUF, length: 16 }]);
  assert.deepEqual(backend.chains[0]?.writable, [{ gpa: BUF + 0x100, length: 64 }]);
  assert.equal(line.rises, 1);
  assert.equal(drv.ackInterrupt(), C.Interrupt.USED_BUFFER);
  assert.equal(line.level, false);
  assert.equal(ram.outOfRange, 0);
});

/** Offers a malformed chain, then a good one: the first comes back empty, the second works. */
function refusedThenRecovers(build: (s: ReturnType<typeof setup>) => number, opts = {}) {
  const s = setup(opts);
  const head = build(s);
  s.q.chain(10, [{ addr: BUF, len: 8 }]);
  s.drv.notify(0);
  assert.deepEqual(s.q.takeUsed(), [
    { id: head, len: 0 },
    { id: 10, len: 0 },
  ]);
  assert.equal(s.backend.chains.length, 1, "only the good chain reached the device");
  assert.equal(s.backend.chains[0]?.head, 10);
  assert.equal(s.dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
  assert.equal(s.ram.outOfRange, 0, "the device checked before touching RAM");
}

test("hostile chains are returned with length 0 and never wedge the queue", async (t) => {
  const cases: [string, (s: ReturnType<typeof setup>) => number, object?][] = [
    [
      "a loop",
      ({ q }) => {
        q.setDesc(0, { addr: BUF, len: 8, flags: DescFlag.NEXT, next: 1 });
        q.setDesc(1, { addr: BUF, len: 8, flags: DescFlag.NEXT, next: 0 });
        q.offer(0);
        return 0;
      },
    ],
    [
      "a self-loop",
      ({ q }) => {
        q.setDesc(3, { addr: BUF, len: 8, flags: DescFlag.NEXT, next: 3 });
        q.offer(3);
        return 3;
      },
    ],
    [
      "next out of range",
      ({ q }) => {
        q.setDesc(0, { addr: BUF, len: 8, flags: DescFlag.NEXT, next: 16 });
        q.offer(0);
        return 0;
      },
    ],
    ["length 0", ({ q }) => q.chain(0, [{ addr: BUF, len: 0 }])],
    ["a buffer below RAM", ({ q }) => q.chain(0, [{ addr: RAM_BASE - 8, len: 16 }])],
    ["a buffer past RAM", ({ q, ram }) => q.chain(0, [{ addr: ram.base + ram.size - 8, len: 16 }])],
    ["a buffer in MMIO space", ({ q }) => q.chain(0, [{ addr: 0x0a00_0000, len: 16 }])],
    ["an address above 2^53", ({ q }) => q.chain(0, [{ addr: 0xffff_ffff_ffff_f000n, len: 16 }])],
    [
      "a buffer over the descriptor table",
      ({ q }) => q.chain(0, [{ addr: q.desc + 8, len: 8, flags: W }]),
    ],
    [
      "a buffer over the used ring",
      ({ q }) => q.chain(0, [{ addr: q.used - 4, len: 8, flags: W }]),
    ],
    [
      "a buffer over another queue's ring",
      ({ q, drv }) => {
        void drv;
        return q.chain(0, [{ addr: RAM_BASE + 0x1_0000, len: 8 }]);
      },
    ],
    [
      "readable after writable",
      ({ q }) =>
        q.chain(0, [
          { addr: BUF, len: 8, flags: W },
          { addr: BUF + 8, len: 8 },
        ]),
    ],
    [
      "indirect with NEXT",
      ({ q, ram }) => {
        ram.poke(BUF + 0x1000, encodeDesc({ addr: BUF, len: 8 }));
        q.setDesc(0, {
          addr: BUF + 0x1000,
          len: 16,
          flags: DescFlag.INDIRECT | DescFlag.NEXT,
          next: 1,
        });
        q.setDesc(1, { addr: BUF, len: 8 });
        q.offer(0);
        return 0;
      },
    ],
    [
      "an indirect table of 24 bytes",
      ({ q }) => q.chain(0, [{ addr: BUF + 0x1000, len: 24, flags: DescFlag.INDIRECT }]),
    ],
    [
      "an empty indirect table",
      ({ q }) => q.chain(0, [{ addr: BUF + 0x1000, len: 0, flags: DescFlag.INDIRECT }]),
    ],
    [
      "an indirect table outside RAM",
      ({ q, ram }) =>
        q.chain(0, [{ addr: ram.base + ram.size - 16, len: 32, flags: DescFlag.INDIRECT }]),
    ],
    [
      "an indirect table longer than the queue",
      ({ q }) => q.chain(0, [{ addr: BUF + 0x1000, len: 17 * 16, flags: DescFlag.INDIRECT }]),
    ],
    [
      "nested indirect tables",
      ({ q, ram }) => {
        ram.poke(
          BUF + 0x1000,
          encodeDesc({ addr: BUF + 0x2000, len: 16, flags: DescFlag.INDIRECT }),
        );
        ram.poke(BUF + 0x2000, encodeDesc({ addr: BUF, len: 8 }));
        return q.chain(0, [{ addr: BUF + 0x1000, len: 16, flags: DescFlag.INDIRECT }]);
      },
    ],
    [
      "a loop inside an indirect table",
      ({ q, ram }) => {
        ram.poke(BUF + 0x1000, encodeDesc({ addr: BUF, len: 8, flags: DescFlag.NEXT, next: 1 }));
        ram.poke(BUF + 0x1010, encodeDesc({ addr: BUF, len: 8, flags: DescFlag.NEXT, next: 0 }));
        return q.chain(0, [{ addr: BUF + 0x1000, len: 32, flags: DescFlag.INDIRECT }]);
      },
    ],
    [
      "next out of an indirect table",
      ({ q, ram }) => {
        ram.poke(BUF + 0x1000, encodeDesc({ addr: BUF, len: 8, flags: DescFlag.NEXT, next: 2 }));
        ram.poke(BUF + 0x1010, encodeDesc({ addr: BUF, len: 8 }));
        return q.chain(0, [{ addr: BUF + 0x1000, len: 32, flags: DescFlag.INDIRECT }]);
      },
    ],
    [
      "an indirect descriptor after a direct one",
      ({ q, ram }) => {
        ram.poke(BUF + 0x1000, encodeDesc({ addr: BUF, len: 8 }));
        return q.chain(0, [
          { addr: BUF, len: 8 },
          { addr: BUF + 0x1000, len: 16, flags: DescFlag.INDIRECT },
        ]);
      },
    ],
  ];
  for (const [name, build] of cases) await t.test(name, () => refusedThenRecovers(build));
  await t.test("indirect descriptors without the feature", () =>
    refusedThenRecovers(
      ({ q, ram }) => {
        ram.poke(BUF + 0x1000, encodeDesc({ addr: BUF, len: 8 }));
        return q.chain(0, [{ addr: BUF + 0x1000, len: 16, flags: DescFlag.INDIRECT }]);
      },
      { features: C.Feature.VERSION_1 },
    ),
  );
  await t.test("a chain totalling more than 2^32 bytes", () =>
    refusedThenRecovers(
      ({ q }) =>
        q.chain(0, [
          { addr: RAM_BASE + 0x1_0000_0000, len: 0x8000_0000 },
          { addr: RAM_BASE + 0x1_8000_0000, len: 0x8000_0000 },
        ]),
      { ram: new FakeRam(RAM_BASE, 0x2_0000_0000) },
    ),
  );
});

test("an indirect table is walked, read once, and its WRITE flag on the table entry ignored", () => {
  const { q, drv, backend, ram } = setup();
  ram.poke(BUF + 0x1000, encodeDesc({ addr: BUF, len: 16, flags: DescFlag.NEXT, next: 1 }));
  ram.poke(
    BUF + 0x1010,
    encodeDesc({ addr: BUF + 0x100, len: 512, flags: W | DescFlag.NEXT, next: 2 }),
  );
  ram.poke(BUF + 0x1020, encodeDesc({ addr: BUF + 0x400, len: 1, flags: W }));
  q.chain(0, [{ addr: BUF + 0x1000, len: 48, flags: DescFlag.INDIRECT | W }]);
  ram.log.length = 0;
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 513 }]);
  assert.equal(backend.chains[0]?.readableBytes, 16);
  assert.deepEqual(
    backend.chains[0]?.writable.map((s) => s.length),
    [512, 1],
  );
  const tableReads = ram.log.filter(([k, a]) => k === "r" && a >= BUF + 0x1000 && a < BUF + 0x1030);
  assert.deepEqual(tableReads, [["r", BUF + 0x1000, 48]]);
});

test("each direct descriptor is read once, into a local copy", () => {
  const { q, drv, ram } = setup();
  q.chain(4, [
    { addr: BUF, len: 8 },
    { addr: BUF + 8, len: 8 },
    { addr: BUF + 16, len: 8, flags: W },
  ]);
  ram.log.length = 0;
  drv.notify(0);
  const descReads = ram.log.filter(([k, a]) => k === "r" && a >= q.desc && a < q.desc + 16 * 16);
  assert.deepEqual(descReads, [
    ["r", q.desc + 64, 16],
    ["r", q.desc + 80, 16],
    ["r", q.desc + 96, 16],
  ]);
});

test("an available index jumping more than the queue size sets DEVICE_NEEDS_RESET; reset recovers", () => {
  const { q, drv, dev, line, backend } = setup();
  q.setAvailIdx(17);
  drv.notify(0);
  assert.notEqual(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
  assert.equal(drv.ackInterrupt(), C.Interrupt.CONFIG_CHANGE);
  assert.equal(line.rises, 1);
  assert.equal(backend.chains.length, 0);
  // The driver's read-modify-write may carry NEEDS_RESET back; it may not set it itself.
  drv.write(Reg.Status, dev.statusRegister | Status.FAILED);
  drv.write(Reg.Status, 0);
  assert.equal(drv.read(Reg.Status), 0);
  assert.ok(drv.negotiate());
  const q2 = drv.setupQueue(0);
  drv.driverOk();
  q2.chain(0, [{ addr: BUF, len: 8, flags: W }]);
  drv.notify(0);
  assert.deepEqual(q2.takeUsed(), [{ id: 0, len: 8 }]);
});

test("a head out of range breaks the ring (it cannot be returned): DEVICE_NEEDS_RESET", () => {
  const { q, drv, dev } = setup();
  q.offer(16);
  drv.notify(0);
  assert.notEqual(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
  assert.deepEqual(q.takeUsed(), []);
});

test("rings the host cannot reach (lent pages) set DEVICE_NEEDS_RESET instead of throwing", () => {
  const { q, drv, dev, ram } = setup();
  q.chain(0, [{ addr: BUF, len: 8 }]);
  ram.lent.add(Math.floor(q.used / 4096));
  drv.notify(0);
  assert.notEqual(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
});

test("a buffer in a lent page: the request completes with 0 bytes, the queue goes on", () => {
  const { q, drv, ram, backend } = setup();
  backend.onService = (svc) => {
    for (let c = svc.next(); c; c = svc.next()) {
      const seg = c.writable[0];
      const okWrite = seg !== undefined && ram.write(seg.gpa, new Uint8Array(seg.length)).ok;
      svc.complete(c, okWrite ? c.writableBytes : 0);
    }
  };
  ram.lent.add(Math.floor(BUF / 4096));
  q.chain(0, [{ addr: BUF, len: 8, flags: W }]);
  q.chain(1, [{ addr: BUF + 0x2000, len: 8, flags: W }]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [
    { id: 0, len: 0 },
    { id: 1, len: 8 },
  ]);
});

test("VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the used-buffer interrupt", () => {
  const { q, drv, line } = setup();
  q.setAvailFlags(C.AVAIL_F_NO_INTERRUPT);
  q.chain(0, [{ addr: BUF, len: 8, flags: W }]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 8 }]);
  assert.equal(line.rises, 0);
  assert.equal(drv.read(Reg.InterruptStatus), 0);
});

test("chains a device leaves uncompleted still come back (length 0); a written length is capped", () => {
  const { q, drv, backend } = setup();
  let n = 0;
  backend.onService = (svc) => {
    for (let c = svc.next(); c; c = svc.next()) if (n++ === 1) svc.complete(c, 1 << 30);
  };
  q.chain(0, [{ addr: BUF, len: 8, flags: W }]);
  q.chain(1, [{ addr: BUF, len: 8, flags: W }]);
  q.chain(2, [{ addr: BUF, len: 8, flags: W }]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [
    { id: 0, len: 0 },
    { id: 1, len: 8 },
    { id: 2, len: 0 },
  ]);
});

test("a device's DMA never re-enters its own registers", () => {
  const { q, drv, dev, backend } = setup();
  const tried: boolean[] = [];
  backend.onService = (svc) => {
    tried.push(dev.read(Reg.Status, 4).ok, dev.write(Reg.QueueNotify, 4, 0n).ok);
    for (let c = svc.next(); c; c = svc.next()) svc.complete(c, 0);
  };
  q.chain(0, [{ addr: BUF, len: 8 }]);
  drv.notify(0);
  assert.deepEqual(tried, [false, false]);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 0 }]);
});

test("a 16-bit available index wraps", () => {
  const { q, drv } = setup();
  for (let round = 0; round < 70_000 / 16; round++) {
    for (let i = 0; i < 16; i++) q.chain(i, [{ addr: BUF, len: 4, flags: W }]);
    drv.notify(0);
    assert.equal(q.takeUsed().length, 16);
  }
});

test("notifications before DRIVER_OK are served when DRIVER_OK is set", () => {
  const ram = new FakeRam();
  const backend = new Recorder();
  const drv = new Driver(new VirtioMmio(backend, ram, new FakeLine()), ram);
  assert.ok(drv.negotiate());
  const q = drv.setupQueue(1);
  q.chain(0, [{ addr: BUF, len: 8, flags: W }]);
  drv.notify(1);
  assert.equal(backend.chains.length, 0);
  drv.driverOk();
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 8 }]);
});

test("VIRTIO_F_EVENT_IDX: offered only on request; avail_event published; used_event decides interrupts", () => {
  assert.equal(setup().drv.deviceFeatures() & C.Feature.RING_EVENT_IDX, 0n);
  const features = C.Feature.VERSION_1 | C.Feature.RING_EVENT_IDX;
  const { q, drv, line, ram } = setup({ eventIdx: true, features });
  const usedEvent = q.avail + 4 + 2 * q.size;
  const availEvent = q.used + 4 + 8 * q.size;
  q.chain(0, [{ addr: BUF, len: 4, flags: W }]);
  drv.notify(0);
  assert.equal(ram.u16(availEvent), 1, "notify me when buffer 1 is available");
  assert.equal(line.rises, 1, "used_event 0: interrupt after used index 0 -> 1");
  drv.ackInterrupt();
  ram.setU16(usedEvent, 5);
  q.chain(1, [{ addr: BUF, len: 4, flags: W }]);
  drv.notify(0);
  assert.equal(line.rises, 1, "used index 1 -> 2 does not pass used_event 5");
  ram.setU16(q.avail, C.AVAIL_F_NO_INTERRUPT); // ignored with EVENT_IDX (2.7.10)
  for (let i = 2; i < 6; i++) q.chain(i, [{ addr: BUF, len: 4, flags: W }]);
  drv.notify(0);
  assert.equal(line.rises, 2, "used index 2 -> 6 passes used_event 5");
  assert.equal(ram.u16(availEvent), 6);
  assert.equal(q.takeUsed().length, 6);
});

test("VIRTIO_F_EVENT_IDX offered but not accepted: the flags decide", () => {
  const { q, drv, line } = setup({ eventIdx: true });
  q.setAvailFlags(C.AVAIL_F_NO_INTERRUPT);
  q.chain(0, [{ addr: BUF, len: 4, flags: W }]);
  drv.notify(0);
  assert.equal(line.rises, 0);
});

test("exactly QueueNum pending is fine (a full ring); one more is a broken ring", () => {
  const { q, drv, dev } = setup();
  for (let i = 0; i < 16; i++) q.chain(i, [{ addr: BUF, len: 4, flags: W }]);
  drv.notify(0);
  assert.equal(q.takeUsed().length, 16);
  assert.equal(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
  q.setAvailIdx(16 + 16 + 1);
  drv.notify(0);
  assert.notEqual(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
});

test("an available index moving backwards is a broken ring", () => {
  const { q, drv, dev } = setup();
  q.chain(0, [{ addr: BUF, len: 4, flags: W }]);
  q.chain(1, [{ addr: BUF, len: 4, flags: W }]);
  drv.notify(0);
  q.setAvailIdx(1);
  drv.notify(0);
  assert.notEqual(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
});

test("a head made available twice is serviced and returned twice (nothing is held in flight)", () => {
  const { q, drv, backend } = setup();
  q.chain(3, [{ addr: BUF, len: 4, flags: W }]);
  q.offer(3);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [
    { id: 3, len: 4 },
    { id: 3, len: 4 },
  ]);
  assert.equal(backend.chains.length, 2);
});

test("FAILED in the FEATURES_OK write is kept even when FEATURES_OK is not", () => {
  const ram = new FakeRam();
  const dev = new VirtioMmio(new Recorder(), ram, new FakeLine());
  const drv = new Driver(dev, ram);
  drv.write(Reg.Status, Status.ACKNOWLEDGE);
  drv.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER);
  drv.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK | Status.FAILED);
  assert.equal(drv.read(Reg.Status), Status.ACKNOWLEDGE | Status.DRIVER | Status.FAILED);
});

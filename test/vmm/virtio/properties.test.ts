// Property tests (style rule 12) for everything a guest controls in virtio: random
// descriptor tables, rings and register sequences. Whatever the guest does, the device
// never throws, never touches memory outside guest RAM, and after a notification
// either has returned every available head or has asked for a reset; a reset always
// leaves a clean device. More cases: GUNYAH_FUZZ_RUNS=<n>.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { setLogSink } from "../../../src/lib/log.js";
import {
  VirtioBlock,
  VirtioMmio,
  VirtioRng,
  memoryStore,
  VirtioConstants as C,
} from "../../../src/vmm/virtio/index.js";
import { Driver, FakeLine, FakeRam, RAM_BASE } from "./driver.js";

setLogSink(() => {});
const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 150);
const RAM_SIZE = 0x1_0000;
const QSIZE = 8;
const { Reg, Status } = C;

const address = fc.oneof(
  fc.integer({ min: RAM_BASE, max: RAM_BASE + RAM_SIZE - 1 }),
  fc.integer({ min: RAM_BASE + 0x3000, max: RAM_BASE + 0x3400 }),
  fc.integer({ min: RAM_BASE - 64, max: RAM_BASE + 64 }),
  fc.integer({ min: RAM_BASE + RAM_SIZE - 64, max: RAM_BASE + RAM_SIZE + 64 }),
  fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map((a) => a[0] ?? 0n),
);
const length = fc.oneof(
  fc.integer({ min: 0, max: 1100 }),
  fc.constantFrom(16, 32, 48, 512, 513, 0x8000_0000, 0xffff_ffff),
);
const desc = fc.record({
  index: fc.integer({ min: 0, max: QSIZE - 1 }),
  addr: address,
  len: length,
  flags: fc.integer({ min: 0, max: 7 }),
  next: fc.integer({ min: 0, max: QSIZE + 2 }),
});
const op = fc.oneof(
  { weight: 5, arbitrary: desc.map((d) => ({ kind: "desc" as const, d })) },
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: QSIZE + 1 }).map((h) => ({ kind: "offer" as const, h })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 0xffff }).map((v) => ({ kind: "avail-idx" as const, v })),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "notify" as const }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        index: fc.integer({ min: 0, max: QSIZE - 1 }),
        len: fc.integer({ min: 1, max: 600 }),
      })
      .map((g) => ({ kind: "good" as const, ...g })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        at: fc.integer({ min: 0x3000, max: RAM_SIZE - 32 }),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
      })
      .map((p) => ({ kind: "poke" as const, ...p })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ reg: fc.constantFrom(...Object.values(Reg), 0x100, 0x108), value: fc.nat() })
      .map((r) => ({ kind: "reg" as const, ...r })),
  },
);

function makeDevice(kind: "rng" | "blk", ram: FakeRam, eventIdx = false) {
  const backend =
    kind === "rng"
      ? new VirtioRng((b) => b.fill(1))
      : new VirtioBlock(memoryStore(new Uint8Array(8 * 512)));
  return new VirtioMmio(backend, ram, new FakeLine(), { eventIdx });
}

test("random chains and rings: no throw, no access outside RAM, every head returned or NEEDS_RESET", () => {
  const seen = { served: 0, refused: 0, broken: 0 };
  fc.assert(
    fc.property(
      fc.constantFrom("rng" as const, "blk" as const),
      fc.boolean(),
      fc.boolean(),
      fc.array(op, { maxLength: 40 }),
      (kind, indirect, eventIdx, ops) => {
        const ram = new FakeRam(RAM_BASE, RAM_SIZE);
        const dev = makeDevice(kind, ram, eventIdx);
        const drv = new Driver(dev, ram);
        const features =
          C.Feature.VERSION_1 |
          (indirect ? C.Feature.RING_INDIRECT_DESC : 0n) |
          (eventIdx ? C.Feature.RING_EVENT_IDX : 0n);
        assert.ok(drv.negotiate(features));
        const q = drv.setupQueue(0, QSIZE);
        drv.driverOk();
        for (const o of ops) {
          switch (o.kind) {
            case "desc":
              q.setDesc(o.d.index, o.d);
              break;
            case "good":
              q.setDesc(o.index, { addr: RAM_BASE + 0x4000, len: o.len, flags: C.DescFlag.WRITE });
              q.offer(o.index);
              break;
            case "offer":
              q.offer(o.h);
              break;
            case "avail-idx":
              q.setAvailIdx(o.v);
              break;
            case "poke":
              ram.poke(RAM_BASE + o.at, o.bytes);
              break;
            case "reg":
              dev.write(o.reg, 4, BigInt(o.value));
              dev.read(o.reg, 4);
              break;
            case "notify": {
              const active =
                (dev.statusRegister & (Status.DRIVER_OK | Status.FAILED)) === Status.DRIVER_OK;
              const ready =
                dev.write(Reg.QueueSel, 4, 0n).ok &&
                dev.read(Reg.QueueReady, 4).ok &&
                Number((dev.read(Reg.QueueReady, 4) as { value: bigint }).value) === 1;
              dev.write(Reg.QueueNotify, 4, 0n);
              const broken = (dev.statusRegister & Status.DEVICE_NEEDS_RESET) !== 0;
              if (active && ready && !broken)
                assert.equal(
                  ram.u16(q.used + 2),
                  ram.u16(q.avail + 2),
                  "every available head was returned",
                );
              for (const u of q.takeUsed()) seen[u.len > 0 ? "served" : "refused"]++;
              if (broken) seen.broken++;
              break;
            }
          }
          assert.equal(ram.outOfRange, 0, "the device touched memory outside guest RAM");
        }
        // Whatever happened, a reset gives a clean device.
        assert.ok(dev.write(Reg.Status, 4, 0n).ok);
        assert.equal(dev.statusRegister, 0);
        assert.equal(Number((dev.read(Reg.QueueReady, 4) as { value: bigint }).value), 0);
        assert.equal(Number((dev.read(Reg.InterruptStatus, 4) as { value: bigint }).value), 0);
      },
    ),
    { numRuns: RUNS },
  );
  // The generator reaches all three outcomes (a property that only ever refuses proves little).
  assert.ok(seen.served > 0 && seen.refused > 0 && seen.broken > 0, JSON.stringify(seen));
});

test("random register sequences: no throw, status always a valid value, reset always clean", () => {
  const access = fc.record({
    offset: fc.oneof(fc.constantFrom(...Object.values(Reg)), fc.integer({ min: 0, max: 0x1ff })),
    width: fc.constantFrom(1 as const, 2 as const, 4 as const),
    value: fc.oneof(
      fc.integer({ min: 0, max: 0xff }),
      fc.nat(),
      fc.constantFrom(RAM_BASE, RAM_BASE + 0x1000, RAM_BASE + 0x2000, 8, 16),
    ),
    write: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.constantFrom("rng" as const, "blk" as const),
      fc.array(access, { maxLength: 80 }),
      (kind, accesses) => {
        const ram = new FakeRam(RAM_BASE, RAM_SIZE);
        const dev = makeDevice(kind, ram);
        for (const a of accesses) {
          if (a.offset + a.width > dev.size || a.offset % a.width !== 0) continue; // the bus's checks
          if (a.write) dev.write(a.offset, a.width, BigInt(a.value));
          else {
            const r = dev.read(a.offset, a.width);
            if (r.ok) assert.ok(r.value < 1n << BigInt(8 * a.width));
          }
          const s = dev.statusRegister;
          assert.equal(s & 0x30, 0, "undefined status bits");
          if (s & Status.DRIVER_OK) assert.ok(s & Status.FEATURES_OK);
          if (s & Status.FEATURES_OK) assert.ok((dev.negotiated & C.Feature.VERSION_1) !== 0n);
          assert.equal(ram.outOfRange, 0);
        }
        assert.ok(dev.write(Reg.Status, 4, 0n).ok);
        assert.equal(dev.statusRegister, 0);
        assert.equal(dev.negotiated, 0n);
      },
    ),
    { numRuns: RUNS },
  );
});

test("random virtio-blk requests: status is OK exactly when the request is valid; the disk changes only then", () => {
  const SECTORS = 16;
  fc.assert(
    fc.property(
      fc.record({
        type: fc.oneof(fc.constantFrom(0, 1, 4, 8), fc.nat()),
        sector: fc.oneof(
          fc.bigInt({ min: 0n, max: 20n }),
          fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map((a) => a[0] ?? 0n),
        ),
        dataLen: fc.oneof(fc.constantFrom(0, 512, 1024, 4096), fc.integer({ min: 0, max: 2000 })),
        readOnly: fc.boolean(),
        headerLen: fc.constantFrom(16, 16, 16, 8, 0),
      }),
      (r) => {
        const ram = new FakeRam(RAM_BASE, RAM_SIZE);
        const disk = new Uint8Array(SECTORS * 512).fill(0x11);
        const dev = new VirtioMmio(
          new VirtioBlock(memoryStore(disk, r.readOnly)),
          ram,
          new FakeLine(),
        );
        const drv = new Driver(dev, ram);
        assert.ok(drv.negotiate());
        const q = drv.setupQueue(0, 8);
        drv.driverOk();
        const HDR = RAM_BASE + 0x4000;
        const DATA = RAM_BASE + 0x5000;
        const STATUS = RAM_BASE + 0x3000;
        const h = new DataView(new ArrayBuffer(16));
        h.setUint32(0, r.type >>> 0, true);
        h.setBigUint64(8, r.sector, true);
        ram.poke(HDR, new Uint8Array(h.buffer));
        ram.poke(DATA, new Uint8Array(r.dataLen).fill(0x22));
        ram.poke(STATUS, [0xee]);
        const isIn = r.type === 0 || r.type === 8;
        // A short header followed by readable data is read across them (ANY_LAYOUT):
        // another request, covered by the unit tests; here a short header stays short.
        fc.pre(r.headerLen === 16 || isIn || r.dataLen === 0);
        const descs = [];
        if (r.headerLen > 0) descs.push({ addr: HDR, len: r.headerLen });
        if (r.dataLen > 0)
          descs.push({ addr: DATA, len: r.dataLen, ...(isIn ? { flags: C.DescFlag.WRITE } : {}) });
        descs.push({ addr: STATUS, len: 1, flags: C.DescFlag.WRITE });
        q.chain(0, descs);
        drv.notify(0);
        const [used] = q.takeUsed();
        assert.ok(used);
        const status = ram.peek(STATUS, 1)[0];
        const inRange = r.sector * 512n + BigInt(r.dataLen) <= BigInt(SECTORS * 512);
        const whole = r.dataLen % 512 === 0;
        const valid =
          r.headerLen === 16 &&
          (r.type === 4 ||
            r.type === 8 ||
            ((r.type === 0 || r.type === 1) && inRange && whole && !(r.type === 1 && r.readOnly)));
        const known = r.headerLen < 16 || [0, 1, 4, 8].includes(r.type);
        assert.equal(
          status,
          valid ? 0 : known ? 1 : 2,
          JSON.stringify({ ...r, sector: String(r.sector) }),
        );
        const changed = disk.some((b) => b !== 0x11);
        assert.equal(changed, valid && r.type === 1 && r.dataLen > 0);
        assert.ok(used.len <= (isIn ? r.dataLen : 0) + 1);
        assert.equal(ram.outOfRange, 0);
      },
    ),
    { numRuns: RUNS },
  );
});

// The virtio-mmio transport's registers (virtio 1.2 section 4.2.2) and the device
// status machine (3.1.1, 2.1), including everything a driver may get wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../../src/lib/log.js";
import {
  VirtioMmio,
  VirtioRng,
  VirtioBlock,
  memoryStore,
  VirtioConstants as C,
} from "../../../src/vmm/virtio/index.js";
import {
  nextStatus,
  STAGE_BITS,
  STAGE_TRANSITIONS,
  type DeviceStatus,
  type Stage,
} from "../../../src/vmm/virtio/status.js";
import { Driver, FakeLine, FakeRam, RAM_BASE } from "./driver.js";

setLogSink(() => {});
const { Reg, Status } = C;
const FEATURES_OK = Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK;

function rng() {
  const ram = new FakeRam();
  const line = new FakeLine();
  const dev = new VirtioMmio(new VirtioRng(), ram, line);
  return { ram, line, dev, drv: new Driver(dev, ram) };
}

test("identity registers read as Version 2 virtio-mmio with the device's ID", () => {
  const { drv } = rng();
  assert.equal(drv.read(Reg.MagicValue), 0x7472_6976);
  assert.equal(drv.read(Reg.Version), 2);
  assert.equal(drv.read(Reg.DeviceId), 4);
  assert.equal(drv.read(Reg.VendorId), C.VIRTIO_VENDOR_ID);
  assert.equal(drv.read(Reg.ConfigGeneration), 0);
  assert.equal(drv.deviceFeatures(), C.Feature.VERSION_1 | C.Feature.RING_INDIRECT_DESC);
});

test("only 32-bit register accesses; write-only not readable, read-only not writable", () => {
  const { dev } = rng();
  assert.equal(dev.read(Reg.MagicValue, 2).ok, false);
  assert.equal(dev.read(Reg.MagicValue, 1).ok, false);
  assert.equal(dev.write(Reg.Status, 1, 1n).ok, false);
  for (const r of [
    Reg.DeviceFeaturesSel,
    Reg.DriverFeatures,
    Reg.DriverFeaturesSel,
    Reg.QueueSel,
    Reg.QueueNum,
    Reg.QueueNotify,
    Reg.InterruptAck,
    Reg.QueueDescLow,
    Reg.QueueDeviceHigh,
  ])
    assert.equal(dev.read(r, 4).ok, false, `read 0x${r.toString(16)}`);
  for (const r of [
    Reg.MagicValue,
    Reg.Version,
    Reg.DeviceId,
    Reg.VendorId,
    Reg.DeviceFeatures,
    Reg.QueueNumMax,
    Reg.InterruptStatus,
    Reg.ConfigGeneration,
  ])
    assert.equal(dev.write(r, 4, 0n).ok, false, `write 0x${r.toString(16)}`);
  for (const off of [0x018, 0x040, 0x0ac, 0x0b0, 0x0f8])
    assert.equal(
      dev.read(off, 4).ok || dev.write(off, 4, 0n).ok,
      false,
      `undefined 0x${off.toString(16)}`,
    );
});

test("status transitions follow 3.1.1 in order; FAILED is sticky; NEEDS_RESET is the device's", () => {
  const stages = Object.keys(STAGE_BITS) as Stage[];
  let moves = 0;
  for (const stage of stages)
    for (const failed of [false, true])
      for (const needsReset of [false, true]) {
        const cur: DeviceStatus = { stage, failed, needsReset };
        for (let v = 0; v < 256; v++) {
          const r = nextStatus(cur, v);
          if (v === 0) {
            assert.equal(r.kind, "reset");
            continue;
          }
          if (r.kind !== "move") continue;
          moves++;
          assert.ok(STAGE_TRANSITIONS[stage].includes(r.next.stage), `${stage} -> ${r.next.stage}`);
          assert.equal(
            STAGE_BITS[r.next.stage] | (r.next.failed ? 128 : 0) | (needsReset ? 64 : 0),
            v | (needsReset ? 64 : 0),
          );
          assert.ok(!failed || r.next.failed, "FAILED cleared without reset");
          assert.ok(needsReset || (v & 64) === 0, "driver set NEEDS_RESET");
          assert.equal(r.next.needsReset, needsReset);
        }
      }
  // 9 (stage, target) pairs in the table; FAILED: 2 choices when clear (set it or not)
  // + 1 when set (must stay) = 3; NEEDS_RESET: 1 when clear + 2 when set (carried back
  // or not) = 3; minus the two writes of plain 0 from reset, which are resets.
  assert.equal(moves, 9 * 3 * 3 - 2);
});

test("the driver cannot skip a step or set unknown status bits", () => {
  const { drv } = rng();
  assert.equal(drv.tryWrite(Reg.Status, Status.DRIVER), false);
  assert.equal(drv.tryWrite(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER), false);
  drv.write(Reg.Status, Status.ACKNOWLEDGE);
  assert.equal(drv.tryWrite(Reg.Status, Status.ACKNOWLEDGE | 0x10), false);
  assert.equal(drv.tryWrite(Reg.Status, Status.ACKNOWLEDGE | Status.DEVICE_NEEDS_RESET), false);
  drv.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER);
  assert.equal(
    drv.tryWrite(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER | Status.DRIVER_OK),
    false,
  );
  drv.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER | Status.FAILED);
  assert.equal(
    drv.tryWrite(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER),
    false,
    "FAILED is sticky",
  );
  drv.write(Reg.Status, 0);
  assert.equal(drv.read(Reg.Status), 0);
});

test("features: only offered bits, only in the DRIVER stage; FEATURES_OK needs VERSION_1", () => {
  const { drv } = rng();
  assert.equal(drv.tryWrite(Reg.DriverFeatures, 0), false, "before DRIVER");
  drv.write(Reg.Status, Status.ACKNOWLEDGE);
  drv.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER);
  drv.write(Reg.DriverFeaturesSel, 0);
  assert.equal(drv.tryWrite(Reg.DriverFeatures, 1 << 5), false, "bit 5 not offered");
  drv.write(Reg.DriverFeaturesSel, 1);
  assert.equal(drv.tryWrite(Reg.DriverFeatures, 2), false, "bit 33 not offered");
  drv.write(Reg.DriverFeaturesSel, 2);
  assert.equal(drv.tryWrite(Reg.DriverFeatures, 1), false, "bits above 63");
  drv.write(Reg.DriverFeatures, 0);
  drv.write(Reg.Status, FEATURES_OK);
  assert.equal(
    drv.read(Reg.Status),
    Status.ACKNOWLEDGE | Status.DRIVER,
    "legacy-only driver refused",
  );
  assert.ok(drv.negotiate(C.Feature.VERSION_1));
  assert.equal(drv.tryWrite(Reg.DriverFeatures, 0), false, "after FEATURES_OK");
  drv.write(Reg.DeviceFeaturesSel, 7);
  assert.equal(drv.read(Reg.DeviceFeatures), 0);
});

test("queue set-up: QueueSel in range; QueueNum a power of two <= max; only between FEATURES_OK and DRIVER_OK, not while ready", () => {
  const { drv, dev } = rng();
  assert.equal(drv.tryWrite(Reg.QueueSel, 1), false);
  drv.write(Reg.QueueSel, 0);
  assert.equal(drv.read(Reg.QueueNumMax), 64);
  assert.equal(drv.tryWrite(Reg.QueueNum, 16), false, "before FEATURES_OK");
  assert.equal(drv.tryWrite(Reg.QueueDescLow, RAM_BASE), false, "before FEATURES_OK");
  assert.ok(drv.negotiate());
  for (const n of [0, 3, 48, 128, 0xffff_ffff])
    assert.equal(drv.tryWrite(Reg.QueueNum, n), false, `QueueNum ${n}`);
  drv.setupQueue(0, 64);
  assert.equal(drv.read(Reg.QueueReady), 1);
  assert.equal(drv.tryWrite(Reg.QueueNum, 32), false, "while ready");
  assert.equal(drv.tryWrite(Reg.QueueDescLow, RAM_BASE), false, "while ready");
  assert.equal(drv.tryWrite(Reg.QueueReady, 2), false);
  drv.driverOk();
  drv.write(Reg.QueueReady, 0);
  assert.equal(drv.tryWrite(Reg.QueueNum, 32), false, "after DRIVER_OK");
  assert.equal(drv.tryWrite(Reg.QueueReady, 1), false, "after DRIVER_OK");
  assert.equal(drv.tryWrite(Reg.QueueNotify, 1), false, "notify of a queue that does not exist");
  assert.equal(dev.statusRegister & Status.DEVICE_NEEDS_RESET, 0);
});

test("QueueReady refuses rings that are misaligned or outside guest RAM", () => {
  const cases: [number, number, number, number][] = [
    [RAM_BASE + 8, 0, RAM_BASE + 0x1000, RAM_BASE + 0x2000], // desc not 16-aligned
    [RAM_BASE, 0, RAM_BASE + 0x1001, RAM_BASE + 0x2000], // avail not 2-aligned
    [RAM_BASE, 0, RAM_BASE + 0x1000, RAM_BASE + 0x2002], // used not 4-aligned
    [RAM_BASE - 0x1000, 0, RAM_BASE + 0x1000, RAM_BASE + 0x2000], // desc below RAM
    [RAM_BASE, 0, RAM_BASE + 0x1000, RAM_BASE + 0x10_0000 - 8], // used past RAM
    [RAM_BASE, 0xffff_ffff, RAM_BASE + 0x1000, RAM_BASE + 0x2000], // desc above 2^53
  ];
  for (const [desc, descHigh, avail, used] of cases) {
    const { drv } = rng();
    assert.ok(drv.negotiate());
    drv.write(Reg.QueueNum, 64);
    drv.write(Reg.QueueDescLow, desc >>> 0);
    drv.write(Reg.QueueDescHigh, descHigh);
    drv.write(Reg.QueueDriverLow, avail);
    drv.write(Reg.QueueDeviceLow, used);
    assert.equal(drv.tryWrite(Reg.QueueReady, 1), false, JSON.stringify([desc, avail, used]));
    assert.equal(drv.read(Reg.QueueReady), 0);
  }
});

test("writing 0 to Status resets: queues, features and interrupts are dropped", () => {
  const { drv, line } = rng();
  assert.ok(drv.negotiate());
  drv.setupQueue(0, 16);
  drv.driverOk();
  line.set(true);
  drv.write(Reg.Status, 0);
  assert.equal(line.level, false);
  assert.equal(drv.read(Reg.Status), 0);
  assert.equal(drv.read(Reg.QueueReady), 0);
  assert.equal(drv.read(Reg.InterruptStatus), 0);
  drv.write(Reg.QueueReady, 0); // Linux's vm_del_vq after a reset
  drv.write(Reg.Status, Status.ACKNOWLEDGE);
  drv.write(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER);
  drv.write(Reg.Status, FEATURES_OK);
  assert.equal(drv.read(Reg.Status), Status.ACKNOWLEDGE | Status.DRIVER, "features were dropped");
});

test("InterruptACK refuses undefined bits", () => {
  const { drv } = rng();
  assert.equal(drv.tryWrite(Reg.InterruptAck, 4), false);
  drv.write(Reg.InterruptAck, 3);
});

test("configuration space: fields at their width, 64-bit ones also as 32-bit halves; read-only", () => {
  const ram = new FakeRam();
  const dev = new VirtioMmio(
    new VirtioBlock(memoryStore(new Uint8Array(3 * 512 + 100))),
    ram,
    undefined,
  );
  const drv = new Driver(dev, ram);
  assert.equal(drv.read(0x100), 3);
  assert.equal(drv.read(0x104), 0);
  assert.equal(dev.read(0x100, 2).ok, false);
  assert.equal(dev.read(0x102, 2).ok, false);
  assert.equal(dev.read(0x101, 1).ok, false);
  assert.equal(drv.read(0x114), 512);
  assert.equal(drv.read(0x112, 1), 0);
  assert.equal(dev.read(0x110, 4).ok, false, "a 4-byte read across geometry's fields");
  assert.equal(dev.read(0x118, 4).ok, false, "beyond the declared fields");
  assert.equal(dev.read(0x1fc, 4).ok, false);
  assert.equal(dev.write(0x100, 4, 0n).ok, false);
});

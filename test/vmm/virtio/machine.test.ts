// End to end through the VMM: virtioDeviceSpecs -> buildMachine (bus, irqfd, device
// tree) -> vCPU MMIO exits -> the device -> rings in (shared) guest RAM -> an irqfd.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../../src/lib/log.js";
import { parseFdt } from "../../../src/lib/fdt.js";
import { validateConfig } from "../../../src/vmm/config.js";
import { buildMachine } from "../../../src/vmm/machine.js";
import { virtioDeviceSpecs, VirtioConstants as C } from "../../../src/vmm/virtio/index.js";
import { FakeHypervisor, type Step } from "../fake-host.js";
import { encodeDesc } from "./driver.js";
import { nodeFiles } from "../../../src/cli/files.js";

setLogSink(() => {});
const { Reg, Status } = C;
const POWER_OFF: Step = { status: 2, exitType: 1 };
const SLOT = 0x0a00_0000;
const RING = 0x4100_0000; // 16 MiB into RAM: clear of the demo kernel and the DTB
const BUF = RING + 0x1_0000;

const w = (reg: number, value: number): Step => ({
  mmioWrite: SLOT + reg,
  width: 4,
  value: BigInt(value),
});
const r = (reg: number): Step => ({ mmioRead: SLOT + reg, width: 4 });

/** Linux's order (virtio_mmio + virtio_rng): probe, negotiate, one queue, DRIVER_OK, notify. */
const driverSteps: Step[] = [
  r(Reg.MagicValue),
  r(Reg.Version),
  r(Reg.DeviceId),
  w(Reg.Status, 0),
  w(Reg.Status, Status.ACKNOWLEDGE),
  w(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER),
  w(Reg.DriverFeaturesSel, 1),
  w(Reg.DriverFeatures, 1),
  w(Reg.DriverFeaturesSel, 0),
  w(Reg.DriverFeatures, 0),
  w(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK),
  r(Reg.Status),
  w(Reg.QueueSel, 0),
  r(Reg.QueueNumMax),
  w(Reg.QueueNum, 8),
  w(Reg.QueueDescLow, RING),
  w(Reg.QueueDescHigh, 0),
  w(Reg.QueueDriverLow, RING + 0x1000),
  w(Reg.QueueDriverHigh, 0),
  w(Reg.QueueDeviceLow, RING + 0x2000),
  w(Reg.QueueDeviceHigh, 0),
  w(Reg.QueueReady, 1),
  w(Reg.Status, Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK | Status.DRIVER_OK),
  w(Reg.QueueNotify, 0),
  r(Reg.InterruptStatus),
  w(Reg.InterruptAck, 1),
  POWER_OFF,
];

/** The values the guest's reads got, in order (replies come for every MMIO exit). */
function readReplies(host: FakeHypervisor): bigint[] {
  const all = host.vm?.vcpus[0]?.replies ?? [];
  const mmio = driverSteps.filter((s) => "mmioRead" in s || "mmioWrite" in s);
  return all.filter((_, i) => mmio[i] !== undefined && "mmioRead" in mmio[i]).map((x) => x.value);
}

async function runRng(ramAccess: "share" | "lend") {
  const virtio = virtioDeviceSpecs({ rng: true });
  assert.ok(virtio.ok);
  const host = new FakeHypervisor([driverSteps]);
  const res = await validateConfig({}, nodeFiles);
  assert.ok(res.ok);
  const built = await buildMachine(
    host,
    res.value,
    { output: () => {} },
    {
      extraDevices: virtio.value.specs,
      ramAccess,
    },
  );
  assert.ok(built.ok);
  // The guest's side, written before it runs: one 32-byte device-writable buffer.
  const mem = host.memory;
  assert.ok(mem);
  const off = (gpa: number) => gpa - 0x4000_0000;
  mem.bytes.set(encodeDesc({ addr: BUF, len: 32, flags: C.DescFlag.WRITE }), off(RING));
  mem.bytes.set([0, 0, 1, 0, 0, 0], off(RING + 0x1000)); // flags 0, idx 1, ring[0] = 0
  const outcome = await built.value.run();
  virtio.value.close();
  return { host, built: built.value, mem, off, outcome };
}

test("virtio-rng through the VMM: device-tree node, MMIO exits, used ring in shared RAM, irqfd", async () => {
  const { host, built, mem, off, outcome } = await runRng("share");
  assert.equal(outcome.kind, "powered-off");
  const fdt = parseFdt(built.deviceTree);
  assert.ok(fdt.ok);
  const node = fdt.value.root.find("virtio_mmio@a000000");
  assert.ok(node, "a virtio_mmio node");
  assert.deepEqual(node.getU32Array("interrupts"), [0, 16, 1]);
  const replies = readReplies(host);
  assert.deepEqual(replies.slice(0, 3), [0x7472_6976n, 2n, 4n]);
  assert.equal(replies[3], BigInt(Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK));
  assert.equal(replies[4], 64n, "QueueNumMax");
  assert.equal(replies[5], 1n, "InterruptStatus: used buffer");
  const actions = new Set(host.vm?.vcpus[0]?.replies.map((x) => x.action));
  assert.equal(actions.size, 1, "every access was handled alike (none refused)");
  const used = new DataView(mem.bytes.buffer, off(RING + 0x2000), 12);
  assert.deepEqual(
    [used.getUint16(2, true), used.getUint32(4, true), used.getUint32(8, true)],
    [1, 0, 32],
  );
  assert.equal(host.vm?.irqfds.find((i) => i.label === 16)?.triggers, 1);
  assert.ok(new Set(mem.bytes.subarray(off(BUF), off(BUF) + 32)).size > 4, "random bytes");
});

test("with RAM lent (not shared) the device cannot reach the rings: NEEDS_RESET, no throw", async () => {
  const { host, outcome } = await runRng("lend");
  assert.equal(outcome.kind, "powered-off");
  const replies = readReplies(host);
  assert.equal(replies[5], 2n, "InterruptStatus: configuration change (DEVICE_NEEDS_RESET)");
});

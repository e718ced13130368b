// virtio-rng (5.4) and virtio-console port 0 (5.3) through the transport.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../../src/lib/log.js";
import {
  CONSOLE_RX,
  CONSOLE_TX,
  VirtioConsole,
  VirtioMmio,
  VirtioRng,
  virtioDeviceSpecs,
  parseDiskOption,
  VirtioConstants as C,
} from "../../../src/vmm/virtio/index.js";
import { CONSOLE_INPUT_LIMIT } from "../../../src/vmm/virtio/console.js";
import { BUF, Driver, FakeLine, FakeRam } from "./driver.js";
import { fileStore } from "../../../src/cli/disk-file.js";

setLogSink(() => {});
const W = C.DescFlag.WRITE;

test("virtio-rng fills device-writable buffers from its source; readable buffers are refused", () => {
  const ram = new FakeRam();
  let calls = 0;
  const dev = new VirtioMmio(
    new VirtioRng((b) => {
      calls++;
      b.fill(0x5a);
    }),
    ram,
    new FakeLine(),
  );
  const drv = new Driver(dev, ram);
  assert.ok(drv.negotiate());
  const q = drv.setupQueue(0, 64);
  drv.driverOk();
  q.chain(0, [
    { addr: BUF, len: 10, flags: W },
    { addr: BUF + 0x100, len: 6, flags: W },
  ]);
  q.chain(2, [{ addr: BUF + 0x200, len: 8 }]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [
    { id: 0, len: 16 },
    { id: 2, len: 0 },
  ]);
  assert.deepEqual(ram.peek(BUF, 10), new Uint8Array(10).fill(0x5a));
  assert.deepEqual(ram.peek(BUF + 0x100, 6), new Uint8Array(6).fill(0x5a));
  assert.equal(calls, 1);
});

test("virtio-rng's default source is the host's cryptographic generator, capped per request", () => {
  const ram = new FakeRam(undefined, 0x100_0000);
  const dev = new VirtioMmio(new VirtioRng(), ram, new FakeLine());
  const drv = new Driver(dev, ram);
  assert.ok(drv.negotiate());
  const q = drv.setupQueue(0, 64);
  drv.driverOk();
  q.chain(0, [{ addr: BUF, len: 0x20_0000, flags: W }]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 64 * 1024 }]);
  const got = ram.peek(BUF, 64);
  assert.ok(new Set(got).size > 16, "64 random bytes take many values");
});

function consoleSetup() {
  const ram = new FakeRam();
  const out: number[] = [];
  const con = new VirtioConsole((b) => out.push(...b));
  const line = new FakeLine();
  const dev = new VirtioMmio(con, ram, line);
  const drv = new Driver(dev, ram);
  assert.ok(drv.negotiate());
  const rx = drv.setupQueue(CONSOLE_RX, 64);
  const tx = drv.setupQueue(CONSOLE_TX, 64);
  drv.driverOk();
  return { ram, out, con, line, drv, rx, tx };
}

test("virtio-console: transmitq bytes reach the output in order; the head returns with length 0", () => {
  const { ram, out, drv, tx } = consoleSetup();
  ram.poke(BUF, new TextEncoder().encode("hello, "));
  ram.poke(BUF + 0x100, new TextEncoder().encode("world"));
  tx.chain(0, [
    { addr: BUF, len: 7 },
    { addr: BUF + 0x100, len: 5 },
  ]);
  drv.notify(CONSOLE_TX);
  assert.deepEqual(tx.takeUsed(), [{ id: 0, len: 0 }]);
  assert.equal(new TextDecoder().decode(new Uint8Array(out)), "hello, world");
});

test("virtio-console: input waits for receive buffers, fills them in order, raises an interrupt", () => {
  const { ram, con, line, drv, rx } = consoleSetup();
  assert.equal(con.receive(new TextEncoder().encode("abc")), 3);
  assert.deepEqual(rx.takeUsed(), [], "no buffers yet");
  rx.chain(0, [{ addr: BUF, len: 2, flags: W }]);
  rx.chain(1, [{ addr: BUF + 0x100, len: 64, flags: W }]);
  rx.chain(2, [{ addr: BUF + 0x200, len: 64, flags: W }]);
  drv.notify(CONSOLE_RX);
  assert.deepEqual(rx.takeUsed(), [
    { id: 0, len: 2 },
    { id: 1, len: 1 },
  ]);
  assert.equal(new TextDecoder().decode(ram.peek(BUF, 2)), "ab");
  assert.equal(new TextDecoder().decode(ram.peek(BUF + 0x100, 1)), "c");
  assert.equal(line.rises, 1);
  drv.ackInterrupt();
  con.receive(new TextEncoder().encode("d"));
  assert.deepEqual(rx.takeUsed(), [{ id: 2, len: 1 }], "buffer 2 was left for later input");
  assert.equal(line.rises, 2);
});

test("virtio-console: input beyond the limit is dropped and counted; reset keeps the device usable", () => {
  const { con, drv } = consoleSetup();
  assert.equal(con.receive(new Uint8Array(CONSOLE_INPUT_LIMIT + 10)), CONSOLE_INPUT_LIMIT);
  assert.equal(con.dropped, 10);
  drv.write(C.Reg.Status, 0);
  assert.equal(con.receive(new Uint8Array(1)), 0, "still full: pending input survives a reset");
});

test("virtioDeviceSpecs: one slot each (disks, rng, console), edge-triggered, virtio-mmio nodes", () => {
  const r = virtioDeviceSpecs({
    disks: [{ bytes: new Uint8Array(1024) }, { bytes: new Uint8Array(512), readOnly: true }],
    rng: true,
    console: { output: () => {} },
  });
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.specs.map((s) => [s.base, s.spi, s.level, s.dtKind]),
    [0, 1, 2, 3].map((n) => [0x0a00_0000 + n * 0x200, 16 + n, false, "virtio-mmio"]),
  );
  const devices = r.value.specs.map((s) => s.create(new FakeLine(), new FakeRam()));
  assert.deepEqual(
    devices.map((d) => {
      const id = d.read(8, 4);
      return id.ok ? Number(id.value) : -1;
    }),
    [2, 2, 4, 3],
  );
  assert.ok(devices.every((d) => d.size === 0x200));
  r.value.close();
  assert.equal(virtioDeviceSpecs({ disks: [{}] }).ok, false);
  // A path needs a file opener (the CLI's); one that cannot open the file is an error too.
  assert.equal(virtioDeviceSpecs({ disks: [{ path: "disk.img" }] }).ok, false);
  const missing = virtioDeviceSpecs({
    disks: [{ path: "/nonexistent/disk.img" }],
    openDisk: fileStore,
  });
  assert.equal(missing.ok, false);
  assert.equal(virtioDeviceSpecs({ rng: true, firstSlot: 32 }).ok, false);
});

test("parseDiskOption: <file>[,ro][,serial=<id>], unknown options refused", () => {
  assert.deepEqual(parseDiskOption("disk.img"), {
    ok: true,
    value: { path: "disk.img", readOnly: false },
  });
  assert.deepEqual(parseDiskOption("a.img,ro,serial=root"), {
    ok: true,
    value: { path: "a.img", readOnly: true, serial: "root" },
  });
  assert.equal(parseDiskOption("").ok, false);
  assert.equal(parseDiskOption(",ro").ok, false);
  assert.equal(parseDiskOption("a.img,readonly").ok, false);
  assert.equal(parseDiskOption("a.img,serial=").ok, false);
  assert.equal(parseDiskOption(`a.img,serial=${"x".repeat(21)}`).ok, false);
});

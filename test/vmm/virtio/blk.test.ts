// virtio-blk (virtio 1.2 section 5.2) through the transport, as Linux's virtio_blk
// lays out requests: header, data, status byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setLogSink } from "../../../src/lib/log.js";
import {
  BlkStatus,
  BlkType,
  VirtioBlock,
  VirtioMmio,
  memoryStore,
  VirtioConstants as C,
  type BlockStore,
} from "../../../src/vmm/virtio/index.js";
import { fileStore } from "../../../src/cli/disk-file.js";
import { BUF, Driver, FakeLine, FakeRam, encodeDesc, type Desc } from "./driver.js";

setLogSink(() => {});
const W = C.DescFlag.WRITE;
const HDR = BUF;
const DATA = BUF + 0x1000;
const STATUS = BUF + 0x100;

function disk(store: BlockStore, serial?: string) {
  const ram = new FakeRam();
  const blk = new VirtioBlock(store, serial === undefined ? {} : { serial });
  const dev = new VirtioMmio(blk, ram, new FakeLine());
  const drv = new Driver(dev, ram);
  assert.ok(drv.negotiate());
  const q = drv.setupQueue(0, 256); // Linux takes QueueNumMax
  drv.driverOk();
  let next = 0;
  /** One request; returns [status, used length]. */
  const request = (
    type: number,
    sector: bigint,
    data: { len: number; write?: boolean } | undefined,
  ) => {
    const h = new Uint8Array(16);
    const v = new DataView(h.buffer);
    v.setUint32(0, type, true);
    v.setBigUint64(8, sector, true);
    ram.poke(HDR, h);
    ram.poke(STATUS, [0xee]);
    const descs: Desc[] = [{ addr: HDR, len: 16 }];
    if (data) descs.push({ addr: DATA, len: data.len, ...(data.write ? { flags: W } : {}) });
    descs.push({ addr: STATUS, len: 1, flags: W });
    const head = q.chain(next, descs);
    next = (next + descs.length) % 60;
    drv.notify(0);
    const used = q.takeUsed();
    assert.equal(used.length, 1);
    assert.equal(used[0]?.id, head);
    return [ram.peek(STATUS, 1)[0], used[0]?.len];
  };
  return { ram, drv, request, dev, q };
}

test("features and capacity: FLUSH always, RO for a read-only disk, capacity in 512-byte sectors", () => {
  const rw = disk(memoryStore(new Uint8Array(8 * 512 + 7)));
  assert.equal(rw.drv.deviceFeatures() & ((1n << 5n) | (1n << 9n)), 1n << 9n);
  assert.equal(rw.drv.deviceFeatures() & (1n << 2n), 1n << 2n, "SEG_MAX");
  assert.equal(rw.drv.read(0x100), 8);
  assert.equal(rw.drv.read(0x10c), 126, "seg_max");
  const ro = disk(memoryStore(new Uint8Array(512), true));
  assert.equal(ro.drv.deviceFeatures() & (1n << 5n), 1n << 5n);
});

test("IN reads sectors, OUT writes them; the status byte comes last", () => {
  const bytes = new Uint8Array(16 * 512);
  bytes.forEach((_, i) => (bytes[i] = i & 0xff));
  const { ram, request } = disk(memoryStore(bytes));
  assert.deepEqual(request(BlkType.IN, 2n, { len: 1024, write: true }), [BlkStatus.OK, 1025]);
  assert.deepEqual(ram.peek(DATA, 1024), bytes.slice(1024, 2048));
  ram.poke(DATA, new Uint8Array(512).fill(0xab));
  ram.log.length = 0;
  assert.deepEqual(request(BlkType.OUT, 15n, { len: 512 }), [BlkStatus.OK, 1]);
  assert.deepEqual(bytes.slice(15 * 512), new Uint8Array(512).fill(0xab));
  const writes = ram.log.filter(([k]) => k === "w");
  assert.equal(writes[0]?.[1], STATUS, "status written before the used ring");
  assert.equal(writes.length, 3, "status, used element, used index");
  const reads = ram.log.filter(([k, a]) => k === "r" && a === DATA);
  assert.equal(reads.length, 1);
});

test("requests beyond the capacity, of partial sectors or writes to a read-only disk get IOERR", () => {
  const { request } = disk(memoryStore(new Uint8Array(4 * 512)));
  assert.deepEqual(request(BlkType.IN, 3n, { len: 1024, write: true }), [BlkStatus.IOERR, 1]);
  assert.deepEqual(request(BlkType.OUT, 4n, { len: 512 }), [BlkStatus.IOERR, 1]);
  assert.deepEqual(request(BlkType.IN, 0xffff_ffff_ffff_ffffn, { len: 512, write: true }), [
    BlkStatus.IOERR,
    1,
  ]);
  assert.deepEqual(request(BlkType.IN, 0n, { len: 100, write: true }), [BlkStatus.IOERR, 1]);
  assert.deepEqual(request(BlkType.IN, 3n, { len: 512, write: true }), [BlkStatus.OK, 513]);
  const ro = disk(memoryStore(new Uint8Array(4 * 512), true));
  assert.deepEqual(ro.request(BlkType.OUT, 0n, { len: 512 }), [BlkStatus.IOERR, 1]);
  assert.deepEqual(ro.request(BlkType.IN, 0n, { len: 512, write: true }), [BlkStatus.OK, 513]);
});

test("FLUSH, GET_ID (20-byte serial), and unsupported types", () => {
  const { request, ram } = disk(memoryStore(new Uint8Array(512)), "disk-serial-1");
  assert.deepEqual(request(BlkType.FLUSH, 0n, undefined), [BlkStatus.OK, 1]);
  assert.deepEqual(request(BlkType.GET_ID, 0n, { len: 20, write: true }), [BlkStatus.OK, 21]);
  assert.equal(new TextDecoder().decode(ram.peek(DATA, 13)), "disk-serial-1");
  assert.equal(ram.peek(DATA + 13, 1)[0], 0);
  assert.deepEqual(request(99, 0n, undefined), [BlkStatus.UNSUPP, 1]);
  assert.deepEqual(request(BlkType.IN + 0x100, 0n, { len: 512, write: true }), [
    BlkStatus.UNSUPP,
    1,
  ]);
});

test("a request with no writable byte is returned with length 0; a short header is IOERR", () => {
  const { drv, ram, q } = disk(memoryStore(new Uint8Array(512)));
  q.chain(0, [
    { addr: HDR, len: 16 },
    { addr: DATA, len: 512 },
  ]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 0 }]);
  ram.poke(STATUS, [0xee]);
  q.chain(2, [
    { addr: HDR, len: 8 },
    { addr: STATUS, len: 1, flags: W },
  ]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 2, len: 1 }]);
  assert.equal(ram.peek(STATUS, 1)[0], BlkStatus.IOERR);
});

test("the header may be split across descriptors and data and status may share one (ANY_LAYOUT)", () => {
  const bytes = new Uint8Array(2 * 512).fill(5);
  const { drv, ram, q } = disk(memoryStore(bytes));
  const h = new Uint8Array(16);
  new DataView(h.buffer).setBigUint64(8, 1n, true);
  ram.poke(HDR, h);
  q.chain(0, [
    { addr: HDR, len: 4 },
    { addr: HDR + 4, len: 12 },
    { addr: DATA, len: 513, flags: W },
  ]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 513 }]);
  assert.deepEqual(
    ram.peek(DATA, 513),
    new Uint8Array([...new Uint8Array(512).fill(5), BlkStatus.OK]),
  );
});

test("a file-backed disk reads, writes and flushes the file; read-only opens without write", () => {
  const dir = mkdtempSync(join(tmpdir(), "virtio-blk-"));
  try {
    const path = join(dir, "disk.img");
    writeFileSync(path, new Uint8Array(4 * 512).fill(7));
    const s = fileStore(path, false);
    assert.ok(s.ok);
    const { request, ram } = disk(s.value);
    assert.deepEqual(request(BlkType.IN, 1n, { len: 512, write: true }), [BlkStatus.OK, 513]);
    assert.deepEqual(ram.peek(DATA, 512), new Uint8Array(512).fill(7));
    ram.poke(DATA, new Uint8Array(512).fill(9));
    assert.deepEqual(request(BlkType.OUT, 3n, { len: 512 }), [BlkStatus.OK, 1]);
    assert.deepEqual(request(BlkType.FLUSH, 0n, undefined), [BlkStatus.OK, 1]);
    s.value.close();
    assert.deepEqual(
      new Uint8Array(readFileSync(path).subarray(3 * 512)),
      new Uint8Array(512).fill(9),
    );
    const ro = fileStore(path, true);
    assert.ok(ro.ok && ro.value.readOnly);
    assert.equal(fileStore(join(dir, "missing.img"), true).ok, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a request of seg_max data segments through one indirect table", () => {
  const bytes = new Uint8Array(126 * 512);
  bytes.forEach((_, i) => (bytes[i] = (i >> 9) & 0xff));
  const { drv, ram, q } = disk(memoryStore(bytes));
  ram.poke(HDR, new Uint8Array(16)); // IN, sector 0
  const TABLE = BUF + 0x4_0000;
  const entries: Desc[] = [{ addr: HDR, len: 16 }];
  for (let i = 0; i < 126; i++) entries.push({ addr: DATA + 0x1000 + i * 512, len: 512, flags: W });
  entries.push({ addr: STATUS, len: 1, flags: W });
  entries.forEach((e, i) =>
    ram.poke(
      TABLE + 16 * i,
      encodeDesc({ ...e, flags: (e.flags ?? 0) | (i < 127 ? C.DescFlag.NEXT : 0), next: i + 1 }),
    ),
  );
  q.chain(0, [{ addr: TABLE, len: 16 * 128, flags: C.DescFlag.INDIRECT }]);
  drv.notify(0);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 126 * 512 + 1 }]);
  assert.equal(ram.peek(STATUS, 1)[0], BlkStatus.OK);
  assert.deepEqual(ram.peek(DATA + 0x1000 + 125 * 512, 512), new Uint8Array(512).fill(125));
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { HostRamAllocator } from "../../src/host/host-ram.js";
import { MapFlag } from "../../src/host/bindings.js";
import { configuredVm, GUEST_BASE, testHost } from "./setup.js";

test("host RAM allocator: first fit, merge on release, ENOMEM, double release refused", () => {
  const a = new HostRamAllocator(0x1000_0000, 0x10_000);
  const x = a.allocate(0x3000);
  const y = a.allocate(1);
  assert.ok(x.ok && y.ok);
  assert.equal(x.value, 0x1000_0000);
  assert.equal(y.value, 0x1000_3000);
  assert.equal(a.available, 0xc000);
  const big = a.allocate(0x10_000);
  assert.ok(!big.ok);
  assert.equal(big.error.code, "ENOMEM");
  a.release(x.value, 0x3000);
  a.release(y.value, 0x1000);
  assert.equal(a.available, 0x10_000);
  assert.ok(a.allocate(0x10_000).ok, "released spans merged");
  assert.throws(() => a.release(0x1000_0000, 0x20_000));
  const b = new HostRamAllocator(0, 0x4000);
  b.allocate(0x1000);
  b.release(0, 0x1000);
  assert.throws(() => b.release(0, 0x1000));
  assert.equal(a.allocate(0).ok, false);
  assert.equal(a.allocate(-5).ok, false);
});

test("guest memory: size and flags checked; reads and writes bounded; closed is EBADF", () => {
  const { device } = testHost();
  for (const size of [0, 100, -4096, 2 ** 60]) {
    const r = device.createGuestMem({ size });
    assert.ok(!r.ok, `size ${size}`);
  }
  assert.equal(device.createGuestMem({ size: 4096, flags: 4 }).ok, false);
  const m = device.createGuestMem({ size: 8192, flags: 1 });
  assert.ok(m.ok);
  assert.ok(m.value.write(4090, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])).ok, "crosses a page");
  const back = m.value.read(4090, 8);
  assert.ok(back.ok);
  assert.deepEqual([...back.value], [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const [off, len] of [
    [8190, 4],
    [-1, 1],
    [Number.MAX_SAFE_INTEGER, 1],
    [0, 8193],
  ] as const) {
    const r = m.value.read(off, len);
    assert.ok(!r.ok);
    assert.equal(r.error.code, "EINVAL");
  }
  m.value.close();
  const closed = m.value.read(0, 1);
  assert.ok(!closed.ok);
  assert.equal(closed.error.code, "EBADF");
});

test("guest memory: pages are scrubbed before they are handed out again", () => {
  const { device } = testHost();
  const m = device.createGuestMem({ size: 4096 });
  assert.ok(m.ok);
  m.value.write(0, new Uint8Array([0xaa]));
  const pa = m.value.physBase;
  m.value.close();
  const n = device.createGuestMem({ size: 4096 });
  assert.ok(n.ok);
  assert.equal(n.value.physBase, pa);
  const r = n.value.read(0, 1);
  assert.ok(r.ok);
  assert.equal(r.value[0], 0);
});

test("map mem: flags, alignment, range and overlap checks", () => {
  const host = testHost();
  const { vm, mem } = configuredVm(host, 0x10_0000);
  const other = host.device.createGuestMem({ size: 0x4000 });
  assert.ok(other.ok);
  const g = other.value;
  const base = {
    guestAddr: 0x5000_0000,
    flags: MapFlag.ALLOW_RWX as number,
    guestMem: g,
    offset: 0,
    size: 0x2000,
  };
  const bad: Array<[Partial<typeof base>, string]> = [
    [{ flags: 0 }, "EINVAL"], // no access at all
    [{ flags: MapFlag.ALLOW_READ | 3 }, "EINVAL"], // unknown access mode
    [{ flags: MapFlag.ALLOW_READ | 0x80 }, "EINVAL"], // unknown flag
    [{ guestAddr: 0x5000_0800 }, "EINVAL"],
    [{ offset: 0x10 }, "EINVAL"],
    [{ size: 0x1800 }, "EINVAL"],
    [{ size: 0 }, "EINVAL"],
    [{ offset: 0x3000 }, "EINVAL"], // past the end of the guest memory
    [{ guestAddr: GUEST_BASE + 0x1000 }, "EEXIST"], // overlaps the first mapping
    [{ guestAddr: (2 ** 64 - 0x1000) as number }, "EOVERFLOW"],
  ];
  for (const [o, code] of bad) {
    const r = vm.mapMem({ ...base, ...o });
    assert.ok(!r.ok, JSON.stringify(o));
    assert.equal(r.error.code, code, JSON.stringify(o));
  }
  const wraps = vm.mapMem({ ...base, guestAddr: (1n << 64n) - 0x1000n, size: 0x2000n });
  assert.ok(!wraps.ok);
  assert.equal(wraps.error.code, "EOVERFLOW");
  assert.ok(vm.mapMem(base).ok);
  const sameOffset = vm.mapMem({ ...base, guestAddr: 0x6000_0000 });
  assert.ok(!sameOffset.ok, "one page goes to one place");
  assert.equal(sameOffset.error.code, "EEXIST");
  assert.ok(vm.mapMem({ ...base, guestAddr: 0x6000_0000, offset: 0x2000 }).ok);
  // UNMAP: must match flags and offset; trims from either end; no holes.
  const unmap = (o: Partial<typeof base>) =>
    vm.mapMem({ ...base, ...o, flags: base.flags | MapFlag.UNMAP });
  assert.equal(unmap({ offset: 0x1000, size: 0x1000, guestAddr: 0x5000_0000 }).ok, false);
  assert.equal(
    unmap({ guestAddr: 0x5000_0000, size: 0x1000, flags: MapFlag.ALLOW_READ } as never).ok,
    true,
  );
  assert.ok(unmap({ guestAddr: 0x5000_1000, offset: 0x1000, size: 0x1000 }).ok);
  assert.ok(vm.mapMem({ ...base, size: 0x1000 }).ok, "the range is free again");
  const closedMem = host.device.createGuestMem({ size: 0x1000 });
  assert.ok(closedMem.ok);
  closedMem.value.close();
  const r = vm.mapMem({ ...base, guestMem: closedMem.value, guestAddr: 0x7000_0000, size: 0x1000 });
  assert.ok(!r.ok);
  assert.equal(r.error.code, "EBADF");
  void mem;
  vm.close();
});

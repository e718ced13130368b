import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AclEntry,
  MemCreateHeader,
  SglEntry,
  VmConfigImageRequest,
  VmSetAddressLayoutRequest,
  VmSetBootContextRequest,
  VmStatus,
} from "../../src/rm/protocol/index.js";
import { bootReg } from "../../src/host/vm.js";
import { openGunyah } from "../../src/host/index.js";
import { fakeNativeVm } from "./fake-hyp.js";
import { configuredVm, GUEST_BASE, RAM_BASE, testHost, tick, until } from "./setup.js";

const START_SEQUENCE = [
  "VM_ALLOC_VMID",
  "MEM_LEND",
  "VM_CONFIG_IMAGE",
  "VM_SET_DEMAND_PAGING",
  "VM_SET_ADDRESS_LAYOUT",
  "VM_INIT",
  "VM_SET_BOOT_CONTEXT",
  "VM_SET_BOOT_CONTEXT",
  "VM_GET_HYP_RESOURCES",
  "VM_START",
];

test("vm start: the v17 sequence, with the DTB lent by one ACL entry", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  assert.ok(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_BASE) }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("x", 0), value: BigInt(GUEST_BASE + 0x1000) }).ok);
  const r = await vm.start();
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(host.rm.log, START_SEQUENCE);
  assert.equal(vm.status, VmStatus.RUNNING);
  assert.equal(vm.vmid, 0x80);

  const lend = host.rm.requests[1]!.payload;
  const head = MemCreateHeader.decode(lend);
  assert.equal(head?.memType, 0);
  assert.equal(new DataView(lend.buffer, lend.byteOffset).getUint16(8, true), 1, "one ACL entry");
  const acl = AclEntry.decode(lend, 12);
  assert.deepEqual(acl, { vmid: 0x80, rights: 7 });
  // SGL: the host PA of the DTB's page (guest memory starts after the RM buffer page).
  const sgl = SglEntry.decode(lend, 12 + 4 + 4);
  assert.equal(sgl?.size, 4096n);
  assert.equal(sgl?.ipa, BigInt(RAM_BASE + 0x1000 + 0x1000));

  const config = VmConfigImageRequest.decode(host.rm.requests[2]!.payload);
  assert.equal(config?.dtOffset, 0n);
  assert.equal(config?.dtSize, 0x800n);
  const layout = VmSetAddressLayoutRequest.decode(host.rm.requests[4]!.payload);
  assert.equal(layout?.base, BigInt(GUEST_BASE + 0x1000));
  assert.equal(layout?.size, 4096n);
  const boots = host.rm.requests
    .filter((m) => m.msgId === 0x5600_0031)
    .map((m) => VmSetBootContextRequest.decode(m.payload));
  assert.deepEqual(
    boots.map((b) => [b?.regSet, b?.regIndex, b?.value]),
    [
      [1, 0, BigInt(GUEST_BASE)],
      [0, 0, BigInt(GUEST_BASE + 0x1000)],
    ],
  );

  const again = await vm.start();
  assert.ok(again.ok, "start on a running VM succeeds");
  vm.close();
  await vm.released;
});

test("vm teardown: stop, reclaim the DTB parcel, reset, dealloc; memory comes back", async () => {
  const host = testHost();
  const before = host.device.availableMemory;
  const { vm, mem } = configuredVm(host);
  const vcpu = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(vcpu.ok);
  assert.ok((await vm.start()).ok);
  const n = host.rm.requests.length;
  vm.close();
  await tick(5);
  assert.equal(host.rm.requests.length, n, "a vCPU handle keeps the VM alive");
  vcpu.value.close();
  await vm.released;
  assert.deepEqual(host.rm.log.slice(n), ["VM_STOP", "MEM_RECLAIM", "VM_RESET", "VM_DEALLOC_VMID"]);
  assert.equal(host.rm.vms.size, 0);
  assert.equal(host.rm.parcels.size, 0);
  mem.close();
  assert.equal(host.device.availableMemory, before);
});

test("vm: closing never blocks; a VM that never started makes no RM call", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  vm.close();
  vm.close();
  assert.equal(host.rm.requests.length, 0);
  await vm.released;
  assert.equal(host.rm.requests.length, 0);
  const closed = vm.setDtbConfig({ guestPhysAddr: 0, size: 1 });
  assert.ok(!closed.ok);
  assert.equal(closed.error.code, "EBADF");
});

test("vm start: every injected RM failure is returned and teardown releases everything", async () => {
  for (let failAt = 0; failAt < START_SEQUENCE.length; failAt++) {
    const host = testHost();
    const before = host.device.availableMemory;
    const { vm, mem } = configuredVm(host);
    vm.setBootContext({ reg: bootReg("pc"), value: 1n });
    vm.setBootContext({ reg: bootReg("x", 0), value: 2n });
    let n = 0;
    host.device.injectRmFaults(() => (n++ === failAt ? 1 /* NOMEM */ : undefined));
    const r = await vm.start();
    assert.ok(!r.ok, `failure at ${START_SEQUENCE[failAt]}`);
    assert.equal(r.error.code, "ENOMEM");
    host.device.injectRmFaults(undefined);
    const again = await vm.start();
    assert.ok(!again.ok);
    assert.equal(again.error.code, "ENODEV");
    vm.close();
    await vm.released;
    assert.equal(host.rm.vms.size, 0, `VMID released after failing at ${START_SEQUENCE[failAt]}`);
    assert.equal(
      host.rm.parcels.size,
      0,
      `parcel reclaimed after failing at ${START_SEQUENCE[failAt]}`,
    );
    mem.close();
    assert.equal(host.device.availableMemory, before);
  }
});

test("vm start: an RM-side error at VM_INIT leaves INIT_FAILED, then reset and dealloc", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  host.rm.errors.set(0x5600_000b, 8);
  const r = await vm.start();
  assert.ok(!r.ok);
  assert.equal(vm.status, VmStatus.INIT_FAILED);
  const n = host.rm.requests.length;
  vm.close();
  await vm.released;
  assert.deepEqual(host.rm.log.slice(n), ["MEM_RECLAIM", "VM_RESET", "VM_DEALLOC_VMID"]);
  assert.equal(host.rm.vms.size, 0);
});

test("vm start: needs a DTB config inside one mapping", async () => {
  const host = testHost();
  const vm = host.device.createVm();
  assert.ok(vm.ok);
  const r = await vm.value.start();
  assert.ok(!r.ok);
  assert.equal(r.error.code, "EINVAL");
  assert.equal(host.rm.requests.length, 0);
  const outside = host.device.createVm();
  assert.ok(outside.ok);
  assert.ok(outside.value.setDtbConfig({ guestPhysAddr: 0x1000, size: 16 }).ok);
  const r2 = await outside.value.start();
  assert.ok(!r2.ok);
  assert.equal(r2.error.code, "EINVAL");
  assert.ok(!outside.value.setDtbConfig({ guestPhysAddr: 0, size: 0 }).ok);
  assert.equal(host.device.createVm(1).ok, false);
});

test("vm boot context: register sets and indices as v17 checks them, only before start", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  const ok = [bootReg("x", 0), bootReg("x", 31), bootReg("pc"), bootReg("sp", 0), bootReg("sp", 2)];
  for (const reg of ok)
    assert.ok(vm.setBootContext({ reg, value: 5n }).ok, `reg 0x${reg.toString(16)}`);
  const bad = [bootReg("x", 32), (1 << 8) | 1, bootReg("sp", 3), 3 << 8, 0x10000, -1];
  for (const reg of bad) {
    const r = vm.setBootContext({ reg, value: 5n });
    assert.ok(!r.ok, `reg 0x${reg.toString(16)}`);
    assert.equal(r.error.code, "EINVAL");
  }
  assert.equal(vm.setBootContext({ reg: 0, value: 1n << 64n }).ok, false);
  assert.ok((await vm.start()).ok);
  const after = vm.setBootContext({ reg: bootReg("pc"), value: 0n });
  assert.ok(!after.ok);
  assert.equal(after.error.code, "EINVAL");
  assert.equal(vm.setDtbConfig({ guestPhysAddr: GUEST_BASE, size: 16 }).ok, false);
  vm.close();
  await vm.released;
});

test("vm: VM_EXITED from the RM is recorded raw; a forced stop is skipped once exited", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  assert.ok((await vm.start()).ok);
  host.rm.notifyExited(0x80, 1, new Uint8Array([9, 8, 7]));
  await until(() => vm.status === VmStatus.EXITED);
  const n = host.rm.requests.length;
  vm.close();
  await vm.released;
  assert.deepEqual(host.rm.log.slice(n), ["MEM_RECLAIM", "VM_RESET", "VM_DEALLOC_VMID"]);
});

test("vm: notifications for other VMs and stale statuses are ignored", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  assert.ok((await vm.start()).ok);
  host.rm.notifyExited(0x99, 1);
  host.rm.notifyStatus(0x80, VmStatus.LOAD); // not allowed from RUNNING
  await until(() => host.device.rmStats.notifications === 2);
  assert.equal(vm.status, VmStatus.RUNNING);
  vm.close();
  await vm.released;
});

test("vm teardown: an RM that never confirms still lets teardown finish", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  assert.ok((await vm.start()).ok);
  host.rm.autoNotify = false; // no VM_EXITED after VM_STOP, no RESET after VM_RESET
  vm.close();
  await vm.released;
  // Without notifications the host asks for the state (VM_GET_STATE) and goes on.
  assert.deepEqual(
    host.rm.log.slice(-6),
    ["VM_STOP", "VM_GET_STATE", "MEM_RECLAIM", "VM_RESET", "VM_GET_STATE", "VM_DEALLOC_VMID"].slice(
      -7,
    ),
  );
  assert.equal(host.rm.vms.size, 0);
});

test("vm teardown: hypercall failures while reclaiming pages leak those pages, never crash", async () => {
  const host = testHost();
  const { vm, mem } = configuredVm(host);
  const v = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(v.ok);
  assert.ok((await vm.start()).ok);
  host.native.hyp.runScripts.set(0xc00n, [
    { state: 7, data: [BigInt(GUEST_BASE + 0x3000)] },
    { state: 5, data: [0x0900_0000n, 1n, 0n] },
  ]);
  assert.ok((await v.value.run()).ok);
  const free = host.device.availableMemory;
  host.device.injectHypercallFaults((name) => (name === "ADDRSPACE_UNMAP" ? 31 : undefined));
  v.value.close();
  vm.close();
  await vm.released;
  host.device.injectHypercallFaults(undefined);
  assert.equal(host.rm.vms.size, 0, "the RM side is still cleaned up");
  const r = mem.read(0x3000, 1);
  assert.ok(!r.ok, "the page is still the guest's");
  mem.close();
  assert.equal(host.device.availableMemory, free, "a page the host does not own is never reused");
});

test("device: RM notifications of any id reach listeners", async () => {
  const host = testHost();
  const seen: number[] = [];
  const off = host.device.onRmNotification(0x5110_0012, (p) => seen.push(p.length));
  host.rm.notify(0x5110_0012, new Uint8Array(12));
  await until(() => seen.length === 1);
  off();
  host.rm.notify(0x5110_0012, new Uint8Array(12));
  await until(() => host.device.rmStats.notifications === 2);
  assert.deepEqual(seen, [12]);
});

test("vm start: a DTB in shared memory is shared, with the host kept in the ACL", async () => {
  const host = testHost();
  const vm = host.device.createVm();
  const mem = host.device.createGuestMem({ size: 0x10000 });
  assert.ok(vm.ok && mem.ok);
  assert.ok(
    vm.value.mapMem({
      guestAddr: GUEST_BASE,
      flags: 0x2 | 0x30,
      guestMem: mem.value,
      offset: 0,
      size: 0x10000,
    }).ok,
  );
  assert.ok(vm.value.setDtbConfig({ guestPhysAddr: GUEST_BASE + 0x2000, size: 0x1800 }).ok);
  assert.ok((await vm.value.start()).ok);
  assert.equal(host.rm.log[1], "MEM_SHARE");
  const p = host.rm.requests[1]!.payload;
  assert.equal(new DataView(p.buffer, p.byteOffset).getUint16(8, true), 2);
  assert.deepEqual(
    [AclEntry.decode(p, 12), AclEntry.decode(p, 16)],
    [
      { vmid: 0x80, rights: 6 },
      { vmid: 3, rights: 6 },
    ],
  );
  const sgl = SglEntry.decode(p, 20 + 4);
  assert.equal(sgl?.size, 0x2000n, "the DTB's two pages");
  vm.value.close();
  await vm.value.released;
  assert.equal(host.rm.parcels.size, 0);
});

test("handles: `using` closes VMs, guest memory and eventfds; concurrent starts share one", async () => {
  const host = testHost();
  const before = host.device.availableMemory;
  let released: Promise<void> | undefined;
  {
    const { vm, mem } = configuredVm(host);
    using _vm = vm;
    using _mem = mem;
    released = vm.released;
    const [a, b] = await Promise.all([vm.start(), vm.start()]);
    assert.ok(a.ok && b.ok);
    assert.equal(host.rm.log.filter((x) => x === "VM_START").length, 1);
  }
  await released;
  assert.equal(host.device.availableMemory, before);
  assert.equal(host.rm.vms.size, 0);
});

test("openGunyah: refuses a hypervisor that is not Gunyah (ENODEV)", async () => {
  const native = fakeNativeVm();
  const notGunyah = {
    ...native.vm,
    hvc: {
      hvc: (id: number, args: readonly bigint[]) =>
        id === 0xc600_8000 ? ([0x51n << 56n, 0n, 0n, 0n] as const) : native.hyp.hvc(id, args),
    },
  };
  const r = await openGunyah({
    platform: {
      host: {
        vm: notGunyah,
        ram: { base: native.memory.base, size: native.memory.size },
        rmTxCap: 1n,
        rmRxCap: 2n,
        rmTxVirq: 40,
        rmRxVirq: 41,
      },
    },
  });
  assert.ok(!r.ok);
  assert.equal(r.error.code, "ENODEV");
});

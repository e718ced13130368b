// VM management calls over the real transport: the platform boots, a test client acts
// as the host (msgqueue hypercalls on its boot caps), and each call's success and
// validation failures are checked, with the notifications the RM sends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Call, HypError, hypercallId, hypErrorFromX0, RES0 } from "../../src/hyp/abi/index.js";
import { parseFdt } from "../../src/lib/fdt.js";
import {
  ExitType,
  HypResourceEntry,
  HypResourcesHeader,
  HypResourceType,
  RmError,
  RmNotification,
  VmExitedNotification,
  VmidReply,
  VmMsg,
  VmSetAddressLayoutRequest,
  VmSetBootContextRequest,
  VmSetDemandPagingHeader,
  VmStateReply,
  VmStatus,
  VmStopRequest,
  VmConfigImageRequest,
  MemRange,
  concatBytes,
  MemHandleReply,
  MemMsg,
} from "../../src/rm/protocol/index.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import {
  createVm,
  destroyVm,
  DTB_REGION,
  guestDtb,
  memCreateReq,
  statusIs,
  vmidReq,
} from "./helpers/requests.js";

const { platform, client } = bootTestPlatform();
const ram = platform.host.ram;
const dtbPa = (i: number) => ram.base + 0x10_0000 + i * DTB_REGION;

async function expectError(id: number, payload: Uint8Array, error: number, what?: string) {
  const r = await client.call(id, payload);
  assert.equal(r.error, error, what ?? `0x${id.toString(16)}`);
}

async function state(vmid: number): Promise<number> {
  const r = await client.call(VmMsg.VM_GET_STATE, vmidReq(vmid));
  assert.equal(r.error, RmError.OK);
  return VmStateReply.decode(r.data)!.vmStatus;
}

test("VM_ALLOC_VMID / VM_DEALLOC_VMID", async () => {
  const a = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0));
  assert.equal(a.error, RmError.OK);
  const vmid = VmidReply.decode(a.data)!.vmid;
  assert.ok(vmid >= 0x80 && vmid <= 0xbf);
  assert.equal(await state(vmid), VmStatus.LOAD);
  await client.waitNotification(statusIs(vmid, VmStatus.LOAD));
  const b = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0xb0));
  assert.equal(VmidReply.decode(b.data)!.vmid, 0xb0);
  await expectError(VmMsg.VM_ALLOC_VMID, vmidReq(0xb0), RmError.IN_USE);
  await expectError(VmMsg.VM_ALLOC_VMID, vmidReq(0x10), RmError.VMID_INVALID);
  await expectError(VmMsg.VM_ALLOC_VMID, vmidReq(0xff), RmError.VMID_INVALID);
  await expectError(VmMsg.VM_ALLOC_VMID, new Uint8Array(3), RmError.MSG_INVALID);
  await expectError(VmMsg.VM_ALLOC_VMID, new Uint8Array(5), RmError.MSG_INVALID);
  await expectError(
    VmMsg.VM_ALLOC_VMID,
    new Uint8Array([0, 0, 1, 0]),
    RmError.MSG_INVALID,
    "padding",
  );
  for (const v of [vmid, 0xb0])
    assert.equal((await client.call(VmMsg.VM_DEALLOC_VMID, vmidReq(v))).error, 0);
  await expectError(VmMsg.VM_DEALLOC_VMID, vmidReq(vmid), RmError.VMID_INVALID);
  await expectError(VmMsg.VM_DEALLOC_VMID, vmidReq(3), RmError.VMID_INVALID, "the host itself");
});

test("VM_ALLOC_VMID runs out after 64 dynamic VMIDs", async () => {
  const got: number[] = [];
  for (let i = 0; i < 64; i++) {
    const r = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0));
    assert.equal(r.error, RmError.OK);
    got.push(VmidReply.decode(r.data)!.vmid);
  }
  assert.equal(new Set(got).size, 64);
  await expectError(VmMsg.VM_ALLOC_VMID, vmidReq(0), RmError.NORESOURCE);
  for (const v of got) await client.call(VmMsg.VM_DEALLOC_VMID, vmidReq(v));
});

test("VM_GET_VMID, VM_GET_STATE of the host, unknown ids", async () => {
  const r = await client.call(VmMsg.VM_GET_VMID, new Uint8Array(0));
  assert.deepEqual([r.error, VmidReply.decode(r.data)!.vmid], [RmError.OK, 3]);
  await expectError(VmMsg.VM_GET_VMID, new Uint8Array(4), RmError.MSG_INVALID);
  assert.equal(await state(3), VmStatus.RUNNING);
  await expectError(VmMsg.VM_GET_STATE, vmidReq(0x99), RmError.VMID_INVALID);
  await expectError(0x5600_00ff, new Uint8Array(0), RmError.UNIMPLEMENTED);
  await expectError(0x1234_5678, vmidReq(0), RmError.UNIMPLEMENTED);
  await expectError(
    VmMsg.VM_EXIT,
    new Uint8Array(4),
    RmError.DENIED,
    "the host is not a dynamic VM",
  );
});

test("configuration calls: sizes, ranges, states", async () => {
  const a = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0));
  const vmid = VmidReply.decode(a.data)!.vmid;
  const layout = (rangeId: number, base: number, size: number) =>
    VmSetAddressLayoutRequest.encode({ vmid, rangeId, base: BigInt(base), size: BigInt(size) });
  assert.equal(
    (await client.call(VmMsg.VM_SET_ADDRESS_LAYOUT, layout(0, 0x4000_0000, 0x1_0000))).error,
    0,
  );
  assert.equal(
    (await client.call(VmMsg.VM_SET_ADDRESS_LAYOUT, layout(1, 0x5000_0000, 0x1_0000))).error,
    0,
  );
  await expectError(
    VmMsg.VM_SET_ADDRESS_LAYOUT,
    layout(2, 0x4000_0000, 0x1000),
    RmError.ARGUMENT_INVALID,
  );
  await expectError(
    VmMsg.VM_SET_ADDRESS_LAYOUT,
    layout(0, 0x4000_0800, 0x1000),
    RmError.ARGUMENT_INVALID,
  );
  await expectError(
    VmMsg.VM_SET_ADDRESS_LAYOUT,
    layout(0, 0x4000_0000, 0),
    RmError.ARGUMENT_INVALID,
  );
  await expectError(
    VmMsg.VM_SET_ADDRESS_LAYOUT,
    layout(0, 0, 0x1000).subarray(0, 20),
    RmError.MSG_INVALID,
  );

  const paging = (ranges: [number, number][], count = ranges.length) =>
    concatBytes(
      VmSetDemandPagingHeader.encode({ vmid, count }),
      ...ranges.map(([b, s]) => MemRange.encode({ base: BigInt(b), size: BigInt(s) })),
    );
  assert.equal(
    (await client.call(VmMsg.VM_SET_DEMAND_PAGING, paging([[0x4000_0000, 0x100_0000]]))).error,
    0,
  );
  await expectError(
    VmMsg.VM_SET_DEMAND_PAGING,
    paging([[0x4000_0000, 0x1000]], 2),
    RmError.MSG_INVALID,
  );
  await expectError(
    VmMsg.VM_SET_DEMAND_PAGING,
    paging([
      [0x4000_0000, 0x2000],
      [0x4000_1000, 0x1000],
    ]),
    RmError.ARGUMENT_INVALID,
  );
  await expectError(VmMsg.VM_SET_DEMAND_PAGING, paging([], 513), RmError.ARGUMENT_INVALID);

  const boot = (regSet: number, regIndex: number) =>
    VmSetBootContextRequest.encode({ vmid, regSet, regIndex, value: 1n });
  assert.equal((await client.call(VmMsg.VM_SET_BOOT_CONTEXT, boot(0, 30))).error, 0);
  await expectError(VmMsg.VM_SET_BOOT_CONTEXT, boot(0, 31), RmError.ARGUMENT_INVALID);
  await expectError(VmMsg.VM_SET_BOOT_CONTEXT, boot(1, 1), RmError.ARGUMENT_INVALID);
  await expectError(VmMsg.VM_SET_BOOT_CONTEXT, boot(3, 0), RmError.ARGUMENT_INVALID);
  await expectError(VmMsg.VM_SET_BOOT_CONTEXT, boot(0, 0).subarray(0, 15), RmError.MSG_INVALID);

  const cfg = (memHandle: number, auth = 0) =>
    VmConfigImageRequest.encode({
      vmid,
      auth,
      memHandle,
      imageOffset: 0n,
      imageSize: 0n,
      dtOffset: 0n,
      dtSize: 0x100n,
    });
  await expectError(VmMsg.VM_CONFIG_IMAGE, cfg(0x7777), RmError.HANDLE_INVALID);
  await expectError(VmMsg.VM_CONFIG_IMAGE, cfg(0x7777).subarray(1), RmError.MSG_INVALID);

  // VM_INIT with nothing configured: INIT -> INIT_FAILED, and the error.
  await expectError(VmMsg.VM_INIT, vmidReq(vmid), RmError.ARGUMENT_INVALID);
  assert.equal(await state(vmid), VmStatus.INIT_FAILED);
  await client.waitNotification(statusIs(vmid, VmStatus.INIT_FAILED));
  await expectError(VmMsg.VM_INIT, vmidReq(vmid), RmError.VM_STATE, "INIT_FAILED cannot INIT");
  await expectError(VmMsg.VM_START, vmidReq(vmid), RmError.VM_STATE);
  await expectError(VmMsg.VM_SET_ADDRESS_LAYOUT, layout(0, 0x4000_0000, 0x1000), RmError.VM_STATE);
  await expectError(VmMsg.VM_DEALLOC_VMID, vmidReq(vmid), RmError.VM_STATE);
  await expectError(
    VmMsg.VM_STOP,
    VmStopRequest.encode({ vmid, flags: 1, reason: 0 }),
    RmError.VM_STATE,
  );
  const resetMark = client.mark();
  assert.equal((await client.call(VmMsg.VM_RESET, vmidReq(vmid))).error, 0);
  await client.waitNotification(statusIs(vmid, VmStatus.RESET), resetMark);
  assert.equal((await client.call(VmMsg.VM_DEALLOC_VMID, vmidReq(vmid))).error, 0);
});

test("VM_INIT refuses a bad configuration DT and stays clean", async () => {
  const before = leakSnapshot(platform);
  const junk = new Uint8Array(256).fill(0xaa);
  await assert.rejects(createVm(client, { dtbPa: dtbPa(1), dtb: junk }), /error 6/);
  const vmid = platform.rm.dynamicVmids()[0]!;
  assert.equal(await state(vmid), VmStatus.INIT_FAILED);
  // Teardown of a failed VM: reclaim the parcel, reset, dealloc.
  const handle = [...Array(64).keys()].map((i) => i + 1).find((h) => platform.rm.parcels.get(h));
  await destroyVm(client, { vmid, dtbHandle: handle!, dtbPa: dtbPa(1), guestIpa: 0 }, false);
  assert.equal(leakSnapshot(platform), before);
});

test("VM_INIT refuses a DT size above the parser's limit (the RM never reads it)", async () => {
  const a = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0));
  const vmid = VmidReply.decode(a.data)!.vmid;
  const pa = ram.base + 0x80_0000;
  const size = 0x30_0000;
  // A valid DT: only its declared size is wrong.
  assert.ok(platform.host.vm.memory.write(pa, guestDtb()).ok);
  const lend = await client.call(
    MemMsg.MEM_LEND,
    memCreateReq({ acl: [{ vmid, rights: 7 }], sgl: [{ ipa: pa, size }] }),
  );
  assert.equal(lend.error, 0);
  const handle = MemHandleReply.decode(lend.data)!.handle;
  const cfg = VmConfigImageRequest.encode({
    vmid,
    auth: 0,
    memHandle: handle,
    imageOffset: 0n,
    imageSize: 0n,
    dtOffset: 0n,
    dtSize: BigInt(size),
  });
  assert.equal((await client.call(VmMsg.VM_CONFIG_IMAGE, cfg)).error, 0);
  const layout = VmSetAddressLayoutRequest.encode({
    vmid,
    rangeId: 0,
    base: 0x4000_0000n,
    size: BigInt(size),
  });
  assert.equal((await client.call(VmMsg.VM_SET_ADDRESS_LAYOUT, layout)).error, 0);
  await expectError(VmMsg.VM_INIT, vmidReq(vmid), RmError.ARGUMENT_INVALID);
  await destroyVm(client, { vmid, dtbHandle: handle, dtbPa: pa, guestIpa: 0 }, false);
});

test("full lifecycle: init, resources, start, guest PSCI SYSTEM_OFF -> VM_EXITED, teardown", async () => {
  const before = leakSnapshot(platform);
  // Code for vCPU 0 inside the lent DTB region: x0 = PSCI SYSTEM_OFF; hvc #0.
  const code = new Uint8Array(12);
  const dv = new DataView(code.buffer);
  [0xd2800100, 0xf2b08000, 0xd4000002].forEach((w, i) => dv.setUint32(i * 4, w, true));
  assert.ok(platform.host.vm.memory.write(dtbPa(2) + 0x8000, code).ok);
  const vm = await createVm(client, { dtbPa: dtbPa(2), dt: { cpus: 2 } });
  assert.equal(await state(vm.vmid), VmStatus.READY);
  // A lent page is unreachable from the host.
  assert.equal(platform.host.vm.memory.read(dtbPa(2), 4).ok, false);

  const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
  assert.equal(res.error, RmError.OK);
  const n = HypResourcesHeader.decode(res.data)!.count;
  assert.equal(res.data.length, 4 + 44 * n);
  const entries = [...Array(n).keys()].map((i) => HypResourceEntry.decode(res.data, 4 + 44 * i)!);
  const of = (type: number) => entries.filter((e) => e.type === type);
  assert.deepEqual(
    of(HypResourceType.VIRTUAL_CPU).map((e) => e.label),
    [0, 1],
  );
  assert.deepEqual(
    of(HypResourceType.MEM_EXTENT)
      .map((e) => e.label)
      .sort(),
    [0, 1, 2, 3],
  );
  assert.equal(of(HypResourceType.ADDR_SPACE).length, 1);
  for (const e of entries) assert.equal(e.partnerVmid, vm.vmid);
  for (const e of of(HypResourceType.VIRTUAL_CPU)) assert.ok(e.virq >= 992);
  for (const e of of(HypResourceType.MEM_EXTENT)) assert.equal(e.base, BigInt(ram.base));

  const pc = VmSetBootContextRequest.encode({
    vmid: vm.vmid,
    regSet: 1,
    regIndex: 0,
    value: BigInt(vm.guestIpa + 0x8000),
  });
  assert.equal((await client.call(VmMsg.VM_SET_BOOT_CONTEXT, pc)).error, 0);
  assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
  assert.equal(await state(vm.vmid), VmStatus.RUNNING);
  await expectError(VmMsg.VM_START, vmidReq(vm.vmid), RmError.VM_STATE);
  await expectError(VmMsg.VM_SET_BOOT_CONTEXT, pc, RmError.VM_STATE);

  // The host runs vCPU 0 with the cap it was given: the guest powers the system off.
  const vcpu0 = of(HypResourceType.VIRTUAL_CPU).find((e) => e.label === 0)!;
  const since = client.mark();
  for (let i = 0; i < 10; i++) {
    const out = platform.host.vm.hvc.hvc(hypercallId(Call.VCPU_RUN), [
      vcpu0.capId,
      0n,
      0n,
      0n,
      RES0,
    ]);
    assert.equal(hypErrorFromX0(out[0]), 0);
    if (out[1] === 2n) break; // POWERED_OFF
  }
  const exited = await client.waitNotification(
    (m) =>
      m.msgId === RmNotification.VM_EXITED &&
      VmExitedNotification.decode(m.payload)?.vmid === vm.vmid,
    since,
  );
  assert.equal(VmExitedNotification.decode(exited.payload)!.exitType, ExitType.PSCI_POWER_OFF);
  assert.equal(await state(vm.vmid), VmStatus.EXITED);

  await destroyVm(client, vm, false);
  // The host has its page back, with the /hypervisor node the RM generated.
  const back = platform.host.vm.memory.read(dtbPa(2), DTB_REGION);
  assert.ok(back.ok);
  const fdt = parseFdt(back.value);
  assert.ok(fdt.ok);
  assert.equal(fdt.value.root.find("/hypervisor/qcom,gunyah-vm")?.getU32("qcom,vmid"), vm.vmid);
  assert.equal(leakSnapshot(platform), before);
});

test("VM_STOP (force) reports VM_STOP_FORCED with the reason", async () => {
  const vm = await createVm(client, { dtbPa: dtbPa(3) });
  assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
  await expectError(
    VmMsg.VM_STOP,
    VmStopRequest.encode({ vmid: vm.vmid, flags: 2, reason: 0 }),
    RmError.ARGUMENT_INVALID,
  );
  await expectError(
    VmMsg.VM_STOP,
    VmStopRequest.encode({ vmid: vm.vmid, flags: 1, reason: 0 }).subarray(0, 7),
    RmError.MSG_INVALID,
  );
  await expectError(VmMsg.VM_RESET, vmidReq(vm.vmid), RmError.VM_STATE, "RUNNING cannot reset");
  const since = client.mark();
  const r = await client.call(
    VmMsg.VM_STOP,
    VmStopRequest.encode({ vmid: vm.vmid, flags: 1, reason: 0xabcd }),
  );
  assert.equal(r.error, 0);
  const exited = await client.waitNotification(
    (m) =>
      m.msgId === RmNotification.VM_EXITED &&
      VmExitedNotification.decode(m.payload)?.vmid === vm.vmid,
    since,
  );
  const n = VmExitedNotification.decode(exited.payload)!;
  assert.equal(n.exitType, ExitType.VM_STOP_FORCED);
  assert.equal(n.reasonSize, 4);
  assert.equal(
    new DataView(exited.payload.buffer, exited.payload.byteOffset).getUint32(8, true),
    0xabcd,
  );
  await destroyVm(client, vm, false);
});

test("vdevices: doorbells and a message-queue pair become host resources with working caps", async () => {
  const before = leakSnapshot(platform);
  const vm = await createVm(client, {
    dtbPa: dtbPa(4),
    dt: {
      bells: [
        { label: 1, spi: 20, sourceCanClear: true },
        { label: 2, spi: 21 },
      ],
      queues: [{ label: 7, spis: [22, 23] }],
    },
  });
  const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
  const n = HypResourcesHeader.decode(res.data)!.count;
  const entries = [...Array(n).keys()].map((i) => HypResourceEntry.decode(res.data, 4 + 44 * i)!);
  const bells = entries.filter((e) => e.type === HypResourceType.DOORBELL_SRC);
  assert.deepEqual(
    bells.map((e) => e.label),
    [1, 2],
  );
  for (const b of bells) assert.equal(b.virq, 0xffff_ffff);
  const send = entries.find((e) => e.type === HypResourceType.MSG_QUEUE_SEND)!;
  const recv = entries.find((e) => e.type === HypResourceType.MSG_QUEUE_RECV)!;
  assert.equal(send.label, 7);
  assert.equal(recv.label, 7);
  assert.ok(send.virq >= 992 && recv.virq >= 992 && send.virq !== recv.virq);
  // The caps work in the host's cspace: ring a doorbell, send on the queue.
  const hvc = (call: number, args: bigint[]) =>
    hypErrorFromX0(platform.host.vm.hvc.hvc(hypercallId(call), args)[0]);
  assert.equal(hvc(Call.DOORBELL_SEND, [bells[0]!.capId, 1n, RES0]), 0);
  assert.equal(hvc(Call.DOORBELL_SEND, [bells[1]!.capId, 1n, RES0]), 0);
  // source-can-clear grants RECEIVE, which doorbell_mask needs (a level irqfd's mask(1, 1)).
  assert.equal(hvc(Call.DOORBELL_MASK, [bells[0]!.capId, 1n, 1n, RES0]), 0);
  assert.equal(
    hvc(Call.DOORBELL_MASK, [bells[1]!.capId, 1n, 1n, RES0]),
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
  );
  const buf = ram.base + ram.size - 0x3000;
  assert.ok(platform.host.vm.memory.write(buf, new Uint8Array(16).fill(1)).ok);
  assert.equal(hvc(Call.MSGQUEUE_SEND, [send.capId, 16n, BigInt(buf), 1n, RES0]), 0);
  // The receive end is the host's, the send end is not readable by it.
  assert.notEqual(hvc(Call.MSGQUEUE_RECEIVE, [send.capId, BigInt(buf), 64n, RES0]), 0);
  await destroyVm(client, vm, false);
  // Teardown revoked the host's copies of the caps.
  assert.notEqual(hvc(Call.DOORBELL_SEND, [bells[0]!.capId, 1n, RES0]), 0);
  const back = platform.host.vm.memory.read(dtbPa(4), DTB_REGION);
  assert.ok(back.ok);
  const fdt = parseFdt(back.value);
  assert.ok(fdt.ok);
  assert.deepEqual(
    fdt.value.root.find("/hypervisor/bell-2")?.getU32Array("interrupts"),
    [0, 21, 4],
  );
  assert.equal(leakSnapshot(platform), before);
});

test("a guest's PSCI SYSTEM_RESET is reported as VM_EXITED PSCI_SYSTEM_RESET", async () => {
  const code = new Uint8Array(12);
  const dv = new DataView(code.buffer);
  // x0 = 0x84000009 (SYSTEM_RESET); hvc #0
  [0xd2800120, 0xf2b08000, 0xd4000002].forEach((w, i) => dv.setUint32(i * 4, w, true));
  assert.ok(platform.host.vm.memory.write(dtbPa(5) + 0x8000, code).ok);
  const vm = await createVm(client, { dtbPa: dtbPa(5) });
  const pc = VmSetBootContextRequest.encode({
    vmid: vm.vmid,
    regSet: 1,
    regIndex: 0,
    value: BigInt(vm.guestIpa + 0x8000),
  });
  assert.equal((await client.call(VmMsg.VM_SET_BOOT_CONTEXT, pc)).error, 0);
  const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
  const n = HypResourcesHeader.decode(res.data)!.count;
  const vcpu0 = [...Array(n).keys()]
    .map((i) => HypResourceEntry.decode(res.data, 4 + 44 * i)!)
    .find((e) => e.type === HypResourceType.VIRTUAL_CPU && e.label === 0)!;
  const since = client.mark();
  assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
  for (let i = 0; i < 10; i++) {
    const out = platform.host.vm.hvc.hvc(hypercallId(Call.VCPU_RUN), [
      vcpu0.capId,
      0n,
      0n,
      0n,
      RES0,
    ]);
    if (hypErrorFromX0(out[0]) !== 0 || out[1] === 0x100n || out[1] === 2n) break;
  }
  const exited = await client.waitNotification((m) => m.msgId === RmNotification.VM_EXITED, since);
  assert.equal(VmExitedNotification.decode(exited.payload)!.exitType, ExitType.PSCI_SYSTEM_RESET);
  await destroyVm(client, vm, false);
});

test("RESET -> INIT: a reset VM can be configured and initialized again", async () => {
  const before = leakSnapshot(platform);
  const vm = await createVm(client, { dtbPa: dtbPa(6) });
  assert.equal(
    (await client.call(MemMsg.MEM_RECLAIM, new Uint8Array([vm.dtbHandle, 0, 0, 0, 0, 0, 0, 0])))
      .error,
    0,
  );
  const since = client.mark();
  assert.equal((await client.call(VmMsg.VM_RESET, vmidReq(vm.vmid))).error, 0);
  await client.waitNotification(statusIs(vm.vmid, VmStatus.RESETTING), since);
  await client.waitNotification(statusIs(vm.vmid, VmStatus.RESET), since);
  assert.equal(await state(vm.vmid), VmStatus.RESET);
  // The old configuration and resources are gone.
  await expectError(VmMsg.VM_INIT, vmidReq(vm.vmid), RmError.ARGUMENT_INVALID);
  const again = client.mark();
  await client.call(VmMsg.VM_RESET, vmidReq(vm.vmid));
  await client.waitNotification(statusIs(vm.vmid, VmStatus.RESET), again);
  const dtb = guestDtb({ cpus: 3 });
  assert.ok(platform.host.vm.memory.write(dtbPa(6), dtb).ok, "the page is the host's again");
  const lend = await client.call(
    MemMsg.MEM_LEND,
    memCreateReq({
      acl: [{ vmid: vm.vmid, rights: 7 }],
      sgl: [{ ipa: dtbPa(6), size: DTB_REGION }],
    }),
  );
  const handle = MemHandleReply.decode(lend.data)!.handle;
  const cfg = VmConfigImageRequest.encode({
    vmid: vm.vmid,
    auth: 0,
    memHandle: handle,
    imageOffset: 0n,
    imageSize: 0n,
    dtOffset: 0n,
    dtSize: BigInt(dtb.length),
  });
  assert.equal((await client.call(VmMsg.VM_CONFIG_IMAGE, cfg)).error, 0);
  const layout = VmSetAddressLayoutRequest.encode({
    vmid: vm.vmid,
    rangeId: 0,
    base: 0x4000_0000n,
    size: BigInt(DTB_REGION),
  });
  assert.equal((await client.call(VmMsg.VM_SET_ADDRESS_LAYOUT, layout)).error, 0);
  assert.equal((await client.call(VmMsg.VM_INIT, vmidReq(vm.vmid))).error, RmError.OK);
  assert.equal(await state(vm.vmid), VmStatus.READY);
  const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
  const n = HypResourcesHeader.decode(res.data)!.count;
  const vcpus = [...Array(n).keys()]
    .map((i) => HypResourceEntry.decode(res.data, 4 + 44 * i)!)
    .filter((e) => e.type === HypResourceType.VIRTUAL_CPU);
  assert.equal(vcpus.length, 3, "built from the new configuration");
  await destroyVm(client, { ...vm, dtbHandle: handle }, false);
  assert.equal(leakSnapshot(platform), before);
});

test("several VMs at once: stopping one leaves the others running and intact", async () => {
  const before = leakSnapshot(platform);
  const vms = [];
  for (let i = 0; i < 3; i++)
    vms.push(await createVm(client, { dtbPa: dtbPa(7 + i), dt: { cpus: 1 + i } }));
  for (const vm of vms)
    assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
  assert.equal(new Set(vms.map((v) => v.vmid)).size, 3);
  const [a, b, c] = vms as [(typeof vms)[0], (typeof vms)[0], (typeof vms)[0]];
  const stop = VmStopRequest.encode({ vmid: b.vmid, flags: 1, reason: 0 });
  assert.equal((await client.call(VmMsg.VM_STOP, stop)).error, 0);
  assert.deepEqual(
    [await state(a.vmid), await state(b.vmid), await state(c.vmid)],
    [VmStatus.RUNNING, VmStatus.EXITED, VmStatus.RUNNING],
  );
  await destroyVm(client, b, false);
  for (const vm of [a, c]) {
    const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
    assert.equal(res.error, 0);
    assert.ok(HypResourcesHeader.decode(res.data)!.count >= 5);
  }
  await destroyVm(client, a, true);
  await destroyVm(client, c, true);
  assert.equal(leakSnapshot(platform), before);
});

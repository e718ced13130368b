// Attack: a guest VM's own RPC channel to the RM (the RM's handleRequest with the
// guest's VMID as the client, exactly what its channel does) used against another
// guest, the host and the RM: lifecycle calls on VMs it does not own, resource
// queries, other VMs' parcels, lending host RAM or borrowed pages onwards. Every one
// is refused with the documented error, and the host can still reclaim its page.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AclEntry,
  AttrEntry,
  concatBytes,
  encodeList,
  MemAcceptFlag,
  MemAcceptHeader,
  MemHandleReply,
  MemMsg,
  RmError,
  SglEntry,
  TransType,
  VmMsg,
  VmSetBootContextRequest,
  VmStopRequest,
} from "../../src/rm/protocol/index.js";
import { TestHostClient } from "../rm/helpers/host-client.js";
import { createVm, handleReq, memCreateReq, vmidReq } from "../rm/helpers/requests.js";
import { smallPlatform } from "./harness.js";

test("a guest's RPC channel has no authority over other VMs, the host or borrowed memory", async () => {
  const platform = smallPlatform(99);
  const client = new TestHostClient(platform.host);
  const base = platform.host.ram.base;
  const a = await createVm(client, { dtbPa: base + 0x100_0000 });
  const b = await createVm(client, { dtbPa: base + 0x120_0000 });
  const asA = (id: number, p: Uint8Array) => platform.rm.handleRequest(a.vmid, id, p).error;
  const HOST = 3;
  const lendTo = (vmid: number, ipa: number, extra: number[] = []) =>
    memCreateReq({
      acl: [vmid, ...extra].map((v) => ({ vmid: v, rights: 7 })),
      sgl: [{ ipa, size: 4096 }],
    });
  const cases: Array<[string, number, Uint8Array, number]> = [
    [
      "VM_STOP B",
      VmMsg.VM_STOP,
      VmStopRequest.encode({ vmid: b.vmid, flags: 1, reason: 0 }),
      RmError.VMID_INVALID,
    ],
    [
      "VM_STOP host",
      VmMsg.VM_STOP,
      VmStopRequest.encode({ vmid: HOST, flags: 1, reason: 0 }),
      RmError.VMID_INVALID,
    ],
    ["VM_RESET B", VmMsg.VM_RESET, vmidReq(b.vmid), RmError.VMID_INVALID],
    ["VM_START B", VmMsg.VM_START, vmidReq(b.vmid), RmError.VMID_INVALID],
    ["VM_DEALLOC B", VmMsg.VM_DEALLOC_VMID, vmidReq(b.vmid), RmError.VMID_INVALID],
    ["VM_ALLOC", VmMsg.VM_ALLOC_VMID, vmidReq(0), RmError.DENIED],
    ["resources of B", VmMsg.VM_GET_HYP_RESOURCES, vmidReq(b.vmid), RmError.VMID_INVALID],
    ["resources of the host", VmMsg.VM_GET_HYP_RESOURCES, vmidReq(HOST), RmError.VMID_INVALID],
    ["state of B", VmMsg.VM_GET_STATE, vmidReq(b.vmid), RmError.VMID_INVALID],
    [
      "boot context of B",
      VmMsg.VM_SET_BOOT_CONTEXT,
      VmSetBootContextRequest.encode({ vmid: b.vmid, regSet: 1, regIndex: 0, value: 0n }),
      RmError.VMID_INVALID,
    ],
    ["reclaim B's DTB parcel", MemMsg.MEM_RECLAIM, handleReq(b.dtbHandle), RmError.HANDLE_INVALID],
    ["release B's DTB parcel", MemMsg.MEM_RELEASE, handleReq(b.dtbHandle), RmError.HANDLE_INVALID],
    ["lend host RAM", MemMsg.MEM_LEND, lendTo(b.vmid, base + 0x20_0000), RmError.MEM_INVALID],
    [
      "donate its config image",
      MemMsg.MEM_DONATE,
      lendTo(b.vmid, 0x4000_0000),
      RmError.MEM_INVALID,
    ],
  ];
  assert.deepEqual(
    cases.map(([name, id, p]) => `${name}: ${asA(id, p)}`),
    cases.map(([name, , , want]) => `${name}: ${want}`),
  );
  // The host lends A a page; A accepts it, then tries to pass it on.
  const lent = await client.call(MemMsg.MEM_LEND, lendTo(a.vmid, base + 0x30_0000));
  assert.equal(lent.error, RmError.OK);
  const handle = MemHandleReply.decode(lent.data)!.handle;
  const accept = concatBytes(
    MemAcceptHeader.encode({
      handle,
      memType: 0,
      transType: TransType.LEND,
      flags: MemAcceptFlag.DONE,
      label: 0,
    }),
    encodeList(AclEntry, []),
    encodeList(SglEntry, [{ ipa: 0x4010_0000n, size: 0x1000n }]),
    encodeList(AttrEntry, []),
  );
  assert.equal(asA(MemMsg.MEM_ACCEPT, accept), RmError.OK);
  assert.equal(
    platform.rm.handleRequest(b.vmid, MemMsg.MEM_ACCEPT, accept).error,
    RmError.HANDLE_INVALID,
  );
  for (const id of [MemMsg.MEM_LEND, MemMsg.MEM_SHARE, MemMsg.MEM_DONATE]) {
    const extra = id === MemMsg.MEM_SHARE ? [a.vmid] : [];
    assert.equal(
      asA(id, lendTo(b.vmid, 0x4010_0000, extra)),
      RmError.MEM_INVALID,
      "borrowed pages stay the owner's",
    );
  }
  // A is READY, not running: the owner can still take its page back.
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(handle))).error, RmError.OK);
  assert.ok(platform.host.vm.memory.read(base + 0x30_0000, 4).ok);
});

// Each VM's own RPC channel to the RM, end to end: guest code running on the emulated
// CPU sends VM_EXIT with msgqueue_send on the cap the RM gave it, and the host gets
// VM_EXITED with the guest's reason. A graceful VM_STOP goes to the guest as
// VM_SHUTDOWN. The generated /hypervisor node describes the channel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Call, hypercallId, hypErrorFromX0, RES0 } from "../../src/hyp/abi/index.js";
import { parseFdt, toCells } from "../../src/lib/fdt.js";
import {
  concatBytes,
  encodeList,
  ExitType,
  fragmentMessage,
  HypResourceEntry,
  HypResourcesHeader,
  HypResourceType,
  MemAcceptHeader,
  MemHandleReply,
  MemMsg,
  MsgType,
  RmNotification,
  SglEntry,
  AclEntry,
  AttrEntry,
  VmExitedNotification,
  VmExitRequest,
  VmMsg,
  VmSetBootContextRequest,
  VmStopRequest,
  TransType,
  MemAcceptFlag,
} from "../../src/rm/protocol/index.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import {
  createVm,
  destroyVm,
  DTB_REGION,
  handleReq,
  memCreateReq,
  vmidReq,
} from "./helpers/requests.js";

const { platform, client } = bootTestPlatform(9);
const ram = platform.host.ram;
const CODE_IPA = 0x4010_0000;

/** x0 = msgqueue_send id, x1 = cap, x2 = size, x3 = &packet, x4 = push, x5 = 0; hvc; wfi loop. */
function guestProgram(cap: bigint, packet: Uint8Array): Uint8Array {
  const page = new Uint8Array(0x1000);
  const v = new DataView(page.buffer);
  const code = [
    0x58000200, // ldr x0, #0x40
    0x58000221, // ldr x1, #0x48
    0x58000242, // ldr x2, #0x50
    0x100003a3, // adr x3, #0x80
    0xd2800024, // movz x4, #1
    0xd2800005, // movz x5, #0
    0xd4000002, // hvc #0
    0xd503207f, // wfi
    0x17ffffff, // b .-4
  ];
  code.forEach((w, i) => v.setUint32(i * 4, w, true));
  v.setBigUint64(0x40, BigInt(hypercallId(Call.MSGQUEUE_SEND)), true);
  v.setBigUint64(0x48, cap, true);
  v.setBigUint64(0x50, BigInt(packet.length), true);
  page.set(packet, 0x80);
  return page;
}

async function bringUp(dtbPa: number) {
  const vm = await createVm(client, { dtbPa });
  const rpc = platform.rm.vms.get(vm.vmid)!.built!.rpc;
  return { vm, rpc };
}

test("a guest's VM_EXIT over its own RM channel reaches the host as VM_EXITED", async () => {
  const before = leakSnapshot(platform);
  const { vm, rpc } = await bringUp(ram.base + 0x10_0000);
  const request = fragmentMessage({
    type: MsgType.REQUEST,
    seq: 1,
    msgId: VmMsg.VM_EXIT,
    payload: concatBytes(
      VmExitRequest.encode({ flags: 0, code: 0 }),
      new TextEncoder().encode("bye!"),
    ),
  });
  assert.ok(request.ok);
  const codePa = ram.base + 0x30_0000;
  assert.ok(
    platform.host.vm.memory.write(codePa, guestProgram(rpc.txCap, request.value[0]!.bytes)).ok,
  );
  const lent = await client.call(
    MemMsg.MEM_LEND,
    memCreateReq({ acl: [{ vmid: vm.vmid, rights: 7 }], sgl: [{ ipa: codePa, size: 0x1000 }] }),
  );
  assert.equal(lent.error, 0);
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
    encodeList(SglEntry, [{ ipa: BigInt(CODE_IPA), size: 0x1000n }]),
    encodeList(AttrEntry, []),
  );
  assert.equal(platform.rm.handleRequest(vm.vmid, MemMsg.MEM_ACCEPT, accept).error, 0);
  const pc = VmSetBootContextRequest.encode({
    vmid: vm.vmid,
    regSet: 1,
    regIndex: 0,
    value: BigInt(CODE_IPA),
  });
  assert.equal((await client.call(VmMsg.VM_SET_BOOT_CONTEXT, pc)).error, 0);
  const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
  const n = HypResourcesHeader.decode(res.data)!.count;
  const vcpu0 = [...Array(n).keys()]
    .map((i) => HypResourceEntry.decode(res.data, 4 + 44 * i)!)
    .find((e) => e.type === HypResourceType.VIRTUAL_CPU && e.label === 0)!;
  const since = client.mark();
  assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
  // The host runs vCPU 0 until the guest waits; the RM then handles its VM_EXIT.
  let state = -1n;
  for (let i = 0; i < 20 && state !== 1n; i++) {
    const out = platform.host.vm.hvc.hvc(hypercallId(Call.VCPU_RUN), [
      vcpu0.capId,
      0n,
      0n,
      0n,
      RES0,
    ]);
    assert.equal(hypErrorFromX0(out[0]), 0);
    state = out[1];
  }
  assert.equal(state, 1n, "EXPECTS_WAKEUP after the guest's wfi");
  const exited = await client.waitNotification((m) => m.msgId === RmNotification.VM_EXITED, since);
  const head = VmExitedNotification.decode(exited.payload)!;
  assert.equal(head.vmid, vm.vmid);
  assert.equal(head.exitType, ExitType.VM_EXIT);
  assert.equal(new TextDecoder().decode(exited.payload.subarray(8)), "bye!");

  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(handle))).error, 0);
  await destroyVm(client, vm, false);
  // The /hypervisor node names the channel: reg = tx, rx caps; interrupts = tx, rx.
  const back = platform.host.vm.memory.read(vm.dtbPa, DTB_REGION);
  assert.ok(back.ok);
  const fdt = parseFdt(back.value);
  assert.ok(fdt.ok);
  const node = fdt.value.root.find("/hypervisor/qcom,resource-mgr")!;
  assert.deepEqual(node.getU32Array("reg"), [...toCells(rpc.txCap, 2), ...toCells(rpc.rxCap, 2)]);
  assert.deepEqual(node.getU32Array("interrupts"), [
    0,
    rpc.txIntid - 32,
    1,
    0,
    rpc.rxIntid - 32,
    1,
  ]);
  assert.equal(leakSnapshot(platform), before);
});

test("a graceful VM_STOP is a VM_SHUTDOWN to the guest; the VM keeps running until forced", async () => {
  const { vm } = await bringUp(ram.base + 0x20_0000);
  assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
  const out0 = platform.rm.stats().channels[vm.vmid]!.packetsOut;
  const stop = (flags: number) =>
    client.call(VmMsg.VM_STOP, VmStopRequest.encode({ vmid: vm.vmid, flags, reason: 5 }));
  assert.equal((await stop(0)).error, 0);
  assert.equal(
    platform.rm.stats().channels[vm.vmid]!.packetsOut,
    out0 + 1,
    "VM_SHUTDOWN sent to the guest",
  );
  assert.equal(platform.rm.vms.get(vm.vmid)!.status, 3, "still RUNNING");
  assert.equal((await stop(1)).error, 0);
  await destroyVm(client, vm, false);
  assert.equal(platform.rm.stats().channels[vm.vmid], undefined, "the channel is gone with the VM");
});

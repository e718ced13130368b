// Resource Manager benchmarks: RPC round-trip time over the real message queues
// (request -> RM -> reply, through VIRQ delivery on the event loop), and the rate of
// full VM create -> start -> stop -> teardown cycles a host can drive.

import { bootTestPlatform } from "../test/rm/helpers/boot.js";
import {
  createVm,
  destroyVm,
  handleReq,
  memCreateReq,
  vmidReq,
} from "../test/rm/helpers/requests.js";
import { MemHandleReply, MemMsg, VmMsg } from "../src/rm/protocol/index.js";

export async function bench(): Promise<Record<string, number | string>> {
  const { platform, client } = bootTestPlatform(11);
  const rounds = 2000;
  for (let i = 0; i < 100; i++) await client.call(VmMsg.VM_GET_STATE, vmidReq(3)); // warm up
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) await client.call(VmMsg.VM_GET_STATE, vmidReq(3));
  const rpcUs = ((performance.now() - t0) * 1000) / rounds;

  // Memory parcels: lend one page and reclaim it (two RPCs, four donations).
  const pa = platform.host.ram.base + 0x40_0000;
  const guest = await createVm(client, { dtbPa: platform.host.ram.base + 0x20_0000 });
  const lends = 500;
  t0 = performance.now();
  for (let i = 0; i < lends; i++) {
    const r = await client.call(
      MemMsg.MEM_LEND,
      memCreateReq({ acl: [{ vmid: guest.vmid, rights: 6 }], sgl: [{ ipa: pa, size: 0x1000 }] }),
    );
    await client.call(MemMsg.MEM_RECLAIM, handleReq(MemHandleReply.decode(r.data)!.handle));
  }
  const lendUs = ((performance.now() - t0) * 1000) / lends;
  await destroyVm(client, guest, false);

  const cycles = 200;
  const callsBefore = platform.rm.hyp.calls;
  t0 = performance.now();
  for (let i = 0; i < cycles; i++) {
    const vm = await createVm(client, { dtbPa: platform.host.ram.base + 0x10_0000 });
    await client.call(VmMsg.VM_START, vmidReq(vm.vmid));
    await destroyVm(client, vm, true);
    client.notifications.length = 0;
  }
  const ms = performance.now() - t0;
  return {
    "rpc round trip (us)": Number(rpcUs.toFixed(1)),
    "VM create-start-teardown (VMs/s)": Number(((cycles / ms) * 1000).toFixed(1)),
    "VM cycle (ms)": Number((ms / cycles).toFixed(2)),
    "MEM_LEND + MEM_RECLAIM of a page (us)": Number(lendUs.toFixed(1)),
    "RM hypercalls per VM cycle": Math.round((platform.rm.hyp.calls - callsBefore) / cycles),
  };
}

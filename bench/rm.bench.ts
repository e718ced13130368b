// Resource Manager benchmarks: RPC round-trip time over the real message queues
// (request -> RM -> reply, through VIRQ delivery on the event loop), and the rate of
// full VM create -> start -> stop -> teardown cycles a host can drive.

import { bootTestPlatform } from "../test/rm/helpers/boot.js";
import { createVm, destroyVm, vmidReq } from "../test/rm/helpers/requests.js";
import { VmMsg } from "../src/rm/protocol/index.js";

export async function bench(): Promise<Record<string, number | string>> {
  const { platform, client } = bootTestPlatform(11);
  const rounds = 2000;
  for (let i = 0; i < 100; i++) await client.call(VmMsg.VM_GET_STATE, vmidReq(3)); // warm up
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) await client.call(VmMsg.VM_GET_STATE, vmidReq(3));
  const rpcUs = ((performance.now() - t0) * 1000) / rounds;

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
    "RM hypercalls per VM cycle": Math.round((platform.rm.hyp.calls - callsBefore) / cycles),
  };
}

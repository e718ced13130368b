// 1,000 VM create / start / stop / teardown cycles through the real RPC path: the
// hypervisor's objects, caps and page owners, and the RM's tables and VIRQs, all
// return to where they started (no leaks).
import { test } from "node:test";
import assert from "node:assert/strict";
import { VmMsg } from "../../src/rm/protocol/index.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import { createVm, destroyVm, vmidReq } from "./helpers/requests.js";

const CYCLES = Number(process.env.GUNYAH_RM_CYCLES ?? 1000);

test(`${CYCLES} VM create-start-teardown cycles leak nothing`, async () => {
  const { platform, client } = bootTestPlatform(5);
  const before = leakSnapshot(platform);
  const rmBefore = platform.rm.stats();
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    const vm = await createVm(client, {
      dtbPa: platform.host.ram.base + 0x10_0000 + (i % 8) * 0x1_0000,
      dt: { cpus: 1 + (i % 2) },
    });
    const started = i % 2 === 0;
    if (started) assert.equal((await client.call(VmMsg.VM_START, vmidReq(vm.vmid))).error, 0);
    await destroyVm(client, vm, started);
    if (i === 0) assert.equal(leakSnapshot(platform), before, "after the first cycle");
    // Keep the notification log short.
    client.notifications.length = 0;
  }
  const ms = performance.now() - t0;
  assert.equal(leakSnapshot(platform), before);
  const rm = platform.rm.stats();
  assert.equal(rm.vms, rmBefore.vms);
  assert.equal(rm.parcels, 0);
  assert.equal(rm.rmVirqsInUse, rmBefore.rmVirqsInUse);
  assert.equal(rm.hostVirqsInUse, rmBefore.hostVirqsInUse);
  assert.equal(rm.channels[3]!.dropped, 0);
  console.log(
    `${CYCLES} cycles in ${ms.toFixed(0)} ms (${((CYCLES / ms) * 1000).toFixed(0)} VMs/s)`,
  );
});

// End to end: a guest whose RAM is all mapped FORCE_SHARE with ALLOW_EXEC runs its code
// from the shared pages (a VMM with virtio devices shares all guest RAM, as crosvm does
// for non-protected Gunyah VMs), and the host keeps reading those pages meanwhile.
// Without ALLOW_EXEC the same guest takes an instruction abort instead of running.

import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../src/lib/log.js";
import {
  ExitType,
  MapFlag,
  RunMmio,
  RUN_UNION_OFFSET,
  ResumeAction,
  VmExitStatus,
} from "../../src/host/index.js";
import { prepareGuestVm } from "./e2e-vm.js";
import { programBytes, UART } from "./guest.js";

setLogSink(() => {});

async function bootShared(flags: number) {
  const code = programBytes();
  const guest = await prepareGuestVm({ seed: 11, program: code, flags });
  const started = await guest.vm.start();
  assert.ok(started.ok, started.ok ? "" : started.error.message);
  return { guest, mem: guest.mem, vcpu: guest.vcpus[0]!, code };
}

test("e2e: a guest runs from shared RWX RAM and the host still reads it", async () => {
  const rwx = MapFlag.FORCE_SHARE | MapFlag.ALLOW_RWX;
  const { guest, mem, vcpu, code } = await bootShared(rwx);

  // The first instruction fetch came from a shared page: the UART write follows.
  let r = await vcpu.run();
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(r.value, {
    reason: "mmio",
    physAddr: BigInt(UART),
    len: 4,
    isWrite: true,
    data: 0x48n,
  });
  // Shared, not lent: the host's view of the code page stays readable and unchanged.
  const seen = mem.read(0, code.length);
  assert.ok(seen.ok, "the shared code page stays host-readable");
  assert.deepEqual([...seen.value], [...code]);

  r = await vcpu.run();
  assert.ok(r.ok);
  assert.equal(r.value.reason, "mmio");
  const run = new Uint8Array(vcpu.runStructure);
  run.set([0x90, 0, 0, 0], RUN_UNION_OFFSET + RunMmio.offsets.data);
  run[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] = ResumeAction.HANDLED;

  r = await vcpu.run();
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.equal(r.value.reason, "status");
  if (r.value.reason === "status") {
    assert.equal(r.value.status, VmExitStatus.EXITED);
    assert.equal(r.value.exitType, ExitType.PSCI_POWER_OFF);
  }
  // What the guest stored is visible to the host while the VM still holds the page.
  const stored = mem.read(0x100, 4);
  assert.ok(stored.ok, stored.ok ? "" : stored.error.message);
  assert.deepEqual([...stored.value], [0x90, 0, 0, 0]);

  await guest.close();
});

test("e2e: shared RAM without ALLOW_EXEC does not run the guest", async () => {
  const rw = MapFlag.FORCE_SHARE | MapFlag.ALLOW_READ | MapFlag.ALLOW_WRITE;
  const { guest, vcpu } = await bootShared(rw);
  const r = await vcpu.run();
  // The fetch faults: whatever the vCPU reports, it is not the UART write.
  assert.ok(!(r.ok && r.value.reason === "mmio" && r.value.physAddr === BigInt(UART)));
  await guest.close();
});

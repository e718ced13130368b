// End to end: a guest whose RAM is all mapped FORCE_SHARE with ALLOW_EXEC runs its code
// from the shared pages (a VMM with virtio devices shares all guest RAM, as crosvm does
// for non-protected Gunyah VMs), and the host keeps reading those pages meanwhile.
// Without ALLOW_EXEC the same guest takes an instruction abort instead of running.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu } from "../../src/arch/arm64/index.js";
import { setLogSink } from "../../src/lib/log.js";
import {
  bootReg,
  ExitType,
  MapFlag,
  openGunyah,
  RunMmio,
  RUN_UNION_OFFSET,
  ResumeAction,
  VmExitStatus,
} from "../../src/host/index.js";
import { configDtb, DTB_OFFSET, GUEST_RAM, programBytes, RAM_SIZE, UART } from "./guest.js";

setLogSink(() => {});

async function bootShared(flags: number) {
  const device = await openGunyah({
    boot: { ramSize: 64 << 20, rmRamSize: 4 << 20, seed: 11, cpuFactory: createCpu },
    vm: { statusTimeoutMs: 2000 },
  });
  assert.ok(device.ok, device.ok ? "" : device.error.message);
  const gunyah = device.value;
  const mem = gunyah.createGuestMem({ size: RAM_SIZE });
  assert.ok(mem.ok);
  const code = programBytes();
  assert.ok(mem.value.write(0, code).ok);
  const dtb = configDtb();
  assert.ok(mem.value.write(DTB_OFFSET, dtb).ok);
  const vmr = gunyah.createVm();
  assert.ok(vmr.ok);
  const vm = vmr.value;
  const map = vm.mapMem({
    guestAddr: GUEST_RAM,
    flags,
    guestMem: mem.value,
    offset: 0,
    size: RAM_SIZE,
  });
  assert.ok(map.ok, map.ok ? "" : map.error.message);
  assert.ok(vm.setDtbConfig({ guestPhysAddr: GUEST_RAM + DTB_OFFSET, size: dtb.length }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("x", 0), value: BigInt(GUEST_RAM + DTB_OFFSET) }).ok);
  const vcpuR = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(vcpuR.ok);
  const started = await vm.start();
  assert.ok(started.ok, started.ok ? "" : started.error.message);
  return { gunyah, mem: mem.value, vm, vcpu: vcpuR.value, code };
}

test("e2e: a guest runs from shared RWX RAM and the host still reads it", async () => {
  const rwx = MapFlag.FORCE_SHARE | MapFlag.ALLOW_RWX;
  const { gunyah, mem, vm, vcpu, code } = await bootShared(rwx);

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

  vcpu.close();
  vm.close();
  await vm.released;
  mem.close();
  gunyah.close();
});

test("e2e: shared RAM without ALLOW_EXEC does not run the guest", async () => {
  const rw = MapFlag.FORCE_SHARE | MapFlag.ALLOW_READ | MapFlag.ALLOW_WRITE;
  const { gunyah, mem, vm, vcpu } = await bootShared(rw);
  const r = await vcpu.run();
  // The fetch faults: whatever the vCPU reports, it is not the UART write.
  assert.ok(!(r.ok && r.value.reason === "mmio" && r.value.physAddr === BigInt(UART)));
  vcpu.close();
  vm.close();
  await vm.released;
  mem.close();
  gunyah.close();
});

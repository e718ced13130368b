// Fidelity item 4 (adversarial finding): VM_MAP_MEM of guest memory at the virtual
// GIC distributor's address was accepted and the VM started. The v17 driver checks
// only alignment and overlap of its bindings (gunyah_vm_binding_alloc); the guest's
// address map is the RM's business, and the host hands every lent binding to it as a
// VM_SET_DEMAND_PAGING range. The RM now refuses, at VM_INIT (when the VM's memory
// node is known), any range outside /gunyah-vm-config/memory, so the start fails
// and nothing leaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu } from "../../src/arch/arm64/index.js";
import { setLogSink } from "../../src/lib/log.js";
import { bootReg, MapFlag, openGunyah, VmStatus } from "../../src/host/index.js";
import { configDtb, DTB_OFFSET, GUEST_RAM, programBytes, RAM_SIZE } from "./guest.js";

setLogSink(() => {});

const GICD = 0x0800_0000;

async function startWithExtraBinding(at: number) {
  const device = await openGunyah({
    boot: { ramSize: 64 << 20, rmRamSize: 4 << 20, seed: 21, cpuFactory: createCpu },
    vm: { statusTimeoutMs: 2000 },
  });
  assert.ok(device.ok);
  const gunyah = device.value;
  const freeBefore = gunyah.availableMemory;
  const mem = gunyah.createGuestMem({ size: RAM_SIZE });
  const extra = gunyah.createGuestMem({ size: 0x1_0000 });
  assert.ok(mem.ok && extra.ok);
  assert.ok(mem.value.write(0, programBytes()).ok);
  const dtb = configDtb();
  assert.ok(mem.value.write(DTB_OFFSET, dtb).ok);
  const vmr = gunyah.createVm();
  assert.ok(vmr.ok);
  const vm = vmr.value;
  const flags = MapFlag.ALLOW_RWX;
  assert.ok(
    vm.mapMem({ guestAddr: GUEST_RAM, flags, guestMem: mem.value, offset: 0, size: RAM_SIZE }).ok,
  );
  const mapped = vm.mapMem({
    guestAddr: at,
    flags,
    guestMem: extra.value,
    offset: 0,
    size: 0x1_0000,
  });
  assert.ok(mapped.ok, "the host keeps v17's checks: alignment and overlap only");
  assert.ok(vm.setDtbConfig({ guestPhysAddr: GUEST_RAM + DTB_OFFSET, size: dtb.length }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) }).ok);
  const started = await vm.start();
  const status = vm.status;
  vm.close();
  await vm.released;
  mem.value.close();
  extra.value.close();
  const leaked = freeBefore - gunyah.availableMemory;
  gunyah.close();
  return { started, status, leaked };
}

test("guest memory mapped at the GICD address: VM_INIT refuses the VM, nothing leaks", async () => {
  const r = await startWithExtraBinding(GICD);
  assert.ok(!r.started.ok, "the start fails");
  assert.notEqual(r.status, VmStatus.RUNNING);
  assert.equal(r.leaked, 0);
});

test("guest memory mapped past the VM's memory node is refused the same way", async () => {
  const r = await startWithExtraBinding(GUEST_RAM + RAM_SIZE);
  assert.ok(!r.started.ok);
  assert.equal(r.leaked, 0);
});

// Fidelity item 4 (adversarial finding): VM_MAP_MEM of guest memory at the virtual
// GIC distributor's address was accepted and the VM started. The v17 driver checks
// only alignment and overlap of its bindings (gunyah_vm_binding_alloc); the guest's
// address map is the RM's business, and the host hands every lent binding to it as a
// VM_SET_DEMAND_PAGING range. The RM now refuses, at VM_INIT (when the VM's memory
// node is known), any range outside /gunyah-vm-config/memory, so the start fails
// and nothing leaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../src/lib/log.js";
import { MapFlag, VmStatus } from "../../src/host/index.js";
import { prepareGuestVm } from "./e2e-vm.js";
import { GUEST_RAM, programBytes, RAM_SIZE } from "./guest.js";

setLogSink(() => {});

const GICD = 0x0800_0000;

async function startWithExtraBinding(at: number) {
  const guest = await prepareGuestVm({ seed: 21, program: programBytes() });
  const extra = guest.gunyah.createGuestMem({ size: 0x1_0000 });
  assert.ok(extra.ok);
  const mapped = guest.vm.mapMem({
    guestAddr: at,
    flags: MapFlag.ALLOW_RWX,
    guestMem: extra.value,
    offset: 0,
    size: 0x1_0000,
  });
  assert.ok(mapped.ok, "the host keeps v17's checks: alignment and overlap only");
  const started = await guest.vm.start();
  const status = guest.vm.status;
  await guest.release();
  guest.mem.close();
  extra.value.close();
  const leaked = guest.freeAtOpen - guest.gunyah.availableMemory;
  await guest.close();
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

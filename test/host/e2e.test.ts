// End to end through the host API only: boot the real platform (hypervisor, RM, host
// VM) with the real CPU, and run a tiny hand-encoded guest that writes the UART, reads
// a UART register, stores what it read in its own RAM and powers off with PSCI.

import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../src/lib/log.js";
import {
  EventFd,
  ExitType,
  MapFlag,
  ResumeAction,
  RunMmio,
  RUN_UNION_OFFSET,
  VmExitStatus,
  VmStatus,
} from "../../src/host/index.js";
import { prepareGuestVm } from "./e2e-vm.js";
import { DTB_OFFSET, GUEST_RAM, programBytes, RAM_SIZE, UART } from "./guest.js";

setLogSink(() => {});

test("e2e: a hand-encoded guest writes the UART, reads it, and powers off", async () => {
  const guest = await prepareGuestVm({ seed: 7, program: programBytes() });
  const { gunyah, mem, vm } = guest;
  const vcpu = guest.vcpus[0]!;
  assert.equal(vcpu.mmapSize, 4096);

  const started = await vm.start();
  assert.ok(started.ok, started.ok ? "" : started.error.message);
  assert.equal(vm.status, VmStatus.RUNNING);

  // 1. The UART write.
  let r = await vcpu.run();
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(r.value, {
    reason: "mmio",
    physAddr: BigInt(UART),
    len: 4,
    isWrite: true,
    data: 0x48n,
  });
  // The code page is now the guest's: the host cannot read it.
  const denied = mem.read(0, 4);
  assert.ok(!denied.ok);
  assert.equal(denied.error.code, "EFAULT");

  // 2. The UART flag register read: answer through the run structure.
  r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "mmio",
    physAddr: BigInt(UART + 0x18),
    len: 4,
    isWrite: false,
    data: 0n,
  });
  const run = new Uint8Array(vcpu.runStructure);
  run.set([0x90, 0, 0, 0], RUN_UNION_OFFSET + RunMmio.offsets.data);
  run[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] = ResumeAction.HANDLED;

  // 3. PSCI SYSTEM_OFF: the RM marks the VM EXITED; the vCPU reports STATUS.
  r = await vcpu.run();
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.equal(r.value.reason, "status");
  if (r.value.reason === "status") {
    assert.equal(r.value.status, VmExitStatus.EXITED);
    assert.equal(r.value.exitType, ExitType.PSCI_POWER_OFF);
  }
  assert.equal(vm.status, VmStatus.EXITED);

  // Teardown: the guest's pages come back to the host with what it wrote.
  await guest.release();
  const kept = mem.read(0x100, 4);
  assert.ok(kept.ok, kept.ok ? "" : kept.error.message);
  assert.deepEqual([...kept.value], [0x90, 0, 0, 0]);
  const dtbBack = mem.read(DTB_OFFSET, 4);
  assert.ok(dtbBack.ok, "the DTB parcel was reclaimed");
  mem.close();
  assert.equal(gunyah.availableMemory, guest.freeAtOpen);
  await guest.close();
});

test("e2e: an ioeventfd takes the guest's UART write inside the host; shared memory stays readable", async () => {
  // 'H' to the UART (taken by the ioeventfd), 0x5a5a into the shared page, read UARTFR.
  const program = [
    0xd2a12001, // movz x1, #0x0900, lsl #16
    0x52800902, // movz w2, #0x48
    0xb9000022, // str  w2, [x1]
    0xd2a80404, // movz x4, #0x4020, lsl #16      the shared page
    0x528b4b45, // movz w5, #0x5a5a
    0xb9000085, // str  w5, [x4]
    0xb9401823, // ldr  w3, [x1, #0x18]
    0xd2800100, // movz x0, #0x8
    0xf2b08000, // movk x0, #0x8400, lsl #16
    0xd4000002, // hvc  #0
  ];
  const guest = await prepareGuestVm({ seed: 9, program: programBytes(program) });
  const { vm, mem } = guest;
  const vcpu = guest.vcpus[0]!;
  const shared = guest.gunyah.createGuestMem({ size: 0x4000 });
  assert.ok(shared.ok);
  const share = MapFlag.FORCE_SHARE | MapFlag.ALLOW_READ | MapFlag.ALLOW_WRITE;
  assert.ok(
    vm.mapMem({
      guestAddr: GUEST_RAM + RAM_SIZE,
      flags: share,
      guestMem: shared.value,
      offset: 0,
      size: 0x4000,
    }).ok,
  );
  const efd = new EventFd();
  assert.ok(
    vm.addFunction({
      type: "ioeventfd",
      eventfd: efd,
      addr: BigInt(UART),
      len: 4,
      datamatch: 0x48n,
    }).ok,
  );
  assert.ok((await vm.start()).ok);
  const r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "mmio",
    physAddr: BigInt(UART + 0x18),
    len: 4,
    isWrite: false,
    data: 0n,
  });
  assert.equal(efd.value, 1n, "the 'H' went to the eventfd, not to the VMM");
  const seen = shared.value.read(0, 4);
  assert.ok(seen.ok, "shared memory stays host-accessible while the guest uses it");
  assert.deepEqual([...seen.value], [0x5a, 0x5a, 0, 0]);
  const code = mem.read(0, 4);
  assert.ok(!code.ok, "while lent memory does not");
  vcpu.immediateExit = true;
  const intr = await vcpu.run();
  assert.ok(!intr.ok);
  assert.equal(intr.error.code, "EINTR");
  await guest.release();
  shared.value.close();
  await guest.close();
});

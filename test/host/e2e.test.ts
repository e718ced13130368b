// End to end through the host API only: boot the real platform (hypervisor, RM, host
// VM) with the real CPU, and run a tiny hand-encoded guest that writes the UART, reads
// a UART register, stores what it read in its own RAM and powers off with PSCI.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu } from "../../src/arch/arm64/index.js";
import { createFdt, serializeFdt } from "../../src/lib/fdt.js";
import { setLogSink } from "../../src/lib/log.js";
import {
  bootReg,
  ExitType,
  MapFlag,
  openGunyah,
  ResumeAction,
  RunMmio,
  RUN_UNION_OFFSET,
  VmExitStatus,
  VmStatus,
} from "../../src/host/index.js";

setLogSink(() => {});

const GUEST_RAM = 0x4000_0000;
const RAM_SIZE = 2 << 20;
const DTB_OFFSET = 0x1_0000;
const UART = 0x0900_0000;

/** The guest program, one A64 instruction per word. */
const PROGRAM = [
  0xd2a12001, // movz x1, #0x0900, lsl #16     x1 = UART
  0x52800902, // movz w2, #0x48                 'H'
  0xb9000022, // str  w2, [x1]                  UARTDR write -> MMIO exit
  0xb9401823, // ldr  w3, [x1, #0x18]           UARTFR read  -> MMIO exit
  0xd2a80004, // movz x4, #0x4000, lsl #16      x4 = guest RAM
  0xb9010083, // str  w3, [x4, #0x100]          keep what was read
  0xd2800100, // movz x0, #0x8
  0xf2b08000, // movk x0, #0x8400, lsl #16      x0 = PSCI SYSTEM_OFF
  0xd4000002, // hvc  #0
  0x14000000, // b    .
];

function configDtb(): Uint8Array {
  const fdt = createFdt();
  const root = fdt.root.setU32("#address-cells", 2).setU32("#size-cells", 2);
  const cpus = root.addChild("cpus").setU32("#address-cells", 1).setU32("#size-cells", 0);
  cpus.addChild("cpu@0").setString("device_type", "cpu").setU32("reg", 0);
  const config = root
    .addChild("gunyah-vm-config")
    .setString("image-name", "e2e")
    .setString("os-type", "linux");
  config
    .addChild("memory")
    .setU64("base-address", BigInt(GUEST_RAM))
    .setU64("size-max", BigInt(RAM_SIZE));
  config.addChild("interrupts").setU32("config", 1);
  config.addChild("vcpus").setString("affinity", "proxy");
  config.addChild("vdevices").setString("generate", "/hypervisor");
  return serializeFdt(fdt);
}

test("e2e: a hand-encoded guest writes the UART, reads it, and powers off", async () => {
  const device = await openGunyah({
    boot: { ramSize: 64 << 20, rmRamSize: 4 << 20, seed: 7, cpuFactory: createCpu },
    vm: { statusTimeoutMs: 2000 },
  });
  assert.ok(device.ok, device.ok ? "" : device.error.message);
  const gunyah = device.value;
  const freeBefore = gunyah.availableMemory;

  const mem = gunyah.createGuestMem({ size: RAM_SIZE });
  assert.ok(mem.ok);
  const code = new Uint8Array(new Uint32Array(PROGRAM).buffer);
  assert.ok(mem.value.write(0, code).ok);
  const dtb = configDtb();
  assert.ok(mem.value.write(DTB_OFFSET, dtb).ok);

  const vmr = gunyah.createVm();
  assert.ok(vmr.ok);
  const vm = vmr.value;
  const map = vm.mapMem({
    guestAddr: GUEST_RAM,
    flags: MapFlag.ALLOW_RWX,
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
  const vcpu = vcpuR.value;
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
  const denied = mem.value.read(0, 4);
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
  vcpu.close();
  vm.close();
  await vm.released;
  const kept = mem.value.read(0x100, 4);
  assert.ok(kept.ok, kept.ok ? "" : kept.error.message);
  assert.deepEqual([...kept.value], [0x90, 0, 0, 0]);
  const dtbBack = mem.value.read(DTB_OFFSET, 4);
  assert.ok(dtbBack.ok, "the DTB parcel was reclaimed");
  mem.value.close();
  assert.equal(gunyah.availableMemory, freeBefore);
  gunyah.close();
});

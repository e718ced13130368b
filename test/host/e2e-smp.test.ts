// Two vCPUs on the real platform: PSCI CPU_ON wakes a powered-off vCPU, a vCPU in WFI
// sleeps until the VM exits, and both loops end with STATUS EXITED.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu } from "../../src/arch/arm64/index.js";
import { setLogSink } from "../../src/lib/log.js";
import {
  bootReg,
  MapFlag,
  openGunyah,
  ResumeAction,
  RUN_UNION_OFFSET,
  RunMmio,
  VmExitStatus,
  type Vcpu,
  type VcpuExit,
} from "../../src/host/index.js";
import { configDtb, DTB_OFFSET, GUEST_RAM, RAM_SIZE, smpProgram, UART } from "./guest.js";

setLogSink(() => {});

async function loop(vcpu: Vcpu, out: string[]): Promise<VcpuExit> {
  for (;;) {
    const r = await vcpu.run();
    if (!r.ok) throw r.error;
    const exit = r.value;
    if (exit.reason !== "mmio") return exit;
    if (exit.isWrite && exit.physAddr === BigInt(UART))
      out.push(String.fromCharCode(Number(exit.data)));
    new Uint8Array(vcpu.runStructure)[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] =
      ResumeAction.HANDLED;
  }
}

test("e2e smp: CPU_ON, WFI and a VM exit across two vCPU loops", async () => {
  const dev = await openGunyah({
    boot: { ramSize: 64 << 20, rmRamSize: 4 << 20, seed: 11, cpuFactory: createCpu },
    // A long fallback: the wakeup must come from the vCPU's wakeup VIRQ, not polling.
    vm: { statusTimeoutMs: 2000, runOptions: { wakeupTimeoutMs: 20_000 } },
  });
  assert.ok(dev.ok);
  const gunyah = dev.value;
  const mem = gunyah.createGuestMem({ size: RAM_SIZE });
  assert.ok(mem.ok);
  mem.value.write(0, smpProgram());
  const dtb = configDtb([], 2);
  mem.value.write(DTB_OFFSET, dtb);
  const vmr = gunyah.createVm();
  assert.ok(vmr.ok);
  const vm = vmr.value;
  assert.ok(
    vm.mapMem({
      guestAddr: GUEST_RAM,
      flags: MapFlag.ALLOW_RWX,
      guestMem: mem.value,
      offset: 0,
      size: RAM_SIZE,
    }).ok,
  );
  assert.ok(vm.setDtbConfig({ guestPhysAddr: GUEST_RAM + DTB_OFFSET, size: dtb.length }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) }).ok);
  const v0 = vm.addFunction({ type: "vcpu", id: 0 });
  const v1 = vm.addFunction({ type: "vcpu", id: 1 });
  assert.ok(v0.ok && v1.ok);
  const started = await vm.start();
  assert.ok(started.ok, started.ok ? "" : started.error.message);

  const out: string[] = [];
  const t0 = Date.now();
  const [e0, e1] = await Promise.all([loop(v0.value, out), loop(v1.value, out)]);
  assert.ok(Date.now() - t0 < 10_000, "woken by interrupts, not by the polling fallback");
  assert.deepEqual([...out].sort(), ["A", "B"]);
  for (const e of [e0, e1]) {
    assert.equal(e.reason, "status");
    assert.equal(e.reason === "status" && e.status, VmExitStatus.EXITED);
  }
  v0.value.close();
  v1.value.close();
  vm.close();
  await vm.released;
  mem.value.close();
  gunyah.close();
});

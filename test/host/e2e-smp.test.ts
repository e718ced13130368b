// Two vCPUs on the real platform: PSCI CPU_ON wakes a powered-off vCPU, a vCPU in WFI
// sleeps until the VM exits, and both loops end with STATUS EXITED.

import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../src/lib/log.js";
import { VmExitStatus } from "../../src/host/index.js";
import { prepareGuestVm, runUntilNotMmio } from "./e2e-vm.js";
import { smpProgram, UART } from "./guest.js";

setLogSink(() => {});

test("e2e smp: CPU_ON, WFI and a VM exit across two vCPU loops", async () => {
  const guest = await prepareGuestVm({
    seed: 11,
    program: smpProgram(),
    cpus: 2,
    // A long fallback: the wakeup must come from the vCPU's wakeup VIRQ, not polling.
    vm: { statusTimeoutMs: 2000, runOptions: { wakeupTimeoutMs: 20_000 } },
  });
  const started = await guest.vm.start();
  assert.ok(started.ok, started.ok ? "" : started.error.message);

  const out: string[] = [];
  const uart = (e: { isWrite: boolean; physAddr: bigint; data: bigint }) => {
    if (e.isWrite && e.physAddr === BigInt(UART)) out.push(String.fromCharCode(Number(e.data)));
  };
  const t0 = Date.now();
  const exits = await Promise.all(guest.vcpus.map((v) => runUntilNotMmio(v, uart)));
  assert.ok(Date.now() - t0 < 10_000, "woken by interrupts, not by the polling fallback");
  assert.deepEqual([...out].sort(), ["A", "B"]);
  for (const e of exits) {
    assert.equal(e.reason, "status");
    assert.equal(e.reason === "status" && e.status, VmExitStatus.EXITED);
  }
  await guest.close();
});

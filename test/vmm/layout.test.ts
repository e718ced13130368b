// The VMM places its devices and RAM by the same table the platform pins for the
// hypervisor and the RM (ARCHITECTURE.md "Machine layout"); they must never drift.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GUEST_LAYOUT } from "../../src/platform/index.js";
import { MachineLayout, MAX_VCPUS } from "../../src/vmm/layout.js";

test("the VMM's machine layout is the platform's", () => {
  assert.deepEqual(MachineLayout.gicDistributor, GUEST_LAYOUT.gicDistributor);
  assert.deepEqual(MachineLayout.gicRedistributors, GUEST_LAYOUT.gicRedistributors);
  assert.deepEqual(MachineLayout.uart, GUEST_LAYOUT.uart);
  assert.equal(MachineLayout.ram.base, GUEST_LAYOUT.ramBase);
  assert.deepEqual([...MachineLayout.timerPpis], [...GUEST_LAYOUT.timerPpis]);
  const v = GUEST_LAYOUT.virtioMmio;
  assert.deepEqual(MachineLayout.virtioMmio, {
    base: v.base,
    stride: v.stride,
    firstSpi: v.firstSpi,
    slots: v.slots,
  });
});

test("the redistributors of MAX_VCPUS vCPUs end before the UART", () => {
  const r = MachineLayout.gicRedistributors;
  assert.ok(r.base + MAX_VCPUS * r.sizePerCpu <= MachineLayout.uart.base);
  assert.ok(r.base + (MAX_VCPUS + 1) * r.sizePerCpu > MachineLayout.uart.base);
});

// The VMM places its devices by the platform's table (re-exported by the host), and
// the vCPU limit it derives must keep the redistributors clear of the UART.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MachineLayout, MAX_VCPUS } from "../../src/vmm/layout.js";

test("the redistributors of MAX_VCPUS vCPUs end before the UART", () => {
  const r = MachineLayout.gicRedistributors;
  assert.ok(r.base + MAX_VCPUS * r.sizePerCpu <= MachineLayout.uart.base);
  assert.ok(r.base + (MAX_VCPUS + 1) * r.sizePerCpu > MachineLayout.uart.base);
});

// Regression guard (an adversarial finding, fixed in src/arch/arm64/mmu/translate.ts):
// with the MMU off every data access is Device-nGnRnE, and an unaligned access to
// Device memory takes an Alignment fault at EL1 (Arm ARM B2.5.2 / D8 "Alignment
// fault": ESR_EL1 0x96000021), checked at stage 1 before stage 2. The CPU did this for
// RAM but not for an MMIO address (no stage-2 backing): the GICD read completed with 0
// and the UART read at 0x0900_1002 reached the VMM as a 4-byte MMIO exit at an
// unaligned address. Now all three fault in the guest and no MMIO exit happens.
// Run: node scripts/run-tests.mjs test/adversarial/unaligned-mmio
import { test } from "node:test";
import assert from "node:assert/strict";
import { A64, mov64 } from "./a64.js";
import { openDevice, startGuest, GICD, UART, GUEST_RAM } from "./harness.js";
import { kitProgram, FAULT_REPORT, DONE } from "./guest-kit.js";

test("unaligned 32-bit loads with the MMU off: RAM, GICD and VMMIO all take an alignment fault", async () => {
  const { gunyah } = await openDevice();
  const body = [
    ...[GUEST_RAM + 0x3002, GICD + 2, UART + 0x1002].flatMap((addr) => [
      ...mov64(2, BigInt(addr)),
      A64.ldrW(3, 2),
    ]),
  ];
  const g = await startGuest(gunyah, kitProgram(body));
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await g.vcpus[0]!.run();
    assert.ok(r.ok);
    const v = r.value;
    assert.equal(v.reason, "mmio");
    if (v.reason !== "mmio") break;
    if (v.physAddr === BigInt(DONE)) break;
    seen.push(
      v.physAddr === BigInt(FAULT_REPORT)
        ? `fault 0x${v.data.toString(16)}`
        : `mmio 0x${v.physAddr.toString(16)}`,
    );
  }
  assert.deepEqual(seen, ["fault 0x96000021", "fault 0x96000021", "fault 0x96000021"]);
});

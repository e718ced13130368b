// PMUv3 (pmu.ts, sysregs-pmu.ts): the events QEMU does not count, checked against the
// known structure of small programs: BR_RETIRED, LD_RETIRED and ST_RETIRED (counted by
// the interpreter while InterpretOnly.PMU_EVENTS keeps the JIT tier out), CHAIN on an
// odd counter, and the overflow interrupt's level. The rest (INST_RETIRED, cycles, EL
// filtering, SW_INCR, PMUSERENR rules, the interrupt through the GIC) is compared with
// QEMU in test/conformance/pmu.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InterpretOnly } from "../../../src/arch/arm64/tiering.js";
import { machine, assemble, haveAssembler, SKIP_NO_AS, type Machine } from "./harness.js";

const skip = !haveAssembler() && SKIP_NO_AS;

/** Runs until `hvc #imm` (budget exits, which the PMU asks for, just continue). */
function runTo(m: Machine, imm: number, limit = 100_000): void {
  for (let i = 0; i < limit; i++) {
    const exit = m.cpu.run(limit);
    if (exit.kind === "budget") continue;
    assert.deepEqual(exit, { kind: "hvc", imm });
    return;
  }
  assert.fail("never reached the hvc");
}

test(
  "BR_RETIRED, LD_RETIRED and ST_RETIRED count a loop's branches, loads and stores exactly",
  { skip },
  () => {
    const m = machine(
      assemble(`
  ldr x5, =0x40001000
  mov x0, #0x21
  msr pmevtyper0_el0, x0   // BR_RETIRED
  mov x0, #0x06
  msr pmevtyper1_el0, x0   // LD_RETIRED
  mov x0, #0x07
  msr pmevtyper2_el0, x0   // ST_RETIRED
  mov x0, #1
  msr pmcr_el0, x0
  mov x6, #10
  mov x0, #7
  msr pmcntenset_el0, x0
1: ldr x1, [x5]            // 10 loads
  str x1, [x5, #8]         // 10 stores
  ldp x2, x3, [x5]         // 10 loads
  swp x1, x2, [x5]         // 10 atomics: a load and a store
  subs x6, x6, #1
  b.ne 1b                  // 10 branches (9 taken, 1 not)
  b 2f                     // 1 branch
2: hvc #1
  msr pmcntenclr_el0, x0
  mrs x10, pmevcntr0_el0
  mrs x11, pmevcntr1_el0
  mrs x12, pmevcntr2_el0
  hvc #2
  .ltorg
`),
    );
    runTo(m, 1);
    assert.equal(
      (m.cpu as unknown as { interpretOnly: number }).interpretOnly & InterpretOnly.PMU_EVENTS,
      InterpretOnly.PMU_EVENTS,
      "the JIT tier steps aside",
    );
    runTo(m, 2);
    assert.equal(m.cpu.getX(10), 11n, "BR_RETIRED");
    assert.equal(m.cpu.getX(11), 30n, "LD_RETIRED");
    assert.equal(m.cpu.getX(12), 20n, "ST_RETIRED");
    assert.equal(
      (m.cpu as unknown as { interpretOnly: number }).interpretOnly & InterpretOnly.PMU_EVENTS,
      0,
      "disarmed with the counters",
    );
  },
);

test(
  "CHAIN: an odd counter counts its even neighbour's overflows; both PMOVS bits follow",
  { skip },
  () => {
    const m = machine(
      assemble(`
  mov x0, #0x08
  msr pmevtyper0_el0, x0   // INST_RETIRED
  mov x0, #0x1e
  msr pmevtyper1_el0, x0   // CHAIN
  mov x0, #-32
  msr pmevcntr0_el0, x0    // 0xffffffe0
  mov x0, #5
  msr pmevcntr1_el0, x0
  mov x0, #1
  msr pmcr_el0, x0
  mov x0, #3
  msr pmcntenset_el0, x0
  mov x6, #40
1: subs x6, x6, #1
  b.ne 1b
  msr pmcntenclr_el0, x0
  mrs x10, pmevcntr0_el0
  mrs x11, pmevcntr1_el0
  mrs x12, pmovsset_el0
  hvc #1
`),
    );
    runTo(m, 1);
    assert.equal(m.cpu.getX(11), 6n, "the high half counted one overflow");
    assert.ok(m.cpu.getX(10) < 0x100n, "the low half wrapped");
    assert.equal(m.cpu.getX(12), 1n, "the even counter's overflow flag (the odd one did not wrap)");
  },
);

test(
  "the overflow level follows PMINTENSET & PMOVSSET and reaches the GIC interface",
  { skip },
  () => {
    const levels: boolean[] = [];
    const m = machine(
      assemble(`
  mov x0, #1
  msr pmovsset_el0, x0
  hvc #1
  msr pmintenset_el1, x0
  hvc #2
  msr pmovsclr_el0, x0
  hvc #3
`),
      { gic: { read: () => 0n, write: () => true, setPmuLevel: (l) => void levels.push(l) } },
    );
    runTo(m, 1);
    assert.deepEqual(levels, [], "an overflow without its interrupt enabled raises nothing");
    runTo(m, 2);
    assert.deepEqual(levels, [true]);
    runTo(m, 3);
    assert.deepEqual(levels, [true, false], "clearing PMOVS lowers the level at once");
  },
);

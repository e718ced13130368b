// Fidelity item 2: PMUv3 as QEMU's cortex-a57 has it. guests/conformance/pmu.c prints
// PMCR.N, the set/clear registers, exact INST_RETIRED / CPU_CYCLES / PMCCNTR deltas
// over known loops, EL filtering, SW_INCR, the overflow interrupt through the GICv3 and
// the PMUSERENR_EL0 rules at EL0; QEMU runs with -icount shift=0, under which it counts
// instructions exactly and one cycle per instruction, as gunyah-ts does. Both CPU tiers
// (test/tiers.ts): the JIT runs while no event counter other than instructions and
// cycles is armed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOnGunyah, runOnQemu, skipReason } from "./harness.js";
import { TIERS } from "../tiers.js";

let qemu: ReturnType<typeof runOnQemu> | undefined;
const reference = () => {
  const q = runOnQemu("pmu", ["-icount", "shift=0"]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /pmu: done\n$/, "the reference run completes");
  return q;
};

for (const tier of TIERS)
  test(
    `the PMU counts, interrupts and guards EL0 access as QEMU's cortex-a57 (${tier})`,
    { timeout: 120_000, skip: skipReason },
    async () => {
      const q = (qemu ??= reference());
      const g = await runOnGunyah("pmu", [], tier);
      assert.equal(g.code, 0, g.stderr);
      assert.equal(g.stdout, q.stdout);
      assert.match(g.stdout, /^PMCR_EL0.N 0x6$/m);
      assert.match(
        g.stdout,
        /^loop of 1000: INST_RETIRED \+3009, CPU_CYCLES \+3009, PMCCNTR \+3009$/m,
      );
      assert.match(g.stdout, /^overflow interrupts taken 0x1$/m);
      assert.match(g.stdout, /^their INTID 0x17$/m, "PPI 7 = INTID 23");
      // A denied EL0 access is a trapped MSR/MRS (EC 0x18), a write of PMUSERENR UNDEFINED.
      assert.match(g.stdout, /EL0 read PMCR_EL0.N with PMUSERENR 0x0: trapped, ESR 0x6230e419/);
      assert.match(g.stdout, /EL0 write PMUSERENR_EL0 with PMUSERENR 0x1: trapped, ESR 0x2000000/);
    },
  );

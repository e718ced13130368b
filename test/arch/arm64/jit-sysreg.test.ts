// System register reads and cache maintenance that compiled units do without calling
// the interpreter at EL1 (jit/emit-sys.ts NATIVE_MRS: SP_EL0, TPIDR_EL1, CTR_EL0,
// DCZID_EL0; DC CVAU/CIVAC, IC IVAU as no-ops): same values as the interpreter, the
// values written by MSR just before (a new run copies them), and the same exceptions
// where they must not run (SP_EL0 with SPSel 0, EL0), under both tiers (test/tiers.ts).

import { test } from "node:test";
import assert from "node:assert/strict";
import { machine, withVectors, haveAssembler, SKIP_NO_AS } from "./harness.js";
import { cpuJit, TIERS, assertRanIn, type Tier } from "../../tiers.js";
import { countCallouts } from "./bench/callout-counts.js";

const skip = !haveAssembler() && SKIP_NO_AS;

/** Every vector entry reports ESR and ELR in X20, X22 and HVCs 0x100 + its index. */
function program(main: string): Uint8Array {
  return withVectors(main, {
    vector: (n) => `mrs x20, esr_el1\n mrs x22, elr_el1\n hvc #${0x100 + n}`,
  });
}

interface Outcome {
  exit: string;
  regs: bigint[];
  /** JIT only: the interpreter's helper called for system instructions. */
  callouts: number;
}

function runIn(tier: Tier, main: string): Outcome {
  const m = machine(program(main), { jit: cpuJit(tier) });
  const counts = tier === "jit" ? countCallouts(m.cpu) : undefined;
  const exit = m.cpu.run(100_000);
  assertRanIn(tier, m.cpu.jitStats, "jit-sysreg");
  // Calls of the interpreter for system instructions (words 0xd5xxxxxx).
  let callouts = 0;
  for (const [w, n] of counts?.callouts ?? []) if (w >>> 24 === 0xd5) callouts += n;
  return {
    exit: JSON.stringify(exit),
    regs: [1, 2, 3, 4, 7, 8, 20, 22].map((r) => m.cpu.getX(r)),
    callouts,
  };
}

function bothTiers(main: string): Outcome {
  const [interp, jit] = TIERS.map((t) => runIn(t, main)) as [Outcome, Outcome];
  assert.equal(jit.exit, interp.exit);
  assert.deepEqual(jit.regs, interp.regs, "X1-X4, X7, X8, ESR, ELR");
  return jit;
}

test(
  "at EL1 SP_EL0, TPIDR_EL1, CTR_EL0, DCZID_EL0 and cache maintenance run in units",
  { skip },
  () => {
    const o = bothTiers(`
  ldr x9, =0x1122334455667788
  msr sp_el0, x9
  ldr x9, =0xffff000012345678
  msr tpidr_el1, x9
  mov x5, sp
  b 1f
1:
  mrs x1, sp_el0
  mrs x2, tpidr_el1
  mrs x3, ctr_el0
  mrs x4, dczid_el0
  dc cvau, x5
  ic ivau, x5
  dc civac, x5
  dc cvac, x5
  add x6, x1, #16
  msr sp_el0, x6
  mrs x7, sp_el0
  msr tpidr_el1, x7
  mrs x8, tpidr_el1`);
    assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x77 }));
    assert.deepEqual(o.regs.slice(0, 6), [
      0x1122334455667788n,
      0xffff000012345678n,
      0x8444c004n,
      4n,
      0x1122334455667798n,
      0x1122334455667798n,
    ]);
    assert.equal(o.callouts, 0, "no call to the interpreter for them");
  },
);

test("SP_EL0 while SPSel is 0 is UNDEFINED in units too", { skip }, () => {
  const o = bothTiers(`
  msr spsel, #0
  b 1f
1:
  mov x1, #1
  mrs x2, sp_el0
  mov x3, #3`);
  assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x100 }), "current EL with SP0, sync");
  assert.equal(o.regs[6], 0x2000000n, "ESR: EC 0 (unknown), IL");
  assert.equal(o.regs[2], 0n, "the instruction after it did not run");
});

for (const [what, insn, esr] of [
  ["TPIDR_EL1 is UNDEFINED", "mrs x2, tpidr_el1", 0x2000000n],
  ["CTR_EL0 traps without SCTLR_EL1.UCT", "mrs x2, ctr_el0", 0x6232c041n],
  ["DC CVAU traps without SCTLR_EL1.UCI", "dc cvau, x5", 0x6212dcb6n],
] as const) {
  test(`at EL0 ${what} (units leave it to the interpreter)`, { skip }, () => {
    // SCTLR_EL1 as at reset (UCT, UCI clear); EL0 runs the same code page.
    const o = bothTiers(`
  adr x1, user
  msr elr_el1, x1
  msr spsr_el1, xzr
  mov x5, #0
  eret
user:
  mov x1, #1
  ${insn}
  mov x3, #3`);
    assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x108 }), "lower EL, sync");
    assert.equal(o.regs[6], esr, `ESR ${o.regs[6]!.toString(16)}`);
    assert.equal(o.regs[2], 0n);
  });
}

test("TPIDR_EL0 and TPIDRRO_EL0 are read in units at EL1 and at EL0", { skip }, () => {
  // The storage register file is in the CPU block: the values MSR wrote in the
  // interpreter (the MSRs end units), read natively, also after an ERET to EL0.
  const o = bothTiers(`
  ldr x9, =0x8877665544332211
  msr tpidr_el0, x9
  ldr x9, =0x0123456789abcdef
  msr tpidrro_el0, x9
  b 1f
1:
  mrs x1, tpidr_el0
  mrs x2, tpidrro_el0
  adr x9, user
  msr elr_el1, x9
  msr spsr_el1, xzr
  eret
user:
  mrs x3, tpidr_el0
  mrs x4, tpidrro_el0
  add x9, x3, #5
  msr tpidr_el0, x9
  mrs x7, tpidr_el0
  mov x8, #8
  msr tpidrro_el0, x9
  mov x8, #9`);
  assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x108 }), "lower EL, sync");
  assert.deepEqual(
    o.regs.slice(0, 7),
    [
      0x8877665544332211n,
      0x0123456789abcdefn,
      0x8877665544332211n,
      0x0123456789abcdefn,
      0x8877665544332216n,
      8n,
      0x2000000n,
    ],
    "TPIDRRO_EL0 is read-only at EL0: MSR is UNDEFINED",
  );
  assert.equal(o.callouts, 0, "no call to the interpreter for the reads");
});

// Generic timer (Arm ARM D11): counters from options.counter, CVAL/TVAL/CTL semantics,
// ISTATUS, outputs to the GIC and the next deadline; EL0 access via CNTKCTL_EL1.

import { test } from "node:test";
import assert from "node:assert/strict";
import { machine, assemble, haveAssembler, SKIP_NO_AS } from "./harness.js";

const skip = !haveAssembler() && SKIP_NO_AS;

/** Runs past the "budget" exits a timer register write makes, to the next other exit. */
function runToExit(cpu: { run(budget: number): { kind: string } }, budget: number) {
  for (let i = 0; i < 32; i++) {
    const exit = cpu.run(budget);
    if (exit.kind !== "budget") return exit;
  }
  throw new Error("no exit but budget");
}

test(
  "CNTVCT/CNTFRQ come from the options; TVAL programs CVAL; outputs and deadline follow",
  { skip },
  () => {
    let now = 1000n;
    const m = machine(
      assemble(`
  mrs x1, cntfrq_el0
  mrs x2, cntvct_el0
  mov x3, #500
  msr cntv_tval_el0, x3
  mov x4, #1
  msr cntv_ctl_el0, x4
  mrs x5, cntv_cval_el0
  mrs x6, cntv_ctl_el0
  hvc #1
  mrs x7, cntv_ctl_el0
  mrs x8, cntv_tval_el0
  mov x9, #3
  msr cntv_ctl_el0, x9
  hvc #2
  ldr x10, =0x2000
  msr cntp_cval_el0, x10
  mov x11, #1
  msr cntp_ctl_el0, x11
  hvc #3
  .ltorg
`),
      { counter: () => now, counterFrequency: 1_000_000 },
    );
    assert.deepEqual(runToExit(m.cpu, 100), { kind: "hvc", imm: 1 });
    assert.equal(m.cpu.getX(1), 1_000_000n);
    assert.equal(m.cpu.getX(2), 1000n);
    assert.equal(m.cpu.getX(5), 1500n);
    assert.equal(m.cpu.getX(6), 1n, "not yet fired: ISTATUS clear");
    assert.equal(m.cpu.timerOutputs(), 0);
    assert.equal(m.cpu.nextTimerDeadline(), 1500n);
    now = 1600n;
    assert.equal(m.cpu.timerOutputs(), 1, "virtual timer output");
    assert.deepEqual(runToExit(m.cpu, 100), { kind: "hvc", imm: 2 });
    assert.equal(m.cpu.getX(7), 5n, "ENABLE | ISTATUS");
    assert.equal(m.cpu.getX(8), 0xffffff9cn, "TVAL is the signed 32-bit distance (-100)");
    assert.equal(m.cpu.timerOutputs(), 0, "IMASK silences the output");
    assert.equal(m.cpu.nextTimerDeadline(), undefined);
    assert.deepEqual(runToExit(m.cpu, 100), { kind: "hvc", imm: 3 });
    assert.equal(m.cpu.nextTimerDeadline(), 0x2000n);
    assert.equal(m.cpu.timerOutputs(), 0);
    now = 0x2000n;
    assert.equal(m.cpu.timerOutputs(), 2, "physical timer output");
  },
);

test(
  "a CNTV/CNTP CTL, CVAL or TVAL write ends the run after it, so the runner re-samples the outputs",
  { skip },
  () => {
    const m = machine(
      assemble(`
  mov x1, #1
  msr cntv_ctl_el0, x1
  msr cntv_cval_el0, xzr
  msr cntv_tval_el0, x1
  msr cntp_ctl_el0, x1
  msr cntp_cval_el0, xzr
  msr cntp_tval_el0, x1
  mrs x2, cntv_ctl_el0
  hvc #0
`),
    );
    for (let i = 1; i <= 6; i++) {
      assert.deepEqual(m.cpu.run(100), { kind: "budget" }, `write ${i} ends the run`);
      assert.equal(m.cpu.instructionsRetired, i + 1, "right after the write");
    }
    assert.deepEqual(m.cpu.run(100), { kind: "hvc", imm: 0 }, "reads do not");
  },
);

test("the default counter follows instructions retired", { skip }, () => {
  const m = machine(assemble(`  nop\n  nop\n  mrs x1, cntvct_el0\n  hvc #0`));
  m.cpu.run(100);
  assert.equal(m.cpu.getX(1), 2n);
  assert.equal(m.cpu.instructionsRetired, 4);
});

test("EL0 counter access is trapped unless CNTKCTL_EL1 allows it", { skip }, () => {
  const vectors = Array.from(
    { length: 16 },
    (_, i) => `.balign 128\n mrs x20, esr_el1\n hvc #${0x100 + i}`,
  ).join("\n");
  const src = (kctl: number): string => `
  b main
  .balign 2048
vectors:
${vectors}
main:
  adr x0, vectors
  msr vbar_el1, x0
  mov x0, #${kctl}
  msr cntkctl_el1, x0
  adr x0, user
  msr elr_el1, x0
  msr spsr_el1, xzr
  eret
user:
  mrs x1, cntvct_el0
  hvc #0x77
`;
  const denied = machine(assemble(src(0)));
  assert.deepEqual(denied.cpu.run(100), { kind: "hvc", imm: 0x108 });
  const esr = denied.cpu.getX(20);
  assert.equal(esr >> 26n, 0x18n, "trapped MRS");
  assert.equal(esr & 1n, 1n, "direction: read");
  const allowed = machine(assemble(src(2)));
  // HVC at EL0 is UNDEFINED: reaching it proves the MRS succeeded.
  assert.deepEqual(allowed.cpu.run(100), { kind: "hvc", imm: 0x108 });
  assert.equal(allowed.cpu.getX(20) >> 26n, 0n);
});

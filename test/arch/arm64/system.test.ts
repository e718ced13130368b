// System mode: exception entry and return (Arm ARM D1.10/D1.11), SP banking, ESR/FAR/
// ELR/SPSR values, interrupts and DAIF, WFI/HVC/SMC exits, stage-2 aborts with their
// syndrome and MMIO completion, system registers.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assemble,
  machine,
  haveAssembler,
  SKIP_NO_AS,
  withVectors,
  type Machine,
} from "./harness.js";
import { TIERS, cpuJit } from "../../tiers.js";

const skip = !haveAssembler() && SKIP_NO_AS;

function runTo(m: Machine, imm: number, budget = 10000): void {
  const exit = m.cpu.run(budget);
  assert.deepEqual(exit, { kind: "hvc", imm }, `pc=${m.cpu.pc.toString(16)}`);
}

const X = (m: Machine, n: number): bigint => m.cpu.getX(n);

test("SVC from EL0 vectors to lower-EL sync with ESR, ELR, SPSR; ERET returns", { skip }, () => {
  const m = machine(
    withVectors(
      `
  adr x1, user
  msr elr_el1, x1
  msr spsr_el1, xzr      // EL0t, DAIF clear
  mov x2, #0x1000
  msr sp_el0, x2
  adr x9, after_svc
  eret
user:
  mov x3, sp
  svc #0x42
after_svc:
`,
    ),
  );
  runTo(m, 0x108); // lower EL, AArch64, synchronous (0x400)
  assert.equal(X(m, 20), (0x15n << 26n) | (1n << 25n) | 0x42n);
  assert.equal(X(m, 3), 0x1000n, "EL0 uses SP_EL0");
  assert.equal(X(m, 22), X(m, 9), "ELR is the instruction after SVC");
  assert.equal(X(m, 23), 0n, "SPSR records EL0t with DAIF clear");
  assert.equal(m.cpu.currentEl, 1);
});

test("UNDEFINED at EL1 vectors to current-EL SPx sync with EC 0", { skip }, () => {
  const m = machine(withVectors(`  udf #5`));
  runTo(m, 0x104); // current EL with SPx (0x200)
  assert.equal(X(m, 20), 1n << 25n);
  assert.equal(X(m, 23) & 0x3c5n, 0x3c5n, "SPSR: EL1h with DAIF masked");
});

test(
  "unallocated system register access is UNDEFINED; ID registers read as advertised",
  { skip },
  () => {
    const m = machine(
      withVectors(`
  mrs x1, midr_el1
  mrs x2, id_aa64isar0_el1
  mrs x3, id_aa64pfr0_el1
  mrs x4, s3_0_c0_c7_7      // unallocated ID space: RAZ
  mrs x5, mpidr_el1
  mrs x6, currentel
  msr s3_0_c15_c0_0, x1     // IMPLEMENTATION DEFINED: UNDEFINED
`),
      { mpidr: 3n },
    );
    runTo(m, 0x104);
    assert.equal(X(m, 1), 0x410fd034n);
    assert.equal((X(m, 2) >> 16n) & 0xfn, 1n, "CRC32");
    assert.equal((X(m, 2) >> 20n) & 0xfn, 2n, "LSE atomics");
    assert.equal((X(m, 2) >> 4n) & 0xfn, 0n, "no AES");
    assert.equal(X(m, 3) & 0xffn, 0x11n, "EL0 and EL1 AArch64 only");
    assert.equal(X(m, 4), 0n);
    assert.equal(X(m, 5), 0x80000003n);
    assert.equal(X(m, 6), 4n);
    assert.equal(X(m, 20) >> 26n, 0n);
  },
);

test("SP_EL0 and SP_EL1 are banked by SPSel", { skip }, () => {
  const m = machine(
    withVectors(`
  mov x1, #0x2000
  mov sp, x1
  msr spsel, #0
  mov x2, #0x3000
  mov sp, x2
  msr spsel, #1
  mov x3, sp
  mrs x4, sp_el0
`),
  );
  runTo(m, 0x77);
  assert.equal(X(m, 3), 0x2000n);
  assert.equal(X(m, 4), 0x3000n);
});

test("IRQ is taken only when unmasked, at the next instruction boundary", { skip }, () => {
  const m = machine(
    withVectors(`
  mov x1, #1
  msr daifclr, #2
  mov x2, #2
`),
  );
  m.cpu.setIrqLine(true);
  runTo(m, 0x105); // current EL SPx, IRQ (0x200 + 0x80)
  assert.equal(X(m, 1), 1n);
  assert.equal(X(m, 2), 0n, "taken right after DAIF was cleared");
  assert.equal(X(m, 23) & 0x80n, 0n, "SPSR has I clear");
  assert.equal(X(m, 20), 0n, "ESR is not written by an IRQ");
});

test(
  "WFI exits unless an interrupt is pending; HVC and SMC exit with their immediates",
  { skip },
  () => {
    const m = machine(withVectors(`  wfi\n  smc #9\n  wfi`));
    assert.deepEqual(m.cpu.run(1000), { kind: "wfi" });
    assert.deepEqual(m.cpu.run(1000), { kind: "smc", imm: 9 });
    m.cpu.setIrqLine(true); // masked, but WFI still wakes
    runTo(m, 0x77);
  },
);

for (const tier of TIERS) {
  test(
    `${tier}: WFE completes and ends the run ("wfe" exit) unless an interrupt is pending`,
    { skip },
    () => {
      const loop = `  mov x1, #0\n1:\n  add x1, x1, #1\n  wfe\n  cmp x1, #3\n  b.ne 1b`;
      const m = machine(withVectors(loop), { jit: cpuJit(tier) });
      const seen: [string, bigint, number][] = [];
      for (let i = 0; i < 4; i++) {
        const e = m.cpu.run(1000);
        seen.push([e.kind === "hvc" ? `hvc ${e.imm}` : e.kind, X(m, 1), m.cpu.instructionsRetired]);
      }
      const base = seen[0]![2] - 2; // the vectors setup before the loop's first ADD
      assert.deepEqual(
        seen.map(([k, x, n]) => [k, x, n - base]),
        [
          ["wfe", 1n, 2],
          ["wfe", 2n, 6],
          ["wfe", 3n, 10],
          ["hvc 119", 3n, 13],
        ],
      );
      const p = machine(withVectors(loop), { jit: cpuJit(tier) });
      p.cpu.setIrqLine(true); // masked (DAIF.I), yet pending: WFE does not wait
      runTo(p, 0x77);
      assert.equal(X(p, 1), 3n);
    },
  );
}

test("stage-2 abort: exit with ISV syndrome, then completeMmioRead/completeMmio", { skip }, () => {
  const m = machine(
    withVectors(`
  movz x1, #0x0900, lsl #16
  ldrsh x2, [x1, #4]
  mov w3, #0x5a
  strb w3, [x1]
  ldp x4, x5, [x1]
`),
  );
  const e1 = m.cpu.run(1000);
  assert.equal(e1.kind, "stage2-abort");
  if (e1.kind !== "stage2-abort") return;
  assert.equal(e1.abort.ipa, 0x09000004);
  assert.equal(e1.abort.isWrite, false);
  assert.equal(e1.abort.syndromeValid, true);
  assert.equal(e1.abort.size, 2);
  assert.equal(e1.abort.register, 2);
  assert.equal(e1.abort.signExtend, true);
  assert.equal(e1.abort.sixtyFour, true);
  m.cpu.completeMmioRead(0x8001n);
  assert.equal(X(m, 2), 0xffffffffffff8001n);
  const e2 = m.cpu.run(1000);
  assert.equal(e2.kind, "stage2-abort");
  if (e2.kind !== "stage2-abort") return;
  assert.equal(e2.abort.isWrite, true);
  assert.equal(e2.abort.size, 1);
  assert.equal(e2.abort.value, 0x5an);
  m.cpu.completeMmio();
  const e3 = m.cpu.run(1000);
  assert.equal(e3.kind, "stage2-abort");
  if (e3.kind !== "stage2-abort") return;
  assert.equal(e3.abort.syndromeValid, false, "pairs have no syndrome");
  m.cpu.injectExternalAbort(e3.abort);
  runTo(m, 0x104);
  assert.equal(X(m, 20), (0x25n << 26n) | (1n << 25n) | 0x10n, "synchronous external abort");
  assert.equal(X(m, 21), 0x09000000n);
});

test("MMU off: unaligned data accesses take an alignment fault (Device memory)", { skip }, () => {
  const m = machine(withVectors(`  movz x1, #0x4001, lsl #16\n  add x1, x1, #1\n  ldr w2, [x1]`));
  runTo(m, 0x104);
  assert.equal(X(m, 20), (0x25n << 26n) | (1n << 25n) | 0x21n);
  assert.equal(X(m, 21), 0x40010001n);
});

test("SP alignment check with SCTLR.SA", { skip }, () => {
  const m = machine(
    withVectors(
      `  mrs x0, sctlr_el1\n  orr x0, x0, #8\n  msr sctlr_el1, x0\n  movz x1, #0x4001, lsl #16\n  add x1, x1, #8\n  mov sp, x1\n  ldr x2, [sp]`,
    ),
  );
  runTo(m, 0x104);
  assert.equal(X(m, 20) >> 26n, 0x26n);
});

test("a fault loop still ends the run when the budget is used up", { skip }, () => {
  const m = machine(assemble("udf #0"));
  // VBAR_EL1 = 0 has no RAM: every exception entry is a fetch stage-2 abort.
  const exit = m.cpu.run(100);
  assert.equal(exit.kind, "stage2-abort");
});

test(
  "IRQ at EL0 goes to the lower-EL IRQ vector with ELR at the interrupted instruction",
  { skip },
  () => {
    const m = machine(
      withVectors(`
  adr x1, user
  msr elr_el1, x1
  msr spsr_el1, xzr
  adr x9, user
  eret
user:
  b user
`),
    );
    assert.deepEqual(m.cpu.run(1000), { kind: "budget" });
    m.cpu.setIrqLine(true);
    runTo(m, 0x109); // 0x400 + 0x80
    assert.equal(X(m, 22), X(m, 9));
    assert.equal(X(m, 23), 0n, "SPSR: EL0t, DAIF clear");
    assert.equal(m.cpu.currentEl, 1);
  },
);

test("ERET to an illegal mode takes an Illegal Execution State exception", { skip }, () => {
  const m = machine(
    withVectors(`  adr x1, 1f\n  msr elr_el1, x1\n  mov x2, #0x9\n  msr spsr_el1, x2\n  eret\n1:`),
  );
  runTo(m, 0x104);
  assert.equal(X(m, 20) >> 26n, 0x0en);
});

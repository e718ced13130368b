// DAIF writes inside compiled units (jit/emit-sys.ts): MSR DAIFSet, DAIFClr and
// MSR DAIF, Xt run in units without leaving them, but the guest must not be able to
// tell. Two things the interpreter does at each of them must come out the same under
// both tiers (test/tiers.ts): an interrupt that a write unmasks is taken right after
// it (same ELR, same instructions retired), and the instruction count the guest clock
// reads (here CNTVCT = `instructionsRetired`, published only where the interpreter's
// run loop publishes it, as hyp/time.ts and the Linux boot bench read it) is
// published at every DAIF write.

import { test } from "node:test";
import assert from "node:assert/strict";
import { machine, withVectors, haveAssembler, SKIP_NO_AS, RAM_BASE } from "./harness.js";
import type { Arm64Cpu } from "../../../src/arch/arm64/index.js";
import { cpuJit, TIERS, assertRanIn, type Tier } from "../../tiers.js";

const skip = !haveAssembler() && SKIP_NO_AS;
const BUFFER = RAM_BASE + 0x10000;
const LOOPS = 50;

/** Every vector entry reports ESR/ELR/SPSR in X20, X22, X23 and HVCs 0x100 + its index. */
function program(main: string): Uint8Array {
  return withVectors(`  ldr x11, =${BUFFER}\n  mov x10, #0\n${main}`, {
    vector: (n) => `mrs x20, esr_el1\n mrs x22, elr_el1\n mrs x23, spsr_el1\n hvc #${0x100 + n}`,
  });
}

interface Outcome {
  exit: string;
  retired: number;
  regs: bigint[];
  clock: bigint[];
  interpretExits: number | undefined;
}

/**
 * Runs `main` under `tier` in slices of `slice` instructions (so budget ends fall in
 * the middle of units too) with the given interrupt lines high from the start, to the
 * first HVC; CNTVCT reads the published instruction count.
 */
function runIn(
  tier: Tier,
  main: string,
  lines: { irq?: boolean; fiq?: boolean },
  slice: number,
): Outcome {
  const made: { cpu?: Arm64Cpu } = {};
  const m = machine(program(main), {
    jit: cpuJit(tier),
    counter: () => BigInt(made.cpu!.instructionsRetired),
  });
  made.cpu = m.cpu;
  m.cpu.setIrqLine(lines.irq ?? false);
  m.cpu.setFiqLine(lines.fiq ?? false);
  let exit = m.cpu.run(slice);
  for (let i = 0; exit.kind === "budget" && i < 10000; i++) exit = m.cpu.run(slice);
  assertRanIn(tier, m.cpu.jitStats, "jit-daif");
  const clock: bigint[] = [];
  for (let i = 0; i < 4 * LOOPS; i++)
    clock.push(m.mem.view.getBigUint64(BUFFER - RAM_BASE + 8 * i, true));
  return {
    exit: JSON.stringify(exit),
    retired: m.cpu.instructionsRetired,
    regs: [10, 12, 13, 20, 22, 23].map((r) => m.cpu.getX(r)),
    clock,
    interpretExits: m.cpu.jitStats?.exits.interpret,
  };
}

/** Runs under both tiers; they must agree on everything the guest can see. */
function bothTiers(
  main: string,
  lines: { irq?: boolean; fiq?: boolean },
  slice = 100_000,
): Outcome {
  const [interp, jit] = TIERS.map((t) => runIn(t, main, lines, slice)) as [Outcome, Outcome];
  assert.equal(jit.exit, interp.exit);
  assert.equal(jit.retired, interp.retired, "instructions retired");
  assert.deepEqual(jit.regs, interp.regs, "X10, X12, X13, ESR, ELR, SPSR");
  assert.deepEqual(jit.clock, interp.clock, "CNTVCT values read");
  // Each loop's 2 CNTVCT reads leave compiled code for the interpreter; its 3 DAIF
  // writes must not (there would be 250 exits or more).
  assert.ok(jit.interpretExits! < 2 * LOOPS + 10, `interpret exits ${jit.interpretExits}`);
  return interp;
}

/** A loop of masking and unmasking writes that leave nothing to take, with clock reads. */
const LOOP = `
1:
  msr daifset, #2
  add x12, x12, #1
  mrs x5, cntvct_el0
  str x5, [x11], #8
  mrs x6, daif
  add x12, x12, #2
  msr daif, x6
  add x12, x12, #3
  mrs x7, cntvct_el0
  str x7, [x11], #8
  msr daifclr, #4
  add x12, x12, #4
  add x10, x10, #1
  cmp x10, #${LOOPS}
  b.ne 1b`;

for (const slice of [100_000, 7]) {
  test(
    `an IRQ pending while masked is taken right after MSR DAIFClr unmasks it (slices of ${slice})`,
    { skip },
    () => {
      const o = bothTiers(`${LOOP}\n  msr daifclr, #2\n  add x13, x13, #1`, { irq: true }, slice);
      assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x105 }), "IRQ, current EL with SPx");
      assert.equal(o.regs[0], BigInt(LOOPS));
      assert.equal(o.regs[2], 0n, "the instruction after the unmask did not run");
    },
  );
}

test("an IRQ is taken right after MSR DAIF, Xt unmasks it", { skip }, () => {
  const o = bothTiers(`${LOOP}\n  msr daif, xzr\n  add x13, x13, #1`, { irq: true });
  assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x105 }));
  assert.equal(o.regs[2], 0n);
});

test(
  "a pending FIQ is taken after DAIFClr #1; unmasking only A leaves IRQ pending",
  { skip },
  () => {
    const o = bothTiers(
      `${LOOP}\n  msr daifclr, #4\n  add x13, x13, #1\n  msr daifclr, #1\n  add x13, x13, #1`,
      {
        irq: true,
        fiq: true,
      },
    );
    assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x106 }), "FIQ, current EL with SPx");
    assert.equal(o.regs[2], 1n);
  },
);

test("DAIF writes with no interrupt pending: same clock readings, no exit", { skip }, () => {
  const o = bothTiers(`${LOOP}\n  msr daifclr, #3\n  add x13, x13, #1`, {}, 13);
  assert.equal(o.exit, JSON.stringify({ kind: "hvc", imm: 0x77 }));
  assert.equal(o.regs[2], 1n);
  // The clock moved between the reads of one loop (a DAIF write published it).
  assert.ok(o.clock[1]! > o.clock[0]!, `${o.clock[0]} then ${o.clock[1]}`);
});

// The JIT tier's background compilation (jit/batch.ts, GUNYAH_JIT_COMPILE=async): a
// module compiled by V8 off the thread is installed when its promise resolves, at an
// event loop turn. Compile timing must never change what the guest sees, and a unit
// generated from code that changed before its module arrived must not be installed
// (its page was dropped; installing would bring the old code back until its check).

import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import {
  assemble,
  haveAssembler,
  SKIP_NO_AS,
  machine,
  x,
  RAM_BASE,
  type Machine,
} from "./harness.js";
import { rewriterProgram } from "./rewriter.js";

const skip = !haveAssembler() && SKIP_NO_AS;

const ASYNC = { threshold: 0, compile: "async" } as const;

/** Event loop turns until no module is compiling in the background. */
async function settle(m: Machine): Promise<void> {
  for (let i = 0; i < 10_000 && m.cpu.jitStats!.compiling > 0; i++) await delay(1);
  assert.equal(m.cpu.jitStats!.compiling, 0, "the background compiles finished");
}

function runTo(m: Machine, imm: number, budget = 1_000_000): void {
  const exit = m.cpu.run(budget);
  assert.deepEqual([exit.kind, exit.kind === "hvc" ? exit.imm : -1], ["hvc", imm]);
}

// Calls the routine at `which` (x9 = 0: r1, else r2), then HVC #1. r1 adds 1 to x0,
// r2 adds 0x100; both on the page at 0x1000.
const CALLER = `
  cbnz x9, 1f
  bl r1
  hvc #1
1:
  bl r2
  hvc #1
  .balign 4096
r1:
  add x0, x0, #1
  ret
  .balign 256
r2:
  add x0, x0, #0x100
  ret
`;
const R1 = RAM_BASE + 0x1000;
const ADD_X0_2 = 0x91000800; // add x0, x0, #2

/** Calls r1 (x9 = 0) or r2 from the start. */
function call(m: Machine, routine: 1 | 2): void {
  m.cpu.setX(9, routine === 1 ? 0n : 1n);
  m.cpu.pc = RAM_BASE;
  runTo(m, 1);
}

test("a module that arrives after its page's code changed installs nothing", { skip }, async () => {
  const m = machine(assemble(CALLER), { jit: ASYNC });
  // r1's unit (and the caller's) are generated and compile in the background.
  for (let i = 0; i < 2; i++) {
    call(m, 1);
    await settle(m);
  }
  const stats = m.cpu.jitStats!;
  assert.ok(stats.background >= 2, "the modules came from background compiles");
  call(m, 2); // r2's unit is generated: its module is in flight
  assert.ok(stats.compiling >= 1, "r2's module is still compiling");
  // The code changes before it arrives: r1 now adds 2. r1's installed unit finds the
  // changed word and drops the page, r2's pending unit with it.
  m.mem.view.setUint32(R1 - RAM_BASE, ADD_X0_2, true);
  call(m, 1);
  assert.equal(stats.exits.stale, 1, "r1's unit saw its code change");
  await settle(m);
  assert.equal(stats.discarded, 1, "r2's module was discarded");
  // Both routines still compute what the code in memory says, compiled again.
  m.cpu.setX(0, 0n);
  for (let i = 0; i < 3; i++) {
    call(m, 1);
    call(m, 2);
    await settle(m);
  }
  assert.equal(x(m, 0), 3n * (2n + 0x100n));
});

// The rewriter (rewriter.ts) passes the cache bound many times while modules compile.
const ROUNDS = 200;

/** Runs the rewriter in slices of `slice` instructions, a millisecond's turn between. */
async function rewriter(jit: false | object, slice: number): Promise<Machine> {
  const m = machine(assemble(rewriterProgram(ROUNDS)), { jit: jit as never });
  for (;;) {
    const exit = m.cpu.run(slice);
    if (exit.kind === "hvc") break;
    assert.equal(exit.kind, "budget");
    await delay(1);
  }
  return m;
}

test(
  "background compiles across cache flushes leave every result as the interpreter's",
  { skip },
  async () => {
    const reference = await rewriter(false, 1 << 20);
    const expected = BigInt((ROUNDS * (ROUNDS + 1)) / 2);
    assert.equal(x(reference, 0), expected);
    for (const slice of [7, 30, 100]) {
      const m = await rewriter({ ...ASYNC, cacheLimit: 128 << 10 }, slice);
      const stats = m.cpu.jitStats!;
      assert.equal(x(m, 0), expected, `slice ${slice}: the JIT computes what the interpreter does`);
      assert.equal(m.cpu.instructionsRetired, reference.cpu.instructionsRetired);
      assert.ok(stats.background > 0, `slice ${slice}: modules came from the background`);
      assert.ok(
        stats.flushes >= 1,
        `slice ${slice}: the cache bound was passed (${JSON.stringify(stats)})`,
      );
      assert.ok(stats.instructions > 0, `slice ${slice}: compiled code ran`);
    }
  },
);

test(
  "without an event loop turn, code waiting for a module gets it compiled in place",
  { skip },
  () => {
    // A loop the interpreter would run for ever if queued units were never installed.
    const m = machine(
      assemble(`
        mov x0, #0
        ldr x1, =200000
      1: add x0, x0, #3
        subs x1, x1, #1
        b.ne 1b
        hvc #1
        .ltorg
      `),
      { jit: { threshold: 10, compile: "async" } },
    );
    runTo(m, 1, 10_000_000);
    assert.equal(x(m, 0), 600000n);
    const stats = m.cpu.jitStats!;
    assert.equal(stats.background, 0, "no promise could resolve");
    assert.ok(stats.units >= 1, "the loop's unit was compiled here");
    assert.ok(stats.instructions > 400_000, `compiled code ran (${stats.instructions})`);
  },
);

test(
  "a reset while a module compiles: no error, and the code run afterwards is exact",
  { skip },
  async () => {
    const m = machine(assemble(CALLER), { jit: ASYNC });
    call(m, 1);
    call(m, 2); // both modules in flight
    assert.ok(m.cpu.jitStats!.compiling >= 1, "modules are in flight");
    // A new program at the same addresses, as after a reset and a reload: r1 adds 2.
    m.mem.view.setUint32(R1 - RAM_BASE, ADD_X0_2, true);
    m.cpu.reset(RAM_BASE);
    await settle(m);
    m.cpu.setX(0, 0n);
    for (let i = 0; i < 4; i++) {
      call(m, 1);
      call(m, 2);
      await settle(m);
    }
    assert.equal(x(m, 0), 4n * (2n + 0x100n));
    assert.ok(m.cpu.jitStats!.instructions > 0, "compiled code ran");
  },
);

// Stage-1 MMU (Arm ARM D8, 4 KiB granule, 48-bit VA): hand-built tables for TTBR0
// (identity map of the test RAM, 4 levels) and TTBR1 (a kernel VA at
// 0xffff_8000_0000_0000 mapped with a 1 GiB block); translation, permission and
// access-flag faults with their FAR/ESR, EL0 permissions, AT into PAR_EL1, TLB
// maintenance, and stage-2 aborts during a walk.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, haveAssembler, SKIP_NO_AS, RAM_BASE } from "./harness.js";
import { TIERS, cpuJit } from "../../tiers.js";
import { mmuMachine, run, X, DABT, KVA, L0, L1, L2, L3, AF, SH, put } from "./mmu-machine.js";

const skip = !haveAssembler() && SKIP_NO_AS;

test(
  "TTBR1: a kernel VA reaches RAM through a 1 GiB block; TTBR0 through 4 levels and a 2 MiB block",
  { skip },
  () => {
    const m = mmuMachine(`
  ldr x1, =${KVA + 0x90000n}
  ldr x2, [x1]
  ldr x3, =${RAM_BASE + 0x200010}
  ldr x4, [x3]
  ldr x5, =${RAM_BASE + 0x90000}
  ldr x6, [x5]
`);
    m.mem.view.setBigUint64(0x90000, 0x1122334455667788n, true);
    m.mem.view.setBigUint64(0x200010, 0xcafen, true);
    assert.equal(run(m), 0x77);
    assert.equal(X(m, 2), 0x1122334455667788n);
    assert.equal(X(m, 4), 0xcafen);
    assert.equal(X(m, 6), 0x1122334455667788n);
  },
);

test("a kernel-VA PC runs code (BR into TTBR1)", { skip }, () => {
  const m = mmuMachine(`
  adr x1, kcode
  ldr x2, =${KVA - BigInt(RAM_BASE)}
  add x1, x1, x2
  br x1
kcode:
  adr x3, .
  mov x4, #5
`);
  assert.equal(run(m), 0x77);
  assert.equal(X(m, 3) >> 48n, 0xffffn);
  assert.equal(X(m, 4), 5n);
  assert.ok(m.cpu.pc < 0, "kernel PCs are negative numbers (signed 64-bit)");
});

test("write to a read-only page: permission fault, level 3, WnR, FAR", { skip }, () => {
  const m = mmuMachine(`  ldr x1, =${RAM_BASE + 0x80008}\n  ldr x2, [x1]\n  str x2, [x1]`);
  assert.equal(run(m), 0x104);
  assert.equal(X(m, 20), DABT(0x40n | 0x0fn));
  assert.equal(X(m, 21), BigInt(RAM_BASE + 0x80008));
});

test("access flag clear: access flag fault level 3", { skip }, () => {
  const m = mmuMachine(`  ldr x1, =${RAM_BASE + 0x81000}\n  ldr x2, [x1]`);
  assert.equal(run(m), 0x104);
  assert.equal(X(m, 20), DABT(0x0bn));
});

test("invalid descriptors: translation faults at the level that failed", { skip }, () => {
  const m3 = mmuMachine(`  ldr x1, =${RAM_BASE + 0x83010}\n  ldr x2, [x1]`);
  assert.equal(run(m3), 0x104);
  assert.equal(X(m3, 20), DABT(0x07n));
  assert.equal(X(m3, 21), BigInt(RAM_BASE + 0x83010));
  const m1 = mmuMachine(`  ldr x1, =0x80000000\n  ldr x2, [x1]`); // L1 index 2: empty
  assert.equal(run(m1), 0x104);
  assert.equal(X(m1, 20), DABT(0x05n));
  const m0 = mmuMachine(`  ldr x1, =0x0001000000000000\n  ldr x2, [x1]`); // outside the 48-bit range
  assert.equal(run(m0), 0x104);
  assert.equal(X(m0, 20), DABT(0x04n));
  assert.equal(X(m0, 21), 0x0001000000000000n);
});

test("instruction fetch from an execute-never block is a prefetch abort", { skip }, () => {
  const m = mmuMachine(`  ldr x1, =${RAM_BASE + 0x200000}\n  br x1`);
  m.mem.view.setUint32(0x200000, 0xd503201f, true); // nop
  assert.equal(run(m), 0x104);
  assert.equal(
    X(m, 20),
    (0x21n << 26n) | (1n << 25n) | 0x0en,
    "instruction abort, permission, level 2",
  );
  assert.equal(X(m, 21), BigInt(RAM_BASE + 0x200000));
});

test(
  "EL0 permissions: EL0 may use its data page, not EL1's; EL1 cannot execute EL0-writable memory",
  { skip },
  () => {
    const m = mmuMachine(`
  ldr x1, =${RAM_BASE + 0x84000}
  msr elr_el1, x1
  msr spsr_el1, xzr
  eret
`);
    // EL0 code at +0x84000: store to its data page, then load an EL1-only page.
    const user = assemble(`
  ldr x1, =${RAM_BASE + 0x82000}
  mov x2, #7
  str x2, [x1]
  ldr x3, =${RAM_BASE + 0x90000}
  ldr x4, [x3]
  .ltorg`);
    m.mem.bytes.set(user, 0x84000);
    assert.equal(run(m), 0x108, "lower-EL synchronous");
    assert.equal(X(m, 20), (0x24n << 26n) | (1n << 25n) | 0x0fn);
    assert.equal(m.mem.view.getBigUint64(0x82000, true), 7n);
    const k = mmuMachine(`  ldr x1, =${RAM_BASE + 0x84000}\n  br x1`);
    k.mem.bytes.set(user, 0x84000);
    assert.equal(run(k), 0x104);
    assert.equal(X(k, 20), (0x21n << 26n) | (1n << 25n) | 0x0fn, "PXN implied for EL0-writable");
  },
);

test("AT S1E1R/S1E1W report into PAR_EL1", { skip }, () => {
  const m = mmuMachine(`
  ldr x1, =${KVA + 0x1234n}
  at s1e1r, x1
  mrs x2, par_el1
  ldr x1, =${RAM_BASE + 0x80000}
  at s1e1w, x1
  mrs x3, par_el1
  at s1e1r, x1
  mrs x4, par_el1
`);
  assert.equal(run(m), 0x77);
  assert.equal(X(m, 2) & 0xfffffffff001n, BigInt(RAM_BASE + 0x1000), "PA, F=0");
  assert.equal(X(m, 2) >> 56n, 0xffn, "MAIR attribute");
  assert.equal(X(m, 3) & 0x7fn, 1n | (0x0fn << 1n), "F=1, FST=permission level 3");
  assert.equal(X(m, 4) & 1n, 0n);
});

test("TLBI makes a changed descriptor visible", { skip }, () => {
  const m = mmuMachine(`
  ldr x1, =${RAM_BASE + 0x90000}
  ldr x2, [x1]
  ldr x5, =${L3 + 8 * 0x90}
  ldr x6, =${RAM_BASE + 0x91000 + 0x703}
  str x6, [x5]
  dsb ish
  tlbi vmalle1
  dsb ish
  isb
  ldr x3, [x1]
`);
  m.mem.view.setBigUint64(0x90000, 1n, true);
  m.mem.view.setBigUint64(0x91000, 2n, true);
  assert.equal(
    run(m),
    0x77,
    `esr ${X(m, 20).toString(16)} far ${X(m, 21).toString(16)} elr ${X(m, 22).toString(16)}`,
  );
  assert.equal(X(m, 2), 1n);
  assert.equal(X(m, 3), 2n);
});

for (const tier of TIERS) {
  // A clear is skipped while nothing was filled since the last one (mmu/tlb.ts
  // `filled`): each refill after a flush must make the next flush, full or by VA,
  // drop the entry again, in the TLB and in the JIT's mirror of it.
  test(`${tier}: every TLBI after a refill drops the refilled entry`, { skip }, () => {
    const m = mmuMachine(
      `
  ldr x1, =${RAM_BASE + 0x90000}
  ldr x5, =${L3 + 8 * 0x90}
  lsr x7, x1, #12
  ldr x2, [x1]          // frame 0x90000, filled
  tlbi vmalle1
  tlbi vmalle1          // nothing filled since the first: skipped
  ldr x3, [x1]          // refilled
  ldr x6, =${RAM_BASE + 0x91000 + 0x703}
  str x6, [x5]
  dsb ish
  tlbi vae1, x7         // by VA, after the refill
  dsb ish
  ldr x4, [x1]          // frame 0x91000
  ldr x6, =${RAM_BASE + 0x92000 + 0x703}
  str x6, [x5]
  dsb ish
  tlbi vmalle1          // full, after the refill
  dsb ish
  ldr x8, [x1]          // frame 0x92000
`,
      { jit: cpuJit(tier) },
    );
    m.mem.view.setBigUint64(0x90000, 0xa0n, true);
    m.mem.view.setBigUint64(0x91000, 0xb0n, true);
    m.mem.view.setBigUint64(0x92000, 0xc0n, true);
    assert.equal(run(m), 0x77, `esr ${X(m, 20).toString(16)}`);
    assert.deepEqual([X(m, 2), X(m, 3), X(m, 4), X(m, 8)], [0xa0n, 0xa0n, 0xb0n, 0xc0n]);
  });
}

test(
  "a walk that reaches unbacked IPA ends in a stage2-abort exit marked as a table walk",
  { skip },
  () => {
    const m = mmuMachine(`  ldr x1, =${RAM_BASE + 0x400000}\n  ldr x2, [x1]`);
    put(m, L2 + 16, 0x7000_0000n | 3n); // L3 table outside RAM
    const e = m.cpu.run(1000);
    assert.equal(e.kind, "stage2-abort");
    if (e.kind === "stage2-abort") {
      assert.equal(e.abort.isTableWalk, true);
      assert.equal(e.abort.ipa, 0x7000_0000);
    }
  },
);

test(
  "TLB contexts: switching TTBR0 between two tables and back; TLBI by VA reaches the inactive one",
  { skip },
  () => {
    const B0 = RAM_BASE + 0x106000;
    const B1 = RAM_BASE + 0x107000;
    const B2 = RAM_BASE + 0x108000;
    const B3 = RAM_BASE + 0x109000;
    const m = mmuMachine(`
  ldr x1, =${RAM_BASE + 0x90000}
  ldr x10, =${L0}
  ldr x11, =${BigInt(B0) | (1n << 48n)}
  ldr x2, [x1]          // table A: frame 0x90000
  msr ttbr0_el1, x11
  isb
  ldr x3, [x1]          // table B: frame 0x92000
  ldr x5, =${L3 + 8 * 0x90}
  ldr x6, =${RAM_BASE + 0x93000 + 0x703}
  str x6, [x5]          // A now maps frame 0x93000 (A is not active)
  dsb ish
  lsr x7, x1, #12
  tlbi vae1, x7
  dsb ish
  msr ttbr0_el1, x10
  isb
  ldr x4, [x1]          // table A again: the TLBI dropped the old entry
`);
    const view = m.mem.view;
    for (let i = 0; i < 512; i++) {
      view.setBigUint64(
        B0 - RAM_BASE + 8 * i,
        view.getBigUint64(L0 - RAM_BASE + 8 * i, true),
        true,
      );
      view.setBigUint64(
        B1 - RAM_BASE + 8 * i,
        view.getBigUint64(L1 - RAM_BASE + 8 * i, true),
        true,
      );
      view.setBigUint64(
        B2 - RAM_BASE + 8 * i,
        view.getBigUint64(L2 - RAM_BASE + 8 * i, true),
        true,
      );
      view.setBigUint64(
        B3 - RAM_BASE + 8 * i,
        view.getBigUint64(L3 - RAM_BASE + 8 * i, true),
        true,
      );
    }
    put(m, B0, BigInt(B1) | 3n);
    put(m, B1 + 8, BigInt(B2) | 3n);
    put(m, B2, BigInt(B3) | 3n);
    put(m, B3 + 8 * 0x90, BigInt(RAM_BASE + 0x92000) | 3n | AF | SH);
    view.setBigUint64(0x90000, 0xa0n, true);
    view.setBigUint64(0x92000, 0xb0n, true);
    view.setBigUint64(0x93000, 0xc0n, true);
    assert.equal(run(m), 0x77, `esr ${X(m, 20).toString(16)}`);
    assert.equal(X(m, 2), 0xa0n);
    assert.equal(X(m, 3), 0xb0n);
    assert.equal(X(m, 4), 0xc0n);
  },
);

test(
  "MMU on, Normal memory: unaligned and page-crossing accesses work; crossing into an unmapped page faults",
  { skip },
  () => {
    const m = mmuMachine(`
  ldr x1, =${RAM_BASE + 0x90ffd}
  ldr x2, [x1]          // crosses into 0x91000
  str x2, [x1, #-1]!
  ldr x3, =${RAM_BASE + 0x82ffc}
  ldr x4, [x3]          // crosses into 0x83000 (invalid)
`);
    m.mem.view.setBigUint64(0x90ffd, 0x0807060504030201n, true);
    assert.equal(run(m), 0x104);
    assert.equal(X(m, 2), 0x0807060504030201n);
    assert.equal(m.mem.view.getBigUint64(0x90ffc, true), 0x0807060504030201n);
    assert.equal(X(m, 20), DABT(0x07n));
    assert.equal(X(m, 21) & ~0xfffn, BigInt(RAM_BASE + 0x83000));
  },
);

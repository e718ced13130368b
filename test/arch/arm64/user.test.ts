// User mode (gunyah exec): EL0 from reset, Normal memory with the MMU off, SVC exits,
// faults as user-fault exits with the PC at the faulting instruction, and the EL0
// system registers Linux exposes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu } from "../../../src/arch/arm64/index.js";
import { assemble, flatMemory, haveAssembler, SKIP_NO_AS } from "./harness.js";

const skip = !haveAssembler() && SKIP_NO_AS;
const BASE = 0x400000;

function user(src: string) {
  const mem = flatMemory(0, 1 << 23);
  mem.bytes.set(assemble(src), BASE);
  const cpu = createCpu({ mode: "user", memory: mem });
  cpu.reset(BASE);
  cpu.setSp(0x7ff000n);
  return { cpu, mem };
}

test("starts at EL0; SVC exits with the PC past it", { skip }, () => {
  const { cpu } = user(`  mov x8, #93\n  svc #0`);
  assert.equal(cpu.currentEl, 0);
  assert.deepEqual(cpu.run(100), { kind: "svc", imm: 0 });
  assert.equal(cpu.pc, BASE + 8);
  assert.equal(cpu.getX(8), 93n);
});

test(
  "unaligned accesses are allowed (Normal memory), exclusives still need alignment",
  { skip },
  () => {
    const { cpu } = user(`
  ldr x1, =0x500001
  mov x2, #0x1234
  str x2, [x1]
  ldr x3, [x1]
  ldxr x4, [x1]
  .ltorg`);
    const exit = cpu.run(100);
    assert.equal(cpu.getX(3), 0x1234n);
    assert.deepEqual(exit, {
      kind: "user-fault",
      fault: { kind: "alignment", pc: BASE + 16, address: 0x500001 },
    });
  },
);

test(
  "undefined instruction, unmapped access, BRK: user faults at the instruction",
  { skip },
  () => {
    const u = user(`  nop\n  udf #1`);
    assert.deepEqual(u.cpu.run(10), {
      kind: "user-fault",
      fault: { kind: "undefined", pc: BASE + 4, instruction: 1 },
    });
    const d = user(`  mov x1, #0x1000000\n  str x1, [x1]`);
    assert.deepEqual(d.cpu.run(10), {
      kind: "user-fault",
      fault: { kind: "data-abort", pc: BASE + 4, address: 0x1000000, isWrite: true },
    });
    const b = user(`  brk #0x3e8`);
    assert.deepEqual(b.cpu.run(10), {
      kind: "user-fault",
      fault: { kind: "brk", pc: BASE, imm: 0x3e8 },
    });
    const f = user(`  mov x1, #0x1000000\n  br x1`);
    assert.deepEqual(f.cpu.run(10), {
      kind: "user-fault",
      fault: { kind: "fetch-abort", pc: 0x1000000, address: 0x1000000 },
    });
  },
);

test(
  "EL0 system registers: TPIDR_EL0, CTR_EL0, DCZID_EL0, MIDR_EL1, FPCR/FPSR, CNTVCT; EL1 ones are undefined",
  { skip },
  () => {
    const { cpu } = user(`
  mov x1, #0x77
  msr tpidr_el0, x1
  mrs x2, tpidr_el0
  mrs x3, ctr_el0
  mrs x4, dczid_el0
  mrs x5, midr_el1
  mov x6, #0x1000000
  msr fpcr, x6
  mrs x7, fpcr
  mov x8, #-1
  msr fpcr, x8
  mrs x12, fpcr
  msr fpcr, xzr
  mrs x9, cntvct_el0
  mrs x10, tpidrro_el0
  mrs x11, sctlr_el1
`);
    const exit = cpu.run(100);
    assert.equal(exit.kind, "user-fault");
    assert.equal(cpu.pc, BASE + 60, "SCTLR_EL1 is not readable at EL0");
    assert.equal(cpu.getX(2), 0x77n);
    assert.equal(cpu.getTpidrEl0(), 0x77n);
    assert.equal(cpu.getX(3), 0x8444c004n);
    assert.equal(cpu.getX(4), 4n, "64-byte DC ZVA, allowed");
    assert.equal(cpu.getX(5), 0x410fd034n);
    assert.equal(cpu.getX(7), 0x1000000n);
    // As QEMU's cortex-a57: FZ16 (bit 19) and the trap enables (8-12, 15) are RAZ/WI.
    assert.equal(cpu.getX(12), 0x07f70000n);
  },
);

test("TBI0: tagged user pointers reach the untagged address", { skip }, () => {
  const { cpu, mem } = user(`
  ldr x1, =0x5a00000000500000
  ldr x2, [x1]
  svc #0
  .ltorg`);
  mem.view.setBigUint64(0x500000, 0xabcdn, true);
  assert.equal(cpu.run(10).kind, "svc");
  assert.equal(cpu.getX(2), 0xabcdn);
});

test("DC ZVA zeroes a 64-byte block", { skip }, () => {
  const { cpu, mem } = user(`
  ldr x1, =0x500030
  dc zva, x1
  svc #0
  .ltorg`);
  mem.bytes.fill(0xee, 0x4ffff0, 0x500050);
  assert.equal(cpu.run(10).kind, "svc");
  assert.equal(mem.bytes[0x4fffff], 0xee);
  assert.ok(mem.bytes.subarray(0x500000, 0x500040).every((b) => b === 0));
  assert.equal(mem.bytes[0x500040], 0xee);
});

test("traceState uses qemu's -d cpu layout", { skip }, () => {
  const { cpu } = user(`  movz x1, #0x1234\n  cmp x1, x1\n  svc #0`);
  cpu.run(10);
  const lines = cpu.traceState().split("\n");
  assert.equal(lines.length, 12);
  assert.equal(lines[0], " PC=000000000040000c X00=0000000000000000 X01=0000000000001234");
  assert.match(lines[10]!, /^X29=0{16} X30=0{16} {2}SP=00000000007ff000$/);
  assert.equal(lines[11], "PSTATE=60000000 -ZC- EL0t");
});

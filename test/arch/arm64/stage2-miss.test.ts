// The CPU never caches a stage-2 miss (port.ts): a page the hypervisor maps after an
// access aborted on it is seen when the access is retried, with no invalidateStage2().
// The hypervisor maps demand-paged pages without invalidating on that promise.

import { test } from "node:test";
import assert from "node:assert/strict";
import { machine, assemble, haveAssembler, SKIP_NO_AS, RAM_BASE } from "./harness.js";

const skip = !haveAssembler() && SKIP_NO_AS;

test(
  "a data page mapped after a stage-2 abort is reached on retry without invalidation",
  { skip },
  () => {
    const m = machine(
      assemble(`
  ldr x1, =0x40100000
  ldr x2, [x1]
  hvc #0
  .ltorg
`),
    );
    const page = 0x4010_0000 / 4096;
    m.mem.holes.add(page);
    m.mem.view.setUint32(0x4010_0000 - RAM_BASE, 0xfeed, true);
    const exit = m.cpu.run(100);
    assert.equal(exit.kind, "stage2-abort");
    m.mem.holes.delete(page); // the hypervisor maps it; no invalidateStage2()
    assert.deepEqual(m.cpu.run(100), { kind: "hvc", imm: 0 });
    assert.equal(m.cpu.getX(2), 0xfeedn);
  },
);

test("a code page mapped after a fetch abort runs on retry without invalidation", { skip }, () => {
  const code = assemble(`
  ldr x1, =0x40100000
  br x1
  .ltorg
`);
  const m = machine(code);
  const target = assemble(`  mov x3, #7\n  hvc #1`);
  m.mem.bytes.set(target, 0x4010_0000 - RAM_BASE);
  const page = 0x4010_0000 / 4096;
  m.mem.holes.add(page);
  const exit = m.cpu.run(100);
  assert.equal(exit.kind, "stage2-abort");
  assert.equal(exit.kind === "stage2-abort" && exit.abort.isFetch, true);
  m.mem.holes.delete(page);
  assert.deepEqual(m.cpu.run(100), { kind: "hvc", imm: 1 });
  assert.equal(m.cpu.getX(3), 7n);
});

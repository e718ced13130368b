// The gunyah-ts debug extension (hyp/abi/debug.ts, host vcpu.debug) under hostile use
// by a VMM: unknown registers, unmapped or absurd addresses, oversize accesses, too
// many or misaligned breakpoints all get errors; armed events stop the vCPU with the
// debug exit at the right place without changing guest memory; disarmed, it runs on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { A64, mov64 } from "./a64.js";
import { GUEST_RAM, RAM_SIZE, openDevice, startGuest } from "./harness.js";

const DATA = GUEST_RAM + 0x8000;
const PROGRAM = [
  ...mov64(1, BigInt(DATA)), // 0x00..0x0c
  A64.movz(2, 0x1234), // 0x10
  A64.strX(2, 1, 0), // 0x14: the watched store
  A64.nop(), // 0x18
  A64.spin(), // 0x1c
];

test("debug extension: hostile arguments are refused; breakpoints, watchpoints and steps stop the vCPU", async () => {
  const { gunyah } = await openDevice(131);
  const g = await startGuest(gunyah, PROGRAM);
  const vcpu = g.vcpus[0]!;
  const d = vcpu.debug;

  // Before the first instruction: PC at the entry, memory (demand-paged on access) readable.
  assert.deepEqual(d.readRegister(32), { ok: true, value: BigInt(GUEST_RAM) });
  const word = d.readMemory(BigInt(GUEST_RAM + 0x14), 4);
  assert.ok(word.ok);
  assert.equal(new DataView(word.value.buffer).getUint32(0, true), A64.strX(2, 1, 0));

  for (const reg of [68, 255, 256, -1, 1 << 20])
    assert.equal(d.readRegister(reg).ok, false, `reg ${reg}`);
  assert.equal(d.readMemory(0xdead_0000_0000n, 4).ok, false, "beyond the PA space (MMU off)");
  assert.equal(d.readMemory(BigInt(GUEST_RAM + RAM_SIZE), 4).ok, false, "not guest RAM");
  assert.equal(d.readMemory(0xffff_ffff_ffff_fff8n, 16).ok, false);
  assert.equal(d.readMemory(BigInt(GUEST_RAM), 1 << 30).ok, false, "oversize");
  assert.equal(d.writeMemory(0xdead_0000_0000n, new Uint8Array(8)).ok, false);
  assert.equal(
    d.configure({ breakpoints: [BigInt(GUEST_RAM + 2)], watchpoints: [], step: false }).ok,
    false,
  );
  const many = Array.from({ length: 300 }, (_, i) => BigInt(GUEST_RAM + 4 * i));
  assert.equal(d.configure({ breakpoints: many, watchpoints: [], step: false }).ok, false);
  const bad = { address: BigInt(DATA), length: 0, read: true, write: true };
  assert.equal(d.configure({ breakpoints: [], watchpoints: [bad], step: false }).ok, false);

  // A breakpoint at the store: the vCPU stops before it, memory unchanged.
  assert.ok(
    d.configure({ breakpoints: [BigInt(GUEST_RAM + 0x14)], watchpoints: [], step: false }).ok,
  );
  let r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "debug",
    stop: "breakpoint",
    pc: BigInt(GUEST_RAM + 0x14),
    address: 0n,
    isWrite: false,
  });
  const same = d.readMemory(BigInt(GUEST_RAM + 0x14), 4);
  assert.ok(same.ok && new DataView(same.value.buffer).getUint32(0, true) === A64.strX(2, 1, 0));
  assert.deepEqual(d.readRegister(2), { ok: true, value: 0x1234n });

  // A write watchpoint on the data: stops before the store, the data address reported.
  const watch = { address: BigInt(DATA + 4), length: 2, read: false, write: true };
  assert.ok(d.configure({ breakpoints: [], watchpoints: [watch], step: false }).ok);
  r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "debug",
    stop: "watchpoint",
    pc: BigInt(GUEST_RAM + 0x14),
    address: BigInt(DATA + 4),
    isWrite: true,
  });

  // One step: the store happens, the PC moves one instruction.
  assert.ok(d.configure({ breakpoints: [], watchpoints: [], step: true }).ok);
  r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "debug",
    stop: "step",
    pc: BigInt(GUEST_RAM + 0x18),
    address: 0n,
    isWrite: false,
  });
  const stored = d.readMemory(BigInt(DATA), 8);
  assert.ok(stored.ok && new DataView(stored.value.buffer).getBigUint64(0, true) === 0x1234n);
  assert.ok(d.writeRegister(2, 0xfeedn).ok);
  assert.deepEqual(d.readRegister(2), { ok: true, value: 0xfeedn });
  assert.ok(d.writeMemory(BigInt(DATA), Uint8Array.of(1, 2, 3)).ok);

  // Disarmed: it runs on (the spin) until asked to leave.
  assert.ok(d.configure({ breakpoints: [], watchpoints: [], step: false }).ok);
  const kick = setTimeout(() => (vcpu.immediateExit = true), 50);
  r = await vcpu.run();
  clearTimeout(kick);
  assert.equal(r.ok, false);
  assert.deepEqual(d.readRegister(32), { ok: true, value: BigInt(GUEST_RAM + 0x1c) });

  vcpu.close();
  g.vm.close();
  await g.vm.released;
  g.mem.close();
  gunyah.close();
});

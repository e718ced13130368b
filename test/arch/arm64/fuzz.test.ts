// Hostile guest code (shared/reference/hardening.md): random instruction streams at
// EL1 (system registers, MMU on with garbage tables, exceptions into random vectors)
// and at EL0 in user mode. Whatever the guest does, run() must return an exit and
// never throw, and the exits must be well-formed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu, type CpuExit } from "../../../src/arch/arm64/index.js";
import { flatMemory, RAM_BASE } from "./harness.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}

/** Random words biased towards the system, load/store and branch encodings. */
function fill(bytes: Uint8Array, next: () => number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const templates = [
    0xd5000000, 0xd5080000, 0xd5180000, 0xd5380000, 0xf9400000, 0xb8000000, 0x38400000, 0xd65f0000,
    0x14000000, 0x54000000,
  ];
  for (let i = 0; i < bytes.byteLength; i += 4) {
    const r = next();
    const w =
      (r & 3) === 0
        ? (templates[(r >>> 2) % templates.length]! | (next() & 0x001fffff)) >>> 0
        : next();
    dv.setUint32(i, w, true);
  }
}

function checkExit(e: CpuExit): void {
  assert.ok(
    ["budget", "hvc", "smc", "wfi", "wfe", "stage2-abort", "svc", "user-fault"].includes(e.kind),
  );
  if (e.kind === "stage2-abort") assert.ok(Number.isFinite(e.abort.ipa) && e.abort.ipa >= 0);
}

for (const seed of [1, 2]) {
  test(`random EL1 code never throws out of run() (seed ${seed})`, () => {
    const next = rng(seed);
    const mem = flatMemory(RAM_BASE, 1 << 20);
    fill(mem.bytes, next);
    const cpu = createCpu({
      mode: "system",
      memory: mem,
      gic: { read: () => 0n, write: () => true },
    });
    // Prelude: MSR VBAR_EL1, X0 with X0 inside RAM, so exceptions run guest bytes too.
    mem.view.setUint32(0, 0xd518c000, true);
    cpu.reset(RAM_BASE);
    for (let r = 0; r < 31; r++) cpu.setX(r, BigInt(RAM_BASE + (next() & 0xffff8)));
    cpu.setX(0, BigInt(RAM_BASE + 0x80000));
    let n = 0;
    const executed: string[] = [];
    for (let i = 0; i < 400 && n < 100_000; i++) {
      const e = cpu.run(2000);
      checkExit(e);
      n = cpu.instructionsRetired;
      executed.push(e.kind);
      if (e.kind === "stage2-abort") {
        if (i % 2 === 0) cpu.injectExternalAbort(e.abort);
        else if (e.abort.isWrite || !e.abort.syndromeValid) cpu.completeMmio();
        else cpu.completeMmioRead(BigInt(next()));
      }
      if (e.kind === "wfi") cpu.setIrqLine((next() & 1) === 1);
      if ((i & 7) === 0) cpu.pc = RAM_BASE + (next() & 0xffffc); // keep executing guest bytes
    }
    assert.ok(n > 20_000, `only ${n} instructions ran: the fuzz did not get going`);
  });
}

test("random EL0 code in user mode never throws out of run()", () => {
  const next = rng(99);
  const mem = flatMemory(0, 1 << 22);
  fill(mem.bytes.subarray(0x100000, 0x140000), next);
  const cpu = createCpu({ mode: "user", memory: mem });
  for (let i = 0; i < 2000; i++) {
    cpu.reset(0x100000 + (next() & 0x3fffc));
    for (let r = 0; r < 31; r++) cpu.setX(r, BigInt(next() & 0x3ffff8));
    cpu.setSp(0x200000n);
    checkExit(cpu.run(200));
  }
});

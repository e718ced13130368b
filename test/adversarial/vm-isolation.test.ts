// Attack: one guest fills every register it can reach (x2..x30, EL1/EL0 system
// registers, the FP/SIMD registers) with secrets; a second guest, started while the
// first is alive and again after the first is torn down, dumps its own registers at
// entry. It must see only reset values and what it set itself: no vCPU state crosses
// VMs (hardening.md: a guest must never reach what it was not given).
import { test } from "node:test";
import assert from "node:assert/strict";
import { A64, mov64 } from "./a64.js";
import { DONE, FAULT_REPORT, kitProgram } from "./guest-kit.js";
import { type Guest, openDevice, startGuest, teardown } from "./harness.js";
import type { HostResult } from "../../src/host/index.js";

/** [name, op1, CRn, CRm, op2] of op0=3 system registers a guest may write at EL1. */
const SYSREGS: ReadonlyArray<readonly [string, number, number, number, number]> = [
  ["TPIDR_EL1", 0, 13, 0, 4],
  ["TPIDR_EL0", 3, 13, 0, 2],
  ["TPIDRRO_EL0", 3, 13, 0, 3],
  ["SP_EL0", 0, 4, 1, 0],
  ["ELR_EL1", 0, 4, 0, 1],
  ["FAR_EL1", 0, 6, 0, 0],
  ["ESR_EL1", 0, 5, 2, 0],
  ["CONTEXTIDR_EL1", 0, 13, 0, 1],
  ["CNTV_CVAL_EL0", 3, 14, 3, 2],
  ["SPSR_EL1", 0, 4, 0, 0],
  ["PAR_EL1", 0, 7, 4, 0],
  ["AMAIR_EL1", 0, 10, 3, 0],
  ["AFSR0_EL1", 0, 5, 1, 0],
];
const CPACR_FPEN = [...mov64(9, 3n << 20n), A64.msr(0, 1, 0, 2, 9), 0xd503_3fdf];
const fmovDFromX = (d: number, x: number) => (0x9e67_0000 | (x << 5) | d) >>> 0;
const fmovXFromD = (x: number, d: number) => (0x9e66_0000 | (d << 5) | x) >>> 0;
const secret = (i: number) => 0x5ec0_0000_0000_0000n | BigInt(i);

function secretFiller(): number[] {
  const words = [...CPACR_FPEN];
  SYSREGS.forEach(([, op1, crn, crm, op2], i) =>
    words.push(...mov64(9, secret(100 + i)), A64.msr(op1, crn, crm, op2, 9)),
  );
  for (let d = 0; d < 32; d++) words.push(...mov64(9, secret(200 + d)), fmovDFromX(d, 9));
  for (let r = 2; r <= 30; r++) if (r !== 12) words.push(...mov64(r, secret(r))); // x1, x12: the kit's
  return words;
}

function dumper(): number[] {
  const words = [...CPACR_FPEN];
  for (let r = 2; r <= 30; r++) words.push(A64.strX(r, 1, 0));
  for (const [, op1, crn, crm, op2] of SYSREGS)
    words.push(A64.mrs(9, op1, crn, crm, op2), A64.strX(9, 1, 0));
  for (let d = 0; d < 32; d++) words.push(fmovXFromD(9, d), A64.strX(9, 1, 0));
  return words;
}

async function dump(g: Guest): Promise<bigint[]> {
  const out: bigint[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await g.vcpus[0]!.run();
    assert.ok(r.ok && r.value.reason === "mmio", "the dumper only does MMIO stores");
    if (r.value.reason !== "mmio") break;
    assert.notEqual(r.value.physAddr, BigInt(FAULT_REPORT), "no register access faulted");
    if (r.value.physAddr === BigInt(DONE)) return out;
    out.push(r.value.data);
  }
  assert.fail("the dumper never finished");
}

test("no register state crosses VMs, concurrently or after teardown", async () => {
  const { gunyah } = await openDevice(95);
  const filler = await startGuest(gunyah, kitProgram(secretFiller()));
  const done = await filler.vcpus[0]!.run();
  assert.ok(done.ok && done.value.reason === "mmio" && done.value.physAddr === BigInt(DONE));
  const leaks = (values: bigint[]) =>
    values.filter((v) => v >> 48n === 0x5ec0n).map((v) => v.toString(16));
  const concurrent = await startGuest(gunyah, kitProgram(dumper()));
  const seen = await dump(concurrent);
  assert.equal(seen.length, 29 + SYSREGS.length + 32);
  assert.deepEqual(leaks(seen), []);
  await teardown(filler);
  await teardown(concurrent);
  const after = await startGuest(gunyah, kitProgram(dumper()));
  assert.deepEqual(leaks(await dump(after)), []);
  await teardown(after);
  gunyah.close();
});

test("guest memory handed out again never shows what an earlier guest or VMM wrote", async () => {
  const { gunyah } = await openDevice(96);
  const pattern = 0x5ec5_ec5e_c5ec_5ec5n;
  const first = gunyah.createGuestMem({ size: 2 << 20 });
  assert.ok(first.ok);
  assert.ok(first.value.write(0x10_0000, new Uint8Array(64).fill(0xc5)).ok);
  const body = [...mov64(4, BigInt(0x4018_0000)), ...mov64(2, pattern), A64.strX(2, 4)];
  const g = await startGuest(gunyah, kitProgram(body), { mem: first.value });
  const r = await g.vcpus[0]!.run();
  assert.ok(r.ok);
  await teardown(g);
  first.value.close();
  // Everything the host has is handed out again: none of it may hold the old bytes.
  const size = Math.floor(gunyah.availableMemory / 4096) * 4096;
  const all = gunyah.createGuestMem({ size });
  assert.ok(all.ok, all.ok ? "" : all.error.message);
  const needle = new Uint8Array(new BigUint64Array([pattern]).buffer);
  for (let at = 0; at < size; at += 1 << 20) {
    const chunk: HostResult<Uint8Array> = all.value.read(at, Math.min(1 << 20, size - at));
    assert.ok(chunk.ok);
    assert.equal(
      Buffer.from(chunk.value).indexOf(needle),
      -1,
      `guest data at 0x${at.toString(16)}`,
    );
    assert.equal(
      Buffer.from(chunk.value).indexOf(Buffer.alloc(64, 0xc5)),
      -1,
      `VMM data at 0x${at.toString(16)}`,
    );
  }
  all.value.close();
  gunyah.close();
});

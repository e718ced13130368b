// The QEMU golden records (golden/records.ts) through a whole CPU, under both tiers
// (test/tiers.ts): each record's instruction, followed by SVC #0, sits in its own
// 8-byte slot of user-mode code; the register state is rebuilt from (kind, seed) by
// golden/inputs.ts and written through the debugger's register port, the CPU runs
// the slot, and V0-V31, X0-X30, FPSR and NZCV must equal QEMU's (or the instruction
// be UNDEFINED where QEMU found it so). Under the JIT at threshold 0 every slot is a
// unit of its own, so this holds the JIT's SIMD&FP code (call-outs or native) to QEMU.
//
// Cost: each JIT unit is a WebAssembly module of its own (about 2 ms), so both tiers
// run every STRIDE-th record (default 8, 5,197 of the 41,572; the executors
// themselves see all of them in golden.test.ts). GUNYAH_GOLDEN_STRIDE=2 runs half;
// with 1 (all 41,572, one module each) the JIT pass dies of V8's "Commit wasm code
// space" out-of-memory near 40,000 modules in one process (the JIT's code-cache bound
// counts module bytes, not V8's per-module cost).

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu, type Arm64CpuExt } from "../../../../src/arch/arm64/index.js";
import { flatMemory, type FlatMemory } from "../harness.js";
import { assertRanIn, cpuJit, TIERS, type Tier } from "../../../tiers.js";
import { makeInput } from "./golden/inputs.js";
import { differences, golden, report, type GoldenRecord } from "./golden/records.js";

const STRIDE = Math.max(1, Number(process.env["GUNYAH_GOLDEN_STRIDE"] ?? 8));
const CODE = 0x1_0000;
const SVC0 = 0xd400_0001;
// GDB's AArch64 register numbers (src/arch/arm64/debug-access.ts).
const SP = 31;
const PC = 32;
const CPSR = 33;
const V0 = 34;
const FPSR = 66;
const FPCR = 67;

const sample = golden.filter((_, i) => i % STRIDE === 0);

function loadCode(mem: FlatMemory): void {
  sample.forEach((g, i) => {
    mem.view.setUint32(CODE + 8 * i, g.insn, true);
    mem.view.setUint32(CODE + 8 * i + 4, SVC0, true);
  });
}

function bytesToBig(b: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/** Runs record `i` of the sample in its slot; the differences from QEMU's state. */
function runRecord(cpu: Arm64CpuExt, g: GoldenRecord, i: number): string[] {
  const port = cpu.debugAccess;
  assert.ok(port, "the CPU has a register port");
  const input = makeInput(g.kind, g.seed, g.seed);
  for (let r = 0; r < 31; r++) port.writeRegister(r, input.x[r] ?? 0n);
  for (let r = 0; r < 32; r++) port.writeRegister(V0 + r, bytesToBig(input.v, 16 * r));
  port.writeRegister(SP, 0x8_0000n);
  port.writeRegister(FPCR, BigInt(input.fpcr));
  port.writeRegister(FPSR, 0n);
  port.writeRegister(CPSR, BigInt(input.nzcv >>> 0));
  port.writeRegister(PC, BigInt(CODE + 8 * i));
  const exit = cpu.run(8);
  const undefinedHere = exit.kind === "user-fault" && exit.fault.kind === "undefined";
  if (g.out.s !== 0 || undefinedHere) {
    if ((g.out.s !== 0) === undefinedHere) return [];
    return [`exit ${exit.kind}, QEMU ${g.out.s ? "UNDEFINED" : "executed"}`];
  }
  if (exit.kind !== "svc") return [`exit ${exit.kind} instead of the SVC after the instruction`];
  const v = new Uint8Array(512);
  for (let r = 0; r < 32; r++) {
    const value = port.readRegister(V0 + r) ?? 0n;
    for (let b = 0; b < 16; b++) v[16 * r + b] = Number((value >> BigInt(8 * b)) & 0xffn);
  }
  return differences(g, input, {
    v,
    x: (r) => port.readRegister(r) ?? 0n,
    fpsr: Number(port.readRegister(FPSR) ?? 0n),
    nzcv: Number((port.readRegister(CPSR) ?? 0n) & 0xf000_0000n),
  });
}

function runAll(tier: Tier, records: readonly GoldenRecord[]): void {
  const mem = flatMemory(0, 1 << 20);
  loadCode(mem);
  const cpu = createCpu({ mode: "user", memory: mem, jit: cpuJit(tier) });
  cpu.reset(CODE);
  const slot = new Map(sample.map((g, i) => [g, i]));
  const failed = report(records, (g) => runRecord(cpu, g, slot.get(g) ?? 0));
  assertRanIn(tier, cpu.jitStats, "golden-cpu");
  assert.equal(failed, undefined, `${tier}: ${failed}`);
}

for (const tier of TIERS) {
  test(`golden through the CPU (${tier}): assembled instructions match QEMU`, () => {
    runAll(
      tier,
      sample.filter((g) => g.asm !== undefined),
    );
  });
  test(`golden through the CPU (${tier}): random encodings match QEMU (results and UNDEFINED)`, () => {
    runAll(
      tier,
      sample.filter((g) => g.asm === undefined),
    );
  });
}

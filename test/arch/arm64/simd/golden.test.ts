// Bit-exact comparison with QEMU (golden/golden.json.gz, recorded by golden/record.ts
// under qemu-aarch64 -cpu cortex-a57): the assembled cases of golden/cases.ts across
// FPCR rounding modes, FZ, DN and AHP, and random encodings from every SIMD decode
// row, including whether the encoding is UNDEFINED. All of V0-V31, X0-X30, FPSR and
// NZCV must match. This drives the SIMD executors directly; golden-cpu.test.ts runs
// the same records through a whole CPU under both tiers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { executeSimd } from "../../../../src/arch/arm64/simd/index.js";
import { FakeContext, decodeSimd } from "./fake-context.js";
import { makeInput } from "./golden/inputs.js";
import { differences, golden, report, type GoldenRecord } from "./golden/records.js";

function check(g: GoldenRecord): string[] {
  const input = makeInput(g.kind, g.seed, g.seed);
  const ctx = new FakeContext();
  ctx.vregs.set(input.v);
  input.x.forEach((v, j) => (ctx.x[j] = v));
  ctx.fpcr = input.fpcr;
  ctx.nzcv = input.nzcv;
  const op = decodeSimd(g.insn);
  const executed = op !== undefined && executeSimd(ctx, op, g.insn);
  if (!executed || g.out.s !== 0) {
    return executed === (g.out.s === 0)
      ? []
      : [`executed=${executed}, QEMU ${g.out.s ? "UNDEFINED" : "executed"}`];
  }
  return differences(g, input, {
    v: ctx.vregs,
    x: (r) => ctx.x[r] ?? 0n,
    fpsr: ctx.fpsr,
    nzcv: ctx.nzcv,
  });
}

function runAll(records: readonly GoldenRecord[]): void {
  const failed = report(records, check);
  assert.equal(failed, undefined, failed);
}

test("golden: assembled instructions match QEMU bit for bit", () => {
  runAll(golden.filter((g) => g.asm !== undefined));
});

test("golden: random encodings of every SIMD row match QEMU (results and UNDEFINED)", () => {
  runAll(golden.filter((g) => g.asm === undefined));
});

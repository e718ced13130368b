// Bit-exact comparison with QEMU (golden/golden.json.gz, recorded by golden/record.ts
// under qemu-aarch64 -cpu cortex-a57): the assembled cases of golden/cases.ts across
// FPCR rounding modes, FZ, DN and AHP, and random encodings from every SIMD decode
// row, including whether the encoding is UNDEFINED. All of V0-V31, X0-X30, FPSR and
// NZCV must match.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { executeSimd } from "../../../../src/arch/arm64/simd/index.js";
import { FakeContext, decodeSimd } from "./fake-context.js";
import { makeInput, type InputKind } from "./golden/inputs.js";

interface GoldenRecord {
  asm?: string;
  insn: number;
  kind: InputKind;
  seed: number;
  out: {
    s: number;
    v: Record<string, string>;
    x: Record<string, string>;
    fpsr: number;
    nzcv: number;
  };
}

const golden = JSON.parse(
  gunzipSync(readFileSync(new URL("./golden/golden.json.gz", import.meta.url))).toString("utf8"),
) as GoldenRecord[];

const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

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
  const errors: string[] = [];
  for (let r = 0; r < 32; r++) {
    const want = g.out.v[r] ?? Buffer.from(input.v.subarray(16 * r, 16 * r + 16)).toString("hex");
    const got = Buffer.from(ctx.vregs.subarray(16 * r, 16 * r + 16)).toString("hex");
    if (got !== want) errors.push(`v${r}: got ${got} want ${want}`);
  }
  for (let r = 0; r < 31; r++) {
    const want = g.out.x[r] ?? (input.x[r] ?? 0n).toString(16);
    const got = (ctx.x[r] ?? 0n).toString(16);
    if (got !== want) errors.push(`x${r}: got ${got} want ${want}`);
  }
  if (ctx.fpsr !== g.out.fpsr) errors.push(`fpsr: got ${hex(ctx.fpsr)} want ${hex(g.out.fpsr)}`);
  if (ctx.nzcv !== g.out.nzcv) errors.push(`nzcv: got ${hex(ctx.nzcv)} want ${hex(g.out.nzcv)}`);
  if (errors.length > 0) {
    const inRegs = [0, 1, 2, 3].map((r) =>
      Buffer.from(input.v.subarray(16 * r, 16 * r + 16)).toString("hex"),
    );
    errors.unshift(`fpcr=${hex(input.fpcr)} v0-3 in: ${inRegs.join(" ")}`);
  }
  return errors;
}

function runAll(records: readonly GoldenRecord[]): void {
  const failures = new Map<string, string[]>();
  for (const g of records) {
    const errors = check(g);
    const name = g.asm ?? `insn ${hex(g.insn)}`;
    if (errors.length > 0 && !failures.has(name)) failures.set(name, errors);
  }
  const report = [...failures].map(([asm, e]) => `${asm}\n    ${e.join("\n    ")}`).join("\n");
  assert.equal(failures.size, 0, `${failures.size} differ from QEMU:\n${report}`);
}

test("golden: assembled instructions match QEMU bit for bit", () => {
  runAll(golden.filter((g) => g.asm !== undefined));
});

test("golden: random encodings of every SIMD row match QEMU (results and UNDEFINED)", () => {
  runAll(golden.filter((g) => g.asm === undefined));
});

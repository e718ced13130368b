// Every instruction of golden/cases.ts against the values QEMU produced
// (golden/golden.json, recorded by golden/record.ts): all of V0-V7, X0-X3, FPSR and
// NZCV must match bit for bit, across FPCR rounding modes, FZ and DN.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { executeSimd } from "../../../../src/arch/arm64/simd/index.js";
import { FakeContext, decodeSimd } from "./fake-context.js";

interface Golden {
  asm: string;
  insn: number;
  fpcr: number;
  nzcv: number;
  x: string[];
  v: string;
  out: { v: string; x: string[]; fpsr: number; nzcv: number };
}

const golden = JSON.parse(
  readFileSync(new URL("./golden/golden.json", import.meta.url), "utf8"),
) as Golden[];

function run(g: Golden): string[] {
  const ctx = new FakeContext();
  ctx.vregs.set(Buffer.from(g.v, "hex"));
  g.x.forEach((h, j) => (ctx.x[j] = BigInt("0x" + h)));
  ctx.fpcr = g.fpcr;
  ctx.nzcv = g.nzcv;
  const op = decodeSimd(g.insn);
  if (op === undefined) return [`not decoded`];
  if (!executeSimd(ctx, op, g.insn)) return [`UNDEFINED`];
  const errors: string[] = [];
  const v = Buffer.from(ctx.vregs.subarray(0, 128)).toString("hex");
  for (let r = 0; r < 8; r++) {
    const got = v.slice(32 * r, 32 * r + 32);
    const want = g.out.v.slice(32 * r, 32 * r + 32);
    if (got !== want) errors.push(`v${r}: got ${got} want ${want}`);
  }
  for (let j = 0; j < 4; j++) {
    const got = (ctx.x[j] ?? 0n).toString(16);
    if (got !== g.out.x[j]) errors.push(`x${j}: got ${got} want ${g.out.x[j]}`);
  }
  if (ctx.fpsr !== g.out.fpsr)
    errors.push(`fpsr: got ${ctx.fpsr.toString(16)} want ${g.out.fpsr.toString(16)}`);
  if (ctx.nzcv !== g.out.nzcv)
    errors.push(`nzcv: got ${ctx.nzcv.toString(16)} want ${g.out.nzcv.toString(16)}`);
  return errors;
}

test("golden: every recorded case matches QEMU", () => {
  const failures = new Map<string, string[]>();
  for (const g of golden) {
    const errors = run(g);
    if (errors.length > 0 && !failures.has(g.asm)) {
      failures.set(g.asm, [
        `fpcr=${g.fpcr.toString(16)} in v=${g.v.slice(0, 96)} x=${g.x.join(",")}`,
        ...errors,
      ]);
    }
  }
  const report = [...failures].map(([asm, e]) => `${asm}\n    ${e.join("\n    ")}`).join("\n");
  assert.equal(failures.size, 0, `${failures.size} instructions differ:\n${report}`);
});

// Hostile-input robustness: any instruction word a SIMD row claims, with any register
// state and any FPCR, either executes or reports UNDEFINED; it never throws, never
// touches memory outside V0-V31, and a refused (UNDEFINED) encoding changes nothing.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SIMD_ROWS, executeSimd } from "../../../../src/arch/arm64/simd/index.js";
import { FakeContext, decodeSimd } from "./fake-context.js";

let seed = 0xc0ffee;
function next(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function wordFor(pattern: string): number {
  const p = pattern.replace(/[ _]/g, "");
  let w = next();
  for (let b = 0; b < 32; b++) {
    const ch = p[31 - b];
    if (ch === "0") w &= ~(1 << b);
    if (ch === "1") w |= 1 << b;
  }
  return w >>> 0;
}

test("random encodings of every SIMD row never throw; UNDEFINED leaves state untouched", () => {
  const ctx = new FakeContext();
  const PER_ROW = 1500;
  let undefinedCount = 0;
  for (const row of SIMD_ROWS) {
    for (let k = 0; k < PER_ROW; k++) {
      for (let i = 0; i < 512; i += 4) ctx.vview.setUint32(i, next(), true);
      for (let i = 0; i < 31; i++) ctx.x[i] = (BigInt(next()) << 32n) | BigInt(next());
      ctx.fpcr = (next() & 0x7c00000) >>> 0;
      ctx.fpsr = 0;
      ctx.nzcv = (next() & 0xf0000000) >>> 0;
      const insn = wordFor(row.pattern);
      assert.equal(decodeSimd(insn), row.op, `${row.name} decodes to its own op`);
      const before = ctx.vregs.slice();
      const xBefore = ctx.x.slice();
      const nzcvBefore = ctx.nzcv;
      let ok: boolean;
      try {
        ok = executeSimd(ctx, row.op, insn);
      } catch (e) {
        assert.fail(`${row.name} ${insn.toString(16)} threw ${String(e)}`);
      }
      if (!ok) {
        undefinedCount++;
        assert.deepEqual(ctx.vregs, before, `${insn.toString(16)} UNDEFINED but wrote V`);
        assert.deepEqual(ctx.x, xBefore, `${insn.toString(16)} UNDEFINED but wrote X`);
        assert.equal(ctx.nzcv, nzcvBefore);
        assert.equal(ctx.fpsr, 0);
      }
      assert.equal(ctx.vregs.length, 512);
      assert.ok(
        ctx.fpsr >>> 0 === (ctx.fpsr & 0x0800009f) >>> 0,
        `only FPSR flag bits: ${ctx.fpsr.toString(16)}`,
      );
    }
  }
  assert.ok(undefinedCount > 0 && undefinedCount < SIMD_ROWS.length * PER_ROW);
});

test("op numbers outside the SIMD table are refused", () => {
  const ctx = new FakeContext();
  assert.equal(executeSimd(ctx, 0, 0), false);
  assert.equal(executeSimd(ctx, 0x1fff, 0x4e208400), false);
});

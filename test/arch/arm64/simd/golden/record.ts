// Records golden.json.gz: every case of cases.ts (assembled with aarch64-linux-gnu-as)
// plus random encodings drawn from each SIMD decode row, each run on a register state
// rebuilt from (kind, seed) by inputs.ts, under qemu-aarch64 -cpu cortex-a57 (an
// ARMv8.0 core: FP16 and later extensions are UNDEFINED there, as here). Only the
// outputs that changed are stored.
// Run: node --import tsx test/arch/arm64/simd/golden/record.ts

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SIMD_ROWS } from "../../../../../src/arch/arm64/simd/index.js";
import { CASES } from "./cases.js";
import { STATE_BYTES, encodeState, makeInput, type InputKind } from "./inputs.js";

const here = new URL(".", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "simd-golden-"));
const FUZZ_PER_ROW = 1000;

export interface GoldenRecord {
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

function assemble(lines: readonly string[]): number[] {
  writeFileSync(join(work, "t.s"), lines.map((l) => `  ${l}\n`).join(""));
  execFileSync("aarch64-linux-gnu-as", [
    "-march=armv8-a+crypto",
    "-o",
    join(work, "t.o"),
    join(work, "t.s"),
  ]);
  const bin = join(work, "t.bin");
  execFileSync("aarch64-linux-gnu-objcopy", [
    "-O",
    "binary",
    "-j",
    ".text",
    join(work, "t.o"),
    bin,
  ]);
  const bytes = readFileSync(bin);
  return lines.map((_, k) => bytes.readUInt32LE(4 * k));
}

function fuzzWords(): number[] {
  let s = 0x1234567;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const words: number[] = [];
  for (const row of SIMD_ROWS) {
    const p = row.pattern.replace(/[ _]/g, "");
    for (let k = 0; k < FUZZ_PER_ROW; k++) {
      let w = next();
      for (let b = 0; b < 32; b++) {
        const ch = p[31 - b];
        if (ch === "0") w &= ~(1 << b);
        if (ch === "1") w |= 1 << b;
      }
      words.push(w >>> 0);
    }
  }
  return words;
}

function main(): void {
  const harness = join(work, "harness");
  execFileSync("aarch64-linux-gnu-gcc", ["-O1", "-static", "-o", harness, join(here, "harness.c")]);
  const words = assemble(CASES.map((c) => c.asm));
  const pending: Omit<GoldenRecord, "out">[] = [];
  let seed = 1;
  CASES.forEach((c, k) => {
    for (let j = 0; j < (c.count ?? 6); j++) {
      pending.push({ asm: c.asm, insn: words[k] ?? 0, kind: c.kind, seed: seed++ });
    }
  });
  for (const w of fuzzWords()) pending.push({ insn: w, kind: "m", seed: seed++ });
  // Register aliasing: every assembled case again with Rd = Rn, Rd = Rm, Rn = Rm and
  // all three equal (results must not depend on the order of reads and writes).
  CASES.forEach((c, k) => {
    const w = words[k] ?? 0;
    const rd = w & 31;
    const rn = (w >>> 5) & 31;
    const variants = [
      (w & ~(31 << 5)) | (rd << 5),
      (w & ~(31 << 16)) | (rd << 16),
      (w & ~(31 << 16)) | (rn << 16),
      (w & ~((31 << 5) | (31 << 16))) | (rd << 5) | (rd << 16),
    ];
    for (const v of variants)
      pending.push({ asm: `${c.asm} (aliased)`, insn: v >>> 0, kind: c.kind, seed: seed++ });
  });
  const input = Buffer.concat(
    pending.flatMap((r) => {
      const head = Buffer.alloc(4);
      head.writeUInt32LE(r.insn);
      return [head, encodeState(makeInput(r.kind, r.seed, r.seed))];
    }),
  );
  const output = execFileSync("qemu-aarch64", ["-cpu", "cortex-a57", harness], {
    input,
    maxBuffer: 1 << 30,
  });
  const size = 4 + STATE_BYTES;
  const golden: GoldenRecord[] = pending.map((r, k) => {
    const o = output.subarray(k * size, (k + 1) * size);
    const before = encodeState(makeInput(r.kind, r.seed, r.seed));
    const v: Record<string, string> = {};
    const x: Record<string, string> = {};
    for (let reg = 0; reg < 32; reg++) {
      const a = o.subarray(4 + reg * 16, 4 + reg * 16 + 16);
      if (!a.equals(before.subarray(reg * 16, reg * 16 + 16))) v[reg] = a.toString("hex");
    }
    for (let reg = 0; reg < 31; reg++) {
      const got = o.readBigUInt64LE(4 + 512 + 8 * reg);
      if (got !== before.readBigUInt64LE(512 + 8 * reg)) x[reg] = got.toString(16);
    }
    const s = o.readUInt32LE(0);
    const fpsr = Number(o.readBigUInt64LE(4 + 776));
    const nzcv = Number(o.readBigUInt64LE(4 + 784));
    return { ...r, out: { s, v, x, fpsr, nzcv } };
  });
  const json = JSON.stringify(golden).replace(/\},\{"/g, '},\n{"') + "\n";
  writeFileSync(join(here, "golden.json.gz"), gzipSync(json, { level: 9 }));
  const undef = golden.filter((g) => g.out.s !== 0).length;
  console.log(
    `recorded ${golden.length} records (${undef} UNDEFINED), ${CASES.length} assembled cases`,
  );
}

main();

// Records golden.json: assembles every case of cases.ts, draws its inputs from a
// seeded generator, runs each instruction under qemu-aarch64 (harness.c) and stores
// inputs and outputs. Run: node --import tsx test/arch/arm64/simd/golden/record.ts
// (needs aarch64-linux-gnu-gcc/as/objcopy and qemu-aarch64).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CASES, type CaseSpec } from "./cases.js";

const here = new URL(".", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "simd-golden-"));

let seed = 0x9e3779b9;
function rand32(): number {
  // xorshift32: deterministic inputs for a reproducible golden file
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
const pick = <T>(xs: readonly T[]): T => xs[rand32() % xs.length] as T;
const rand64 = (): bigint => (BigInt(rand32()) << 32n) | BigInt(rand32());

const S_SPECIAL = [
  0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x00000001, 0x007fffff,
  0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345, 0x7fa00000, 0x4b000000,
  0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x5f000000, 0x4f800000, 0xcf000000, 0x3effffff,
  0x4effffff, 0x00400000, 0x01000000, 0x7f000000,
];
const D_SPECIAL = [
  0n,
  0x8000000000000000n,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0x7fefffffffffffffn,
  0x0010000000000000n,
  0x0000000000000001n,
  0x000fffffffffffffn,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0x7ff0000000000001n,
  0xfff8000000abcdefn,
  0x7ff4000000000000n,
  0x4330000000000000n,
  0x3fe0000000000000n,
  0x3ff8000000000000n,
  0x4004000000000000n,
  0xc004000000000000n,
  0x43e0000000000000n,
  0x41f0000000000000n,
  0xc1e0000000000000n,
  0x47efffffe0000000n,
  0x36a0000000000000n,
  0x3810000000000000n,
  0x0008000000000000n,
  0x7fe0000000000000n,
  0x43dfffffffffffffn,
  0x3fefffffffffffffn,
];
const H_SPECIAL = [
  0, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0xfe12,
  0x3800, 0x3e00,
];
const FPCRS = [0, 0x400000, 0x800000, 0xc00000, 0x1000000, 0x2000000, 0x1c00000, 0x3000000];
const INT_EDGE = [
  0n,
  1n,
  0xffffffffffffffffn,
  0x8000000000000000n,
  0x7fffffffffffffffn,
  0x20000000000001n,
  0xffffffffn,
  0x80000000n,
  0x7fffffffn,
  0x1fffffffffffffn,
  0x8000000000000401n,
];

function randomS(): number {
  const r = rand32() % 4;
  if (r === 0) return pick(S_SPECIAL);
  if (r === 1) return rand32();
  // Moderate exponents (values near 1), where most arithmetic happens.
  return (((rand32() & 1) << 31) | ((110 + (rand32() % 40)) << 23) | (rand32() & 0x7fffff)) >>> 0;
}
function randomD(): bigint {
  const r = rand32() % 4;
  if (r === 0) return pick(D_SPECIAL);
  if (r === 1) return rand64();
  const exp = BigInt(1000 + (rand32() % 48));
  return (BigInt(rand32() & 1) << 63n) | (exp << 52n) | (rand64() & 0xfffffffffffffn);
}
function randomH(): number {
  return rand32() % 2 ? pick(H_SPECIAL) : rand32() & 0xffff;
}

function fillRegs(kind: CaseSpec["kind"]): Uint8Array {
  const v = new Uint8Array(128);
  const dv = new DataView(v.buffer);
  for (let off = 0; off < 128;) {
    switch (kind) {
      case "s":
        dv.setUint32(off, randomS(), true);
        off += 4;
        break;
      case "d":
        dv.setBigUint64(off, randomD(), true);
        off += 8;
        break;
      case "h":
        dv.setUint16(off, randomH(), true);
        off += 2;
        break;
      default:
        v[off] = rand32() % 4 === 0 ? pick([0, 1, 0x7f, 0x80, 0xff, 0xfe]) : rand32() & 0xff;
        off += 1;
    }
  }
  if (kind === "d" && rand32() % 3 === 0) {
    // Exact cancellation for FMA: v3 = -(v1 * v2) rounded, lane by lane.
    for (let e = 0; e < 2; e++) {
      const p = dv.getFloat64(16 + 8 * e, true) * dv.getFloat64(32 + 8 * e, true);
      if (Number.isFinite(p)) dv.setFloat64(48 + 8 * e, -p, true);
    }
  }
  if (kind === "s" && rand32() % 3 === 0) {
    for (let e = 0; e < 4; e++) {
      const p = Math.fround(dv.getFloat32(16 + 4 * e, true) * dv.getFloat32(32 + 4 * e, true));
      if (Number.isFinite(p)) dv.setFloat32(48 + 4 * e, -p, true);
    }
  }
  return v;
}

function assemble(lines: readonly string[]): number[] {
  writeFileSync(join(work, "t.s"), lines.map((l) => `  ${l}\n`).join(""));
  execFileSync("aarch64-linux-gnu-as", [
    "-march=armv8-a+crypto",
    "-o",
    join(work, "t.o"),
    join(work, "t.s"),
  ]);
  execFileSync("aarch64-linux-gnu-objcopy", [
    "-O",
    "binary",
    "-j",
    ".text",
    join(work, "t.o"),
    join(work, "t.bin"),
  ]);
  const bin = readFileSync(join(work, "t.bin"));
  return lines.map((_, k) => bin.readUInt32LE(4 * k));
}

interface Record {
  asm: string;
  insn: number;
  fpcr: number;
  nzcv: number;
  x: string[];
  v: string;
  out: { v: string; x: string[]; fpsr: number; nzcv: number };
}

function main(): void {
  execFileSync("aarch64-linux-gnu-gcc", [
    "-O1",
    "-static",
    "-o",
    join(work, "harness"),
    join(here, "harness.c"),
  ]);
  const words = assemble(CASES.map((c) => c.asm));
  const records: Omit<Record, "out">[] = [];
  CASES.forEach((c, k) => {
    const n = c.count ?? 6;
    for (let j = 0; j < n; j++) {
      const x = [0, 1, 2, 3].map(() => (rand32() % 3 === 0 ? pick(INT_EDGE) : rand64()));
      records.push({
        asm: c.asm,
        insn: words[k] ?? 0,
        fpcr: c.kind === "i" ? pick(FPCRS.slice(0, 4)) : (FPCRS[j % FPCRS.length] ?? 0),
        nzcv: ((rand32() & 15) << 28) >>> 0,
        x: x.map((b) => b.toString(16)),
        v: Buffer.from(fillRegs(c.kind)).toString("hex"),
      });
    }
  });
  const input = Buffer.alloc(records.length * 188);
  records.forEach((r, k) => {
    const base = k * 188;
    input.writeUInt32LE(r.insn, base);
    Buffer.from(r.v, "hex").copy(input, base + 4);
    r.x.forEach((h, j) => input.writeBigUInt64LE(BigInt("0x" + h), base + 4 + 128 + 8 * j));
    input.writeBigUInt64LE(BigInt(r.fpcr), base + 4 + 160);
    input.writeBigUInt64LE(BigInt(r.nzcv), base + 4 + 176);
  });
  const output = execFileSync("qemu-aarch64", [join(work, "harness")], {
    input,
    maxBuffer: 1 << 28,
  });
  const golden: Record[] = records.map((r, k) => {
    const o = output.subarray(k * 184, k * 184 + 184);
    return {
      ...r,
      out: {
        v: o.subarray(0, 128).toString("hex"),
        x: [0, 1, 2, 3].map((j) => o.readBigUInt64LE(128 + 8 * j).toString(16)),
        fpsr: Number(o.readBigUInt64LE(168)),
        nzcv: Number(o.readBigUInt64LE(176)),
      },
    };
  });
  writeFileSync(join(here, "golden.json"), JSON.stringify(golden) + "\n");
  console.log(`recorded ${golden.length} cases from ${CASES.length} instructions`);
}

main();

// The JIT's native SIMD&FP code (src/arch/arm64/jit/emit-simd*.ts) against QEMU and the
// interpreter. Every golden record (simd/golden, recorded under qemu-aarch64) whose
// encoding the JIT emits natively runs as a one-instruction unit on a CPU with the JIT
// compiling everything: V0-V31, X0-X30, FPSR and NZCV must equal QEMU's; and the JIT
// must never emit an encoding QEMU found UNDEFINED. Then each of those encodings runs
// on random register states under both tiers, which must agree.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { createCpu } from "../../../src/arch/arm64/index.js";
import type { Cpu } from "../../../src/arch/arm64/cpu.js";
import { planSimd } from "../../../src/arch/arm64/jit/emit-simd.js";
import { decodeSimd } from "./simd/fake-context.js";
import { makeInput, type InputKind, type InputState } from "./simd/golden/inputs.js";
import { flatMemory } from "./harness.js";

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
  gunzipSync(readFileSync(new URL("./simd/golden/golden.json.gz", import.meta.url))).toString(
    "utf8",
  ),
) as GoldenRecord[];

const native = golden.filter((g) => {
  const op = decodeSimd(g.insn);
  return op !== undefined && planSimd(op, g.insn) !== undefined;
});

const BASE = 0x400000;
const SVC = 0xd4000001;

/** A user-mode CPU with the instructions at BASE, each followed by SVC #0. */
function cpuWith(insns: readonly number[], jit: boolean): Cpu {
  const mem = flatMemory(0, 1 << 23);
  const dv = new DataView(mem.bytes.buffer, mem.bytes.byteOffset);
  insns.forEach((insn, i) => {
    dv.setUint32(BASE + 8 * i, insn >>> 0, true);
    dv.setUint32(BASE + 8 * i + 4, SVC, true);
  });
  const cpu = createCpu({ mode: "user", memory: mem, jit: jit ? { threshold: 0 } : false });
  cpu.reset(BASE);
  return cpu as unknown as Cpu;
}

interface Outcome {
  v: string[];
  x: bigint[];
  fpsr: number;
  nzcv: number;
}

/** Runs instruction `i` of the CPU's program from `input`: the state after it. */
function runOne(cpu: Cpu, i: number, input: InputState): Outcome {
  cpu.vregs.set(input.v);
  input.x.forEach((v, j) => cpu.setX(j, v));
  cpu.fpcr = input.fpcr;
  cpu.fpsr = 0;
  cpu.setNzcv(input.nzcv);
  cpu.pc = BASE + 8 * i;
  const exit = cpu.run(10);
  assert.equal(exit.kind, "svc", `instruction ${i} ended with ${exit.kind}`);
  return {
    v: Array.from({ length: 32 }, (_, r) =>
      Buffer.from(cpu.vregs.subarray(16 * r, 16 * r + 16)).toString("hex"),
    ),
    x: Array.from({ length: 31 }, (_, r) => cpu.getX(r)),
    fpsr: cpu.fpsr,
    nzcv: cpu.nzcv >>> 0,
  };
}

const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
const name = (g: GoldenRecord): string => g.asm ?? `insn ${hex(g.insn)}`;

test("jit SIMD: natively emitted encodings cover the hot instruction classes", () => {
  // Enough records of each class reach the JIT (the golden set has thousands per row).
  assert.ok(native.length > 2000, `only ${native.length} golden records are emitted natively`);
});

test("jit SIMD: never emits an encoding QEMU found UNDEFINED", () => {
  const wrong = native.filter((g) => g.out.s !== 0).map(name);
  assert.deepEqual(wrong.slice(0, 20), []);
});

test("jit SIMD: native code matches QEMU's golden records bit for bit", () => {
  const records = native.filter((g) => g.out.s === 0);
  const cpu = cpuWith(
    records.map((g) => g.insn),
    true,
  );
  const before = cpu.jit!.stats.instructions;
  const failures: string[] = [];
  records.forEach((g, i) => {
    const input = makeInput(g.kind, g.seed, g.seed);
    const got = runOne(cpu, i, input);
    const errors: string[] = [];
    for (let r = 0; r < 32; r++) {
      const want = g.out.v[r] ?? Buffer.from(input.v.subarray(16 * r, 16 * r + 16)).toString("hex");
      if (got.v[r] !== want) errors.push(`v${r}: got ${got.v[r]} want ${want}`);
    }
    for (let r = 0; r < 31; r++) {
      const want = g.out.x[r] ?? (input.x[r] ?? 0n).toString(16);
      if (got.x[r]!.toString(16) !== want)
        errors.push(`x${r}: got ${got.x[r]!.toString(16)} want ${want}`);
    }
    if (got.fpsr !== g.out.fpsr) errors.push(`fpsr ${hex(got.fpsr)} want ${hex(g.out.fpsr)}`);
    if (got.nzcv !== g.out.nzcv >>> 0) errors.push(`nzcv ${hex(got.nzcv)} want ${hex(g.out.nzcv)}`);
    if (errors.length > 0 && failures.length < 10)
      failures.push(`${name(g)}: ${errors.join(", ")}`);
  });
  assert.deepEqual(failures, []);
  // The records' instructions ran in compiled code, not in the interpreter (but the
  // first arrival on each code page of 512 records, which the tier interprets).
  const compiled = cpu.jit!.stats.instructions - before;
  const expected = records.length - Math.ceil(records.length / 512);
  assert.ok(compiled >= expected, `${compiled} of ${records.length} in compiled code`);
});

test("jit SIMD: native code and the interpreter agree on random states", () => {
  // One record per distinct encoding, each from states the golden set did not use.
  const seen = new Set<number>();
  const records = native.filter((g) => g.out.s === 0 && !seen.has(g.insn) && seen.add(g.insn));
  const insns = records.map((g) => g.insn);
  const jit = cpuWith(insns, true);
  const interp = cpuWith(insns, false);
  const kinds: InputKind[] = ["i", "s", "d", "m"];
  const failures: string[] = [];
  records.forEach((g, i) => {
    for (let k = 0; k < 4; k++) {
      const input = makeInput(kinds[k]!, g.seed + 7919 * (k + 1), g.seed ^ (k + 1));
      const a = runOne(jit, i, input);
      const b = runOne(interp, i, input);
      const same =
        a.v.every((v, r) => v === b.v[r]) &&
        a.x.every((v, r) => v === b.x[r]) &&
        a.fpsr === b.fpsr &&
        a.nzcv === b.nzcv;
      if (!same && failures.length < 10) failures.push(name(g));
    }
  });
  assert.deepEqual(failures, []);
});

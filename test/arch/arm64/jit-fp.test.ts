// The JIT's native scalar FP arithmetic, compares and conversions (jit/emit-fp.ts)
// against QEMU's golden records (simd/golden, recorded under qemu-aarch64 from FPSR = 0
// and a spread of FPCR values) and against the interpreter. The native code runs only
// while FPSR.IXC is already set (and otherwise calls out), so every record whose
// encoding emit-fp.ts emits is run twice in compiled code: from FPSR = 0 (the call-out
// path) and from FPSR = IXC, where QEMU's answer is the record's FPSR | IXC (the
// cumulative bits only accumulate) and most records take the native path. The
// counts of call-outs show that they did.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { createCpu } from "../../../src/arch/arm64/index.js";
import type { Cpu } from "../../../src/arch/arm64/cpu.js";
import { planFp } from "../../../src/arch/arm64/jit/emit-fp.js";
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

const IXC = 0x10;
const BASE = 0x400000;
const SVC = 0xd4000001;

const records = golden.filter((g) => {
  const op = decodeSimd(g.insn);
  return (
    g.out.s === 0 &&
    op !== undefined &&
    planFp(op, g.insn) !== undefined &&
    planSimd(op, g.insn) !== undefined
  );
});

interface Counted {
  cpu: Cpu;
  callouts: () => number;
}

/** A user-mode CPU with the instructions at BASE, each followed by SVC #0. */
function cpuWith(insns: readonly number[], jit: boolean): Counted {
  const mem = flatMemory(0, 1 << 23);
  const dv = new DataView(mem.bytes.buffer, mem.bytes.byteOffset);
  insns.forEach((insn, i) => {
    dv.setUint32(BASE + 8 * i, insn >>> 0, true);
    dv.setUint32(BASE + 8 * i + 4, SVC, true);
  });
  const cpu = createCpu({ mode: "user", memory: mem, jit: jit ? { threshold: 0 } : false });
  cpu.reset(BASE);
  let calls = 0;
  // Count the tier's call-outs (as test/arch/arm64/bench/callout-counts.ts does).
  const tier = (cpu as unknown as { jit?: { helper: (...a: number[]) => number } }).jit;
  if (tier !== undefined) {
    const helper = tier.helper.bind(tier);
    tier.helper = (...a: number[]) => {
      calls++;
      return helper(...a);
    };
  }
  return { cpu: cpu as unknown as Cpu, callouts: () => calls };
}

interface Outcome {
  v: string[];
  x: bigint[];
  fpsr: number;
  nzcv: number;
}

function runOne(cpu: Cpu, i: number, input: InputState, fpsr: number): Outcome {
  cpu.vregs.set(input.v);
  input.x.forEach((v, j) => cpu.setX(j, v));
  cpu.fpcr = input.fpcr;
  cpu.fpsr = fpsr;
  cpu.setNzcv(input.nzcv);
  cpu.pc = BASE + 8 * i;
  const exit = cpu.run(10);
  assert.equal(exit.kind, "svc", `instruction ${i} ended with ${exit.kind}`);
  return {
    v: Array.from({ length: 32 }, (_, r) =>
      Buffer.from(cpu.vregs.subarray(16 * r, 16 * r + 16)).toString("hex"),
    ),
    x: Array.from({ length: 31 }, (_, r) => cpu.getX(r)),
    fpsr: cpu.fpsr >>> 0,
    nzcv: cpu.nzcv >>> 0,
  };
}

const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
const name = (g: GoldenRecord): string => g.asm ?? `insn ${hex(g.insn)}`;

function mismatches(g: GoldenRecord, input: InputState, got: Outcome, fpsrIn: number): string[] {
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
  const fpsr = (g.out.fpsr | fpsrIn) >>> 0;
  if (got.fpsr !== fpsr) errors.push(`fpsr ${hex(got.fpsr)} want ${hex(fpsr)}`);
  if (got.nzcv !== g.out.nzcv >>> 0) errors.push(`nzcv ${hex(got.nzcv)} want ${hex(g.out.nzcv)}`);
  return errors;
}

const CLASSES = [
  ...["fadd", "fsub", "fmul", "fdiv", "fnmul", "fmax", "fmin", "fmaxnm", "fminnm", "fsqrt"],
  ...["fcmp", "fcmpe", "fcvt", "frintn", "frintp", "frintm", "frintz", "frinti"],
  ...["scvtf", "ucvtf", "fcvtzs", "fcvtzu", "fmadd", "fmsub", "fnmadd", "fnmsub"],
];
const mnemonic = (g: GoldenRecord): string => (g.asm ?? "").split(" ")[0]!;

test("jit FP: the golden set has records of every natively emitted FP class", () => {
  const mnemonics = new Set(records.map(mnemonic));
  for (const m of CLASSES) assert.ok(mnemonics.has(m), `no golden record of ${m}`);
});

for (const fpsrIn of [0, IXC]) {
  test(`jit FP: compiled code from FPSR=${hex(fpsrIn)} matches QEMU's golden records`, () => {
    const { cpu, callouts } = cpuWith(
      records.map((g) => g.insn),
      true,
    );
    const failures: string[] = [];
    const before = cpu.jit!.stats.instructions;
    const nativeBy = new Map<string, number>();
    records.forEach((g, i) => {
      const input = makeInput(g.kind, g.seed, g.seed);
      const calls = callouts();
      const errors = mismatches(g, input, runOne(cpu, i, input, fpsrIn), fpsrIn);
      if (callouts() === calls) nativeBy.set(mnemonic(g), (nativeBy.get(mnemonic(g)) ?? 0) + 1);
      if (errors.length > 0 && failures.length < 10)
        failures.push(`${name(g)}: ${errors.join(", ")}`);
    });
    assert.deepEqual(failures, []);
    const compiled = cpu.jit!.stats.instructions - before;
    assert.ok(compiled >= records.length - Math.ceil(records.length / 512), `${compiled} compiled`);
    if (fpsrIn === IXC) {
      // Records of every class ran natively (the others hit a guard: the golden inputs
      // are mostly NaNs, infinities, zeros, denormals, FZ and directed rounding modes).
      const native = records.length - callouts();
      assert.ok(native > records.length / 5, `${native} of ${records.length} natively`);
      for (const m of CLASSES) assert.ok((nativeBy.get(m) ?? 0) > 0, `no ${m} ran natively`);
    } else {
      // Without IXC only exact operations (compares, min/max, FRINT, widening,
      // 32-bit integer to double, integral FCVTZS) may run natively.
      assert.ok(callouts() < records.length, `${callouts()} call-outs`);
    }
  });
}

test("jit FP: native code and the interpreter agree on random states", () => {
  const seen = new Set<number>();
  const distinct = records.filter((g) => !seen.has(g.insn) && seen.add(g.insn));
  const insns = distinct.map((g) => g.insn);
  const jit = cpuWith(insns, true).cpu;
  const interp = cpuWith(insns, false).cpu;
  const kinds: InputKind[] = ["i", "s", "d", "m"];
  const failures: string[] = [];
  distinct.forEach((g, i) => {
    for (let k = 0; k < 8; k++) {
      const input = makeInput(kinds[k & 3]!, g.seed + 7919 * (k + 1), g.seed ^ (k + 1));
      const fpsr = k < 4 ? IXC : 0;
      const a = runOne(jit, i, input, fpsr);
      const b = runOne(interp, i, input, fpsr);
      const same =
        a.v.every((v, r) => v === b.v[r]) &&
        a.x.every((v, r) => v === b.x[r]) &&
        a.fpsr === b.fpsr &&
        a.nzcv === b.nzcv;
      if (!same && failures.length < 10) failures.push(`${name(g)} (state ${k})`);
    }
  });
  assert.deepEqual(failures, []);
});

/** FMADD Dd/Sd = Da + Dn * Dm encodings (d0 = d1 * d2 + d3), Arm ARM C7.2. */
const FMADD_D = 0x1f420c20;
const FMADD_S = 0x1f020c20;

/**
 * Operands whose fused result lies within a tiny distance of a rounding tie: the
 * product is close to half a unit of the addend's last place, so rounding the
 * product's error term first (what a multiply-add without fusing, or a careless
 * emulation, does) rounds the wrong way about half the time.
 */
function nearTies(single: boolean, count: number): [number, number, number][] {
  const r = (() => {
    let a = 0x2545f491;
    return () => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a / 4294967296;
    };
  })();
  const out: [number, number, number][] = [];
  const round = single ? Math.fround : (x: number) => x;
  while (out.length < count) {
    const a = round(1 + r() * 2 ** -10);
    const b = round(1 / a);
    const scale = 2 ** Math.floor(r() * 60 - 30);
    const bits = single ? 24 : 53;
    const h = (2 ** bits + 2 * Math.floor(r() * 1000) + (r() < 0.5 ? 0 : 1)) * (r() < 0.5 ? 1 : -1);
    out.push([a * scale, b, round(h * scale)]);
  }
  return out;
}

for (const single of [false, true]) {
  test(`jit FP: fused multiply-add near rounding ties (${single ? "single" : "double"}) matches the interpreter`, () => {
    const insn = single ? FMADD_S : FMADD_D;
    const jit = cpuWith([insn], true);
    const interp = cpuWith([insn], false).cpu;
    const failures: string[] = [];
    const cases = nearTies(single, 3000);
    for (const [n, m, a] of cases) {
      const v = new Uint8Array(512);
      const dv = new DataView(v.buffer);
      [n, m, a].forEach((x, i) =>
        single ? dv.setFloat32(16 * (i + 1), x, true) : dv.setFloat64(16 * (i + 1), x, true),
      );
      const input: InputState = { v, x: new Array<bigint>(31).fill(0n), fpcr: 0, nzcv: 0 };
      const got = runOne(jit.cpu, 0, input, IXC);
      const want = runOne(interp, 0, input, IXC);
      if (got.v[0] !== want.v[0] && failures.length < 5)
        failures.push(`${n} * ${m} + ${a}: jit ${got.v[0]} interpreter ${want.v[0]}`);
    }
    assert.deepEqual(failures, []);
    // They ran natively (a few results may be exact zeros or out of range: call-outs).
    assert.ok(jit.callouts() < cases.length / 10, `${jit.callouts()} call-outs`);
  });
}

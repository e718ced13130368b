// The JIT's native exclusives and atomics (jit/emit-atomic.ts) against the interpreter
// where QEMU's user mode cannot go (jit-atomic-qemu.test.ts covers what it can): at EL1
// with the MMU off (every data access Device), random states and sequences with
// misaligned addresses (alignment faults: the unit bails, the interpreter takes them),
// SP-based forms with SP not 16-byte aligned (units bail; SCTLR.SA is clear, so the
// interpreter runs them: a load-exclusive there and its store-exclusive in a unit share
// the monitor), store-exclusives of another size than the load's, monitors cleared by
// SVC (exception entry and ERET) and CLREX, and system instructions that end units in
// between. Every fault goes to a handler that folds ESR and FAR into X25 and returns
// past the instruction. Then two vCPUs on one memory (the monitor sees another vCPU's
// store by its value) and stage-2 read-only pages (the write's abort is the
// interpreter's). Both tiers must leave the same registers, PSTATE, memory, exit and
// instruction count.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assemble,
  withVectors,
  flatMemory,
  haveAssembler,
  SKIP_NO_AS,
  RAM_BASE,
  machine,
} from "./harness.js";
import { createCpu, type Arm64CpuExt } from "../../../src/arch/arm64/index.js";
import { assertRanIn, cpuJit, TIERS, type Tier } from "../../tiers.js";
import { countCallouts, type Counts } from "./bench/callout-counts.js";
import { getDecoder } from "../../../src/arch/arm64/interp.js";
import { rng } from "./rng.js";

const skip = !haveAssembler() && SKIP_NO_AS;

/** The data page (X18 = its middle) and the code's vectors. */
const DATA = RAM_BASE + 0x20000;
const ATOMIC_OPS = new Set([129, 202, 203, 204, 205, 208, 209, 210, 211]);

/**
 * Synchronous exceptions from EL1 (vector 0x200): X25 = ror(X25 ^ ESR, 7) ^ FAR, X26
 * counts them, and the handler returns past a faulting instruction (an SVC's ELR is
 * already past it). The other vectors end the run with HVC 0x100 + their index.
 */
function program(body: string): Uint8Array {
  return withVectors(body, {
    vector: (n) =>
      n === 4
        ? `  mrs x20, esr_el1
  mrs x21, far_el1
  eor x25, x25, x20
  ror x25, x25, #7
  eor x25, x25, x21
  add x26, x26, #1
  mrs x22, elr_el1
  lsr x20, x20, #26
  cmp x20, #0x15
  add x20, x22, #4
  csel x22, x22, x20, eq
  msr elr_el1, x22
  eret`
        : `hvc #${0x100 + n}`,
  });
}

const SIZES = [
  ["b", "w", 1],
  ["h", "w", 2],
  ["", "w", 4],
  ["", "x", 8],
] as const;
const RMW = ["ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin", "swp"];
const ORDER = ["", "a", "l", "al"];

function generator(r: () => number): () => string[] {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const reg = (): number => int(16);
  const other = (...not: number[]): number => {
    let x = reg();
    while (not.includes(x)) x = (x + 1) % 16;
    return x;
  };
  /** X17 = X18 + an offset aligned to `align`, or (one time in eight) not. */
  const at = (align: number): string => {
    const k = int(64) * align + (r() < 0.125 ? 1 + int(align === 1 ? 15 : align - 1) : 0);
    return r() < 0.5 ? `add x17, x18, #${k}` : `sub x17, x18, #${k + align}`;
  };
  let label = 0;
  return () => {
    const [sfx, w, size] = pick(SIZES);
    const t = reg();
    const s = other(t);
    const out: string[] = [];
    switch (int(14)) {
      case 0:
        out.push(at(size), `ld${pick(["", "a"])}xr${sfx} ${w}${t}, [x17]`);
        break;
      case 1:
      case 2: {
        // Often the load-exclusive's own size, sometimes another (never covered).
        const [, sw, ssize] = r() < 0.7 ? [sfx, w, size] : pick(SIZES);
        const ssfx = SIZES.find((z) => z[2] === ssize)![0];
        out.push(`st${pick(["", "l"])}xr${ssfx} w${s}, ${sw}${t}, [x17]`);
        break;
      }
      case 3: {
        const rr = r() < 0.5 ? "x" : "w";
        const t2 = other(t);
        out.push(at(rr === "x" ? 16 : 8));
        if (r() < 0.5) out.push(`ld${pick(["", "a"])}xp ${rr}${t}, ${rr}${t2}, [x17]`);
        else out.push(`st${pick(["", "l"])}xp w${other(t, t2)}, ${rr}${t}, ${rr}${t2}, [x17]`);
        break;
      }
      case 4:
        out.push(at(size), `cas${pick(ORDER)}${sfx} ${w}${s}, ${w}${t}, [x17]`);
        break;
      case 5: {
        const rr = r() < 0.5 ? "x" : "w";
        const ps = 2 * int(8);
        out.push(at(rr === "x" ? 16 : 8), `ldp ${rr}${ps}, ${rr}${ps + 1}, [x17]`);
        const pt = 2 * int(8);
        out.push(
          `casp${pick(ORDER)} ${rr}${ps}, ${rr}${ps + 1}, ${rr}${pt}, ${rr}${pt + 1}, [x17]`,
        );
        break;
      }
      case 6:
      case 7:
        out.push(at(size), `${pick(RMW)}${pick(ORDER)}${sfx} ${w}${s}, ${w}${t}, [x17]`);
        break;
      case 8: {
        // SP-based, SP 4-byte aligned: units bail, the interpreter runs it.
        out.push(`add x17, x18, #${int(64) * 4}`, "mov sp, x17");
        out.push(
          pick([
            `ldxr w${t}, [sp]`,
            `ldadd w${s}, w${t}, [sp]`,
            `stxr w${s}, w${t}, [sp]`,
            `cas w${s}, w${t}, [sp]`,
          ]),
        );
        break;
      }
      case 9:
        out.push("clrex");
        break;
      case 10:
        out.push("svc #0"); // entry and ERET clear the monitor
        break;
      case 11:
        out.push("msr tpidr_el1, x9"); // ends the unit: the interpreter runs it
        break;
      case 12:
        // A plain store to the last address: the same value or another.
        out.push(`ldr${sfx} ${w}9, [x17]`);
        if (r() < 0.5) out.push(`add ${w}9, ${w}9, #1`);
        out.push(`str${sfx} ${w}9, [x17]`);
        break;
      default:
        label++;
        out.push(`b ${label}f`, `${label}:`);
    }
    return out;
  };
}

interface Outcome {
  exit: string;
  state: string;
  retired: number;
  data: string;
}

function outcome(cpu: Arm64CpuExt, exit: unknown, data: Uint8Array): Outcome {
  return {
    exit: JSON.stringify(exit, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v)),
    state: cpu.traceState(),
    retired: cpu.instructionsRetired,
    data: Buffer.from(data).toString("hex"),
  };
}

/** Call-outs of the instructions emit-atomic.ts emits (none may remain), and unit exits at them. */
function atomicCounts(counts: Counts): { callouts: number; exits: number } {
  const decoder = getDecoder();
  const isAtomic = (word: number): boolean => ATOMIC_OPS.has(decoder.decode(word));
  let callouts = 0;
  for (const [word, n] of counts.callouts) if (isAtomic(word)) callouts += n;
  let exits = 0;
  for (const [pc, n] of counts.exits) {
    const word = counts.exitWords.get(pc);
    if (word !== undefined && isAtomic(word)) exits += n;
  }
  return { callouts, exits };
}

function runSequence(tier: Tier, seed: number): Outcome {
  const r = rng(seed);
  const gen = generator(r);
  const init = Array.from({ length: 16 }, () =>
    ((BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32))).toString(16),
  );
  const body = [
    ...init.map((v, i) => `ldr x${i}, =0x${v}`),
    `ldr x18, =${DATA + 0x800}`,
    "mov x17, x18",
    "mov x25, #0",
    "mov x26, #0",
    "b 0f",
    "0:",
    ...Array.from({ length: 60 }, gen).flat(),
  ];
  const m = machine(program(body.join("\n")), { jit: cpuJit(tier) });
  const data = m.mem.bytes.subarray(DATA - RAM_BASE, DATA - RAM_BASE + 4096);
  const fill = rng(seed ^ 0x5a5a);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(fill() * 256);
  // Words equal to what a load-exclusive would read make some CAS succeed too.
  for (let i = 0; i < data.length; i += 64) data[i] = 0;
  const counts = tier === "jit" ? countCallouts(m.cpu) : undefined;
  const exit = m.cpu.run(200_000);
  assertRanIn(tier, m.cpu.jitStats, "jit-atomic");
  if (counts !== undefined)
    assert.equal(atomicCounts(counts).callouts, 0, "no call-outs for atomics");
  return outcome(m.cpu, exit, data);
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(
    `random exclusive/atomic sequence ${seed}: the JIT does what the interpreter does`,
    { skip },
    () => {
      const [interp, jit] = TIERS.map((t) => runSequence(t, seed)) as [Outcome, Outcome];
      assert.equal(jit.exit, interp.exit);
      assert.equal(jit.state, interp.state);
      assert.equal(jit.data, interp.data, "the data page");
      assert.equal(jit.retired, interp.retired, "instructions retired");
      assert.match(interp.exit, /"imm":119/, "ran to the end (hvc #0x77)");
    },
  );
}

/**
 * Two vCPUs on one memory take turns at HVC 1: A's load-exclusive, then B's store of
 * the same value or another, then A's store-exclusive (which succeeds exactly when the
 * value is unchanged: the monitor is value-based, exec/atomic.ts). Each part runs in a
 * unit entered after its TLB is warm.
 */
function twoCpus(
  tier: Tier,
  same: boolean,
): { status: bigint; word: number; callouts: number; exits: number } {
  const mem = flatMemory();
  const a = assemble(`
  ldr x18, =${DATA}
  ldr w9, [x18]
  str w9, [x18]
  b 1f
1:
  ldaxr w1, [x18]
  hvc #1
  add w1, w1, #7
  stlxr w2, w1, [x18]
  hvc #0x77
  .ltorg`);
  const b = assemble(`
  ldr x18, =${DATA}
  ldr w3, [x18]
  str w3, [x18]
  ${same ? "" : "add w3, w3, #1"}
  b 1f
1:
  str w3, [x18]
  hvc #0x77
  .ltorg`);
  mem.bytes.set(a, 0);
  mem.bytes.set(b, 0x1000);
  mem.view.setUint32(DATA - RAM_BASE, 0x1234, true);
  const cpus = [0, 0x1000].map((at) => {
    const cpu = createCpu({ mode: "system", memory: mem, jit: cpuJit(tier) });
    cpu.reset(RAM_BASE + at);
    return cpu;
  }) as [Arm64CpuExt, Arm64CpuExt];
  const counts = tier === "jit" ? cpus.map((c) => countCallouts(c)) : [];
  assert.deepEqual(cpus[0].run(10_000), { kind: "hvc", imm: 1 });
  assert.deepEqual(cpus[1].run(10_000), { kind: "hvc", imm: 0x77 });
  assert.deepEqual(cpus[0].run(10_000), { kind: "hvc", imm: 0x77 });
  for (const cpu of cpus) assertRanIn(tier, cpu.jitStats, "jit-atomic two vCPUs");
  return {
    status: cpus[0].getX(2),
    word: mem.view.getUint32(DATA - RAM_BASE, true),
    callouts: counts.reduce((n, c) => n + atomicCounts(c).callouts, 0),
    exits: counts.reduce((n, c) => n + atomicCounts(c).exits, 0),
  };
}

for (const same of [true, false]) {
  test(
    `another vCPU's store of ${same ? "the same value" : "another value"} between LDAXR and STLXR`,
    { skip },
    () => {
      for (const tier of TIERS) {
        const o = twoCpus(tier, same);
        assert.deepEqual(
          o,
          same
            ? { status: 0n, word: 0x1234 + 7, callouts: 0, exits: 0 }
            : { status: 1n, word: 0x1235, callouts: 0, exits: 0 },
          tier,
        );
      }
    },
  );
}

test("atomics to a stage-2 read-only page: the interpreter's abort in both tiers", { skip }, () => {
  for (const insn of [
    "ldadd w1, w2, [x18]",
    "cas x1, x2, [x18]",
    "swpal w1, w2, [x18]",
    "casp x4, x5, x6, x7, [x18]",
  ]) {
    const [interp, jit] = TIERS.map((tier) => {
      const code = program(`
  ldr x18, =${DATA}
  ldxr x3, [x18]
  mov x1, #1
  ${insn}
  mov x9, #9`);
      const m = machine(code, { jit: cpuJit(tier) });
      m.mem.readOnly.add(DATA / 4096);
      const exit = m.cpu.run(10_000);
      return outcome(m.cpu, exit, m.mem.bytes.subarray(DATA - RAM_BASE, DATA - RAM_BASE + 64));
    }) as [Outcome, Outcome];
    assert.match(interp.exit, /stage2-abort/, insn);
    assert.deepEqual(jit, interp, insn);
  }
});

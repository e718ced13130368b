// Lazy NZCV in the JIT (src/arch/arm64/jit/lazy-flags.ts, flag-liveness.ts): flags
// are computed only where read or where the unit leaves. Two kinds of checks:
//   - differential against qemu-aarch64 under both tiers: random sequences where flag
//     setters are followed by readers, by loads that bail to the interpreter (unaligned
//     LDUR, so the exit happens with flags pending), by call-outs and by other setters,
//     inside counted loops so back edges run compiled with flags pending;
//   - that dead flag computations are really gone: the same unit compiled with lazy
//     and with eager flags (Gen.eagerFlags), the lazy one smaller by the dead setters'
//     code and with no flag computation left in its loop body, both running to the
//     interpreter's state.

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";
import { assemble, flatMemory, haveAssembler, SKIP_NO_AS } from "./harness.js";
import { createCpu } from "../../../src/arch/arm64/index.js";
import { getDecoder } from "../../../src/arch/arm64/interp.js";
import { compileRegion, scanRegion } from "../../../src/arch/arm64/jit/compile.js";
import { Gen } from "../../../src/arch/arm64/jit/gen.js";
import { flagTotals } from "../../../src/arch/arm64/jit/lazy-flags.js";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"];

/** One random line: mostly flag setters and readers, some loads/stores and call-outs. */
function generator(r: () => number): () => string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  return () => {
    const w = r() < 0.4;
    const X = (): string => `${w ? "w" : "x"}${int(16)}`;
    const d = X();
    const n = X();
    const m = X();
    switch (int(16)) {
      case 0:
        // The same register half of the time: equal operands tell HI from HS, GT from GE.
        return `${pick(["adds", "subs"])} ${d}, ${n}, ${r() < 0.5 ? n : m}`;
      case 1:
        return r() < 0.5
          ? `${pick(["cmp", "cmn"])} ${n}, #${int(r() < 0.5 ? 16 : 4096)}`
          : `${pick(["adds", "subs"])} ${d}, ${n}, #${int(r() < 0.5 ? 16 : 4096)}`;
      case 2:
        return `${pick(["cmp", "cmn", "tst"])} ${n}, ${r() < 0.4 ? n : m}`;
      case 3:
        return `${pick(["ands", "bics"])} ${d}, ${n}, ${m}`;
      case 4:
        return w
          ? `adds ${d}, ${n}, w${int(16)}, uxtb #${int(5)}`
          : `subs ${d}, ${n}, w${int(16)}, sxtw #${int(5)}`;
      case 5:
        return `b.${pick(CONDS)} 1f\n  add ${d}, ${n}, #1\n1:`;
      case 6:
        return `${pick(["csel", "csinc", "csneg"])} ${d}, ${n}, ${m}, ${pick(CONDS)}`;
      case 7:
        return `${pick(["ccmp", "ccmn"])} ${n}, ${m}, #${int(16)}, ${pick(CONDS)}`;
      case 8:
        return `${pick(["adc", "adcs", "sbc", "sbcs"])} ${d}, ${n}, ${m}`;
      case 9:
        return `ldur ${d}, [x16, #${int(64) * 2 + 1}]`; // unaligned: natively or a bail (emit-mem.ts)
      case 10:
        return `ldr ${d}, [x16, #${int(60) * 8}]`;
      case 11:
        return `str ${n}, [x16, #${int(60) * 8}]`;
      case 12:
        return `${pick(["rbit", "cls"])} ${d}, ${n}`; // call-outs
      case 13:
        return `cset ${d}, ${pick(CONDS)}`;
      case 14:
        return `neg${pick(["s", ""])} ${d}, ${m}`;
      default:
        return `add ${d}, ${n}, ${m}`;
    }
  };
}

/** Lines in counted loops (x20 counts, outside the compared registers). */
function program(r: () => number): string[] {
  const gen = generator(r);
  const lines: string[] = [];
  for (let chunk = 0; chunk < 6; chunk++) {
    const body = Array.from({ length: 6 + Math.floor(r() * 10) }, gen);
    if (r() < 0.6)
      lines.push(
        `mov x20, #${2 + Math.floor(r() * 5)}`,
        "2:",
        ...body,
        "subs x20, x20, #1",
        "b.ne 2b",
      );
    else lines.push(...body);
  }
  return lines;
}

function randomValue(r: () => number): bigint {
  const kind = Math.floor(r() * 4);
  const raw = (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  if (kind === 0) return BigInt(Math.floor(r() * 16)); // equal to small immediates
  if (kind === 1) return (1n << 64n) - BigInt(1 + Math.floor(r() * 16));
  if (kind === 2) return (1n << 63n) ^ BigInt(Math.floor(r() * 3));
  return raw;
}

for (const seed of [11, 12, 13, 14, 15, 16]) {
  test(
    `flag setters, readers, bails and loops (seed ${seed}) match qemu under both tiers`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const r = rng(seed);
      const init = Array.from({ length: 16 }, () => randomValue(r));
      const nzcv = (Math.floor(r() * 16) << 28) >>> 0;
      const lines = program(r);
      const result = diffProgram(init, nzcv, lines.join("\n"), true);
      if (!result.same) assert.fail(firstDivergence(init, nzcv, lines, true));
    },
  );
}

// Every condition after every lazy setter form, on operands where they differ: equal
// operands (HI vs HS, GT vs GE), signed and unsigned boundaries, carries out of bit 31
// and 63. Each CSET reads the condition straight from the setter's operands (the
// flags are pending), B.cond too; results are hashed into X3-X9, X12 and X13; NZCV is
// compared at the end. One program per setter form, against qemu under both tiers.
const EDGE_VALUES = [
  0n,
  1n,
  2n,
  0x7fffffffn,
  0x80000000n,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
];
const SETTERS = [
  "cmp x1, x2",
  "cmn x1, x2",
  "tst x1, x2",
  "adds x0, x1, x2",
  "ands x0, x1, x2",
  "subs x0, x1, w2, sxtw",
  "cmp w1, w2",
  "cmn w1, w2",
  "tst w1, w2",
  "adds w0, w1, w2",
  "cmp x1, #1",
  "cmn w1, #1",
];

function conditionProgram(setter: string): string {
  const lines = ["mov x10, #31"];
  for (const a of EDGE_VALUES)
    for (const b of EDGE_VALUES) {
      lines.push(`ldr x1, =0x${a.toString(16)}`, `ldr x2, =0x${b.toString(16)}`, setter);
      CONDS.forEach((c, i) =>
        lines.push(`cset x11, ${c}`, `madd x${3 + (i >> 1)}, x${3 + (i >> 1)}, x10, x11`),
      );
      for (const c of ["al", "nv"]) lines.push(`csel x11, x1, x2, ${c}`, "madd x13, x13, x10, x11");
      for (const c of ["hi", "ge", "gt", "ls"])
        lines.push(`b.${c} 1f`, "add x12, x12, #1", "1:", "lsl x12, x12, #1");
    }
  return lines.join("\n");
}

for (const setter of SETTERS) {
  test(
    `every condition after "${setter}" on edge operands matches qemu under both tiers`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const init = Array.from({ length: 16 }, () => 0n);
      const result = diffProgram(init, 0, conditionProgram(setter), false);
      assert.ok(result.same, `differs under ${result.differing.join(", ")}`);
    },
  );
}

// A loop whose first three setters are dead (each overwritten by the next before any
// read or exit), then TST + B.EQ (reads Z only), on odd counts an unaligned load that
// crosses a page, so it bails with the CMN's flags pending, and MRS NZCV after the loop to compare.
const LOOP = `
  mov x3, #50
  adr x4, buf
1:adds x0, x0, #3
  subs x1, x1, x0
  ands x2, x2, #0xff0
  tst x3, #1
  b.eq 2f
  cmn x0, x1
  ldur x5, [x4, #-4]
2:subs x3, x3, #1
  b.ne 1b
  mrs x9, nzcv
  svc #0
  .balign 4096
buf: .fill 4, 8, 0x0123456789abcdef
`;

/** LOOP with its three dead setters as the plain ADD, SUB, AND (no flags at all). */
const LOOP_NO_DEAD = LOOP.replace("adds x0", "add x0")
  .replace("subs x1", "sub x1")
  .replace("ands x2", "and x2");

function compileLoop(
  source: string,
  eager: boolean,
): { bytes: number; inBody: number; setters: number } {
  const code = assemble(source);
  const words = new Int32Array(1024);
  const ops = new Uint16Array(1024);
  const decoder = getDecoder();
  new Int32Array(code.buffer, code.byteOffset, code.byteLength >> 2).forEach((w, i) => {
    words[i] = w;
    ops[i] = decoder.decode(w);
  });
  const before = { ...flagTotals };
  Gen.eagerFlags = eager;
  try {
    // Entered at the loop's first instruction (word 2), as the tier would when it is hot.
    const f = compileRegion(words, ops, scanRegion(words, ops, 2));
    return {
      bytes: f.body.length,
      inBody: flagTotals.inBody - before.inBody,
      setters: flagTotals.setters - before.setters,
    };
  } finally {
    Gen.eagerFlags = false;
  }
}

test(
  "lazy flags remove dead flag computations from a unit",
  { skip: !haveAssembler() && SKIP_NO_AS },
  () => {
    const lazy = compileLoop(LOOP, false);
    assert.equal(lazy.setters, 6, "adds, subs, ands, tst, cmn, subs are lazy setters");
    // Nothing is materialized in the body: B.EQ reads Z from the TST's result, the back
    // edge and the fall-through lead to blocks that set before reading; only the
    // epilogue computes NZCV (when the unit leaves: the bail before LDUR, the loop end).
    assert.equal(lazy.inBody, 0);
    // The three dead setters cost the lazy unit only their `fk` writes and keeping the
    // result (a few bytes each); with eager flags each costs an NZCV computation.
    const lazyDead = lazy.bytes - compileLoop(LOOP_NO_DEAD, false).bytes;
    const eagerDead = compileLoop(LOOP, true).bytes - compileLoop(LOOP_NO_DEAD, true).bytes;
    const what = `three dead setters cost ${lazyDead} bytes lazily, ${eagerDead} eagerly`;
    assert.ok(lazyDead <= 3 * 8, what);
    assert.ok(eagerDead >= 3 * 28, what);
  },
);

/** Runs LOOP in user mode (Normal memory: the unaligned LDUR is allowed) up to its SVC. */
function runLoop(jit: false | { threshold: number }, eager: boolean): bigint[] {
  Gen.eagerFlags = eager;
  try {
    const mem = flatMemory(0, 1 << 23);
    mem.bytes.set(assemble(LOOP), 0x400000);
    const cpu = createCpu({ mode: "user", memory: mem, jit });
    cpu.reset(0x400000);
    cpu.setSp(0x800000n);
    assert.equal(cpu.run(100_000).kind, "svc");
    if (jit) {
      const stats = cpu.jitStats;
      assert.ok(stats !== undefined && stats.instructions > 100, "ran compiled");
      assert.ok(stats.exits.interpret >= 25, "bailed before the LDURs");
    }
    return [0, 1, 2, 3, 5, 9].map((i) => cpu.getX(i));
  } finally {
    Gen.eagerFlags = false;
  }
}

test(
  "the loop with dead and pending flags ends in the interpreter's state under both flag modes",
  { skip: !haveAssembler() && SKIP_NO_AS },
  () => {
    const reference = runLoop(false, false);
    assert.deepEqual(runLoop({ threshold: 0 }, false), reference);
    assert.deepEqual(runLoop({ threshold: 0 }, true), reference);
  },
);

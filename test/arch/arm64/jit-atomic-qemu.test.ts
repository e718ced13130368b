// The JIT's native exclusives, LSE atomics and CLREX (jit/emit-atomic.ts) against
// qemu-aarch64: random sequences of LDXR/STXR (all sizes, acquire/release forms) that
// succeed, that fail because the monitor covers another address, was cleared (CLREX, a
// failed or successful store-exclusive) or the value changed under it (a plain store in
// between), LDXP/STXP, CAS and CASP (equal and not), LDADD ... LDUMIN, SWP and the ST*
// aliases, at addresses in both pages of the scratch buffer. Each sequence starts after
// accesses that fill the TLB and a branch (a unit's entry), so under the JIT tier it runs
// as compiled code; registers and the buffer must equal QEMU's under both tiers
// (qemu.ts), and the JIT run must neither call the interpreter for any of these
// instructions nor leave a unit at one.

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU, type CpuObserver } from "./qemu.js";
import { countCallouts, type Counts } from "./bench/callout-counts.js";
import { getDecoder } from "../../../src/arch/arm64/interp.js";
import { rng } from "./rng.js";

const SIZES = [
  ["b", "w", 1],
  ["h", "w", 2],
  ["", "w", 4],
  ["", "x", 8],
] as const;
const RMW = ["ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin"];
const ORDER = ["", "a", "l", "al"];
/** Ops of emit-atomic.ts (decode/ops.ts): CLREX, STXR ... SWP but LDAR/STLR. */
const ATOMIC_OPS = new Set([129, 202, 203, 204, 205, 208, 209, 210, 211]);

function generator(r: () => number): () => string[] {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const reg = (): number => int(16);
  const other = (...not: number[]): number => {
    let x = reg();
    while (not.includes(x)) x = (x + 1) % 16;
    return x;
  };
  /** X18 = an address aligned to `align` in either page of the buffer (X16 +- 256). */
  const at = (align: number, to = "x18"): string => {
    const k = int(256 / align) * align;
    return r() < 0.5 ? `add ${to}, x16, #${k}` : `sub ${to}, x16, #${k + align}`;
  };
  let label = 0;
  return () => {
    const [sfx, w, size] = pick(SIZES);
    const t = reg();
    const s = other(t);
    const lx = `ld${pick(["", "a"])}xr${sfx}`;
    const sx = `st${pick(["", "l"])}xr${sfx}`;
    const out: string[] = [];
    switch (int(11)) {
      case 0: // succeeds
        out.push(at(size), `${lx} ${w}${t}, [x18]`, `add ${w}${t}, ${w}${t}, #3`);
        out.push(`${sx} w${s}, ${w}${t}, [x18]`);
        break;
      case 1: // another address: fails, and clears the monitor
        out.push(at(size), `${lx} ${w}${t}, [x18]`, at(size, "x17"));
        out.push(`${sx} w${s}, ${w}${t}, [x17]`, `${sx} w${other(s, t)}, ${w}${t}, [x18]`);
        break;
      case 2: // cleared by CLREX, or by the store-exclusive before
        out.push(at(size), `${lx} ${w}${t}, [x18]`);
        if (r() < 0.5) out.push("clrex");
        else out.push(`${sx} w${s}, ${w}${t}, [x18]`);
        out.push(`${sx} w${other(s, t)}, ${w}${s}, [x18]`);
        break;
      case 3: {
        // A plain store between: the value changed (fails) or not (succeeds).
        const same = r() < 0.5;
        out.push(at(size), `${lx} ${w}${t}, [x18]`);
        out.push(`${same ? "mov" : "add"} ${w}17, ${w}${t}${same ? "" : ", #1"}`);
        out.push(`str${sfx} ${w}17, [x18]`, `${sx} w${s}, ${w}${other(s)}, [x18]`);
        break;
      }
      case 4: {
        const wide = r() < 0.5;
        const rr = wide ? "x" : "w";
        const t2 = other(t);
        const st = other(t, t2);
        out.push(at(wide ? 16 : 8), `ld${pick(["", "a"])}xp ${rr}${t}, ${rr}${t2}, [x18]`);
        if (r() < 0.8) out.push(`add ${rr}${t}, ${rr}${t}, #5`);
        // The second half changed under the monitor: the store-exclusive fails.
        if (r() < 0.3)
          out.push(`add ${rr}17, ${rr}${t2}, #1`, `str ${rr}17, [x18, #${wide ? 8 : 4}]`);
        out.push(`st${pick(["", "l"])}xp w${st}, ${rr}${t2}, ${rr}${t}, [x18]`);
        break;
      }
      case 5: {
        // CAS: Rs often loaded from memory first, so that it compares equal.
        out.push(at(size));
        if (r() < 0.5) out.push(`ldr${sfx} ${w}${s}, [x18]`);
        out.push(`cas${pick(ORDER)}${sfx} ${w}${s}, ${w}${t}, [x18]`);
        break;
      }
      case 6: {
        const wide = r() < 0.5;
        const rr = wide ? "x" : "w";
        const ps = 2 * int(8);
        const pt = 2 * int(8);
        out.push(at(wide ? 16 : 8));
        if (r() < 0.5) out.push(`ldp ${rr}${ps}, ${rr}${ps + 1}, [x18]`);
        out.push(
          `casp${pick(ORDER)} ${rr}${ps}, ${rr}${ps + 1}, ${rr}${pt}, ${rr}${pt + 1}, [x18]`,
        );
        break;
      }
      case 7:
      case 8: {
        const op = pick(RMW);
        out.push(at(size));
        if (r() < 0.3) out.push(`st${op.slice(2)}${pick(["", "l"])}${sfx} ${w}${s}, [x18]`);
        else out.push(`${op}${pick(ORDER)}${sfx} ${w}${s}, ${w}${t}, [x18]`);
        break;
      }
      case 9:
        out.push(at(size), `swp${pick(ORDER)}${sfx} ${w}${s}, ${w}${t}, [x18]`);
        break;
      default: // a store-exclusive with whatever the monitor holds
        out.push(at(size), `${sx} w${s}, ${w}${t}, [x18]`);
    }
    // Branches now and then: a bail would leave the unit, the next label re-enters one.
    if (r() < 0.3) {
      label++;
      out.push(`b ${label}f`, `${label}:`);
    }
    return out;
  };
}

/** Call-outs and unit exits at the instructions emit-atomic.ts handles. */
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

for (const seed of [41, 42, 43, 44, 45, 46]) {
  test(
    `JIT: exclusive and atomic sequence ${seed} run as compiled code matches qemu`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const gen = generator(rng(seed));
      const init = Array.from(
        { length: 16 },
        (_, i) => BigInt(i) * 0x0102030405060708n + 0x1122334455667788n,
      );
      const lines = [
        // Both buffer pages in the read and write TLBs, then a unit's entry.
        "ldr x9, [x16]",
        "str x9, [x16]",
        "ldr x9, [x16, #-8]",
        "str x9, [x16, #-8]",
        "b 0f",
        "0:",
        ...Array.from({ length: 60 }, gen).flat(),
      ];
      let counts: Counts | undefined;
      const observe: CpuObserver = (cpu, tier) => {
        if (tier === "jit") counts = countCallouts(cpu);
      };
      const result = diffProgram(init, 0, lines.join("\n"), true, observe);
      if (!result.same) assert.fail(firstDivergence(init, 0, lines, true));
      const n = atomicCounts(counts!);
      assert.deepEqual(n, { callouts: 0, exits: 0 }, "run natively in units");
    },
  );
}

// The JIT's native SIMD&FP loads and stores (jit/emit-simd-mem.ts) against qemu-aarch64:
// random straight-line sequences of LDR/STR/LDUR/STUR B/H/S/D/Q (unsigned offset,
// unscaled, pre/post-index, register offsets with LSL/SXTW), LDP/STP S/D/Q (offset,
// pre/post-index), misaligned addresses included, and the FP moves and vector ops the
// JIT emits natively in between. Each sequence starts after an access to the buffer
// (which fills the TLB) and a branch (a unit's entry), so under the JIT tier it runs
// as compiled code rather than in the interpreter after a first TLB miss; V0-V7,
// X0-X15 and the buffer must equal QEMU's under both tiers (qemu.ts).

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";
import { rng } from "./rng.js";

const SIZES = [
  ["b", 1],
  ["h", 2],
  ["s", 4],
  ["d", 8],
  ["q", 16],
] as const;

/** One instruction (with its set-up) at a time; x16 is the middle of a 1 KiB buffer. */
function generator(r: () => number): () => string[] {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const v = (): number => int(8);
  return () => {
    const [reg, size] = pick(SIZES);
    const op = pick(["ldr", "str"]);
    switch (int(7)) {
      case 0:
        return [`${op} ${reg}${v()}, [x16, #${int(256 / size) * size}]`];
      case 1: // any alignment
        return [`${op === "ldr" ? "ldur" : "stur"} ${reg}${v()}, [x16, #${int(480) - 256}]`];
      case 2: {
        const pre = r() < 0.5;
        const imm = int(128) - 64;
        const mode = pre ? `[x18, #${imm}]!` : `[x18], #${imm}`;
        return [
          `add x18, x16, #${int(256)}`,
          `${op} ${reg}${v()}, ${mode}`,
          `sub x${int(8)}, x18, x16`,
        ];
      }
      case 3: {
        const scaled = size > 1 && r() < 0.5 ? `, lsl #${Math.log2(size)}` : "";
        if (r() < 0.5) return [`mov x17, #${int(16)}`, `${op} ${reg}${v()}, [x16, x17${scaled}]`];
        const sx = size > 1 && r() < 0.5 ? ` #${Math.log2(size)}` : "";
        return [`mov w17, #-${int(16)}`, `${op} ${reg}${v()}, [x16, w17, sxtw${sx}]`];
      }
      case 4:
      case 5: {
        const [preg, psize] = pick(SIZES.slice(2));
        const pop = pick(["ldp", "stp"]);
        const a = v();
        const b = (a + 1 + int(7)) % 8;
        const off = (int(16) - 8) * psize;
        if (r() < 0.5) return [`${pop} ${preg}${a}, ${preg}${b}, [x16, #${off}]`];
        const mode = r() < 0.5 ? `[x18, #${off}]!` : `[x18], #${off}`;
        return [
          `add x18, x16, #${int(200)}`,
          `${pop} ${preg}${a}, ${preg}${b}, ${mode}`,
          `sub x${int(8)}, x18, x16`,
        ];
      }
      default:
        return [
          pick([
            `fmov w${int(8)}, s${v()}`,
            `fmov s${v()}, w${int(8)}`,
            `fmov d${v()}, x${int(8)}`,
            `eor v${v()}.8b, v${v()}.8b, v${v()}.8b`,
            `add v${v()}.4s, v${v()}.4s, v${v()}.4s`,
            `ushr v${v()}.2s, v${v()}.2s, #${1 + int(32)}`,
            `mov v${v()}.s[${int(4)}], w${int(8)}`,
            `umov w${int(8)}, v${v()}.h[${int(8)}]`,
          ]),
        ];
    }
  };
}

for (const seed of [31, 32, 33, 34, 35, 36]) {
  test(
    `JIT: SIMD&FP load/store sequence ${seed} run as compiled code matches qemu`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const r = rng(seed);
      const gen = generator(r);
      const init = Array.from({ length: 16 }, (_, i) => BigInt(i) * 0x0123456789abcdefn);
      const lines = [
        "ldr x9, [x16]",
        "str x9, [x16]",
        "b 1f",
        "1:",
        ...Array.from({ length: 40 }, gen).flat(),
      ];
      const result = diffProgram(init, 0, lines.join("\n"), true);
      if (!result.same) assert.fail(firstDivergence(init, 0, lines, true));
    },
  );
}

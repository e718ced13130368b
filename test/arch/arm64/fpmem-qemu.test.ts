// Random SIMD&FP loads and stores (LDR/STR B/H/S/D/Q in every mode, LDP/STP S/D/Q,
// LD1-LD4/ST1-ST4 multiple and single structure, LD1R-LD4R, post-index by immediate and
// register), differential against qemu-aarch64. V0-V7 and the buffer are compared,
// under both CPU tiers (qemu.ts).

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";
import { rng } from "./rng.js";

const SCALARS = [
  ["b", 1],
  ["h", 2],
  ["s", 4],
  ["d", 8],
  ["q", 16],
] as const;
const ARR = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"];
const LANE = [
  ["b", 1, 16],
  ["h", 2, 8],
  ["s", 4, 4],
  ["d", 8, 2],
] as const;

function generator(r: () => number): () => string[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const list = (count: number, arr: string): string => {
    const first = int(9 - count);
    return `{${Array.from({ length: count }, (_, k) => `v${first + k}.${arr}`).join(", ")}}`;
  };
  const base = (): string => `add x18, x16, #${int(32) * 16}`;
  // Multiple-structure transfers also start misaligned, and just below X16 (a page
  // boundary) so that they cross it: the one-page path must step aside for those.
  const structBase = (): string => {
    const c = r();
    if (c < 0.2) return `sub x18, x16, #${1 + int(64)}`;
    return `add x18, x16, #${int(28) * 16 + (c < 0.45 ? 1 + int(15) : 0)}`;
  };
  const post = (bytes: number): string => (r() < 0.5 ? `, #${bytes}` : `, x${17}`);
  return () => {
    switch (int(8)) {
      case 0: {
        const [reg, size] = pick(SCALARS);
        const mode = int(4);
        const t = `${reg}${int(8)}`;
        const op = pick(["ldr", "str"]);
        if (mode === 0) return [`${op} ${t}, [x16, #${int(32) * size}]`];
        if (mode === 1)
          return [`${op === "ldr" ? "ldur" : "stur"} ${t}, [x16, #${int(256) - 128}]`];
        if (mode === 2)
          return [base(), `${op} ${t}, [x18, #${int(32) - 16}]!`, `sub x${int(16)}, x18, x16`];
        const sh = size === 1 ? "" : r() < 0.5 ? `, lsl #${Math.log2(size)}` : "";
        return [`mov x17, #${int(16)}`, `${op} ${t}, [x16, x17${sh}]`];
      }
      case 1: {
        const [reg, size] = pick(SCALARS.slice(2));
        const op = pick(["ldp", "stp", "ldnp", "stnp"]);
        const a = int(8);
        let b = int(8);
        if (b === a) b = (a + 1) % 8;
        const off = (int(16) - 8) * size;
        if (op.endsWith("np") || r() < 0.5) return [`${op} ${reg}${a}, ${reg}${b}, [x16, #${off}]`];
        return [
          base(),
          `${op} ${reg}${a}, ${reg}${b}, [x18], #${off}`,
          `sub x${int(16)}, x18, x16`,
        ];
      }
      case 2:
      case 3: {
        const count = 1 + int(4);
        const arr = pick(ARR);
        const bytes =
          (arr.startsWith("16") ||
          arr.startsWith("8h") ||
          arr.startsWith("4s") ||
          arr.startsWith("2d")
            ? 16
            : 8) * count;
        const op = `${pick(["ld", "st"])}1`;
        const p = r() < 0.5;
        return [
          structBase(),
          `mov x17, #${int(64)}`,
          `${op} ${list(count, arr)}, [x18]${p ? post(bytes) : ""}`,
          `sub x${int(16)}, x18, x16`,
        ];
      }
      case 4: {
        const n = 2 + int(3);
        const arr = pick(ARR.filter((a) => a !== "1d"));
        const q = ["16b", "8h", "4s", "2d"].includes(arr);
        const bytes = (q ? 16 : 8) * n;
        const op = `${pick(["ld", "st"])}${n}`;
        return [
          structBase(),
          `mov x17, #${int(64)}`,
          `${op} ${list(n, arr)}, [x18]${r() < 0.5 ? post(bytes) : ""}`,
          `sub x${int(16)}, x18, x16`,
        ];
      }
      case 5:
      case 6: {
        const n = 1 + int(4);
        const [suffix, size, lanes] = pick(LANE);
        const first = int(9 - n);
        const regs = Array.from({ length: n }, (_, k) => `v${first + k}.${suffix}`).join(", ");
        const op = `${pick(["ld", "st"])}${n}`;
        return [
          base(),
          `mov x17, #${int(64)}`,
          `${op} {${regs}}[${int(lanes)}], [x18]${r() < 0.5 ? post(n * size) : ""}`,
          `sub x${int(16)}, x18, x16`,
        ];
      }
      default: {
        const n = 1 + int(4);
        const arr = pick(ARR);
        const esize = arr.endsWith("b") ? 1 : arr.endsWith("h") ? 2 : arr.endsWith("s") ? 4 : 8;
        return [
          base(),
          `mov x17, #${int(64)}`,
          `ld${n}r ${list(n, arr)}, [x18]${r() < 0.5 ? post(n * esize) : ""}`,
          `sub x${int(16)}, x18, x16`,
        ];
      }
    }
  };
}

for (const seed of [21, 22, 23, 24, 25, 26]) {
  test(
    `SIMD&FP load/store sequence ${seed} matches qemu under both CPU tiers`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const r = rng(seed);
      const gen = generator(r);
      const init = Array.from({ length: 16 }, (_, i) => BigInt(i) * 0x0101010101010101n);
      const lines = Array.from({ length: 60 }, gen).flat();
      const result = diffProgram(init, 0, lines.join("\n"), true);
      if (!result.same) assert.fail(firstDivergence(init, 0, lines, true));
    },
  );
}

// Random load/store sequences (every integer addressing mode, pairs, exclusives, LSE
// atomics), differential against qemu-aarch64. X16 points into a scratch buffer that is
// compared after the run; writeback forms use X18, which is copied into a compared
// register after each of them. Both CPU tiers run every sequence (qemu.ts). Misaligned
// accesses come from the unscaled offsets and from accesses just below X16, which in
// our run is a page boundary, so many of those also cross pages.

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";
import { rng } from "./rng.js";

const LOADS = [
  ["ldrb", "w", 1],
  ["ldrh", "w", 2],
  ["ldr", "w", 4],
  ["ldr", "x", 8],
  ["ldrsb", "w", 1],
  ["ldrsb", "x", 1],
  ["ldrsh", "w", 2],
  ["ldrsh", "x", 2],
  ["ldrsw", "x", 4],
] as const;
const STORES = [
  ["strb", "w", 1],
  ["strh", "w", 2],
  ["str", "w", 4],
  ["str", "x", 8],
] as const;
const ATOMICS = ["ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin", "swp"];
const ORDER = ["", "a", "l", "al"];
const SUFFIX = [
  ["b", "w", 1],
  ["h", "w", 2],
  ["", "w", 4],
  ["", "x", 8],
] as const;

function generator(r: () => number): () => string[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const reg = (): number => int(16);
  return () => {
    switch (int(14)) {
      case 0: {
        const [mn, w, size] = pick(LOADS);
        const unscaled = r() < 0.5;
        const off = unscaled ? int(512) - 256 : int(63) * size;
        const name = unscaled ? mn.replace("ldr", "ldur") : mn;
        return [`${name} ${w}${reg()}, [x16, #${off}]`];
      }
      case 1: {
        const [mn, w, size] = pick(STORES);
        const unscaled = r() < 0.5;
        const off = unscaled ? int(512) - 256 : int(63) * size;
        const name = unscaled ? mn.replace("str", "stur") : mn;
        return [`${name} ${w}${reg()}, [x16, #${off}]`];
      }
      case 2: {
        const [mn, w] = pick([...LOADS, ...STORES]);
        const d = reg();
        const pre = r() < 0.5;
        const imm = int(64) - 32;
        const body = pre ? `[x18, #${imm}]!` : `[x18], #${imm}`;
        return [`add x18, x16, #${int(256)}`, `${mn} ${w}${d}, ${body}`, `sub x${reg()}, x18, x16`];
      }
      case 3: {
        const [mn, w, size] = pick([...LOADS, ...STORES]);
        const k = int(32);
        const shift = r() < 0.5 ? `, lsl #${Math.log2(size)}` : "";
        if (r() < 0.5) return [`mov x17, #${k}`, `${mn} ${w}${reg()}, [x16, x17${shift}]`];
        return [
          `mov x17, #-${k}`,
          `${mn} ${w}${reg()}, [x16, w17, sxtw${shift.replace(", lsl", "")}]`,
        ];
      }
      case 4: {
        const wide = r() < 0.5;
        const size = wide ? 8 : 4;
        const mn = pick(["ldp", "stp", "ldnp", "stnp", ...(wide ? [] : ["ldpsw"])]);
        const rr = wide || mn === "ldpsw" ? "x" : "w";
        let a = reg();
        let b = reg();
        if (mn.startsWith("ld") && a === b) b = (a + 1) % 16;
        const off = (int(32) - 16) * size;
        if (mn.endsWith("np") || r() < 0.5) return [`${mn} ${rr}${a}, ${rr}${b}, [x16, #${off}]`];
        if (mn.startsWith("ld") && a === 18) a = 0;
        const pre = r() < 0.5;
        const body = pre ? `[x18, #${off}]!` : `[x18], #${off}`;
        return [
          `add x18, x16, #${int(64) * 8}`,
          `${mn} ${rr}${a}, ${rr}${b}, ${body}`,
          `sub x${reg()}, x18, x16`,
        ];
      }
      case 5:
      case 6: {
        const [sfx, w, size] = pick(SUFFIX);
        const op = pick(ATOMICS);
        if (op !== "swp" && r() < 0.3) {
          // ST<op> aliases: Rt = XZR, no register result (release orderings only).
          const st = `st${op.slice(2)}${pick(["", "l"])}${sfx}`;
          return [`add x18, x16, #${int(64) * size}`, `${st} ${w}${reg()}, [x18]`];
        }
        const name = `${op}${pick(ORDER)}${sfx}`;
        return [`add x18, x16, #${int(64) * size}`, `${name} ${w}${reg()}, ${w}${reg()}, [x18]`];
      }
      case 7: {
        const [sfx, w, size] = pick(SUFFIX);
        return [
          `add x18, x16, #${int(64) * size}`,
          `cas${pick(ORDER)}${sfx} ${w}${reg()}, ${w}${reg()}, [x18]`,
        ];
      }
      case 8: {
        const w = r() < 0.5 ? "w" : "x";
        const s = 2 * int(8);
        const t = 2 * int(8);
        return [
          `add x18, x16, #${int(32) * 16}`,
          `casp${pick(ORDER)} ${w}${s}, ${w}${s + 1}, ${w}${t}, ${w}${t + 1}, [x18]`,
        ];
      }
      case 9: {
        const [sfx, w, size] = pick(SUFFIX);
        const a = pick(["", "a"]);
        const l = pick(["", "l"]);
        const t = reg();
        let st = reg();
        if (st === t) st = (t + 1) % 16;
        return [
          `add x18, x16, #${int(64) * size}`,
          `ld${a}xr${sfx} ${w}${t}, [x18]`,
          `add ${w}${t}, ${w}${t}, #1`,
          `st${l}xr${sfx} w${st}, ${w}${t}, [x18]`,
        ];
      }
      case 10: {
        const [sfx, w, size] = pick(SUFFIX);
        return [
          `add x18, x16, #${int(64) * size}`,
          `${pick(["ldar", "stlr"])}${sfx} ${w}${reg()}, [x18]`,
        ];
      }
      case 12: {
        // Prefetches: no architectural effect, whatever the address.
        const hint = pick(["pldl1keep", "pstl1strm", "pldl2keep", "pstl1keep"]);
        return [
          pick([
            `prfm ${hint}, [x16, #${int(64) * 8}]`,
            `prfum ${hint}, [x16, #${int(512) - 256}]`,
            `prfm ${hint}, [x16, x${reg()}]`,
          ]),
        ];
      }
      case 11: {
        // Just below X16, which is a page boundary in our run (qemu.ts): misaligned
        // accesses, many of them crossing into the next page.
        const below = 1 + int(15);
        if (r() < 0.4) {
          const wide = r() < 0.5;
          const rr = wide ? "x" : "w";
          const mn = pick(["ldp", "stp"]);
          const a = reg();
          let b = reg();
          if (mn === "ldp" && a === b) b = (a + 1) % 16;
          return [`sub x18, x16, #${below}`, `${mn} ${rr}${a}, ${rr}${b}, [x18]`];
        }
        const [mn, w] = pick([...LOADS, ...STORES]);
        return [`sub x18, x16, #${below}`, `${mn} ${w}${reg()}, [x18]`];
      }
      default: {
        const wide = r() < 0.5;
        const t = reg();
        let t2 = reg();
        if (t2 === t) t2 = (t + 1) % 16;
        const w = wide ? "x" : "w";
        return [
          `add x18, x16, #${int(32) * 16}`,
          `ldxp ${w}${t}, ${w}${t2}, [x18]`,
          `stxp w17, ${w}${t2}, ${w}${t}, [x18]`,
          `mov x${reg()}, x17`,
        ];
      }
    }
  };
}

for (const seed of [11, 12, 13, 14, 15, 16]) {
  test(
    `load/store sequence ${seed} matches qemu under both CPU tiers`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const r = rng(seed);
      const gen = generator(r);
      const init = Array.from(
        { length: 16 },
        (_, i) => BigInt(i) * 0x0102030405060708n + 0x1122334455667788n,
      );
      const lines = Array.from({ length: 80 }, gen).flat();
      const result = diffProgram(init, 0, lines.join("\n"), true);
      if (!result.same) assert.fail(firstDivergence(init, 0, lines, true));
    },
  );
}

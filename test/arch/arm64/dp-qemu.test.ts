// Random data-processing sequences, differential against qemu-aarch64 (C6.2 integer
// instructions: every shift, extend, width and flag-setting form). Seeds are fixed, so
// a failure is reproducible; the message names the first diverging instruction and
// the CPU tier (qemu.ts runs both on every sequence).

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";
import { rng } from "./rng.js";

const SHIFTS = ["lsl", "lsr", "asr"];
const EXTENDS = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"];
const CONDS = [
  "eq",
  "ne",
  "cs",
  "cc",
  "mi",
  "pl",
  "vs",
  "vc",
  "hi",
  "ls",
  "ge",
  "lt",
  "gt",
  "le",
  "al",
];
const BITMASKS64 = [
  "0xff",
  "0xff00ff00ff00ff00",
  "0x5555555555555555",
  "0x7ffffffffffffffe",
  "0xfffffffffffff000",
  "0x3c3c3c3c3c3c3c3c",
  "0x8000000000000000",
  "0x1",
];
const BITMASKS32 = [
  "0xff",
  "0xff00ff00",
  "0x55555555",
  "0x7ffffffe",
  "0xfffff000",
  "0x3c3c3c3c",
  "0x80000000",
  "0x1",
];

function generator(r: () => number): () => string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  return () => {
    const w = r() < 0.4;
    const X = (): string => `${w ? "w" : "x"}${int(16)}`;
    const bits = w ? 32 : 64;
    const d = X();
    const n = X();
    const m = X();
    switch (int(34)) {
      case 0:
        return `${pick(["add", "adds", "sub", "subs"])} ${d}, ${n}, ${m}, ${pick(SHIFTS)} #${int(bits)}`;
      case 1:
        return `${pick(["add", "adds", "sub", "subs"])} ${d}, ${n}, #${int(4096)}${r() < 0.3 ? ", lsl #12" : ""}`;
      case 2:
        return `${pick(["and", "orr", "eor", "ands", "bic", "orn", "eon", "bics"])} ${d}, ${n}, ${m}, ${pick([...SHIFTS, "ror"])} #${int(bits)}`;
      case 3:
        return `${pick(["and", "orr", "eor", "ands"])} ${d}, ${n}, #${pick(w ? BITMASKS32 : BITMASKS64)}`;
      case 4:
        return `${pick(["movz", "movn", "movk"])} ${d}, #${int(65536)}, lsl #${16 * int(w ? 2 : 4)}`;
      case 5: {
        const lsb = int(bits);
        const width = 1 + int(bits - lsb);
        return `${pick(["ubfx", "sbfx", "bfi", "bfxil", "ubfiz", "sbfiz"])} ${d}, ${n}, #${lsb}, #${width}`;
      }
      case 6:
        return `${pick(["lsl", "lsr", "asr", "ror"])} ${d}, ${n}, #${int(bits)}`;
      case 7:
        return w
          ? `${pick(["sxtb", "sxth", "uxtb", "uxth"])} ${d}, w${int(16)}`
          : `${pick(["sxtb", "sxth", "sxtw"])} ${d}, w${int(16)}`;
      case 8:
        return `extr ${d}, ${n}, ${m}, #${int(bits)}`;
      case 9:
        return `${pick(["adc", "adcs", "sbc", "sbcs"])} ${d}, ${n}, ${m}`;
      case 10:
        return `${pick(["ccmp", "ccmn"])} ${n}, ${m}, #${int(16)}, ${pick(CONDS)}`;
      case 11:
        return `${pick(["ccmp", "ccmn"])} ${n}, #${int(32)}, #${int(16)}, ${pick(CONDS)}`;
      case 12:
        return `${pick(["csel", "csinc", "csinv", "csneg"])} ${d}, ${n}, ${m}, ${pick(CONDS)}`;
      case 13:
        return `${pick(["madd", "msub"])} ${d}, ${n}, ${m}, ${X()}`;
      case 14:
        return `${pick(["smaddl", "smsubl", "umaddl", "umsubl"])} x${int(16)}, w${int(16)}, w${int(16)}, x${int(16)}`;
      case 15:
        return `${pick(["smulh", "umulh"])} x${int(16)}, x${int(16)}, x${int(16)}`;
      case 16:
        return `${pick(["udiv", "sdiv"])} ${d}, ${n}, ${m}`;
      case 17:
        return `${pick(["lslv", "lsrv", "asrv", "rorv"])} ${d}, ${n}, ${m}`;
      case 18:
        return `${pick(["crc32b", "crc32h", "crc32w", "crc32cb", "crc32ch", "crc32cw"])} w${int(16)}, w${int(16)}, w${int(16)}`;
      case 19:
        return `${pick(["crc32x", "crc32cx"])} w${int(16)}, w${int(16)}, x${int(16)}`;
      case 20:
        return `${pick(["rbit", "rev16", "rev", "clz", "cls"])} ${d}, ${n}`;
      case 21:
        return `rev32 x${int(16)}, x${int(16)}`;
      case 22: {
        const ext = pick(EXTENDS);
        const src = ext.endsWith("x") ? `x${int(16)}` : `w${int(16)}`;
        return w
          ? `${pick(["add", "adds", "sub", "subs"])} ${d}, ${n}, w${int(16)}, ${pick(EXTENDS.filter((e) => !e.endsWith("x")))} #${int(5)}`
          : `${pick(["add", "adds", "sub", "subs"])} ${d}, ${n}, ${src}, ${ext} #${int(5)}`;
      }
      case 23:
        return `${pick(["neg", "negs", "mvn"])} ${d}, ${m}`;
      case 24:
        return `${pick(["cset", "csetm"])} ${d}, ${pick(CONDS.slice(0, 14))}`;
      case 25:
        return `${pick(["cmp", "cmn", "tst"])} ${n}, ${m}`;
      case 26:
        return `${pick(["ngc", "ngcs"])} ${d}, ${m}`;
      case 27:
        return `${pick(["mul", "mneg"])} ${d}, ${n}, ${m}`;
      case 28:
        return `${pick(["cinc", "cinv", "cneg"])} ${d}, ${n}, ${pick(CONDS.slice(0, 14))}`;
      case 30:
        return `b.${pick(CONDS)} 1f\n  add ${d}, ${n}, #1\n1:`;
      case 31:
        return `${pick(["cbz", "cbnz"])} ${n}, 1f\n  eor ${d}, ${d}, #1\n1:`;
      case 32:
        return `${pick(["tbz", "tbnz"])} ${n}, #${int(bits)}, 1f\n  sub ${d}, ${d}, #3\n1:`;
      case 33:
        return `adr x17, 1f\n  ${pick(["br", "blr"])} x17\n  mov ${d}, #7\n1:`;
      default:
        return `${pick(["smull", "umull", "smnegl", "umnegl"])} x${int(16)}, w${int(16)}, w${int(16)}`;
    }
  };
}

function randomValue(r: () => number): bigint {
  const kind = Math.floor(r() * 5);
  const raw = (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  if (kind === 0) return BigInt(Math.floor(r() * 16));
  if (kind === 1) return (1n << 64n) - BigInt(1 + Math.floor(r() * 16));
  if (kind === 2) return raw & 0xffffffffn;
  if (kind === 3) return (1n << 63n) ^ BigInt(Math.floor(r() * 3));
  return raw;
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

for (const seed of SEEDS) {
  test(
    `data processing sequence ${seed} matches qemu under both CPU tiers`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const r = rng(seed);
      const gen = generator(r);
      const init = Array.from({ length: 16 }, () => randomValue(r));
      const nzcv = (Math.floor(r() * 16) << 28) >>> 0;
      const lines = Array.from({ length: 150 }, gen);
      const result = diffProgram(init, nzcv, lines.join("\n"));
      if (!result.same) assert.fail(firstDivergence(init, nzcv, lines));
    },
  );
}

// RBIT, REV16, REV32 and REV of W and X registers (jit/emit-rev.ts) on random values,
// against qemu-aarch64 under both CPU tiers (qemu.ts). The random data-processing
// sequences (dp-qemu) meet them too rarely to catch a wrong mask in one lane.

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";

const FORMS = [
  (d: number, n: number) => `rbit x${d}, x${n}`,
  (d: number, n: number) => `rbit w${d}, w${n}`,
  (d: number, n: number) => `rev16 x${d}, x${n}`,
  (d: number, n: number) => `rev16 w${d}, w${n}`,
  (d: number, n: number) => `rev32 x${d}, x${n}`,
  (d: number, n: number) => `rev w${d}, w${n}`,
  (d: number, n: number) => `rev x${d}, x${n}`,
];

test(
  "byte and bit reversals match qemu under both CPU tiers",
  { skip: !haveQemu() && SKIP_NO_QEMU },
  () => {
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const init = Array.from({ length: 16 }, () => (BigInt(next()) << 32n) | BigInt(next()));
    // Every form once from each source register into another, then chained at random.
    const lines: string[] = [];
    FORMS.forEach((form, i) => {
      for (let n = 0; n < 16; n += 3) lines.push(form((n + i + 1) % 16, n));
    });
    for (let i = 0; i < 40; i++)
      lines.push(FORMS[next() % FORMS.length]!(next() % 16, next() % 16));
    const result = diffProgram(init, 0, lines.join("\n"));
    if (!result.same) assert.fail(firstDivergence(init, 0, lines));
  },
);

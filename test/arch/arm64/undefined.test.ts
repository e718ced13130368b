// Random instruction words outside the FP/AdvSIMD data-processing space: every word we
// execute must be one that binutils (which knows every extension) can disassemble,
// except the documented CONSTRAINED UNPREDICTABLE choices that QEMU shares (should-be-
// one Rs/Rt2 fields of exclusives and LDAR/STLR ignored; LDPSW with Rt == Rt2 executes).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCpu } from "../../../src/arch/arm64/index.js";
import { flatMemory, haveAssembler, SKIP_NO_AS } from "./harness.js";

function words(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  const out: number[] = [];
  while (out.length < n) {
    const w = (((next() & 0xffff) << 16) | (next() & 0xffff)) >>> 0;
    if (((w >>> 25) & 7) !== 7) out.push(w); // skip the SIMD group's data processing
  }
  return out;
}

/** True if one instruction word raises UNDEFINED on a user-mode CPU. */
function undefinedOnOurs(word: number): boolean {
  const mem = flatMemory(0, 1 << 22);
  const cpu = createCpu({ mode: "user", memory: mem });
  mem.view.setUint32(0x100000, word, true);
  cpu.reset(0x100000);
  for (let r = 0; r < 31; r++) cpu.setX(r, 0x200000n);
  cpu.setSp(0x200000n);
  const e = cpu.run(1);
  return e.kind === "user-fault" && e.fault.kind === "undefined";
}

function objdumpUndefined(ws: number[]): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), "a64u-"));
  try {
    writeFileSync(join(dir, "w.s"), ws.map((w) => `.inst 0x${w.toString(16)}`).join("\n") + "\n");
    execFileSync("aarch64-linux-gnu-as", ["-o", join(dir, "w.o"), join(dir, "w.s")]);
    const dis = execFileSync("aarch64-linux-gnu-objdump", ["-d", join(dir, "w.o")], {
      maxBuffer: 1 << 26,
    }).toString();
    const byWord = new Map<number, boolean>();
    for (const l of dis.split("\n")) {
      const m = /^\s+[0-9a-f]+:\t([0-9a-f]{8})\s+(.*)$/.exec(l);
      if (m) byWord.set(parseInt(m[1]!, 16) >>> 0, /undefined/.test(m[2]!));
    }
    return ws.map((w) => byWord.get(w) ?? true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Encodings where we (like QEMU) execute what binutils calls undefined. */
function knownChoice(w: number): boolean {
  if ((w & 0x3f000000) === 0x08000000) return true; // exclusives, LDAR/STLR: SBO fields
  if ((w & 0xfe400000) === 0x68400000 && (w & 31) === ((w >>> 10) & 31)) return true; // LDPSW Rt == Rt2
  return false;
}

test(
  "nothing outside the architecture executes (random words vs binutils)",
  { skip: !haveAssembler() && SKIP_NO_AS },
  () => {
    const ws = words(4000, 20261121);
    const ref = objdumpUndefined(ws);
    const wrong = ws.filter((w, i) => ref[i] && !undefinedOnOurs(w) && !knownChoice(w));
    assert.deepEqual(
      wrong.map((w) => w.toString(16)),
      [],
    );
  },
);

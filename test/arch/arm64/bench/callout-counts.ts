// Counting a JIT tier's call-outs (by instruction word) and its units' exits to the
// interpreter (by PC), and the histogram of call-outs by mnemonic (objdump), for the
// measurement tools callouts.ts (a user program) and linux-boot.ts (GUNYAH_CALLOUTS=1).
// Not part of `npm test`; it wraps the tier's private helper and dispatch methods.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

type Helper = (insn: number, op: number, pc: number) => number;
interface Tier {
  helper: Helper;
  dispatch: (cpu: { pc: number }, budget: number) => number;
  interpretNext: boolean;
}

export interface Counts {
  /** Call-outs by instruction word. */
  readonly callouts: Map<number, number>;
  /** Units' exits to the interpreter by PC. */
  readonly exits: Map<number, number>;
}

/** Starts counting on `cpu`'s JIT tier (throws when it has none). */
export function countCallouts(cpu: unknown): Counts {
  const tier = (cpu as { jit?: Tier }).jit;
  if (tier === undefined) throw new Error("the JIT tier is off: run with GUNYAH_JIT=1");
  const counts: Counts = { callouts: new Map(), exits: new Map() };
  const helper = tier.helper.bind(tier);
  tier.helper = (insn, op, pc) => {
    counts.callouts.set(insn, (counts.callouts.get(insn) ?? 0) + 1);
    return helper(insn, op, pc);
  };
  const dispatch = tier.dispatch.bind(tier);
  tier.dispatch = (state, budget) => {
    const n = dispatch(state, budget);
    if (tier.interpretNext) counts.exits.set(state.pc, (counts.exits.get(state.pc) ?? 0) + 1);
    return n;
  };
  return counts;
}

/** objdump's text for each word, by word. */
function disassemble(words: readonly number[]): Map<number, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callouts-"));
  const file = path.join(dir, "w.bin");
  const buf = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => buf.writeInt32LE(w, i * 4));
  fs.writeFileSync(file, buf);
  const r = spawnSync("aarch64-linux-gnu-objdump", ["-D", "-b", "binary", "-m", "aarch64", file]);
  fs.rmSync(dir, { recursive: true, force: true });
  const out = new Map<number, string>();
  for (const line of r.stdout.toString().split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+[0-9a-f]{8}\s+(.*)$/.exec(line);
    if (!m) continue;
    const w = words[parseInt(m[1]!, 16) / 4];
    if (w !== undefined) out.set(w, m[2]!.replace(/\s*\/\/.*$/, ""));
  }
  return out;
}

/** Mnemonic and operand shapes, register numbers and immediates erased. */
function shape(text: string): string {
  return text
    .replace(/\b([vqdsbhwx])\d+/g, "$1")
    .replace(/#-?(0x)?[0-9a-f.e+-]+/g, "#i")
    .replace(/\s+/g, " ")
    .trim();
}

/** Prints the `top` call-out groups by mnemonic; returns the total. */
export function printCallouts(callouts: Map<number, number>, top = 40): number {
  const text = disassemble([...callouts.keys()]);
  const groups = new Map<string, number>();
  let total = 0;
  for (const [w, n] of callouts) {
    const key = shape(text.get(w) ?? `?${(w >>> 0).toString(16)}`);
    groups.set(key, (groups.get(key) ?? 0) + n);
    total += n;
  }
  console.log(`call-outs ${total}`);
  for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${String(n).padStart(10)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);
  return total;
}

// Counting a JIT tier's call-outs (by instruction word) and its units' exits to the
// interpreter (by PC), and the histogram of call-outs by mnemonic (objdump), for the
// measurement tools callouts.ts (a user program) and linux-boot.ts (GUNYAH_CALLOUTS=1).
// Not part of `npm test`; it wraps the tier's private helper and dispatch methods.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CpuState } from "../../../../src/arch/arm64/state.js";
import { probeFetch } from "../../../../src/arch/arm64/interp.js";
import { FILLED } from "../../../../src/arch/arm64/jit/tlb-fill.js";

type Helper = (insn: number, op: number, pc: number) => number;
interface Tier {
  excepted: boolean;
  helper: Helper;
  enter: (cpu: CpuState, budget: number) => number;
  interpretNext: boolean;
}

export interface Counts {
  /** Call-outs by instruction word. */
  readonly callouts: Map<number, number>;
  /** Exits to the interpreter for one instruction (a unit's bail or no unit can start there), by PC. */
  readonly exits: Map<number, number>;
  /** The instruction word at each exit PC (when its page was mapped for execution). */
  readonly exitWords: Map<number, number>;
  /** Why integer loads/stores exited: misaligned, page-crossing, TLB miss, other. */
  readonly memCauses: Map<string, number>;
  /** TLB misses of compiled loads/stores the helper was asked to fill (jit/tlb-fill.ts), and filled. */
  readonly fills: { asked: number; filled: number };
}

/** Starts counting on `cpu`'s JIT tier (throws when it has none). */
export function countCallouts(cpu: unknown): Counts {
  const tier = (cpu as { jit?: Tier }).jit;
  if (tier === undefined) throw new Error("the JIT tier is off: run with GUNYAH_JIT=1");
  const counts: Counts = {
    callouts: new Map(),
    exits: new Map(),
    exitWords: new Map(),
    memCauses: new Map(),
    fills: { asked: 0, filled: 0 },
  };
  const helper = tier.helper.bind(tier);
  tier.helper = (insn, op, pc) => {
    if (op < 0) {
      // A TLB fill (insn, pc: the address), not an instruction.
      const answer = helper(insn, op, pc);
      counts.fills.asked++;
      if (answer === FILLED) counts.fills.filled++;
      return answer;
    }
    counts.callouts.set(insn, (counts.callouts.get(insn) ?? 0) + 1);
    return helper(insn, op, pc);
  };
  const enter = tier.enter.bind(tier);
  tier.enter = (state, budget) => {
    const n = enter(state, budget);
    if (tier.interpretNext && !tier.excepted) {
      const pc = state.pc;
      const seen = counts.exits.get(pc);
      counts.exits.set(pc, (seen ?? 0) + 1);
      // The fetch page the interpreter selects next anyway.
      if (probeFetch(state as never)) {
        const w = (pc - state.fetchBase) >> 2;
        const insn = state.fetchView.getInt32(state.fetchAdd + w * 4, true);
        if (seen === undefined) counts.exitWords.set(pc, insn);
        const cause = memCause(state, state.fetchOps[w]!, insn);
        if (cause !== undefined)
          counts.memCauses.set(cause, (counts.memCauses.get(cause) ?? 0) + 1);
      }
    }
    return n;
  };
  return counts;
}

/** Xn (SP for 31 when `sp`) as a number (exact for canonical VAs). */
function xreg(cpu: CpuState, r: number, sp: boolean): number {
  if (r === 31 && !sp) return 0;
  return cpu.xh[r === 31 ? 32 : r]! * 4294967296 + (cpu.xl[r === 31 ? 32 : r]! >>> 0);
}

/**
 * Why an integer LDR/STR/LDP/STP (the forms jit/emit-mem.ts runs) left its unit: its
 * address misaligned, crossing a page, missing the TLB, or something else (Device
 * page, SP alignment, a page outside the arena).
 */
function memCause(cpu: CpuState, op: number, insn: number): string | undefined {
  if (op < 35 || op > 42) return undefined;
  const rn = (insn >>> 5) & 31;
  let size = insn >>> 30;
  let span = 1 << size;
  let load: boolean;
  let addr = xreg(cpu, rn, true);
  if (op === 37 || op === 38) {
    load = op === 37;
    size = insn >>> 30 === 2 ? 3 : 2;
    span = 2 << size;
    if (((insn >>> 23) & 3) !== 1) addr += ((insn << 10) >> 25) << size;
  } else if (op <= 36) {
    load = op === 35;
    addr += ((insn >>> 10) & 0xfff) << size;
  } else if (op <= 40) {
    load = op === 39;
    if (((insn >>> 10) & 3) !== 1) addr += (insn << 11) >> 23;
  } else {
    load = op === 41;
    const option = (insn >>> 13) & 7;
    const rm = (insn >>> 16) & 31;
    let off =
      option === 3 || option === 7 ? xreg(cpu, rm, false) : xreg(cpu, rm, false) % 4294967296;
    if (option === 6 && off >= 2147483648) off -= 4294967296;
    if (option === 3 || option === 7) off = Number(BigInt.asIntN(64, BigInt(off)));
    addr += (insn & 0x1000) !== 0 ? off * (1 << size) : off;
  }
  const lo = Number(BigInt.asIntN(32, BigInt(addr)));
  const hi = Number(BigInt.asIntN(32, BigInt(Math.floor(addr / 4294967296))));
  const side = load ? "load" : "store";
  if ((lo & 0xfff) + span > 4096) return `${side} page-crossing`;
  const mem = (
    cpu as unknown as {
      mem: { rBase: number; wBase: number; tagLo: Int32Array; tagHi: Int32Array };
    }
  ).mem;
  const i = (load ? mem.rBase : mem.wBase) | ((lo >>> 12) & 1023);
  const hit = mem.tagLo[i] === (lo & -4096) && mem.tagHi[i] === hi;
  if (!hit) return `${side} TLB miss`;
  if ((lo & ((1 << size) - 1)) !== 0) return `${side} misaligned`;
  return `${side} other (Device/MMIO, SP, not in the arena)`;
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

/** Prints the `top` exit PCs with their instructions, and the exits grouped by mnemonic. */
export function printExits(counts: Counts, top = 40): void {
  const text = disassemble([...new Set(counts.exitWords.values())]);
  const byShape = new Map<string, number>();
  let total = 0;
  for (const [pc, n] of counts.exits) {
    const w = counts.exitWords.get(pc);
    const key = w === undefined ? "?" : shape(text.get(w) ?? `?${(w >>> 0).toString(16)}`);
    byShape.set(key, (byShape.get(key) ?? 0) + n);
    total += n;
  }
  console.log(`exits to the interpreter ${total}`);
  const { asked, filled } = counts.fills;
  console.log(`${String(filled).padStart(10)}  TLB misses filled in units (of ${asked} asked)`);
  for (const [k, n] of [...counts.memCauses].sort((a, b) => b[1] - a[1]))
    console.log(`${String(n).padStart(10)}  integer ${k}`);
  for (const [k, n] of [...byShape].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${String(n).padStart(10)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log("by PC:");
  for (const [pc, n] of [...counts.exits].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const w = counts.exitWords.get(pc);
    const t = w === undefined ? "?" : (text.get(w) ?? "?");
    console.log(`${String(n).padStart(10)}  ${BigInt.asUintN(64, BigInt(pc)).toString(16)}  ${t}`);
  }
}

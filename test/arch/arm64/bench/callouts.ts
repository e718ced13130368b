// Which instructions compiled units still run through the interpreter (call-outs,
// jit/emit-callout.ts), by mnemonic and arrangement (not part of `npm test`):
//   GUNYAH_JIT=1 node --import tsx test/arch/arm64/bench/callouts.ts <program> [args...]
// Runs the static AArch64 program under `gunyah exec` with the JIT tier on, counts each
// call-out by instruction word (the tier's helper is wrapped), then disassembles the
// distinct words with aarch64-linux-gnu-objdump and groups them by mnemonic with the
// register numbers erased (e.g. "add v.4s, v.4s, v.4s"). Prints the top 40 and the
// total, so the JIT's next native emitters can be chosen by measurement. Then the
// units' exits to the interpreter (a TLB miss, a misaligned access, an instruction no
// unit runs) by PC, with objdump's disassembly of the program at that PC.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultCpuFactory, execProgram } from "../../../../src/exec/index.js";
import type { CpuOptions } from "../../../../src/arch/arm64/index.js";

type Helper = (insn: number, op: number, pc: number) => number;
interface Tier {
  helper: Helper;
  dispatch: (cpu: { pc: number }, budget: number) => number;
  interpretNext: boolean;
}

const counts = new Map<number, number>();
const exits = new Map<number, number>();

function countingFactory(options: CpuOptions): ReturnType<typeof defaultCpuFactory> {
  const cpu = defaultCpuFactory(options);
  const tier = (cpu as unknown as { jit?: Tier }).jit;
  if (tier === undefined) throw new Error("the JIT tier is off: run with GUNYAH_JIT=1");
  const helper = tier.helper.bind(tier);
  tier.helper = (insn, op, pc) => {
    counts.set(insn, (counts.get(insn) ?? 0) + 1);
    return helper(insn, op, pc);
  };
  const dispatch = tier.dispatch.bind(tier);
  tier.dispatch = (state, budget) => {
    const n = dispatch(state, budget);
    if (tier.interpretNext) exits.set(state.pc, (exits.get(state.pc) ?? 0) + 1);
    return n;
  };
  return cpu;
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

const [program, ...args] = process.argv.slice(2);
if (program === undefined) throw new Error("usage: callouts.ts <program> [args...]");
const devnull = fs.openSync("/dev/null", "r+");
const r = execProgram({
  program,
  argv: [program, ...args],
  env: ["LC_ALL=C"],
  createCpu: countingFactory,
  stdio: { stdin: devnull, stdout: devnull, stderr: devnull },
});
if (!r.ok) throw new Error(r.error);
const text = disassemble([...counts.keys()]);
const groups = new Map<string, number>();
let total = 0;
for (const [w, n] of counts) {
  const key = shape(text.get(w) ?? `?${(w >>> 0).toString(16)}`);
  groups.set(key, (groups.get(key) ?? 0) + n);
  total += n;
}
console.log(`instructions ${r.value.instructions}, call-outs ${total}`);
const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 40);
for (const [k, n] of top)
  console.log(`${String(n).padStart(10)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);

/** objdump -d of the program: "function: instruction" by address. */
function programText(file: string): Map<number, string> {
  const r = spawnSync("aarch64-linux-gnu-objdump", ["-d", file], { maxBuffer: 1 << 28 });
  const out = new Map<number, string>();
  let fn = "";
  for (const line of r.stdout.toString().split("\n")) {
    const f = /^[0-9a-f]+ <(.*)>:/.exec(line);
    if (f) fn = f[1]!;
    const m = /^\s*([0-9a-f]+):\s+[0-9a-f]{8}\s+(.*)$/.exec(line);
    if (m) out.set(parseInt(m[1]!, 16), `${fn}: ${m[2]!.replace(/\s*\/\/.*$/, "")}`);
  }
  return out;
}

const where = programText(program);
let exited = 0;
for (const n of exits.values()) exited += n;
console.log(`exits to the interpreter ${exited}`);
for (const [pc, n] of [...exits].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`${String(n).padStart(10)}  ${pc.toString(16)}  ${where.get(pc) ?? "?"}`);

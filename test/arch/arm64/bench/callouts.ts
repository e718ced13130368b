// Which instructions compiled units still run through the interpreter (call-outs,
// jit/emit-callout.ts), by mnemonic and arrangement (not part of `npm test`):
//   GUNYAH_JIT=1 node --import tsx test/arch/arm64/bench/callouts.ts <program> [args...]
// Runs the static AArch64 program under `gunyah exec` with the JIT tier on, counts each
// call-out by instruction word (callout-counts.ts), then disassembles the distinct
// words with aarch64-linux-gnu-objdump and groups them by mnemonic with the register
// numbers erased (e.g. "add v.4s, v.4s, v.4s"). Prints the top 40 and the total, so
// the JIT's next native emitters can be chosen by measurement. Then the units' exits
// to the interpreter (a TLB miss, a misaligned access, an instruction no unit runs)
// by PC, with objdump's disassembly of the program at that PC. For the Linux boot:
// GUNYAH_JIT=1 GUNYAH_CALLOUTS=1 node --import tsx test/arch/arm64/bench/linux-boot.ts.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { defaultCpuFactory, execProgram } from "../../../../src/exec/index.js";
import { countCallouts, printCallouts, type Counts } from "./callout-counts.js";

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

const [program, ...args] = process.argv.slice(2);
if (program === undefined) throw new Error("usage: callouts.ts <program> [args...]");
const devnull = fs.openSync("/dev/null", "r+");
let counts: Counts | undefined;
const r = execProgram({
  program,
  argv: [program, ...args],
  env: ["LC_ALL=C"],
  createCpu: (options) => {
    const cpu = defaultCpuFactory(options);
    counts = countCallouts(cpu);
    return cpu;
  },
  stdio: { stdin: devnull, stdout: devnull, stderr: devnull },
});
if (!r.ok) throw new Error(r.error);
console.log(`instructions ${r.value.instructions}`);
printCallouts(counts!.callouts);
const where = programText(program);
let exited = 0;
for (const n of counts!.exits.values()) exited += n;
console.log(`exits to the interpreter ${exited}`);
for (const [pc, n] of [...counts!.exits].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`${String(n).padStart(10)}  ${pc.toString(16)}  ${where.get(pc) ?? "?"}`);

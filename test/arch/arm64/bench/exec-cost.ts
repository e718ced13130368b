// What one `gunyah exec` run of a program costs, split into the JIT's parts (not part
// of `npm test`):
//   node --import tsx test/arch/arm64/bench/exec-cost.ts [--no-flags] <program> [args...]
// Applies the gunyah command's V8 flags and JIT default (src/cli/v8-flags.ts) unless
// --no-flags (V8's defaults, as in a browser), runs the program with its output to
// /dev/null, and prints wall and process CPU time, instructions and cpu.jitStats.
// GUNYAH_JIT, GUNYAH_JIT_THRESHOLD and GUNYAH_JIT_COMPILE apply as usual.

import * as fs from "node:fs";
import { defaultCpuFactory, execProgram } from "../../../../src/exec/index.js";
import { setJitDefault } from "../../../../src/exec/index.js";
import { useJitByDefault } from "../../../../src/cli/v8-flags.js";
import type { Arm64Cpu } from "../../../../src/arch/arm64/port.js";

const argv = process.argv.slice(2);
const noFlags = argv[0] === "--no-flags";
if (noFlags) {
  argv.shift();
  setJitDefault(true);
} else useJitByDefault();
const [program, ...args] = argv;
if (program === undefined) throw new Error("usage: exec-cost.ts [--no-flags] <program> [args...]");
const devnull = fs.openSync("/dev/null", "r+");
let cpu: Arm64Cpu | undefined;
const t0 = performance.now();
const c0 = process.cpuUsage();
const r = execProgram({
  program,
  argv: [program, ...args],
  env: ["LC_ALL=C"],
  createCpu: (options) => (cpu = defaultCpuFactory(options)),
  stdio: { stdin: devnull, stdout: devnull, stderr: devnull },
});
const c = process.cpuUsage(c0);
const wall = (performance.now() - t0) / 1000;
if (!r.ok) throw new Error(r.error);
const s = cpu?.jitStats;
console.log(
  `wall ${wall.toFixed(3)} s, CPU ${((c.user + c.system) / 1e6).toFixed(3)} s, ` +
    `instructions ${r.value.instructions}, exit ${JSON.stringify(r.value.end)}`,
);
if (s) {
  console.log(
    `units ${s.units}, modules ${s.modules}, compileMs ${s.compileMs.toFixed(1)}, ` +
      `codeBytes ${s.codeBytes}, jit instructions ${s.instructions} ` +
      `(${((100 * s.instructions) / r.value.instructions).toFixed(1)} %)`,
  );
  console.log(`exits ${JSON.stringify(s.exits)}`);
}

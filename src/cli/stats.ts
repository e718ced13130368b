// `gunyah run --stats` and the benchmarks: the hypervisor's per-vCPU run statistics
// (instructions retired, exits by kind, the compiling tier's figures when there is
// one) as the lines printed on stderr at exit. The totals are the platform's
// runTotals, which the browser page's live panel shows too.

import { runTotals, type VcpuStats } from "../platform/index.js";

export { runTotals, type RunTotals } from "../platform/index.js";

const n = (x: number) => Math.round(x).toLocaleString("en-US");

function exitList(exits: Readonly<Record<string, number>>): string {
  const entries = Object.entries(exits).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k} ${n(v)}`).join(", ");
}

/** The stderr report: one line per vCPU, a total, and the compiling tier's line. */
export function formatRunStats(stats: readonly VcpuStats[], wallSeconds: number): string {
  const lines = stats.map(
    (s) =>
      `stats: vCPU ${s.index}: ${n(s.instructionsRetired)} instructions; exits: ${exitList(s.exits)}`,
  );
  const t = runTotals(stats, wallSeconds);
  lines.push(
    `stats: total: ${n(t.instructions)} instructions in ${wallSeconds.toFixed(2)} s wall = ${t.mips.toFixed(1)} MIPS`,
  );
  if (t.jit)
    lines.push(
      `stats: jit: ${(100 * t.jit.compiledShare).toFixed(1)}% of instructions compiled, ` +
        `${n(t.jit.units)} units, ${t.jit.compileMs.toFixed(0)} ms compiling, ` +
        `${n(t.jit.codeBytes / 1024)} KiB code cache`,
    );
  return `${lines.join("\n")}\n`;
}

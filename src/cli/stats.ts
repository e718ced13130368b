// `gunyah run --stats` and the benchmarks: the hypervisor's per-vCPU run statistics
// (instructions retired, exits by kind, the compiling tier's figures when there is
// one) as totals and as the lines printed on stderr at exit.

import type { VcpuStats } from "../platform/index.js";

export interface RunTotals {
  readonly vcpus: number;
  readonly instructions: number;
  /** Millions of guest instructions per second of the given wall time. */
  readonly mips: number;
  readonly exits: Readonly<Record<string, number>>;
  readonly jit?: {
    /** Share of the retired instructions that ran compiled, 0..1. */
    readonly compiledShare: number;
    readonly units: number;
    readonly compileMs: number;
    readonly codeBytes: number;
  };
}

export function runTotals(stats: readonly VcpuStats[], wallSeconds: number): RunTotals {
  let instructions = 0;
  const exits: Record<string, number> = {};
  let jit:
    { instructions: number; units: number; compileMs: number; codeBytes: number } | undefined;
  for (const s of stats) {
    instructions += s.instructionsRetired;
    for (const [k, n] of Object.entries(s.exits)) exits[k] = (exits[k] ?? 0) + n;
    if (s.jit) {
      jit ??= { instructions: 0, units: 0, compileMs: 0, codeBytes: 0 };
      jit.instructions += s.jit.instructions;
      jit.units += s.jit.units;
      jit.compileMs += s.jit.compileMs;
      jit.codeBytes += s.jit.codeBytes;
    }
  }
  const mips = wallSeconds > 0 ? instructions / wallSeconds / 1e6 : 0;
  return {
    vcpus: stats.length,
    instructions,
    mips,
    exits,
    ...(jit
      ? {
          jit: {
            compiledShare: instructions > 0 ? jit.instructions / instructions : 0,
            units: jit.units,
            compileMs: jit.compileMs,
            codeBytes: jit.codeBytes,
          },
        }
      : {}),
  };
}

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

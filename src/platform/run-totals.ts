// The totals of the hypervisor's per-vCPU run statistics (src/hyp/run-stats.ts):
// instructions retired, MIPS over a wall time, exits by kind, the compiling tier's
// figures. One computation for `gunyah run --stats`, the benchmarks and the browser
// page's live panel, so they cannot disagree. Node-free (the page's worker runs it).

import type { VcpuStats } from "../hyp/index.js";

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

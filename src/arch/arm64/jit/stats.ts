// The JIT tier's figures (port.ts JitStats) as the tier counts them.

import type { JitExits, JitStats } from "../port.js";

/** JitStats, counted as the tier works. */
export type Counters = { -readonly [K in keyof Omit<JitStats, "exits">]: JitStats[K] } & {
  exits: { -readonly [K in keyof JitExits]: number };
};

export function newCounters(): Counters {
  return {
    instructions: 0,
    units: 0,
    compileMs: 0,
    codeBytes: 0,
    modules: 0,
    flushes: 0,
    background: 0,
    discarded: 0,
    failed: 0,
    compiling: 0,
    exits: {
      cold: 0,
      pending: 0,
      unsupported: 0,
      runs: 0,
      miss: 0,
      interpret: 0,
      stale: 0,
      exception: 0,
      sync: 0,
      filled: 0,
    },
  };
}

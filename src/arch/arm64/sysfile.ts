// Storage for the system registers that only read back what was written. Slots are
// numbered once per process, when the register tables are built, so every CPU's file
// uses the same layout and an access is two array loads (no lookup by name).

import { InvariantError } from "../../lib/assert.js";

/** Slots per file: a file is two Int32Arrays of this length (lo, hi halves). */
export const MAX_SLOTS = 256;
const registry = new Map<string, number>();

/** The slot of a storage register, assigned on first mention. */
export function slotOf(name: string): number {
  let s = registry.get(name);
  if (s === undefined) {
    s = registry.size;
    if (s >= MAX_SLOTS) throw new InvariantError(`more than ${MAX_SLOTS} storage system registers`);
    registry.set(name, s);
  }
  return s;
}

export class SysregFile {
  /**
   * With the JIT tier the halves are views of the CPU block (cpu.ts), so compiled
   * code reads and writes storage registers such as TPIDR_EL0 in place (emit-sys.ts).
   */
  constructor(
    readonly lo: Int32Array = new Int32Array(MAX_SLOTS),
    readonly hi: Int32Array = new Int32Array(MAX_SLOTS),
  ) {}
  slot(name: string): number {
    return slotOf(name);
  }
}

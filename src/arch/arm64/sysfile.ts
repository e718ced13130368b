// Storage for the system registers that only read back what was written. Slots are
// numbered once per process, when the register tables are built, so every CPU's file
// uses the same layout and an access is two array loads (no lookup by name).

import { InvariantError } from "../../lib/assert.js";

const MAX_SLOTS = 256;
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
  readonly lo = new Int32Array(MAX_SLOTS);
  readonly hi = new Int32Array(MAX_SLOTS);
  slot(name: string): number {
    return slotOf(name);
  }
}

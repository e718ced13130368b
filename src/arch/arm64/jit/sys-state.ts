// The part of the CPU block that native system instructions read (emit-sys.ts), written
// by the tier before each run of units: a run ends at whatever changes it (MSR of
// SP_EL0/SPSel, exception entry and return are not run by units).

import type { CpuState } from "../state.js";
import { CB_SPEL0, CB_SYNC, CB_SYSOK, SYSOK_EL1, SYSOK_SPEL0 } from "./gen.js";

/**
 * Writes CB_SYNC (= the budget: no DAIF write yet), CB_SYSOK and SP_EL0. (TPIDR_EL1 and
 * the other storage registers need no copy: their file is in the CPU block.)
 */
export function writeSysState(i32: Int32Array, cpu: CpuState, budget: number): void {
  i32[CB_SYNC >> 2] = budget;
  if (cpu.el !== 1 || cpu.user) {
    i32[CB_SYSOK >> 2] = 0;
    return;
  }
  i32[CB_SYSOK >> 2] = cpu.spsel === 1 ? SYSOK_EL1 | SYSOK_SPEL0 : SYSOK_EL1;
  i32[CB_SPEL0 >> 2] = cpu.spEl0Lo;
  i32[(CB_SPEL0 >> 2) + 1] = cpu.spEl0Hi;
}

/** Instructions of a run of `budget` up to its last DAIF write (0: none). */
export function syncedIn(i32: Int32Array, budget: number): number {
  return budget - i32[CB_SYNC >> 2]!;
}

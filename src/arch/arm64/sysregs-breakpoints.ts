// The self-hosted debug registers that make debug events happen (debug.ts): MDSCR_EL1,
// the OS lock and OS double lock, and the breakpoint and watchpoint pairs
// DBGBVR<n>/DBGBCR<n> (n < 6) and DBGWVR<n>/DBGWCR<n> (n < 4), the counts
// ID_AA64DFR0_EL1 advertises. Each write re-decodes the debug state. The pairs beyond
// those counts have no row, so they are UNDEFINED, as on a core with 6 and 4 (D19.3).

import { sysregKey as key } from "./port.js";
import { El0, set, storage, type SysregRow } from "./sysreg-kit.js";
import { GUEST_BREAKPOINTS, GUEST_WATCHPOINTS } from "./debug.js";

/** A storage register whose writes change what the debug unit checks. */
function debugStorage(name: string): SysregRow {
  const base = storage(name);
  const write = base.write!;
  return {
    ...base,
    write: (cpu, lo, hi) => {
      write(cpu, lo, hi);
      cpu.debug.refresh();
    },
  };
}

function rows(): [number, SysregRow][] {
  const out: [number, SysregRow][] = [
    [key(2, 0, 0, 2, 2), debugStorage("MDSCR_EL1")],
    [key(2, 0, 1, 3, 4), debugStorage("OSDLR_EL1")],
    [
      key(2, 0, 1, 0, 4),
      {
        name: "OSLAR_EL1",
        el0: El0.NEVER,
        write: (cpu, lo) => {
          cpu.osLock = lo & 1;
          cpu.debug.refresh();
        },
      },
    ],
    [
      key(2, 0, 1, 1, 4),
      { name: "OSLSR_EL1", el0: El0.NEVER, read: (cpu) => set(8 | (cpu.osLock << 1)) },
    ],
  ];
  // DBG{B,W}{V,C}R<n>_EL1: op0 2, op1 0, CRn 0, CRm n, op2 4 BVR, 5 BCR, 6 WVR, 7 WCR.
  for (let n = 0; n < GUEST_BREAKPOINTS; n++)
    for (const op2 of [4, 5]) out.push([key(2, 0, 0, n, op2), debugStorage(`DBG${op2}_${n}`)]);
  for (let n = 0; n < GUEST_WATCHPOINTS; n++)
    for (const op2 of [6, 7]) out.push([key(2, 0, 0, n, op2), debugStorage(`DBG${op2}_${n}`)]);
  return out;
}

export const SELF_HOSTED_DEBUG_ROWS = rows();

// Debug (op0 = 2) registers that no debug event depends on: stored, constant or
// ignored. MDSCR, the OS lock and the breakpoint/watchpoint pairs, whose writes change
// what fires, live in sysregs-breakpoints.ts. PMU_IGNORED_ROWS accepts the PMU
// encodings that sysregs-pmu.ts does not define (it replaces the rest).

import { sysregKey as key } from "./port.js";
import { constant, ignored, storage, type SysregRow } from "./sysreg-kit.js";

export const DEBUG_ROWS: [number, SysregRow][] = [
  [key(2, 0, 0, 2, 0), storage("MDCCINT_EL1")],
  [key(2, 0, 1, 0, 0), constant("MDRAR_EL1", 0)],
  [key(2, 0, 7, 14, 6), constant("DBGAUTHSTATUS_EL1", 0xaa)],
  [key(2, 0, 7, 8, 6), ignored("DBGCLAIMSET_EL1")],
  [key(2, 0, 7, 9, 6), ignored("DBGCLAIMCLR_EL1")],
  [key(2, 0, 1, 4, 4), storage("DBGPRCR_EL1")],
  [key(2, 3, 0, 1, 0), constant("MDCCSR_EL0", 0)],
];

function pmuIgnored(): [number, SysregRow][] {
  const rows: [number, SysregRow][] = [];
  for (let crm = 12; crm <= 14; crm++) {
    for (let op2 = 0; op2 < 8; op2++)
      rows.push([key(3, 3, 9, crm, op2), ignored(`PMU_${crm}_${op2}`)]);
  }
  rows.push([key(3, 0, 9, 14, 1), ignored("PMINTENSET_EL1")]);
  rows.push([key(3, 0, 9, 14, 2), ignored("PMINTENCLR_EL1")]);
  for (let crm = 8; crm <= 15; crm++) {
    for (let op2 = 0; op2 < 8; op2++)
      rows.push([key(3, 3, 14, crm, op2), ignored(`PMEV_${crm}_${op2}`)]);
  }
  return rows;
}

export const PMU_IGNORED_ROWS = pmuIgnored();

// Debug (op0 = 2) registers: accepted and ignored (no self-hosted debug), except the
// OS lock, which Linux reads back. The PMU rows here are replaced by sysregs-pmu.ts.

import { sysregKey as key } from "./port.js";
import { El0, constant, ignored, set, storage, type SysregRow } from "./sysreg-kit.js";

export const DEBUG_ROWS: [number, SysregRow][] = [
  [
    key(2, 0, 1, 0, 4),
    { name: "OSLAR_EL1", el0: El0.NEVER, write: (cpu, lo) => void (cpu.osLock = lo & 1) },
  ],
  [
    key(2, 0, 1, 1, 4),
    { name: "OSLSR_EL1", el0: El0.NEVER, read: (cpu) => set(8 | (cpu.osLock << 1)) },
  ],
  [key(2, 0, 0, 2, 2), storage("MDSCR_EL1")],
  [key(2, 0, 1, 3, 4), storage("OSDLR_EL1")],
  [key(2, 0, 0, 2, 0), storage("MDCCINT_EL1")],
  [key(2, 0, 1, 0, 0), constant("MDRAR_EL1", 0)],
  [key(2, 0, 7, 14, 6), constant("DBGAUTHSTATUS_EL1", 0xaa)],
  [key(2, 0, 7, 8, 6), ignored("DBGCLAIMSET_EL1")],
  [key(2, 0, 7, 9, 6), ignored("DBGCLAIMCLR_EL1")],
  [key(2, 0, 1, 4, 4), storage("DBGPRCR_EL1")],
  [key(2, 3, 0, 1, 0), constant("MDCCSR_EL0", 0)],
];

function pmuAndBreakpoints(): [number, SysregRow][] {
  const rows: [number, SysregRow][] = [];
  // Breakpoint and watchpoint value/control registers: DBG{B,W}{V,C}R<n>_EL1.
  for (let n = 0; n < 16; n++) {
    for (let op2 = 4; op2 < 8; op2++) rows.push([key(2, 0, 0, n, op2), storage(`DBG${op2}_${n}`)]);
  }
  // PMU (D19.6): no PMU is advertised (PMUVer = 0); accesses are accepted and ignored.
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

export const PMU_AND_BREAKPOINT_ROWS = pmuAndBreakpoints();

// The PMUv3 system registers (Arm ARM D19.6, encodings op0 = 3): each row syncs the
// lazily counted state (pmu.ts) before it reads or writes. EL0 access follows
// PMUSERENR_EL0 (sysreg-kit.ts El0.PMU*); PMINTENSET/CLR_EL1 are EL1 only.

import { sysregKey as key } from "./port.js";
import { El0, set, type SysregRow } from "./sysreg-kit.js";
import { PMCEID0, PMCEID1, PMU_COUNTERS } from "./pmu.js";
import type { CpuState as Cpu } from "./state.js";

const row = (
  name: string,
  el0: El0,
  read?: (cpu: Cpu) => void,
  write?: (cpu: Cpu, lo: number, hi: number) => void,
): SysregRow => ({ name, el0, ...(read ? { read } : {}), ...(write ? { write } : {}) });

function readCounter(cpu: Cpu, n: number): void {
  cpu.pmu.sync();
  set(cpu.pmu.evcnt[n]!);
}

function writeCounter(cpu: Cpu, n: number, lo: number): void {
  cpu.pmu.sync();
  cpu.pmu.evcnt[n] = lo >>> 0;
  cpu.pmu.replan();
}

/** PMXEVTYPER/PMXEVCNTR: the counter PMSELR_EL0 selects; 31 is PMCCFILTR (typer only). */
function selectedTyper(cpu: Cpu, write?: number): void {
  const sel = cpu.pmu.selected;
  if (sel === undefined) return cpu.undefinedInstruction();
  if (write === undefined) set(sel === 31 ? cpu.pmu.ccfiltr : cpu.pmu.evtyper[sel]!);
  else if (sel === 31) cpu.pmu.writeFilter(write);
  else cpu.pmu.writeTyper(sel, write);
}

function selectedCounter(cpu: Cpu, write?: number): void {
  const sel = cpu.pmu.selected;
  if (sel === undefined || sel === 31) return cpu.undefinedInstruction();
  if (write === undefined) readCounter(cpu, sel);
  else writeCounter(cpu, sel, write);
}

function pmuRows(): [number, SysregRow][] {
  const rows: [number, SysregRow][] = [
    [
      key(3, 3, 9, 12, 0),
      row(
        "PMCR_EL0",
        El0.PMU,
        (cpu) => set(cpu.pmu.readPmcr()),
        (cpu, lo) => cpu.pmu.writePmcr(lo),
      ),
    ],
    [
      key(3, 3, 9, 12, 1),
      row(
        "PMCNTENSET_EL0",
        El0.PMU,
        (cpu) => set(cpu.pmu.cntEn),
        (cpu, lo) => cpu.pmu.setEnables(lo, true),
      ),
    ],
    [
      key(3, 3, 9, 12, 2),
      row(
        "PMCNTENCLR_EL0",
        El0.PMU,
        (cpu) => set(cpu.pmu.cntEn),
        (cpu, lo) => cpu.pmu.setEnables(lo, false),
      ),
    ],
    [
      key(3, 3, 9, 12, 3),
      row(
        "PMOVSCLR_EL0",
        El0.PMU,
        (cpu) => (cpu.pmu.sync(), set(cpu.pmu.ovs)),
        (cpu, lo) => cpu.pmu.setOverflow(lo, false),
      ),
    ],
    [
      key(3, 3, 9, 14, 3),
      row(
        "PMOVSSET_EL0",
        El0.PMU,
        (cpu) => (cpu.pmu.sync(), set(cpu.pmu.ovs)),
        (cpu, lo) => cpu.pmu.setOverflow(lo, true),
      ),
    ],
    [
      key(3, 3, 9, 12, 4),
      row("PMSWINC_EL0", El0.PMU_SW, undefined, (cpu, lo) => cpu.pmu.softwareIncrement(lo)),
    ],
    [
      key(3, 3, 9, 12, 5),
      row(
        "PMSELR_EL0",
        El0.PMU_SEL,
        (cpu) => set(cpu.pmu.selr),
        (cpu, lo) => void (cpu.pmu.selr = lo & 31),
      ),
    ],
    [key(3, 3, 9, 12, 6), row("PMCEID0_EL0", El0.PMU, () => set(PMCEID0))],
    [key(3, 3, 9, 12, 7), row("PMCEID1_EL0", El0.PMU, () => set(PMCEID1))],
    [
      key(3, 3, 9, 13, 0),
      row(
        "PMCCNTR_EL0",
        El0.PMU_CR,
        (cpu) => (cpu.pmu.sync(), set(cpu.pmu.ccLo, cpu.pmu.ccHi)),
        (cpu, lo, hi) => {
          cpu.pmu.sync();
          cpu.pmu.ccLo = lo >>> 0;
          cpu.pmu.ccHi = hi >>> 0;
          cpu.pmu.replan();
        },
      ),
    ],
    [
      key(3, 3, 9, 13, 1),
      row(
        "PMXEVTYPER_EL0",
        El0.PMU,
        (cpu) => selectedTyper(cpu),
        (cpu, lo) => selectedTyper(cpu, lo),
      ),
    ],
    [
      key(3, 3, 9, 13, 2),
      row(
        "PMXEVCNTR_EL0",
        El0.PMU_ER,
        (cpu) => selectedCounter(cpu),
        (cpu, lo) => selectedCounter(cpu, lo),
      ),
    ],
    [
      key(3, 3, 9, 14, 0),
      row(
        "PMUSERENR_EL0",
        El0.PMU_USERENR,
        (cpu) => set(cpu.pmu.userEn),
        (cpu, lo) => void (cpu.pmu.userEn = lo & 0xf),
      ),
    ],
    [
      key(3, 0, 9, 14, 1),
      row(
        "PMINTENSET_EL1",
        El0.NEVER,
        (cpu) => set(cpu.pmu.intEn),
        (cpu, lo) => cpu.pmu.setInterruptEnables(lo, true),
      ),
    ],
    [
      key(3, 0, 9, 14, 2),
      row(
        "PMINTENCLR_EL1",
        El0.NEVER,
        (cpu) => set(cpu.pmu.intEn),
        (cpu, lo) => cpu.pmu.setInterruptEnables(lo, false),
      ),
    ],
    [
      key(3, 3, 14, 15, 7),
      row(
        "PMCCFILTR_EL0",
        El0.PMU,
        (cpu) => set(cpu.pmu.ccfiltr),
        (cpu, lo) => cpu.pmu.writeFilter(lo),
      ),
    ],
  ];
  // PMEVCNTR<n>_EL0 = (3,3,14,8+n/8,n%8), PMEVTYPER<n>_EL0 = (3,3,14,12+n/8,n%8).
  for (let n = 0; n < PMU_COUNTERS; n++) {
    const crm = n >> 3;
    const op2 = n & 7;
    rows.push([
      key(3, 3, 14, 8 + crm, op2),
      row(
        `PMEVCNTR${n}_EL0`,
        El0.PMU_ER,
        (cpu) => readCounter(cpu, n),
        (cpu, lo) => writeCounter(cpu, n, lo),
      ),
    ]);
    rows.push([
      key(3, 3, 14, 12 + crm, op2),
      row(
        `PMEVTYPER${n}_EL0`,
        El0.PMU,
        (cpu) => set(cpu.pmu.evtyper[n]!),
        (cpu, lo) => cpu.pmu.writeTyper(n, lo),
      ),
    ]);
  }
  return rows;
}

/** Rows that replace the "accepted and ignored" PMU rows of sysregs-debug.ts. */
export const PMU_ROWS = pmuRows();

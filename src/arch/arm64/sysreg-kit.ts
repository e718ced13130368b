// Building blocks of the system register tables: the EL0 access rules, the row type,
// and row constructors for storage, constant and ignored registers.

import type { CpuState as Cpu } from "./state.js";
import { R, fromBig } from "./bits.js";
import { slotOf } from "./sysfile.js";

/** Who may access at EL0 (Arm ARM D1.7): never, always, or when a control bit allows. */
export const El0 = {
  NEVER: 0,
  ALWAYS: 1,
  /** SCTLR_EL1.UCT (CTR_EL0). */
  UCT: 2,
  /** SCTLR_EL1.UMA (DAIF). */
  UMA: 3,
  /** CNTKCTL_EL1.EL0VCTEN or EL0PCTEN (CNTFRQ_EL0). */
  CNTFRQ: 4,
  CNTVCT: 5,
  CNTPCT: 6,
  CNTV: 7,
  CNTP: 8,
  /** ID registers: UNDEFINED at EL0 in system mode (Linux emulates them), readable in user mode. */
  ID: 9,
  /** PMU registers at EL0 (D11.9, PMUSERENR_EL0): EN; EN or SW (PMSWINC); EN, or for
   * reads CR (PMCCNTR) / ER (event counters, PMSELR); PMUSERENR itself read-only. */
  PMU: 10,
  PMU_SW: 11,
  PMU_CR: 12,
  PMU_ER: 13,
  PMU_SEL: 14,
  PMU_USERENR: 15,
} as const;
export type El0 = (typeof El0)[keyof typeof El0];

export interface SysregRow {
  readonly name: string;
  readonly el0: El0;
  /** Sets R.lo/R.hi; undefined = write-only. */
  readonly read?: (cpu: Cpu) => void;
  /** undefined = read-only (MSR is UNDEFINED). */
  readonly write?: (cpu: Cpu, lo: number, hi: number) => void;
}

export function set(lo: number, hi = 0): void {
  R.lo = lo | 0;
  R.hi = hi | 0;
}

export function setBig(v: bigint): void {
  fromBig(BigInt.asUintN(64, v));
}

export function storage(name: string, el0: El0 = El0.NEVER, readOnlyAtEl0 = false): SysregRow {
  const s = slotOf(name);
  return {
    name,
    el0,
    read: (cpu) => set(cpu.sys.lo[s]!, cpu.sys.hi[s]!),
    write: (cpu, lo, hi) => {
      if (readOnlyAtEl0 && cpu.el === 0) return cpu.undefinedInstruction();
      cpu.sys.lo[s] = lo;
      cpu.sys.hi[s] = hi;
    },
  };
}

export function constant(name: string, lo: number, hi = 0, el0: El0 = El0.NEVER): SysregRow {
  return { name, el0, read: () => set(lo, hi) };
}

export function ignored(name: string): SysregRow {
  return { name, el0: El0.NEVER, read: () => set(0), write: () => undefined };
}

// The generic timer's registers (Arm ARM D11.2): CNTFRQ, CNTPCT/CNTVCT, CNTP_*/CNTV_*
// TVAL/CTL/CVAL and CNTKCTL_EL1, backed by timer.ts. EL0 access follows CNTKCTL_EL1.

import { sysregKey as key } from "./port.js";
import { toBig } from "./bits.js";
import { El0, set, setBig, type SysregRow } from "./sysreg-kit.js";
import type { CpuExit } from "./port.js";
import type { CpuState } from "./state.js";

/**
 * A write to CNTx_CTL/CVAL/TVAL changes the timer's output and next deadline. The
 * interrupt controller samples both between runs, so the run ends after the write
 * (a "budget" exit: nothing to emulate) and the runner re-samples before the next
 * instruction: the IRQ line follows the timer at that instruction boundary, and a
 * deadline moved closer ends the next run on time (Arm ARM D11.2.4: the condition is
 * re-evaluated whenever CTL or CVAL changes).
 */
const TIMER_REPROGRAMMED: CpuExit = Object.freeze({ kind: "budget" });

function reprogram(cpu: CpuState, apply: () => void): void {
  apply();
  cpu.exit ??= TIMER_REPROGRAMMED;
}

export const TIMER_ROWS: [number, SysregRow][] = [
  [
    key(3, 0, 14, 1, 0),
    {
      name: "CNTKCTL_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.timer.kctl),
      write: (cpu, lo) => void (cpu.timer.kctl = lo & 0x3ff),
    },
  ],
  [
    key(3, 3, 14, 0, 0),
    {
      name: "CNTFRQ_EL0",
      el0: El0.CNTFRQ,
      read: (cpu) => set(cpu.timer.frequency),
      write: () => undefined,
    },
  ],
  [
    key(3, 3, 14, 0, 1),
    { name: "CNTPCT_EL0", el0: El0.CNTPCT, read: (cpu) => setBig(cpu.timer.now()) },
  ],
  [
    key(3, 3, 14, 0, 2),
    { name: "CNTVCT_EL0", el0: El0.CNTVCT, read: (cpu) => setBig(cpu.timer.now()) },
  ],
  [
    key(3, 3, 14, 2, 0),
    {
      name: "CNTP_TVAL_EL0",
      el0: El0.CNTP,
      read: (cpu) => setBig(cpu.timer.readTval(cpu.timer.pcval)),
      write: (cpu, lo) =>
        reprogram(cpu, () => (cpu.timer.pcval = cpu.timer.cvalFromTval(BigInt(lo)))),
    },
  ],
  [
    key(3, 3, 14, 2, 1),
    {
      name: "CNTP_CTL_EL0",
      el0: El0.CNTP,
      read: (cpu) => set(cpu.timer.readCtl(cpu.timer.pctl, cpu.timer.pcval)),
      write: (cpu, lo) => reprogram(cpu, () => (cpu.timer.pctl = lo & 3)),
    },
  ],
  [
    key(3, 3, 14, 2, 2),
    {
      name: "CNTP_CVAL_EL0",
      el0: El0.CNTP,
      read: (cpu) => setBig(cpu.timer.pcval),
      write: (cpu, lo, hi) => reprogram(cpu, () => (cpu.timer.pcval = toBig(lo, hi))),
    },
  ],
  [
    key(3, 3, 14, 3, 0),
    {
      name: "CNTV_TVAL_EL0",
      el0: El0.CNTV,
      read: (cpu) => setBig(cpu.timer.readTval(cpu.timer.vcval)),
      write: (cpu, lo) =>
        reprogram(cpu, () => (cpu.timer.vcval = cpu.timer.cvalFromTval(BigInt(lo)))),
    },
  ],
  [
    key(3, 3, 14, 3, 1),
    {
      name: "CNTV_CTL_EL0",
      el0: El0.CNTV,
      read: (cpu) => set(cpu.timer.readCtl(cpu.timer.vctl, cpu.timer.vcval)),
      write: (cpu, lo) => reprogram(cpu, () => (cpu.timer.vctl = lo & 3)),
    },
  ],
  [
    key(3, 3, 14, 3, 2),
    {
      name: "CNTV_CVAL_EL0",
      el0: El0.CNTV,
      read: (cpu) => setBig(cpu.timer.vcval),
      write: (cpu, lo, hi) => reprogram(cpu, () => (cpu.timer.vcval = toBig(lo, hi))),
    },
  ],
];

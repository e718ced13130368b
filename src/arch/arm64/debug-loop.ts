// The interpreter loop while a debugger or the guest's own debug is armed (debug.ts):
// one instruction at a time, with the checks the architecture makes at each
// instruction boundary. run() enters it only when `cpu.interpretOnly` has DEBUGGER or
// GUEST_DEBUG set, so the fast loop carries no cost for it.
//
// Order at a boundary (Arm ARM D1.13.2, synchronous exception priorities): the software
// step exception of an active-pending step, then breakpoints (an external debugger's
// first: its stop leaves the guest untouched), then the instruction. A stepped
// instruction that completes moves the step to active-pending and takes the exception
// at once, as QEMU does (gen_step_complete_exception), before any interrupt.

import type { CpuState as Cpu } from "./state.js";
import { INSTRUCTION_ABORTED } from "./fault.js";
import { isLoadExclusive } from "./debug.js";

/** The interpreter's fast loop, run for one instruction at a time here. */
export type Executor = (cpu: Cpu, budget: number) => number;

export function executeDebug(cpu: Cpu, budget: number, execute: Executor): number {
  const d = cpu.debug;
  let n = budget;
  while (n > 0) {
    const pc = cpu.pc;
    // Software step, active-pending at a boundary: nothing was stepped (ISV = 0).
    if (d.stepEnabled && cpu.pstateSS === 0 && d.enabledNow()) {
      d.takeStep(d.steppedPending, false);
      d.steppedPending = false;
      n--;
      if (finishedStep(cpu)) return n;
      continue;
    }
    if (d.externalBreakpoint(pc)) {
      cpu.exit = { kind: "debug", stop: { reason: "breakpoint", pc } };
      return n;
    }
    if (d.guestBreakpoint(pc)) {
      d.takeBreakpoint();
      n--;
      if (finishedStep(cpu)) return n;
      continue;
    }
    const stepping = d.stepEnabled && cpu.pstateSS === 1 && d.enabledNow();
    d.pstateEvent = 0;
    d.steppedPending = false;
    cpu.insn = 0; // executors of non-hot ops (load-exclusives among them) record their word
    cpu.sliceBudget = 1 + (budget - n);
    try {
      execute(cpu, 1);
    } catch (e) {
      if (e !== INSTRUCTION_ABORTED) throw e;
    }
    n--;
    const exit = cpu.exit;
    // An external watchpoint ends the run before the access: nothing was executed.
    if (exit !== undefined && exit.kind === "debug") return n + 1;
    if (stepping && d.pstateEvent === 0 && (exit === undefined || completes(exit.kind))) {
      // The stepped instruction completed (SSAdvance); HVC/SMC/WFI complete too.
      cpu.pstateSS = 0;
      if (exit === undefined) d.takeStep(true, isLoadExclusive(cpu.insn));
      else d.steppedPending = true;
    }
    if (exit !== undefined) return n;
    if (finishedStep(cpu)) return n;
    if (cpu.irqCheck) return n;
  }
  return n;
}

function completes(kind: string): boolean {
  return kind === "hvc" || kind === "smc" || kind === "wfi" || kind === "wfe";
}

/** After one instruction (or exception entry) under an external single step: stop. */
function finishedStep(cpu: Cpu): boolean {
  if (!cpu.debug.extStep) return false;
  cpu.exit = { kind: "debug", stop: { reason: "step", pc: cpu.pc } };
  return true;
}

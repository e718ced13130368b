// The seam between the execution tiers and everything that must observe each
// instruction. The JIT tier (jit/) enters compiled code only while
// `cpu.interpretOnly === 0`; any feature that needs to see every instruction boundary
// or every memory access sets its bit while it is armed and clears it when disarmed,
// and the run loop then stays in the interpreter, which checks them all. Keeping this
// a bitmask lets the features arm and disarm independently.

export const InterpretOnly = {
  /** An external debugger (the GDB stub) has breakpoints, watchpoints or a step armed. */
  DEBUGGER: 1,
  /** The guest's own self-hosted debug: MDSCR_EL1.MDE/KDE with an enabled breakpoint
   * or watchpoint, or MDSCR_EL1.SS software step. */
  GUEST_DEBUG: 2,
  /** PMU event counters counting events other than instructions and cycles. */
  PMU_EVENTS: 4,
  /** An instruction trace (`gunyah exec --trace`) is being written. */
  INSTRUCTION_TRACE: 8,
} as const;

// The seam between the execution tiers and everything that must observe each
// instruction. The JIT tier (jit/) enters compiled code only while
// `cpu.interpretOnly === 0`; any feature that needs to see every instruction boundary
// or every memory access sets its bit while it is armed and clears it when disarmed,
// and the run loop then stays in the interpreter, which checks them all. Keeping this
// a bitmask lets the features arm and disarm independently.

export const InterpretOnly = {
  /** An external debugger (`gunyah run --gdb`, src/vmm/gdb) has breakpoints, watchpoints or a step armed. */
  DEBUGGER: 1,
  /** The guest's own self-hosted debug: MDSCR_EL1.MDE/KDE with an enabled breakpoint
   * or watchpoint, or MDSCR_EL1.SS software step. */
  GUEST_DEBUG: 2,
  /** PMU event counters counting events other than instructions and cycles. */
  PMU_EVENTS: 4,
  /** An instruction trace (`gunyah exec --trace`) is being written. */
  INSTRUCTION_TRACE: 8,
} as const;

/**
 * Whether new CPUs get the JIT tier, and after how many arrivals at a block it is
 * compiled. From the environment, read when a CPU is created: GUNYAH_JIT=0 selects
 * the interpreter alone (`--no-jit` sets it), GUNYAH_JIT_THRESHOLD=0 compiles
 * everything on first sight (the tests run the differential suites that way).
 */
export function jitThreshold(fallback = DEFAULT_JIT_THRESHOLD): number | undefined {
  const env = globalThis.process?.env ?? {};
  if (env["GUNYAH_JIT"] === "0") return undefined;
  if (!jitDefaultOn && env["GUNYAH_JIT"] === undefined && env["GUNYAH_JIT_THRESHOLD"] === undefined)
    return undefined;
  const t = Number(env["GUNYAH_JIT_THRESHOLD"] ?? fallback);
  return Number.isFinite(t) && t >= 0 ? Math.floor(t) : fallback;
}

/**
 * How the JIT tier compiles its modules (jit/batch.ts): GUNYAH_JIT_COMPILE=sync on the
 * spot, =async by V8 in the background (installed at an event loop turn). Read when a
 * CPU is created; CpuOptions.jit.compile overrides it.
 */
export function jitCompileMode(): "sync" | "async" {
  const mode = globalThis.process?.env?.["GUNYAH_JIT_COMPILE"];
  return mode === "async" || mode === "sync" ? mode : DEFAULT_JIT_COMPILE;
}

/** Measured: see README.md, JIT tier ("Compile cost"). */
export const DEFAULT_JIT_COMPILE: "sync" | "async" = "sync";

/** Arrivals at a block before it is compiled (measured: see README.md, JIT tier). */
export const DEFAULT_JIT_THRESHOLD = 1000;

/**
 * The same for a user program under `gunyah exec` (src/exec), which is short-lived and
 * spends a larger share of its run in the interpreter while V8 is still optimizing it:
 * 200 took 10-20 % less CPU than 1000 on every bench workload (README.md, JIT tier).
 */
export const EXEC_JIT_THRESHOLD = 200;

/** Whether CPUs get the JIT tier when the environment does not say (setJitDefault). */
let jitDefaultOn = false;

/**
 * Makes the JIT tier the default for CPUs created from now on in this process, unless
 * the environment says otherwise (GUNYAH_JIT=0). The `gunyah` command does this (the
 * Linux boot is faster with the tier: src/arch/arm64/README.md); a library user or the
 * browser page keeps the interpreter unless it asks.
 */
export function setJitDefault(on: boolean): void {
  jitDefaultOn = on;
}

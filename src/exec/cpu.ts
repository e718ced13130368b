// The CPU `gunyah exec` runs programs on: the gunyah-ts A64 core, in user mode. Its
// extended interface (FP/SIMD registers, TPIDR_EL0) is what traces with -d cpu,fpu use.

import { createCpu, EXEC_JIT_THRESHOLD, jitThreshold } from "../arch/arm64/index.js";
import type { Arm64CpuExt, CpuOptions } from "../arch/arm64/index.js";

/** The JIT tier by default for this process's CPUs (the gunyah command sets it). */
export { setJitDefault } from "../arch/arm64/index.js";

/**
 * The core with the tier the environment selects (GUNYAH_JIT, GUNYAH_JIT_THRESHOLD),
 * compiling sooner than a kernel's CPUs do: a user program's run is short.
 */
export const defaultCpuFactory = (options: CpuOptions): Arm64CpuExt => {
  if (options.jit !== undefined) return createCpu(options);
  const threshold = jitThreshold(EXEC_JIT_THRESHOLD);
  return createCpu({ ...options, jit: threshold === undefined ? false : { threshold } });
};

/** The same core without its JIT tier (`gunyah exec --no-jit`). */
export const interpreterCpuFactory = (options: CpuOptions): Arm64CpuExt =>
  createCpu({ ...options, jit: false });

// The CPU `gunyah exec` runs programs on: the gunyah-ts A64 core, in user mode. Its
// extended interface (FP/SIMD registers, TPIDR_EL0) is what traces with -d cpu,fpu use.

import { createCpu } from "../arch/arm64/index.js";
import type { Arm64CpuExt, CpuOptions } from "../arch/arm64/index.js";

/** The JIT tier by default for this process's CPUs (the gunyah command sets it). */
export { setJitDefault } from "../arch/arm64/index.js";

export const defaultCpuFactory = (options: CpuOptions): Arm64CpuExt => createCpu(options);

/** The same core without its JIT tier (`gunyah exec --no-jit`). */
export const interpreterCpuFactory = (options: CpuOptions): Arm64CpuExt =>
  createCpu({ ...options, jit: false });

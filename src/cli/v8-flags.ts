// V8 settings for the JIT tier (src/arch/arm64/jit), applied once per process before
// any guest code is compiled. The tier makes thousands of small modules from kernel
// code that mostly runs a few thousand times: V8's defaults (lazy per-function
// compilation, then TurboFan tier-up of every function that exhausts its budget, on
// background threads that count in the process's CPU time) cost more than they save.
// Measured on the bare-CPU Linux boot (src/arch/arm64/README.md, JIT tier), again with
// modules compiled in the background (GUNYAH_JIT_COMPILE=async): the defaults still lose
// to these, and to the interpreter. A browser cannot set these: the web worker runs with
// the defaults (and the interpreter).

import { setFlagsFromString } from "node:v8";
import { setJitDefault } from "../exec/index.js";

/** Liftoff only, eagerly: the boot's figures in src/arch/arm64/README.md. */
export const JIT_V8_FLAGS: readonly string[] = ["--liftoff-only", "--no-wasm-lazy-compilation"];

let applied = false;

/** Sets JIT_V8_FLAGS (idempotent; wasm compiled later uses them). */
export function applyJitV8Flags(): void {
  if (applied) return;
  applied = true;
  for (const flag of JIT_V8_FLAGS) setFlagsFromString(flag);
}

/**
 * The `gunyah` command's CPUs use the JIT tier unless GUNYAH_JIT=0 or --no-jit says
 * otherwise (both keep the interpreter), with the V8 settings above.
 */
export function useJitByDefault(): void {
  applyJitV8Flags();
  setJitDefault(true);
}

// `gunyah exec`: static AArch64 Linux programs on the gunyah-ts CPU at EL0, with a
// Linux syscall layer (like qemu-aarch64). A test bench for the CPU; see README.md.

export { execProgram, createProcess, runProcess, handleSyscall, stepProcess } from "./process.js";
export type { ProcessState } from "./state.js";
export type { ExecOptions, ExecResult, ExecEnd } from "./process.js";
export { captureState, formatState } from "./trace.js";
export type { TraceState } from "./trace.js";
export { parseElf } from "./elf.js";
export type { ElfImage, Segment } from "./elf.js";
export { hwcapsFromIds, readIdRegisters } from "./features.js";
export type { CpuFactory, IdRegisters } from "./features.js";
export { AddressSpace } from "./memory.js";
export { STACK_TOP, MMAP_BASE } from "./loader.js";
export { TraceFile } from "./trace-file.js";
export { defaultCpuFactory, interpreterCpuFactory, setJitDefault } from "./cpu.js";

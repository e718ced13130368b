// `gunyah exec <static-aarch64-elf> [args...]`: runs a static AArch64 Linux program on
// the gunyah-ts CPU at EL0 with a Linux syscall layer, like qemu-aarch64. It exists to
// test the CPU on real programs (see src/exec/README.md). Exit status: the program's,
// 128 + n if signal n killed it, 124 if --max-instructions stopped it, 126 if it could
// not be loaded.

import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import {
  defaultCpuFactory,
  execProgram,
  interpreterCpuFactory,
  TraceFile,
} from "../../exec/index.js";
import type { ExecEnd } from "../../exec/index.js";

interface ExecCommandOptions {
  readonly trace?: string;
  readonly traceFpu?: boolean;
  readonly maxInstructions?: number;
  /** False with --no-jit. */
  readonly jit?: boolean;
}

const SIGNAL_NAMES: Record<number, string> = {
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  15: "SIGTERM",
};

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function describeEnd(end: ExecEnd, instructions: number): string | undefined {
  switch (end.kind) {
    case "exit":
      return undefined;
    case "signal":
      return `gunyah exec: program killed by signal ${end.signal} (${SIGNAL_NAMES[end.signal] ?? "?"}): ${end.detail}\n`;
    case "instruction-limit":
      return `gunyah exec: stopped after ${instructions} instructions (--max-instructions)\n`;
  }
}

export function registerExecCommand(program: Command, done: (exitCode: number) => void): void {
  // Everything after the program name belongs to the program (its own -n, --help...).
  program.enablePositionalOptions();
  program
    .command("exec")
    .description(
      "run a static AArch64 Linux program on the gunyah-ts CPU (a CPU test bench, like qemu-aarch64)",
    )
    .argument("<program>", "static AArch64 ELF executable")
    .argument("[args...]", "arguments passed to the program")
    .option(
      "--trace <file>",
      "write a per-instruction trace in the format of qemu-aarch64 -singlestep -d cpu",
    )
    .option("--trace-fpu", "add FPCR, FPSR and Q0-Q31 to each record (qemu's -d cpu,fpu)")
    .option("--no-jit", "run guest code in the interpreter only (no WebAssembly JIT tier)")
    .option(
      "--max-instructions <n>",
      "stop after n instructions (exit status 124)",
      positiveInteger,
    )
    .passThroughOptions()
    .action((file: string, args: string[], options: ExecCommandOptions) => {
      const trace = options.trace ? new TraceFile(options.trace, options.traceFpu) : undefined;
      try {
        const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);
        const result = execProgram({
          program: file,
          argv: [file, ...args],
          env,
          createCpu: options.jit === false ? interpreterCpuFactory : defaultCpuFactory,
          maxInstructions: options.maxInstructions,
          onInstruction: trace?.record,
        });
        if (!result.ok) {
          process.stderr.write(`gunyah exec: ${result.error}\n`);
          done(126);
          return;
        }
        const message = describeEnd(result.value.end, result.value.instructions);
        if (message) process.stderr.write(message);
        done(result.value.exitCode);
      } finally {
        trace?.close();
      }
    });
}

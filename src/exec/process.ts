// `gunyah exec`'s run loop: load a static AArch64 Linux program, run it on the CPU at
// EL0, answer its SVCs with the syscall layer and turn its faults into the signals
// Linux would send. It exists to test the CPU on real programs against qemu-aarch64.

import { randomFillSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Arm64Cpu, CpuExit, UserFault } from "../arch/arm64/index.js";
import { InterpretOnly } from "../arch/arm64/index.js";
import { assertNever } from "../lib/assert.js";
import { err, ok } from "../lib/result.js";
import type { Result } from "../lib/result.js";
import { Errno } from "./errno.js";
import { hwcapsFromIds, readIdRegisters } from "./features.js";
import type { CpuFactory } from "./features.js";
import { loadProgram } from "./loader.js";
import { AddressSpace } from "./memory.js";
import { ProcessState } from "./state.js";
import type { HostStdio } from "./state.js";
import type { Args } from "./syscalls/args.js";
import { SYSCALLS } from "./syscalls/table.js";

export interface ExecOptions {
  /** Host path of the static ELF. */
  readonly program: string;
  /** argv, including argv[0]. */
  readonly argv: readonly string[];
  /** "NAME=value" strings, in order. */
  readonly env: readonly string[];
  readonly createCpu: CpuFactory;
  readonly stdio?: HostStdio;
  readonly cwd?: string;
  /** Stop (exit status 124... see ExecResult) after this many instructions. */
  readonly maxInstructions?: number;
  /** Called before every instruction (single-steps the CPU: slow). */
  readonly onInstruction?: (cpu: Arm64Cpu) => void;
  /** AT_RANDOM's 16 bytes (default: random). */
  readonly random?: Uint8Array;
  /** Resident-set limit in pages. */
  readonly maxResidentPages?: number;
  /**
   * AT_HWCAP/AT_HWCAP2 to advertise instead of what the CPU's ID registers say. Only
   * for tools/trace-diff.ts, which mirrors the reference CPU model so that glibc takes
   * the same start-up path in both traces.
   */
  readonly hwcaps?: { readonly hwcap: bigint; readonly hwcap2: bigint };
}

export type ExecEnd =
  | { readonly kind: "exit"; readonly status: number }
  | { readonly kind: "signal"; readonly signal: number; readonly detail: string }
  | { readonly kind: "instruction-limit" };

export interface ExecResult {
  readonly end: ExecEnd;
  /** What the `gunyah exec` command exits with: the status, or 128 + signal. */
  readonly exitCode: number;
  readonly instructions: number;
  readonly seconds: number;
}

const SIGILL = 4;
const SIGTRAP = 5;
const SIGBUS = 7;
const SIGSEGV = 11;
const CHUNK = 1 << 20;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function faultSignal(fault: UserFault): { signal: number; detail: string } {
  switch (fault.kind) {
    case "undefined":
      return {
        signal: SIGILL,
        detail: `undefined instruction 0x${(fault.instruction >>> 0).toString(16).padStart(8, "0")} at pc ${hex(fault.pc)}`,
      };
    case "data-abort":
      return {
        signal: SIGSEGV,
        detail: `${fault.isWrite ? "write" : "read"} of ${hex(fault.address)} at pc ${hex(fault.pc)}`,
      };
    case "fetch-abort":
      return { signal: SIGSEGV, detail: `instruction fetch from ${hex(fault.address)}` };
    case "alignment":
      return {
        signal: SIGBUS,
        detail: `misaligned access to ${hex(fault.address)} at pc ${hex(fault.pc)}`,
      };
    case "brk":
      return { signal: SIGTRAP, detail: `BRK #${hex(fault.imm)} at pc ${hex(fault.pc)}` };
    default:
      return assertNever(fault);
  }
}

/** Loads the program and builds the process; the error is a message for the user. */
export function createProcess(
  options: ExecOptions,
): Result<{ cpu: Arm64Cpu; state: ProcessState }, string> {
  let file: Uint8Array;
  try {
    file = fs.readFileSync(options.program);
  } catch (e) {
    return err(`cannot read ${options.program}: ${(e as Error).message}`);
  }
  const mem = new AddressSpace({ maxResidentPages: options.maxResidentPages });
  const ids = {
    pid: process.pid,
    ppid: process.ppid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
  const random = options.random ?? randomFillSync(new Uint8Array(16));
  const caps = options.hwcaps ?? hwcapsFromIds(readIdRegisters(options.createCpu));
  const loaded = loadProgram(mem, file, {
    argv: options.argv,
    envp: options.env,
    execfn: options.argv[0] ?? options.program,
    random,
    ...caps,
    ids: { uid: ids.uid, euid: ids.uid, gid: ids.gid, egid: ids.gid },
  });
  if (!loaded.ok) return err(`${options.program}: ${loaded.error}`);
  const cwd = Buffer.from(options.cwd ?? process.cwd()).toString("latin1");
  const stdio = options.stdio ?? { stdin: 0, stdout: 1, stderr: 2 };
  const exePath = Buffer.from(exeHostPath(options.program)).toString("latin1");
  const state = new ProcessState(mem, ids, stdio, cwd, exePath);
  state.brkStart = state.brk = loaded.value.brkStart;
  // The task's comm, as exec sets it: the file's base name, 15 bytes at most.
  state.threadName = Buffer.from(path.basename(options.program)).subarray(0, 15).toString("latin1");
  const cpu = options.createCpu({ mode: "user", memory: mem });
  mem.onInvalidate = () => cpu.invalidateStage2();
  cpu.reset(loaded.value.entry);
  cpu.setSp(BigInt(loaded.value.sp));
  return ok({ cpu, state });
}

/** Answers the SVC the CPU stopped at (X8 = number, X0-X5 = arguments). */
export function handleSyscall(cpu: Arm64Cpu, state: ProcessState): void {
  const nr = Number(BigInt.asUintN(32, cpu.getX(8)));
  const entry = SYSCALLS.get(nr);
  let result: number | bigint;
  if (!entry) {
    state.warnOnce(`nr-${nr}`, `syscall ${nr} is not implemented (ENOSYS)`);
    result = -Errno.ENOSYS;
  } else {
    const a: Args = [cpu.getX(0), cpu.getX(1), cpu.getX(2), cpu.getX(3), cpu.getX(4), cpu.getX(5)];
    result = entry.handler(state, a);
  }
  cpu.setX(0, BigInt.asUintN(64, BigInt(result)));
}

/** Handles one CPU exit; returns the end of the program, if this exit ended it. */
function handleExit(exit: CpuExit, cpu: Arm64Cpu, state: ProcessState): ExecEnd | undefined {
  switch (exit.kind) {
    case "budget":
    case "wfi":
    case "wfe":
      return undefined;
    case "svc":
      handleSyscall(cpu, state);
      if (state.exitStatus === undefined) return undefined;
      if (state.killedBy !== undefined)
        return { kind: "signal", signal: state.killedBy, detail: "sent by the program" };
      return { kind: "exit", status: state.exitStatus };
    case "user-fault":
      return { kind: "signal", ...faultSignal(exit.fault) };
    case "stage2-abort":
      return {
        kind: "signal",
        signal: SIGSEGV,
        detail: `${exit.abort.isFetch ? "fetch" : exit.abort.isWrite ? "write" : "read"} of unmapped ${hex(exit.abort.ipa)} at pc ${hex(exit.abort.pc)}`,
      };
    case "hvc":
    case "smc":
      return {
        kind: "signal",
        signal: SIGILL,
        detail: `${exit.kind.toUpperCase()} at EL0 (pc ${hex(cpu.pc)})`,
      };
    case "debug": // only an external debugger arms these; gunyah exec has none
      return { kind: "signal", signal: SIGILL, detail: `debug stop at pc ${hex(cpu.pc)}` };
    default:
      return assertNever(exit);
  }
}

/** Executes one instruction and answers its exit (trace tools step this way). */
export function stepProcess(cpu: Arm64Cpu, state: ProcessState): ExecEnd | undefined {
  return handleExit(runGuarded(cpu, 1), cpu, state);
}

/** cpu.run, with the guest PC added to an internal CPU error (a bug to report). */
function runGuarded(cpu: Arm64Cpu, budget: number): CpuExit {
  const pc = cpu.pc;
  try {
    return cpu.run(budget);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(
      `CPU internal error in a slice starting at pc ${hex(pc)} (now ${hex(cpu.pc)}): ${message}`,
      { cause: e },
    );
  }
}

/** Runs a loaded process to its end. */
export function runProcess(
  cpu: Arm64Cpu,
  state: ProcessState,
  options: Pick<ExecOptions, "maxInstructions" | "onInstruction">,
): ExecResult {
  const started = process.hrtime.bigint();
  const limit = options.maxInstructions ?? Number.POSITIVE_INFINITY;
  const first = cpu.instructionsRetired;
  const step = options.onInstruction;
  // A per-instruction observer (the --trace file) needs the interpreter's every step.
  if (step) cpu.interpretOnly |= InterpretOnly.INSTRUCTION_TRACE;
  let end: ExecEnd | undefined;
  while (end === undefined) {
    const done = cpu.instructionsRetired - first;
    if (done >= limit) {
      end = { kind: "instruction-limit" };
      break;
    }
    if (step) step(cpu);
    const budget = step ? 1 : Math.min(CHUNK, limit - done);
    end = handleExit(runGuarded(cpu, budget), cpu, state);
  }
  state.files.closeAll();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const instructions = cpu.instructionsRetired - first;
  const exitCode =
    end.kind === "exit" ? end.status : end.kind === "signal" ? 128 + end.signal : 124;
  return { end, exitCode, instructions, seconds };
}

/** Loads and runs a program: `gunyah exec` without the command line. */
export function execProgram(options: ExecOptions): Result<ExecResult, string> {
  const created = createProcess(options);
  if (!created.ok) return created;
  return ok(runProcess(created.value.cpu, created.value.state, options));
}

/**
 * What /proc/self/exe names: the path of the file exec opened with every symlink
 * resolved, as Linux's d_path of the executable gives it (and qemu-aarch64 passes on:
 * busybox reads it, so a program reached through a symlinked folder saw a different
 * string here than under QEMU).
 */
function exeHostPath(program: string): string {
  try {
    return fs.realpathSync(program);
  } catch {
    return path.resolve(program);
  }
}

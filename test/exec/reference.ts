// Shared by the test/exec suites: the cross toolchain, QEMU and busybox checks, the
// guest build, and runs of one program under qemu-aarch64 (cached for the whole test
// run) and under gunyah exec (in-process, with its output in temporary files).

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultCpuFactory, execProgram } from "../../src/exec/index.js";

export const root = path.resolve(import.meta.dirname, "..", "..");
export const buildDir = path.join(root, "guests/tests/build");
export const busybox = path.join(root, ".assets/busybox");
/** A QEMU model with LSE atomics (for the armv8.1-a builds) and no SVE. */
export const QEMU_CPU = "neoverse-n1";

function onPath(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

/** Why the QEMU comparisons cannot run here, or undefined if they can. */
export function missingTools(needBusybox = false): string | undefined {
  const missing = ["aarch64-linux-gnu-gcc", "qemu-aarch64"].filter((t) => !onPath(t));
  if (needBusybox && !fs.existsSync(busybox))
    missing.push(".assets/busybox (node bin/gunyah.js fetch --dir .assets)");
  if (missing.length === 0) return undefined;
  const message = `SKIPPED: the CPU's QEMU comparison needs ${missing.join(", ")} (.ci/run installs them)`;
  process.stderr.write(`\n*** test/exec: ${message} ***\n\n`);
  return message;
}

let built = false;
/** Builds guests/tests into guests/tests/build (incremental). */
export function buildGuests(): void {
  if (built) return;
  const r = spawnSync("bash", [path.join(root, "guests/tests/build.sh")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`guests/tests/build.sh failed:\n${r.stderr}`);
  built = true;
}

export interface RunOutput {
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Exit status, or 128 + signal. */
  readonly status: number;
}

const SIGNALS: Record<string, number> = {
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGSEGV: 11,
  SIGPIPE: 13,
};
const qemuCache = new Map<string, Promise<RunOutput>>();

/** Runs a program under qemu-aarch64 once per test run (same key, same promise). */
export function qemu(
  program: string,
  args: readonly string[],
  stdinFile?: string,
): Promise<RunOutput> {
  const key = JSON.stringify([program, args, stdinFile]);
  let p = qemuCache.get(key);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const stdin = stdinFile ? fs.openSync(stdinFile, "r") : "ignore";
      const child = spawn("qemu-aarch64", ["-cpu", QEMU_CPU, program, ...args], {
        stdio: [stdin, "pipe", "pipe"],
        env: { PATH: "/usr/bin:/bin", LC_ALL: "C" },
      });
      const out: Buffer[] = [];
      let err = "";
      child.stdout?.on("data", (d: Buffer) => out.push(d));
      child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        if (typeof stdin === "number") fs.closeSync(stdin);
        resolve({
          stdout: Buffer.concat(out),
          stderr: err,
          status: code ?? 128 + (SIGNALS[signal ?? ""] ?? 64),
        });
      });
    });
    qemuCache.set(key, p);
  }
  return p;
}

/** Runs a program under gunyah exec in this process. */
export function ours(program: string, args: readonly string[], stdinFile?: string): RunOutput {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-exec-run-"));
  const outPath = path.join(dir, "stdout");
  const errPath = path.join(dir, "stderr");
  const stdout = fs.openSync(outPath, "w");
  const stderr = fs.openSync(errPath, "w");
  const stdin = fs.openSync(stdinFile ?? "/dev/null", "r");
  try {
    const r = execProgram({
      program,
      argv: [program, ...args],
      // qemu() passes {PATH, LC_ALL}; QEMU 7.2 hands its environment to the guest in
      // reverse order, so this is the same envp, byte for byte.
      env: ["LC_ALL=C", "PATH=/usr/bin:/bin"],
      createCpu: defaultCpuFactory,
      stdio: { stdin, stdout, stderr },
    });
    if (!r.ok) throw new Error(r.error);
    return {
      stdout: fs.readFileSync(outPath),
      stderr: fs.readFileSync(errPath, "utf8"),
      status: r.value.exitCode,
    };
  } finally {
    for (const fd of [stdin, stdout, stderr]) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The hint printed with a mismatch: the command that finds the first divergence. */
export function traceDiffHint(program: string, args: readonly string[]): string {
  return `first divergence: node --import tsx tools/trace-diff.ts -- ${path.relative(root, program)} ${args.join(" ")}`;
}

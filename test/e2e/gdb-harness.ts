// Drives the real gdb-multiarch against `gunyah run --gdb 0` run in-process: the run
// prints the port it bound on stderr, gdb runs in batch mode as a child process, and
// the test asserts on what both print.
import { spawn, spawnSync } from "node:child_process";
import { main } from "../../src/cli/main.js";

export const haveGdb = spawnSync("gdb-multiarch", ["--version"]).status === 0;

export interface GunyahRun {
  readonly port: Promise<number>;
  readonly done: Promise<number>;
  stdout(): string;
  stderr(): string;
}

export function startGunyah(argv: string[]): GunyahRun {
  let stdout = "";
  let stderr = "";
  let found: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (found = resolve));
  const decoder = new TextDecoder();
  const done = main(argv, {
    stdout: (d) => void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
    stderr: (t) => {
      stderr += t;
      const m = /gdb server on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) found(Number(m[1]));
    },
    stdin: undefined,
    onInterrupt: undefined,
  });
  void done.then(() => found(-1));
  return { port, done, stdout: () => stdout, stderr: () => stderr };
}

export interface GdbResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs `gdb-multiarch -batch -nx <args>`. `interrupt(output)` is polled every 200 ms
 * while gdb runs; when it returns true gdb gets SIGINT once (GDB then sends Ctrl-C).
 */
export function runGdb(
  args: string[],
  interrupt?: (output: string) => boolean,
  timeoutMs = 240_000,
): Promise<GdbResult> {
  return new Promise((resolve) => {
    const child = spawn("gdb-multiarch", ["-batch", "-nx", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    let sent = false;
    const poll = setInterval(() => {
      if (!sent && interrupt?.(output)) {
        sent = true;
        child.kill("SIGINT");
      }
    }, 200);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// The `gunyah` command (bin/gunyah.js calls main). Subcommands register themselves on
// one commander program and report their exit code through `done`.

import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerExecCommand } from "./commands/exec.js";
import { registerFetchCommand } from "./commands/fetch.js";
import { registerRmServerCommand } from "./commands/rm-server.js";
import { registerRunCommand } from "./commands/run.js";
import { registerTraceCommand } from "./commands/trace.js";
import { registerWebCommand } from "./commands/web.js";
import type { CliIo } from "./io.js";
import { terminalInput } from "./terminal.js";
import { openHostPort } from "./host.js";
import { useJitByDefault } from "./v8-flags.js";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** `gunyah run | head`: once the reader is gone, the guest's output is dropped, not fatal. */
let stdoutClosed: boolean | undefined;
function writeStdout(data: string | Uint8Array): void {
  if (stdoutClosed === undefined) {
    stdoutClosed = false;
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      stdoutClosed = true;
    });
  }
  if (!stdoutClosed) process.stdout.write(data);
}

function defaultIo(): CliIo {
  return {
    stdout: writeStdout,
    stderr: (text) => void process.stderr.write(text),
    stderrIsTerminal: () => process.stderr.isTTY === true,
    openHost: openHostPort,
    stdin: terminalInput(),
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      return () => void process.off("SIGINT", handler);
    },
  };
}

/** Runs the command line `argv` (without the node and script names); resolves to the exit code. */
export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli: CliIo = { ...defaultIo(), ...io };
  useJitByDefault();
  let code = 0;
  const done = (c: number) => {
    code = c;
  };
  const program = new Command("gunyah")
    .description("The Gunyah hypervisor stack in TypeScript: run AArch64 guests on an emulated CPU")
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: (s) => cli.stdout(s), writeErr: (s) => cli.stderr(s) });
  registerRunCommand(program, cli, done);
  registerExecCommand(program, done);
  registerRmServerCommand(program, done);
  registerTraceCommand(program, cli, done);
  registerFetchCommand(program, cli, done);
  registerWebCommand(program, cli, done);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    cli.stderr(
      `gunyah: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 70; // EX_SOFTWARE
  }
  return code;
}

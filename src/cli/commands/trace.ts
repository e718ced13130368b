// `gunyah trace summary <file>`: what a trace written by `gunyah run --trace` holds,
// as tables (see src/cli/trace-summary.ts). Exit codes: 0 printed, 1 the file is
// missing, truncated or not a trace.

import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { formatSummary, parseTrace, summarize } from "../trace-summary.js";

export function registerTraceCommand(
  program: Command,
  io: Pick<CliIo, "stdout" | "stderr">,
  done: (code: number) => void,
): void {
  const trace = program.command("trace").description("read traces written by gunyah run --trace");
  trace
    .command("summary <file>")
    .description(
      "counts and host time per category, top hypercalls, RPC messages, MMIO registers, exits",
    )
    .action(async (file: string) => done(await summaryCommand(file, io)));
}

export async function summaryCommand(
  file: string,
  io: Pick<CliIo, "stdout" | "stderr">,
): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    io.stderr(`gunyah trace summary: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const parsed = parseTrace(text);
  if (typeof parsed === "string") {
    io.stderr(`gunyah trace summary: ${file}: ${parsed}\n`);
    return 1;
  }
  io.stdout(formatSummary(summarize(parsed)));
  return 0;
}

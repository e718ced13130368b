// `gunyah run`: boot a guest (by default the demo guest shipped with the package)
// through every layer and exit with the guest's outcome (see src/cli/README.md).

import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import {
  ExitCode,
  describeStartError,
  parseDiskOption,
  parseRtcBase,
  rtcTimeBase,
  runVm,
  validateConfig,
  type DiskOptions,
  type HypervisorPort,
  type MachineConfig,
  type MachineResources,
} from "../../vmm/index.js";
import { setLogSink } from "../../lib/log.js";
import { fileStore } from "../disk-file.js";
import { nodeFiles } from "../files.js";
import type { CliIo } from "../io.js";
import { CoalescedOutput } from "../output.js";
import { gdbSession, type GdbSession } from "../gdb-server.js";
import { formatRunStats } from "../stats.js";
import { resolveRunOptions, type RunOptions } from "../run-options.js";
import type { Tracer } from "../../lib/trace.js";
import { openTrace, type TraceOptions } from "./run-trace.js";

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** Layer log lines kept for a failed run (the most recent ones). */
const KEPT_LOG_LINES = 50;

export function registerRunCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command("run")
    .description("boot a guest VM (default: the demo guest) and exit with its outcome")
    .option(
      "--kernel <file>",
      "arm64 Linux Image, AArch64 ELF or raw binary to boot (default: the demo guest)",
    )
    .option(
      "--initrd <file>",
      "initial ramdisk (a cpio archive, optionally gzip'd); with --guest: shell, test or virtio",
    )
    .option("--append <cmdline>", "kernel command line (replaces the default console arguments)")
    .option("--memory <size>", "guest RAM, e.g. 256M or 1G; a bare number is MiB (default 256M)")
    .addOption(new Option("-m, --mem <size>", "the same as --memory").conflicts("memory"))
    .option("--cpus <n>", "number of vCPUs (default 1)")
    .addOption(new Option("--smp <n>", "the same as --cpus").conflicts("cpus"))
    .option("--config <file>", "settings from a JSON file (src/cli/README.md); options override it")
    .option("--guest <name>", "boot a guest that `gunyah fetch` downloaded: debian")
    .option("--assets <dir>", "the folder `gunyah fetch --dir` filled (default: the user cache)")
    .option("--timeout <seconds>", "stop the guest and fail if it has not powered off by then")
    .option("--dtb-out <file>", "also write the generated device tree blob to <file>")
    .option("--no-jit", "run guest code in the interpreter only (no WebAssembly JIT tier)")
    .option(
      "--disk <file>[,ro][,serial=<id>]",
      "a virtio-blk disk backed by <file> (repeatable; vda, vdb, ... in order)",
      collect,
      [],
    )
    .option("--rng", "a virtio-rng entropy device (/dev/hwrng in the guest)")
    .option("--virtio-console", "a virtio console (hvc0) that takes stdin; boot with console=hvc0")
    .option(
      "--on-unbacked <fault|stop>",
      "an access to an address that is neither RAM nor a device: inject an external abort (fault, default) or stop the VM",
    )
    .option(
      "--rtc-base <time>",
      "the guest RTC's time at start, ISO 8601 (e.g. 2021-03-04T05:06:07Z); default: the host's clock",
    )
    .option("--gdb <port>", "serve the GDB remote protocol on 127.0.0.1:<port> (0: any free port)")
    .option(
      "--gdb-wait",
      "with --gdb: hold the guest before its first instruction until gdb continues",
    )
    .option("--trace <file>", "write what happened at every boundary as Chrome trace-event JSON")
    .option(
      "--trace-filter <categories>",
      "trace only these: hvc,rpc,mem,irq,exit,vm (default all)",
    )
    .option(
      "--trace-limit <events>",
      "keep at most this many events; later ones are counted as dropped",
    )
    .option("-v, --verbose", "show the layers' log (RM, host, hypervisor) as it happens")
    .option(
      "--stats",
      "at exit, print per-vCPU instructions retired, exits by kind, MIPS (and JIT figures) on stderr",
    )
    .action(async (options: RunOptions & TraceOptions & { jit?: boolean }) => {
      // The CPUs are created deep in the platform; the arch layer reads this as it
      // builds each one (tiering.ts jitThreshold).
      if (options.jit === false) process.env["GUNYAH_JIT"] = "0";
      done(await runCommand(options, io));
    });
}

/**
 * The --disk arguments, or the first error. One file backs at most one disk: two
 * devices over the same file would each cache nothing yet race on every write.
 */
function parseDisks(texts: readonly string[]): DiskOptions[] | string {
  const disks: DiskOptions[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const disk = parseDiskOption(text);
    if (!disk.ok) return disk.error;
    const path = resolve(disk.value.path ?? "");
    if (seen.has(path)) return `--disk ${text}: ${path} is already a disk`;
    seen.add(path);
    disks.push(disk.value);
  }
  return disks;
}

function fail(io: CliIo, message: string, code: number = ExitCode.START_FAILED): number {
  io.stderr(`gunyah run: ${message}\n`);
  return code;
}

export async function runCommand(given: RunOptions & TraceOptions, io: CliIo): Promise<number> {
  const options = await resolveRunOptions(given);
  if (typeof options === "string") return fail(io, options);
  const config: MachineConfig = {
    ...(options.kernel !== undefined ? { kernelPath: options.kernel } : {}),
    ...(options.initrd !== undefined ? { initrdPath: options.initrd } : {}),
    ...(options.append !== undefined ? { bootargs: options.append } : {}),
    ...(options.memory !== undefined ? { memory: options.memory } : {}),
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
    ...(options.timeout !== undefined ? { timeoutSeconds: options.timeout } : {}),
    ...(options.onUnbacked !== undefined ? { onUnbacked: options.onUnbacked } : {}),
  };
  const resources = await validateConfig(config, nodeFiles);
  if (!resources.ok) return fail(io, describeStartError(resources.error));
  const rtcBase = options.rtcBase === undefined ? undefined : parseRtcBase(options.rtcBase);
  if (typeof rtcBase === "string") return fail(io, rtcBase);
  const disks = parseDisks(options.disk);
  if (typeof disks === "string") return fail(io, disks);
  const gdb = gdbSession(options, io);
  if (typeof gdb === "string") return fail(io, gdb);
  const trace = openTrace(given);
  if (typeof trace === "string") return fail(io, trace);

  // The layers log to lib/log. A clean run stays quiet (stdout is the guest's); a failed
  // one shows the last lines before its one-line verdict; --verbose shows them live.
  const kept: string[] = [];
  const previousSink = setLogSink((line) => {
    if (options.verbose) return io.stderr(`${line}\n`);
    kept.push(line);
    if (kept.length > KEPT_LOG_LINES) kept.shift();
  });
  try {
    const run = { ...options, rtcBaseNs: rtcBase };
    const code = await openAndRun(resources.value, disks, run, io, kept, gdb, trace?.tracer);
    return code;
  } finally {
    trace?.finish();
    setLogSink(previousSink);
  }
}

async function openAndRun(
  resources: MachineResources,
  disks: readonly DiskOptions[],
  options: RunOptions & { readonly rtcBaseNs: bigint | undefined },
  io: CliIo,
  kept: string[],
  gdb: GdbSession | undefined,
  tracer: Tracer | undefined,
): Promise<number> {
  const host = await io.openHost({
    guestMemory: resources.memorySize,
    ...(tracer ? { tracer } : {}),
  });
  if (typeof host === "string") return failWithLog(io, kept, host);
  const started = performance.now();
  try {
    const r = await runOn(host, resources, disks, { ...options, tracer }, io, gdb);
    return typeof r === "number" ? r : failWithLog(io, kept, r.message, r.code);
  } finally {
    if (options.stats === true && host.vcpuStats)
      io.stderr(formatRunStats(host.vcpuStats(), (performance.now() - started) / 1000));
    host.close?.();
  }
}

function failWithLog(io: CliIo, kept: readonly string[], message: string, code?: number): number {
  for (const line of kept) io.stderr(`${line}\n`);
  return fail(io, message, code);
}

async function runOn(
  host: HypervisorPort,
  resources: MachineResources,
  disks: readonly DiskOptions[],
  options: RunOptions & {
    readonly tracer: Tracer | undefined;
    readonly rtcBaseNs: bigint | undefined;
  },
  io: CliIo,
  gdb: GdbSession | undefined,
): Promise<number | { message: string; code: number }> {
  // Ctrl-A X needs the machine, which needs the console: bind it once both exist.
  const escape: { leave?: () => void } = {};
  const stdin = io.stdin;
  const output = new CoalescedOutput((bytes) => io.stdout(bytes));
  const input = stdin
    ? (onData: (b: Uint8Array) => void) => stdin.attach(onData, () => escape.leave?.())
    : undefined;
  let unsubscribe: (() => void) | undefined;
  try {
    const r = await runVm(host, {
      resources,
      disks,
      openDisk: fileStore,
      rng: options.rng === true,
      virtioConsole: options.virtioConsole === true,
      // The vRTC starts at --rtc-base, or at the host's clock read just before start.
      rtc: { timeBaseNs: rtcTimeBase(options.rtcBaseNs) },
      ...(options.tracer ? { tracer: options.tracer } : {}),
      console: { output: (bytes) => output.write(bytes), ...(input ? { input } : {}) },
      ...(gdb ? { debug: gdb.debug, onStarted: gdb.onStarted } : {}),
      onBuilt: async (machine) => {
        if (options.dtbOut !== undefined) {
          try {
            await writeFile(options.dtbOut, machine.deviceTree);
          } catch (e) {
            return `--dtb-out ${options.dtbOut}: ${(e as Error).message}`;
          }
        }
        escape.leave = () => machine.interrupt("left with Ctrl-A X");
        unsubscribe = io.onInterrupt?.(() => machine.interrupt("interrupted (SIGINT)"));
        return undefined;
      },
    });
    output.flush();
    gdb?.finish(r.code);
    if (gdb?.error !== undefined) return { message: gdb.error, code: ExitCode.START_FAILED };
    return r.code === ExitCode.OK ? r.code : { message: r.message ?? "", code: r.code };
  } finally {
    gdb?.close();
    output.flush();
    unsubscribe?.();
  }
}

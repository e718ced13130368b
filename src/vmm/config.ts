// Step 1 and 2 of the machine builder (Firecracker's order, style rule 7): the user's
// configuration, and its validation into resources the builder can use without any
// further check (files read, sizes parsed, the kernel parsed, the boot plan made).
// Files come through a FileSource, so the VMM needs no file system: the CLI reads
// them from disk (src/cli/files.ts), a browser page hands over the bytes it was given.

import { err, ok, type Result } from "../lib/result.js";
import { isAligned } from "../lib/checked.js";
import { parseKernel, planBoot, type BootPlan, type KernelImage } from "./loader.js";
import { MAX_VCPUS, MachineLayout } from "./layout.js";
import type { StartError } from "./outcome.js";
import type { UnbackedPolicy } from "./vcpu-loop.js";

/**
 * The demo guest shipped with the package (guests/demo), found from this module's
 * place (a file: URL's path, percent-decoded, as node:url's fileURLToPath does on POSIX).
 */
export const DEMO_GUEST_PATH = decodeURIComponent(
  new URL("../../guests/demo/demo.bin", import.meta.url).pathname,
);

/** Where the machine's input files (kernel, initrd) come from. */
export interface FileSource {
  /** The file's bytes, or why it cannot be read ("no such file", "is a directory"...). */
  read(path: string): Promise<Result<Uint8Array, string>>;
}

/** Files held in memory by name (a browser page's picked or downloaded files; tests). */
export function memoryFiles(files: ReadonlyMap<string, Uint8Array>): FileSource {
  return {
    read: (path) => {
      const bytes = files.get(path);
      return Promise.resolve(bytes ? ok(bytes) : err("no such file"));
    },
  };
}

export const DEFAULT_MEMORY = 256 * 1024 * 1024;
export const MIN_MEMORY = 4 * 1024 * 1024;
/** A sanity bound; the host refuses what it cannot back before this matters. */
export const MAX_MEMORY = 16 * 1024 * 1024 * 1024;
export const DEFAULT_BOOTARGS = `console=ttyAMA0 earlycon=pl011,mmio32,0x${MachineLayout.uart.base.toString(16)}`;
/** Room for our device tree plus the nodes the RM adds (/hypervisor) when it edits it. */
export const DTB_RESERVE = 64 * 1024;
/** setTimeout's limit (2^31 - 1 ms), about 24.8 days. */
const MAX_TIMEOUT_SECONDS = Math.floor(0x7fff_ffff / 1000);

export interface MachineConfig {
  /** A raw binary or an arm64 Linux `Image`; default the demo guest. */
  readonly kernelPath?: string;
  readonly initrdPath?: string;
  /** The kernel command line (replaces the default console arguments). */
  readonly bootargs?: string;
  /** Bytes, or a size like "256M", "1G", "512MiB"; a bare number is MiB, as QEMU's -m. */
  readonly memory?: string | number;
  readonly cpus?: string | number;
  /** Stop a guest that has not stopped after this many seconds. */
  readonly timeoutSeconds?: string | number;
  /** An access to nothing: "fault" (default, an abort in the guest) or "stop" the VM. */
  readonly onUnbacked?: string;
}

export interface MachineResources {
  readonly kernelPath: string;
  readonly kernel: KernelImage;
  readonly initrd?: Uint8Array;
  readonly bootargs: string;
  readonly memorySize: number;
  readonly cpus: number;
  readonly timeoutSeconds?: number;
  readonly onUnbacked?: UnbackedPolicy;
  readonly plan: BootPlan;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1 << 20,
  k: 1 << 10,
  m: 1 << 20,
  g: 1 << 30,
};

/** Parses "256M", "1G", "512MiB", "65536K" or a bare number of MiB. */
export function parseMemorySize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isSafeInteger(text) && text > 0 ? text : undefined;
  const m = /^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] ?? "").toLowerCase()];
  const n = Number(m[1]);
  if (unit === undefined || !Number.isSafeInteger(n * unit)) return undefined;
  return n * unit;
}

function badOption(option: string, message: string): Result<never, StartError> {
  return err({ kind: "bad-option", option, message });
}

function validateMemory(value: string | number | undefined): Result<number, StartError> {
  if (value === undefined) return ok(DEFAULT_MEMORY);
  const size = parseMemorySize(value);
  if (size === undefined)
    return badOption("--memory", `"${value}" is not a size (examples: 256M, 1G)`);
  if (size < MIN_MEMORY || size > MAX_MEMORY)
    return badOption(
      "--memory",
      `must be between ${MIN_MEMORY / 2 ** 20} MiB and ${MAX_MEMORY / 2 ** 30} GiB`,
    );
  if (!isAligned(size, 0x1000)) return badOption("--memory", "must be a multiple of 4 KiB");
  return ok(size);
}

function validateCount(
  option: string,
  value: string | number | undefined,
  max: number,
): Result<number, StartError> {
  if (value === undefined) return ok(1);
  const n = typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    return badOption(option, `"${value}" is not a whole number from 1 to ${max}`);
  return ok(n);
}

function validateTimeout(
  value: string | number | undefined,
): Result<number | undefined, StartError> {
  if (value === undefined) return ok(undefined);
  const n =
    typeof value === "number" ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > MAX_TIMEOUT_SECONDS)
    return badOption("--timeout", `"${value}" is not a number of seconds above 0`);
  return ok(n);
}

function validateUnbacked(value: string | undefined): Result<UnbackedPolicy, StartError> {
  if (value === undefined || value === "fault") return ok("fault");
  if (value === "stop") return ok("stop");
  return badOption("--on-unbacked", `"${value}" is not one of: fault, stop`);
}

async function readInput(files: FileSource, path: string): Promise<Result<Uint8Array, StartError>> {
  const r = await files.read(path);
  return r.ok ? r : err({ kind: "file", path, message: r.error });
}

export async function validateConfig(
  config: MachineConfig,
  files: FileSource,
): Promise<Result<MachineResources, StartError>> {
  const memory = validateMemory(config.memory);
  if (!memory.ok) return memory;
  const cpus = validateCount("--cpus", config.cpus, MAX_VCPUS);
  if (!cpus.ok) return cpus;
  const timeout = validateTimeout(config.timeoutSeconds);
  if (!timeout.ok) return timeout;
  const onUnbacked = validateUnbacked(config.onUnbacked);
  if (!onUnbacked.ok) return onUnbacked;

  const kernelPath = config.kernelPath ?? DEMO_GUEST_PATH;
  const kernelBytes = await readInput(files, kernelPath);
  if (!kernelBytes.ok) return kernelBytes;
  const kernel = parseKernel(kernelBytes.value, {
    base: MachineLayout.ramBase,
    size: memory.value,
  });
  if (!kernel.ok) return err({ kind: "load", error: kernel.error });

  let initrd: Uint8Array | undefined;
  if (config.initrdPath !== undefined) {
    const r = await readInput(files, config.initrdPath);
    if (!r.ok) return r;
    if (r.value.length === 0)
      return err({ kind: "file", path: config.initrdPath, message: "the initrd is empty" });
    initrd = r.value;
  }
  const plan = planBoot({
    ramSize: memory.value,
    kernel: kernel.value,
    dtbReserve: DTB_RESERVE,
    ...(initrd ? { initrdSize: initrd.length } : {}),
  });
  if (!plan.ok) return err({ kind: "load", error: plan.error });

  return ok({
    kernelPath,
    kernel: kernel.value,
    ...(initrd ? { initrd } : {}),
    bootargs: config.bootargs ?? DEFAULT_BOOTARGS,
    memorySize: memory.value,
    cpus: cpus.value,
    ...(timeout.value !== undefined ? { timeoutSeconds: timeout.value } : {}),
    onUnbacked: onUnbacked.value,
    plan: plan.value,
  });
}

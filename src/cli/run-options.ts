// The settings of `gunyah run` from every source, merged: the --config file first,
// then the command line over it; the aliases people know from QEMU and crosvm
// (-m/--mem, --smp) folded into --memory and --cpus; and --guest debian turned into
// the kernel and initrd paths in `gunyah fetch`'s cache.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { DebianFiles, defaultCacheDir, type DebianInitrd } from "./fetch/cache-dir.js";
import { readRunConfig } from "./run-config.js";

export interface RunOptions {
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  readonly memory?: string;
  /** -m / --mem: the same as --memory. */
  readonly mem?: string;
  readonly cpus?: string;
  /** --smp: the same as --cpus. */
  readonly smp?: string;
  readonly timeout?: string;
  readonly dtbOut?: string;
  readonly verbose?: boolean;
  /** --stats: per-vCPU run statistics on stderr at exit. */
  readonly stats?: boolean;
  readonly disk: readonly string[];
  readonly rng?: boolean;
  readonly virtioConsole?: boolean;
  readonly config?: string;
  readonly guest?: string;
  readonly assets?: string;
  /** An access to nothing: "fault" (an abort in the guest, default) or "stop". */
  readonly onUnbacked?: string;
  /** --gdb <port>: serve the GDB remote protocol on 127.0.0.1. */
  readonly gdb?: string;
  readonly gdbWait?: boolean;
  /** --rtc-base <ISO 8601>: the guest RTC's time at start (default: the host's clock). */
  readonly rtcBase?: string;
}

/** What --guest debian appends when --append is not given. */
export const DEBIAN_BOOTARGS = "console=ttyAMA0 cryptomgr.notests=1";
export const GUESTS = ["debian"] as const;

/** The merged options, or the first error (one line, naming the option or key). */
export async function resolveRunOptions(cli: RunOptions): Promise<RunOptions | string> {
  let fromFile: Record<string, unknown> = {};
  if (cli.config !== undefined) {
    const r = await readRunConfig(cli.config);
    if (typeof r === "string") return r;
    fromFile = r;
  }
  const given = Object.fromEntries(Object.entries(cli).filter(([, v]) => v !== undefined));
  if (Array.isArray(given.disk) && given.disk.length === 0) delete given.disk;
  const merged = { disk: [], ...fromFile, ...given } as RunOptions;
  const folded: RunOptions = {
    ...merged,
    ...(merged.mem !== undefined ? { memory: merged.mem } : {}),
    ...(merged.smp !== undefined ? { cpus: merged.smp } : {}),
  };
  return folded.guest === undefined ? folded : resolveGuest(folded);
}

function resolveGuest(o: RunOptions): RunOptions | string {
  if (o.guest !== "debian")
    return `--guest: unknown guest "${o.guest}" (known: ${GUESTS.join(", ")})`;
  if (o.kernel !== undefined) return "--guest and --kernel cannot be used together";
  const dir = o.assets ?? defaultCacheDir();
  const kernel = join(dir, DebianFiles.kernel);
  if (!existsSync(kernel))
    return `--guest debian: no Debian kernel in ${dir}: run \`gunyah fetch${o.assets !== undefined ? ` --dir ${dir}` : ""}\` first`;
  const initrd = debianInitrd(dir, o.initrd);
  return { ...o, kernel, initrd, append: o.append ?? DEBIAN_BOOTARGS };
}

/** --initrd with --guest: one of the fetched images by name, else a path as usual. */
function debianInitrd(dir: string, initrd: string | undefined): string {
  const names = DebianFiles.initrds;
  const name = (initrd ?? "shell") as DebianInitrd;
  return Object.hasOwn(names, name) ? join(dir, names[name]) : (initrd ?? "");
}

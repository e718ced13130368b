// `gunyah fetch [debian]`: download, verify and unpack the Debian guest into the user's
// cache (src/cli/fetch/debian.ts), so that `gunyah run --guest debian` boots it.

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { defaultCacheDir } from "../fetch/cache-dir.js";
import { DEFAULT_MIRROR, DEFAULT_SECURITY_MIRROR, fetchDebian } from "../fetch/debian.js";
import { progressReporter } from "../fetch/progress.js";
import type { CliIo } from "../io.js";

interface FetchCommandOptions {
  readonly dir?: string;
  readonly mirror?: string;
  readonly securityMirror?: string;
  readonly keyring?: string;
}

export function registerFetchCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command("fetch")
    .description(
      "download Debian 12's arm64 kernel and busybox (verified) for `run --guest debian`",
    )
    .argument("[guest]", "what to fetch: debian", "debian")
    .option("--dir <dir>", "the cache folder (default: the user's cache folder, gunyah/)")
    .option("--mirror <url>", "a Debian mirror", DEFAULT_MIRROR)
    .option("--security-mirror <url>", "a Debian security mirror", DEFAULT_SECURITY_MIRROR)
    .option("--keyring <file>", "trust these OpenPGP keys instead of Debian's archive keys")
    .action(async (guest: string, options: FetchCommandOptions) =>
      done(await fetchCommand(guest, options, io)),
    );
}

export async function fetchCommand(
  guest: string,
  options: FetchCommandOptions,
  io: CliIo,
): Promise<number> {
  if (guest !== "debian") {
    io.stderr(`gunyah fetch: unknown guest "${guest}" (known: debian)\n`);
    return 1;
  }
  const dir = resolve(options.dir ?? defaultCacheDir());
  const progress = progressReporter(io.stderr, io.stderrIsTerminal?.() ?? false);
  try {
    const keyring =
      options.keyring !== undefined ? new Uint8Array(await readFile(options.keyring)) : undefined;
    const r = await fetchDebian({
      ...(keyring ? { keyring } : {}),
      dir,
      progress,
      ...(options.mirror !== undefined ? { mirror: options.mirror } : {}),
      ...(options.securityMirror !== undefined ? { securityMirror: options.securityMirror } : {}),
    });
    const { kernel, busybox } = r.manifest;
    const what = `${kernel.package} ${kernel.version} and ${busybox.package} ${busybox.version} in ${dir}`;
    if (r.status === "offline")
      io.stderr(
        `gunyah fetch: the mirror cannot be reached (${r.reason}); the cache is complete: ${what} (checked ${r.manifest.checked})\n`,
      );
    else if (r.status === "current") io.stderr(`gunyah fetch: up to date: ${what}\n`);
    else io.stderr(`gunyah fetch: ready: ${what}\n`);
    return 0;
  } catch (e) {
    io.stderr(`gunyah fetch: ${(e as Error).message}\n`);
    return 1;
  }
}

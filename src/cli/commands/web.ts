// `gunyah web`: serves the browser page (the whole stack in a tab) on loopback and
// prints its URL; runs until Ctrl-C. See src/cli/README.md.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { defaultCacheDir } from "../fetch/cache-dir.js";
import { assetListing, startWebServer } from "../web-server.js";

interface WebOptions {
  readonly port: string;
  readonly host: string;
  readonly assets?: string;
  readonly dir?: string;
}

/** The package root: src/cli/commands or dist/cli/commands, three levels up. */
const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));
const PAGE_DIR = `${packageRoot}dist/web`;

export function registerWebCommand(
  program: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  program
    .command("web")
    .description("serve the browser page (the VM runs in the tab) on loopback and print its URL")
    .option("--port <n>", "TCP port (0 picks a free one)", "8080")
    .option("--host <address>", "loopback address to listen on", "127.0.0.1")
    .option(
      "--assets <dir>",
      "the Debian guest to offer the page: a `gunyah fetch` folder (default: its cache folder)",
    )
    .option("--dir <dir>", "the same as --assets (the name `gunyah fetch --dir` uses)")
    .action(async (options: WebOptions) => done(await webCommand(options, io)));
}

export async function webCommand(options: WebOptions, io: CliIo): Promise<number> {
  const port = /^\d+$/.test(options.port) ? Number(options.port) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    io.stderr(`gunyah web: --port ${options.port}: not a port number (0-65535)\n`);
    return 1;
  }
  if (!existsSync(`${PAGE_DIR}/index.html`)) {
    io.stderr(`gunyah web: the page is not built (${PAGE_DIR}): run npm run build:web\n`);
    return 1;
  }
  if (options.assets !== undefined && options.dir !== undefined && options.assets !== options.dir) {
    io.stderr("gunyah web: --assets and --dir name the same folder: give one\n");
    return 1;
  }
  // The folder `gunyah fetch` fills and `gunyah run --guest debian` boots from.
  const assets = resolve(options.assets ?? options.dir ?? defaultCacheDir());
  let server;
  try {
    server = await startWebServer({ root: PAGE_DIR, assets, host: options.host, port });
  } catch (e) {
    io.stderr(`gunyah web: ${(e as Error).message}\n`);
    return 1;
  }
  const offered = assetListing(assets);
  io.stdout(`gunyah web: serving the page at ${server.url}\n`);
  io.stdout(
    offered
      ? `gunyah web: offering Debian's Linux from ${assets} (${offered.initrds.join(", ")})\n`
      : `gunyah web: no Debian guest in ${assets}: run \`npx gunyah fetch${(options.assets ?? options.dir) ? ` --dir ${assets}` : ""}\` for one-click Linux, or pick files in the page\n`,
  );
  await new Promise<void>((stop) => {
    const unsubscribe = io.onInterrupt?.(() => {
      unsubscribe?.();
      stop();
    });
  });
  await server.close();
  return 0;
}

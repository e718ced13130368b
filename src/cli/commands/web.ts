// `gunyah web`: serves the browser page (the whole stack in a tab) on loopback and
// prints its URL; runs until Ctrl-C. See src/cli/README.md.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { assetListing, startWebServer } from "../web-server.js";

interface WebOptions {
  readonly port: string;
  readonly host: string;
  readonly assets?: string;
}

/** The package root: src/cli/commands or dist/cli/commands, three levels up. */
const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));
const PAGE_DIR = `${packageRoot}dist/web`;
const DEFAULT_ASSETS = `${packageRoot}.assets`;

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
    .option("--assets <dir>", "Debian assets to offer the page (default: the package's .assets)")
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
  const assets = options.assets ?? DEFAULT_ASSETS;
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
      : `gunyah web: no Debian assets in ${assets} (scripts/fetch-linux-assets.sh); pick files in the page\n`,
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

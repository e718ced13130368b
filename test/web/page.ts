// Shared steps of the browser tests: a freshly built page folder served by `gunyah web`'s
// server, Chromium on it, and readers of what the page shows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { buildWeb } from "../../scripts/build-web.js";
import { startWebServer, type WebServer } from "../../src/cli/web-server.js";
import { launchChromium, type RunningBrowser } from "./browser.js";

export const ASSETS = resolve(import.meta.dirname, "..", "..", ".assets");

export interface PageRig {
  readonly server: WebServer;
  readonly chromium: RunningBrowser;
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

export async function openPage(query = ""): Promise<PageRig> {
  const root = mkdtempSync(join(tmpdir(), "gunyah-web-"));
  await buildWeb(root);
  const server = await startWebServer({ root, assets: ASSETS, host: "127.0.0.1", port: 0 });
  const chromium = await launchChromium();
  const page = await chromium.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.url}${query}`);
  return {
    server,
    chromium,
    page,
    errors,
    close: async () => {
      await chromium.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The console's visible text as xterm's DOM renderer shows it, one row per line. */
export async function consoleText(page: Page): Promise<string> {
  return (await page.locator(".xterm-rows > div").allTextContents()).join("\n");
}

/** The live panel's instructions retired. */
export async function instructionsShown(page: Page): Promise<number> {
  return Number((await page.textContent("#s-instructions"))?.replace(/,/g, ""));
}

/** Polls `check` until it holds; fails after `timeout` ms naming `what`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeout: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the console shows a line matching `pattern`; returns the console text. */
export async function waitForConsole(
  page: Page,
  pattern: RegExp,
  timeout: number,
): Promise<string> {
  try {
    await waitFor(async () => pattern.test(await consoleText(page)), timeout, String(pattern));
  } catch (e) {
    const shown = await consoleText(page).catch(() => "(unreadable)");
    throw new Error(`${String(e)} in the console, which shows:\n${shown}`);
  }
  return consoleText(page);
}

/** Waits for the run's verdict ("exit <code>: <message>") and returns it. */
export async function waitForVerdict(page: Page, timeout: number): Promise<string> {
  let verdict = "";
  await waitFor(
    async () => /^exit \d+: /.test((verdict = (await page.textContent("#verdict")) ?? "")),
    timeout,
    "the verdict",
  );
  return verdict;
}

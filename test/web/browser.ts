// Debian's Chromium (installed by .ci/run), driven by playwright-core over CDP: nothing
// downloads a browser. The flags keep it quiet on a machine without a network or a GPU.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.GUNYAH_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or false. */
export const noBrowser: string | false = existsSync(CHROMIUM)
  ? false
  : `SKIPPED: no ${CHROMIUM} (apt-get install --no-install-recommends chromium)`;

export interface RunningBrowser {
  readonly browser: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<RunningBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "gunyah-chromium-"));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Debian's stock arm64 Linux in the page, in Debian's Chromium: the server offers the
// fetched kernel and busybox initramfs, the page boots them in its worker, the marker of
// /init appears in the console's DOM, and a command typed into the console is answered
// by the guest's shell; the page's RTC base (`--rtc-base`) is the date the guest's
// `date` prints. One boot for all (the emulator takes minutes for it).
// GUNYAH_WEB_SCREENSHOT=docs/web-linux.png saves the page at that point (the README's
// picture).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { noBrowser } from "./browser.js";
import {
  ASSETS,
  consoleText,
  instructionsShown,
  openPage,
  waitForConsole,
  waitForVerdict,
} from "./page.js";

const skip =
  noBrowser ||
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!existsSync(join(ASSETS, "linux", "Image")) &&
    "SKIPPED: no .assets/linux: run scripts/fetch-linux-assets.sh");

const SCREENSHOT = process.env.GUNYAH_WEB_SCREENSHOT;
const BOOT_TIMEOUT = 25 * 60_000;

test(
  "Debian's Linux boots in the page to a shell that answers what is typed",
  { skip, timeout: BOOT_TIMEOUT + 120_000 },
  async () => {
    const rig = await openPage("?boot=none");
    try {
      const { page } = rig;
      await page.waitForSelector("#server-assets:not([hidden])");
      await page.selectOption("#server-initrd", "initramfs.cpio.gz");
      await page.fill("#append", "console=ttyAMA0 cryptomgr.notests=1");
      await page.selectOption("#memory", "512M");
      await page.fill("#rtc-base", "2021-03-04T05:06:07Z");
      await page.click("#boot-server");
      // /init's marker, then busybox's prompt (cttyhack sh on the console).
      await waitForConsole(page, /gunyah-ts: busybox userland up/, BOOT_TIMEOUT);
      await waitForConsole(page, /# \s*$/m, 120_000);

      await page.click("#terminal");
      await page.keyboard.type("echo $((6*7))\n", { delay: 20 });
      const text = await waitForConsole(page, /^42\s*$/m, 120_000);
      assert.match(text, /echo \$\(\(6\*7\)\)/); // the guest's echo of what was typed
      // Linux's rtc-pl031 set the system time from the vRTC at the page's base.
      await page.keyboard.type("date -u +%Y-%m-%d\n", { delay: 20 });
      await waitForConsole(page, /^2021-03-04\s*$/m, 120_000);
      assert.equal(await page.getAttribute("#state", "data-state"), "running");
      const instructions = await instructionsShown(page);
      assert.ok(instructions > 1e8, `instructions retired: ${instructions}`);
      if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });

      await page.click("#stop");
      assert.equal(
        await waitForVerdict(page, 30_000),
        "exit 130: guest stopped: stopped from the page",
      );
      assert.deepEqual(rig.errors, []);
      await consoleText(page);
    } finally {
      await rig.close();
    }
  },
);

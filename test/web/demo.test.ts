// The page in Debian's Chromium: it boots the demo guest at once (the greeting read from
// the console's DOM), shows the run live, reports a crash with `gunyah run`'s verdict,
// and stops, resets and boots again without a reload.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import { noBrowser } from "./browser.js";
import {
  consoleText,
  instructionsShown,
  openPage,
  waitFor,
  waitForConsole,
  waitForVerdict,
} from "./page.js";

const DEMO = resolve(import.meta.dirname, "..", "..", "guests", "demo", "demo.bin");

/** `gunyah run`'s exit code and one-line verdict (its last stderr line) for `args`. */
async function cliVerdictOf(args: string[]): Promise<{ code: number; verdict: string }> {
  let stderr = "";
  const code = await main(["run", ...args], {
    stdout: () => {},
    stderr: (t) => void (stderr += t),
    stdin: undefined,
    onInterrupt: undefined,
  });
  const verdict =
    stderr
      .trim()
      .split("\n")
      .pop()
      ?.replace(/^gunyah run: /, "") ?? "";
  return { code, verdict };
}

/** `gunyah run --stats`' total instructions and vCPU 0's exits ("kind count", by count). */
async function cliStats(kernel: string): Promise<{ instructions: number; exits: string[] }> {
  let stderr = "";
  const code = await main(["run", "--kernel", kernel, "--stats"], {
    stdout: () => {},
    stderr: (t) => void (stderr += t),
    stdin: undefined,
    onInterrupt: undefined,
  });
  assert.equal(code, 0, stderr);
  const total = /^stats: total: ([\d,]+) instructions/m.exec(stderr)?.[1];
  const exits = /^stats: vCPU 0: .*; exits: (.*)$/m.exec(stderr)?.[1];
  assert.ok(total !== undefined && exits !== undefined, stderr);
  return {
    instructions: Number(total.replace(/,/g, "")),
    exits: exits.split(", ").map((e) => e.replace(/,/g, "")),
  };
}

test(
  "the page boots the demo guest at once and shows its greeting and the run",
  { skip: noBrowser, timeout: 180_000 },
  async () => {
    const rig = await openPage();
    try {
      const verdict = await waitForVerdict(rig.page, 120_000);
      assert.equal(verdict, "exit 0: guest powered off");
      const text = await consoleText(rig.page);
      assert.match(text, /Hello from the gunyah-ts demo guest!/);
      assert.match(text, /demo: Gunyah hypervisor API version 1, variant 0x48 \(Gunyah\)/);
      assert.match(text, /demo: powering off/);
      // The live panel at the end of the run shows the hypervisor's run statistics:
      // the figures `gunyah run --stats` prints for the same guest (it is deterministic:
      // guest time is counted in instructions).
      const cli = await cliStats(DEMO);
      assert.equal(await rig.page.textContent("#s-vcpus"), "1");
      assert.equal(await instructionsShown(rig.page), cli.instructions);
      assert.ok(cli.instructions > 1000, `instructions retired: ${cli.instructions}`);
      const rows = await rig.page.locator("#s-exits tr").allInnerTexts();
      const shown = rows.map((r) => r.replace(/\s+/g, " ").replace(/,/g, "").trim());
      assert.deepEqual(shown, cli.exits);
      assert.ok(
        shown.some((r) => /^vmmio \d+$/.test(r)),
        shown.join("; "),
      );

      // Boot again without a reload: the same greeting, a fresh run.
      await rig.page.click("#reset");
      assert.equal(await waitForVerdict(rig.page, 120_000), "exit 0: guest powered off");
      assert.match(await consoleText(rig.page), /Hello from the gunyah-ts demo guest!/);
      assert.deepEqual(rig.errors, []);
    } finally {
      await rig.close();
    }
  },
);

test(
  "a guest crash and a malformed RTC base in the page get the verdicts gunyah run gives",
  { skip: noBrowser, timeout: 180_000 },
  async () => {
    // UDF #0 at the entry point: an undefined instruction with no exception vector mapped.
    const dir = mkdtempSync(join(tmpdir(), "gunyah-crash-"));
    const kernel = join(dir, "udf.bin");
    writeFileSync(kernel, new Uint8Array(4));
    const crash = await cliVerdictOf(["--kernel", kernel]);
    assert.equal(crash.code, 2);
    assert.match(crash.verdict, /^guest crashed: /);
    // February 30th: the CLI refuses it before any VM exists (exit 1).
    const badRtc = await cliVerdictOf(["--kernel", kernel, "--rtc-base", "2021-02-30"]);
    assert.equal(badRtc.code, 1);
    assert.match(badRtc.verdict, /^--rtc-base "2021-02-30": not an ISO 8601/);

    const rig = await openPage("?boot=none");
    try {
      await rig.page.setInputFiles("#pick-kernel", kernel);
      await rig.page.waitForSelector('#picked li:has-text("udf.bin")');
      await rig.page.selectOption("#memory", "256M");
      await rig.page.click("#boot-files");
      assert.equal(await waitForVerdict(rig.page, 120_000), `exit 2: ${crash.verdict}`);
      assert.equal(await rig.page.getAttribute("#state", "data-state"), "failed");

      await rig.page.fill("#rtc-base", "2021-02-30");
      await rig.page.click("#boot-files");
      assert.equal(await waitForVerdict(rig.page, 120_000), `exit 1: ${badRtc.verdict}`);
      // Nothing ran: the worker stopped before the platform booted.
      assert.equal(await rig.page.textContent("#s-instructions"), "-");
    } finally {
      await rig.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "Stop ends a running guest with the verdict of a user stop, and Reset boots it again",
  { skip: noBrowser, timeout: 180_000 },
  async () => {
    // A guest that spins forever: b . at the entry point.
    const dir = mkdtempSync(join(tmpdir(), "gunyah-spin-"));
    const kernel = join(dir, "spin.bin");
    writeFileSync(kernel, new Uint8Array([0x00, 0x00, 0x00, 0x14]));
    const rig = await openPage("?boot=none");
    try {
      await rig.page.setInputFiles("#pick-kernel", kernel);
      await rig.page.waitForSelector('#picked li:has-text("spin.bin")');
      await rig.page.click("#boot-files");
      await rig.page.waitForSelector('#state[data-state="running"]');
      // Instructions keep being retired while it runs.
      await waitFor(
        async () => (await instructionsShown(rig.page)) > 1e6,
        60_000,
        "1e6 instructions",
      );
      await rig.page.click("#stop");
      assert.equal(
        await waitForVerdict(rig.page, 30_000),
        "exit 130: guest stopped: stopped from the page",
      );
      await rig.page.click("#reset");
      await rig.page.waitForSelector('#state[data-state="running"]', { timeout: 60_000 });
      assert.equal(await rig.page.textContent("#verdict"), "");
      await rig.page.click("#stop");
      assert.equal(
        await waitForVerdict(rig.page, 30_000),
        "exit 130: guest stopped: stopped from the page",
      );
      await waitForConsole(rig.page, /spin\.bin/, 5_000);
    } finally {
      await rig.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

// The layer trace in the page, in Debian's Chromium: with the Trace switch on, the demo
// guest's boot shows the latest events of each layer in the live view (filtered by
// layer), and "Download trace" saves a file in the format `gunyah run --trace` writes:
// `gunyah trace summary`'s parser reads it, and its RPC sequence is the CLI's for the
// same guest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import { parseTrace, type ParsedTrace } from "../../src/cli/trace-summary.js";
import { noBrowser } from "./browser.js";
import { openPage, waitForVerdict } from "./page.js";

const DEMO = resolve(import.meta.dirname, "..", "..", "guests", "demo", "demo.bin");

function parsed(text: string): ParsedTrace {
  const trace = parseTrace(text);
  assert.ok(typeof trace !== "string", trace as string);
  return trace;
}

/** The RPC calls in the order they were sent (complete events of the rpc category, by seq). */
const rpcSequence = (t: ParsedTrace) =>
  t.events
    .filter((e) => e.cat === "rpc" && e.ph === "X")
    .sort((a, b) => Number(a.args.seq) - Number(b.args.seq))
    .map((e) => e.name);

const categories = (t: ParsedTrace) =>
  [...new Set(t.events.filter((e) => e.ph !== "M").map((e) => e.cat))].sort();

async function cliTrace(): Promise<ParsedTrace> {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-web-trace-"));
  try {
    const file = join(dir, "demo.json");
    const code = await main(["run", "--kernel", DEMO, "--trace", file], {
      stdout: () => {},
      stderr: () => {},
      stdin: undefined,
      onInterrupt: undefined,
    });
    assert.equal(code, 0);
    return parsed(readFileSync(file, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  "with Trace on, the page shows each layer's events live and downloads gunyah run --trace's format",
  { skip: noBrowser, timeout: 240_000 },
  async () => {
    const cli = await cliTrace();
    const rig = await openPage("?boot=none");
    try {
      const { page } = rig;
      await page.check("#trace-on");
      await page.click("#boot-demo");
      assert.equal(await waitForVerdict(page, 120_000), "exit 0: guest powered off");

      // The live view, one layer at a time: rows of that layer only.
      const seen: string[] = [];
      for (const layer of ["hvc", "rpc", "mem", "exit", "vm"]) {
        await page.selectOption("#trace-layer", layer);
        const cats = await page
          .locator("#trace-rows tr")
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-cat") ?? ""));
        assert.ok(cats.length > 0, `no ${layer} events shown`);
        assert.deepEqual([...new Set(cats)], [layer]);
        seen.push(layer);
        const first = await page.locator("#trace-rows tr").first().innerText();
        assert.match(first, new RegExp(`^[\\d.]+\\s+${layer}\\s+\\S+`), first);
      }
      await page.selectOption("#trace-layer", "rpc");
      assert.match(
        (await page.locator("#trace-rows").innerText()).replace(/\s+/g, " "),
        /rpc VM_START/,
      );
      assert.match(
        (await page.textContent("#trace-status")) ?? "",
        /^[\d,]+ events recorded, 0 dropped/,
      );

      // The download: the CLI's file format, read by `gunyah trace summary`'s parser.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("#trace-download"),
      ]);
      assert.equal(download.suggestedFilename(), "gunyah-trace.json");
      const path = await download.path();
      const text = readFileSync(path, "utf8");
      assert.ok(text.startsWith('{"traceEvents":[\n'), text.slice(0, 40));
      const web = parsed(text);
      assert.equal(web.otherData.producer, "gunyah web");
      assert.equal(web.otherData.droppedEvents, 0);
      assert.equal(web.otherData.recordedEvents, web.events.filter((e) => e.ph !== "M").length);
      assert.deepEqual(categories(web), categories(cli));
      for (const layer of seen) assert.ok(categories(web).includes(layer), layer);
      // The same RPC calls in the same order, up to the VM's reset. The teardown after it
      // (the RM's page recovery: one addrspace_lookup per 4 KiB page of guest RAM,
      // then VM_DEALLOC_VMID) may outlast the VMM's 5 s teardown wait in a traced page
      // on a loaded machine, so the CLI's last call may be missing.
      const sequence = rpcSequence(web);
      const reset = sequence.indexOf("VM_RESET");
      assert.ok(reset > 0, sequence.join(" "));
      assert.deepEqual(sequence.slice(0, reset + 1), rpcSequence(cli).slice(0, reset + 1));
      assert.ok(rpcSequence(web).includes("VM_START"), rpcSequence(web).join(" "));
      assert.deepEqual(rig.errors, []);
    } finally {
      await rig.close();
    }
  },
);

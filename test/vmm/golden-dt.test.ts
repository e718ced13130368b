// Golden file for a wire format (style rule 12): the device tree of the default machine
// (`gunyah run` with no options), decompiled by dtc. A change to the tree shows up as a
// diff to review; regenerate with UPDATE_GOLDEN=1 node scripts/run-tests.mjs golden-dt
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setLogSink } from "../../src/lib/log.js";
import { validateConfig } from "../../src/vmm/config.js";
import { buildMachine } from "../../src/vmm/machine.js";
import { FakeHypervisor } from "./fake-host.js";
import { nodeFiles } from "../../src/cli/files.js";

setLogSink(() => {});
const golden = resolve(import.meta.dirname, "golden", "default-machine.dts");
const haveDtc = spawnSync("dtc", ["--version"]).status === 0;

test(
  "the default machine's device tree matches the golden DTS",
  { skip: !haveDtc && "dtc not installed" },
  async () => {
    const res = await validateConfig({}, nodeFiles);
    assert.ok(res.ok);
    const built = await buildMachine(new FakeHypervisor([]), res.value, { output: () => {} });
    assert.ok(built.ok);
    const file = join(mkdtempSync(join(tmpdir(), "gunyah-golden-")), "default.dtb");
    writeFileSync(file, built.value.deviceTree);
    const r = spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dts", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, r.stdout);
    assert.equal(r.stdout, readFileSync(golden, "utf8"));
  },
);

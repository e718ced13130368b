// `gunyah run --kernel <ELF>`: the demo guest linked with -nostdlib -T (its ELF, before
// objcopy makes demo.bin) boots through every layer as QEMU's -kernel boots it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { DEMO_GUEST_PATH } from "../../src/vmm/config.js";

const haveCross = spawnSync("aarch64-linux-gnu-gcc", ["--version"]).status === 0;

test(
  "a bare-metal AArch64 ELF boots with --kernel and -m",
  { skip: !haveCross && "SKIPPED: no aarch64-linux-gnu-gcc", timeout: 60_000 },
  async () => {
    const out = mkdtempSync(join(tmpdir(), "gunyah-elf-"));
    const elf = join(out, "demo.elf");
    const b = spawnSync("sh", [join(DEMO_GUEST_PATH, "..", "build.sh"), out], {
      encoding: "utf8",
      env: { ...process.env, DEMO_ELF: elf },
    });
    assert.equal(b.status, 0, b.stderr);
    let stdout = "";
    let stderr = "";
    const code = await main(["run", "--kernel", elf, "-m", "64M", "--timeout", "50"], {
      stdout: (d) => void (stdout += typeof d === "string" ? d : new TextDecoder().decode(d)),
      stderr: (t) => void (stderr += t),
      stdin: undefined,
      onInterrupt: undefined,
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Hello from the gunyah-ts demo guest!/);
    assert.match(stdout, /powering off/);
  },
);

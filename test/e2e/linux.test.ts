// The project's goal, end to end: Debian's stock arm64 Linux through every gunyah-ts
// layer to a busybox /init that powers off. It runs whenever the assets are there
// (.ci/run fetches them with scripts/fetch-linux-assets.sh); GUNYAH_E2E_LINUX=0 skips
// it on a machine where a minute or more of CPU is too much.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";

const assets = resolve(import.meta.dirname, "..", "..", ".assets", "linux");
const kernel = join(assets, "Image");
const initrd = join(assets, "initramfs-test.cpio.gz");
const skip =
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!existsSync(kernel) &&
    "SKIPPED: no .assets/linux: run `node bin/gunyah.js fetch --dir .assets`");

test(
  "Debian's arm64 Linux boots to busybox /init and powers off: exit 0",
  { skip, timeout: 30 * 60_000 },
  async () => {
    let stdout = "";
    let stderr = "";
    const decoder = new TextDecoder();
    const code = await main(
      [
        "run",
        "--kernel",
        kernel,
        "--initrd",
        initrd,
        "--append",
        "console=ttyAMA0 panic=-1 cryptomgr.notests=1",
        "--timeout",
        "1700",
      ],
      {
        stdout: (d) =>
          void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
        stderr: (t) => void (stderr += t),
        stdin: undefined,
        onInterrupt: undefined,
      },
    );
    assert.equal(code, 0, `${stderr}\n${stdout.slice(-3000)}`);
    assert.match(stdout, /Machine model: gunyah-ts virtual machine/);
    assert.match(stdout, /ttyAMA0 at MMIO 0x9000000/);
    // The PMUv3 (src/arch/arm64/pmu.ts, the DT's arm,armv8-pmuv3 node): Linux's driver
    // probes it as on QEMU's cortex-a57, six event counters plus the cycle counter.
    assert.match(
      stdout,
      /hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 counters available/,
    );
    assert.match(stdout, /Run \/init as init process/);
    assert.match(stdout, /GUNYAH-LINUX-OK/);
    assert.match(stdout, /reboot: Power down/);
  },
);

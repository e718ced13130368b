// Debian's stock arm64 Linux on every gunyah-ts layer with virtio devices: the
// initramfs loads Debian's virtio_mmio, virtio_blk and virtio-rng modules, reads the
// disk's size and first sector and 8 bytes of /dev/hwrng, then powers off. All guest
// RAM is shared with the host (the devices DMA into it). Runs when the assets are there
// (node bin/gunyah.js fetch --dir .assets); GUNYAH_E2E_LINUX=0 skips it (minutes of CPU).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";

const assets = resolve(import.meta.dirname, "..", "..", ".assets", "linux");
const kernel = join(assets, "Image");
const initrd = join(assets, "initramfs-virtio.cpio.gz");
const skip =
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!(existsSync(kernel) && existsSync(initrd)) &&
    "SKIPPED: no .assets/linux/{Image,initramfs-virtio.cpio.gz}: run `node bin/gunyah.js fetch --dir .assets`");

/** A 1 MiB disk whose first sector starts with a marker no other output contains. */
const MARKER = "GUNYAH-DISK-7f3a";

test(
  "Debian's arm64 Linux reads a virtio-blk disk and virtio-rng, then powers off: exit 0",
  { skip, timeout: 30 * 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "gunyah-virtio-e2e-"));
    const disk = join(dir, "disk.img");
    const bytes = new Uint8Array(1 << 20);
    bytes.set(new TextEncoder().encode(MARKER));
    bytes.fill(0x41, 16, 512); // the rest of sector 0 is not part of what is read
    writeFileSync(disk, bytes);
    let stdout = "";
    let stderr = "";
    const decoder = new TextDecoder();
    try {
      const code = await main(
        [
          "run",
          "--kernel",
          kernel,
          "--initrd",
          initrd,
          "--append",
          "console=ttyAMA0 panic=-1 cryptomgr.notests=1",
          "--disk",
          disk,
          "--rng",
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
      if (process.env.GUNYAH_E2E_LOG) writeFileSync(process.env.GUNYAH_E2E_LOG, stdout);
      assert.equal(code, 0, `${stderr}\n${stdout.slice(-6000)}`);
      const lines = stdout.split(/\r?\n/).map((l) => l.trim());
      assert.ok(lines.includes("2048"), "the disk has 2048 sectors");
      assert.ok(lines.includes(MARKER), "the first sector's bytes reached the guest");
      assert.ok(lines.includes("8"), "8 random bytes read from /dev/hwrng");
      assert.match(stdout, /\[vda\] 2048 512-byte logical blocks/);
      assert.match(stdout, /GUNYAH-VIRTIO-OK/);
      assert.match(stdout, /reboot: Power down/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

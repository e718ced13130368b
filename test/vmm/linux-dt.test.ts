// Our guest device tree, checked by the kernel it is for: Debian's stock arm64 Linux
// (.assets/linux, fetched by the integration assets) booted on QEMU's reference
// machine with the tree the VMM builds. QEMU's virt hardware matches our layout (GICv3,
// PL011 at 0x0900_0000, PSCI over HVC), so if Linux finds its CPUs, interrupt
// controller, timer and console there and runs /init from our initrd, the tree is right.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setLogSink } from "../../src/lib/log.js";
import { validateConfig } from "../../src/vmm/config.js";
import { buildMachine } from "../../src/vmm/machine.js";
import { FakeHypervisor } from "./fake-host.js";
import { nodeFiles } from "../../src/cli/files.js";

setLogSink(() => {});

const assets = resolve(import.meta.dirname, "..", "..", ".assets", "linux");
const kernel = join(assets, "Image");
const initrd = join(assets, "initramfs-test.cpio.gz");
const haveAssets = existsSync(kernel) && existsSync(initrd);
const haveQemu = spawnSync("qemu-system-aarch64", ["--version"]).status === 0;
const skip =
  (!haveAssets && "no .assets/linux (node bin/gunyah.js fetch --dir .assets)") ||
  (!haveQemu && "no qemu-system-aarch64");

test(
  "the Debian arm64 Image parses as an Image: text_offset 0, image_size above its file",
  { skip: !haveAssets && "no .assets/linux" },
  async () => {
    const r = await validateConfig({ kernelPath: kernel, initrdPath: initrd }, nodeFiles);
    assert.ok(r.ok);
    const k = r.value.kernel;
    assert.equal(k.format, "linux-image");
    assert.equal(k.textOffset, 0);
    assert.ok(k.footprint > k.bytes.length, "image_size includes .bss");
    assert.equal(r.value.plan.dtb.offset % (2 << 20), 0);
    assert.ok(r.value.plan.dtb.offset >= k.footprint);
  },
);

test(
  "stock Linux boots on QEMU virt with our device tree: 2 CPUs by PSCI, GICv3, timer, ttyAMA0, /init",
  { skip, timeout: 120_000 },
  async () => {
    const bootargs = "console=ttyAMA0 panic=-1 cryptomgr.notests=1";
    const res = await validateConfig(
      { kernelPath: kernel, initrdPath: initrd, cpus: 2, bootargs },
      nodeFiles,
    );
    assert.ok(res.ok);
    const built = await buildMachine(new FakeHypervisor([]), res.value, { output: () => {} });
    assert.ok(built.ok);
    const dtb = join(mkdtempSync(join(tmpdir(), "gunyah-linux-")), "guest.dtb");
    writeFileSync(dtb, built.value.deviceTree);
    await built.value.close();
    const q = spawnSync(
      "qemu-system-aarch64",
      [
        "-M",
        "virt,gic-version=3",
        "-cpu",
        "cortex-a57",
        "-smp",
        "2",
        "-m",
        "256",
        // No default NIC (its option ROM is in an optional package), monitor or
        // parallel port: only what this test needs, so no Recommends are required.
        "-nodefaults",
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
        "-kernel",
        kernel,
        "-initrd",
        initrd,
        "-dtb",
        dtb,
        "-append",
        bootargs,
      ],
      { encoding: "utf8", timeout: 100_000 },
    );
    const log = q.stdout;
    assert.equal(q.status, 0, `qemu ended with ${q.status}:\n${log.slice(-2000)}\n${q.stderr}`);
    assert.match(log, /Machine model: gunyah-ts virtual machine/);
    assert.match(log, /psci: PSCIv1\.1 detected in firmware/);
    assert.match(log, /GICv3: CPU0: found redistributor 0 region 0:0x0*80a0000/);
    assert.match(log, /arch_timer: cp15 timer\(s\) running/);
    assert.match(log, /smp: Brought up 1 node, 2 CPUs/);
    assert.match(log, /9000000\.pl011: ttyAMA0 at MMIO 0x9000000/);
    assert.match(log, /GUNYAH-LINUX-OK/, "our initrd's /init ran and powered off");
  },
);

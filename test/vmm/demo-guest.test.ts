// The committed demo guest (guests/demo/demo.bin) must be what build.sh makes from the
// sources, so users need no cross compiler and the binary never drifts from main.c.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_GUEST_PATH } from "../../src/vmm/config.js";

const buildScript = join(DEMO_GUEST_PATH, "..", "build.sh");
const haveCross = spawnSync("aarch64-linux-gnu-gcc", ["--version"]).status === 0;
const haveQemu = spawnSync("qemu-system-aarch64", ["--version"]).status === 0;

test("the committed demo.bin is a raw AArch64 image entered at its first instruction", () => {
  const bin = readFileSync(DEMO_GUEST_PATH);
  assert.ok(bin.length > 256 && bin.length < 64 * 1024, `size ${bin.length}`);
  assert.equal(bin.readUInt32LE(0), 0xaa0003f3, "mov x19, x0: keeps the DTB address");
  assert.notEqual(bin.readUInt32LE(56), 0x644d5241, "no Image header: loaded raw at the RAM base");
  assert.ok(bin.includes("Hello from the gunyah-ts demo guest!"));
});

test(
  "build.sh reproduces the committed demo.bin byte for byte",
  { skip: !haveCross && "no aarch64-linux-gnu-gcc" },
  () => {
    const out = mkdtempSync(join(tmpdir(), "gunyah-demo-"));
    const r = spawnSync("sh", [buildScript, out], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const rebuilt = readFileSync(join(out, "demo.bin"));
    assert.ok(
      rebuilt.equals(readFileSync(DEMO_GUEST_PATH)),
      "guests/demo/demo.bin is stale: run guests/demo/build.sh and commit it",
    );
  },
);

test(
  "the demo guest runs on QEMU's reference CPU (virt, cortex-a57) and powers off",
  { skip: (!haveCross || !haveQemu) && "needs aarch64-linux-gnu-gcc and qemu-system-aarch64" },
  () => {
    const out = mkdtempSync(join(tmpdir(), "gunyah-demo-"));
    const elf = join(out, "demo.elf");
    const b = spawnSync("sh", [buildScript, out], {
      encoding: "utf8",
      env: { ...process.env, DEMO_ELF: elf },
    });
    assert.equal(b.status, 0, b.stderr);
    const q = spawnSync(
      "qemu-system-aarch64",
      [
        "-M",
        "virt",
        "-cpu",
        "cortex-a57",
        "-m",
        "64",
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
        elf,
      ],
      { encoding: "utf8", timeout: 15_000 },
    );
    assert.equal(q.status, 0, `qemu: ${q.stderr}`);
    assert.match(q.stdout, /Hello from the gunyah-ts demo guest!/);
    assert.match(q.stdout, /running at EL1/);
    // QEMU is not Gunyah: it answers the unknown hypercall with SMCCC NOT_SUPPORTED.
    assert.match(q.stdout, /hypervisor_identify is not supported/);
    assert.match(q.stdout, /PSCI version 1\.1/);
    assert.match(q.stdout, /powering off\r?\n$/);
  },
);

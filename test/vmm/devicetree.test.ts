import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFdt, type FdtNode } from "../../src/lib/fdt.js";
import {
  buildGuestDeviceTree,
  serializeGuestDeviceTree,
  type GuestDtOptions,
} from "../../src/vmm/devicetree.js";

const options: GuestDtOptions = {
  imageName: "test-guest",
  memoryBase: 0x4000_0000,
  memorySize: 0x1000_0000,
  cpus: 2,
  bootargs: "console=ttyAMA0 rdinit=/bin/sh",
  initrd: { start: 0x4120_0000, size: 0x1234 },
  uart: { base: 0x0900_0000, size: 0x1000, spi: 1 },
  virtio: [{ base: 0x0a00_0000, size: 0x200, spi: 16 }],
  bells: [{ label: 1, spi: 1, level: true }],
};

const haveDtc = spawnSync("dtc", ["--version"]).status === 0;

function decompile(blob: Uint8Array): { dts: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-dt-"));
  const file = join(dir, "guest.dtb");
  writeFileSync(file, blob);
  const r = spawnSync("dtc", ["-I", "dtb", "-O", "dts", file], { encoding: "utf8" });
  return { dts: r.stdout, stderr: r.stderr, status: r.status };
}

function parsed(): FdtNode {
  const r = parseFdt(serializeGuestDeviceTree(buildGuestDeviceTree(options)));
  assert.ok(r.ok, "our own parser accepts the blob");
  return r.value.root;
}

test(
  "dtc decodes the guest device tree without errors or warnings",
  { skip: !haveDtc && "dtc not installed" },
  () => {
    const { dts, stderr, status } = decompile(
      serializeGuestDeviceTree(buildGuestDeviceTree(options)),
    );
    assert.equal(status, 0, stderr);
    // Gunyah's vdevice `label` is a cell (the RM pairs it with the host's resource label),
    // which dtc's generic label_is_string check does not know: that one is expected.
    const warnings = stderr.split("\n").filter((l) => l !== "" && !l.includes("(label_is_string)"));
    assert.deepEqual(warnings, [], "no other dtc warnings");
    for (const needle of [
      'compatible = "linux,dummy-virt";',
      "memory@40000000 {",
      'device_type = "memory";',
      "reg = <0x00 0x40000000 0x00 0x10000000>;",
      "cpu@1 {",
      'enable-method = "psci";',
      'compatible = "arm,gic-v3";',
      "reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>;",
      'compatible = "arm,armv8-timer";',
      "interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;",
      'compatible = "arm,pl011\\0arm,primecell";',
      'clock-names = "uartclk\\0apb_pclk";',
      'method = "hvc";',
      'bootargs = "console=ttyAMA0 rdinit=/bin/sh";',
      'stdout-path = "/pl011@9000000";',
      "linux,initrd-start = <0x00 0x41200000>;",
      "linux,initrd-end = <0x00 0x41201234>;",
      'compatible = "virtio,mmio";',
      "gunyah-vm-config {",
      'affinity = "proxy";',
      'generate = "/hypervisor";',
    ]) {
      assert.ok(dts.includes(needle), `missing ${needle}\n${dts}`);
    }
  },
);

test("every interrupt-parent and clock points at a node with that phandle", () => {
  const root = parsed();
  const byPhandle = new Map<number, string>();
  const walk = (n: FdtNode) => {
    const p = n.getU32("phandle");
    if (p !== undefined) byPhandle.set(p, n.name);
    n.children.forEach(walk);
  };
  walk(root);
  assert.equal(byPhandle.get(root.getU32("interrupt-parent") ?? -1), "intc@8000000");
  const clocks = root.find("pl011@9000000")?.getU32Array("clocks") ?? [];
  assert.equal(clocks.length, 2);
  for (const c of clocks) assert.equal(byPhandle.get(c), "apb-pclk");
  assert.equal(
    byPhandle.get(root.find("gunyah-vm-config/interrupts")?.getU32("config") ?? -1),
    "intc@8000000",
  );
});

test("/gunyah-vm-config has what the RM reads: memory range, vcpus, a doorbell per irqfd", () => {
  const cfg = parsed().find("gunyah-vm-config");
  assert.ok(cfg);
  assert.equal(cfg.getString("image-name"), "test-guest");
  assert.equal(cfg.getString("os-type"), "linux");
  assert.equal(cfg.find("memory")?.getU64("base-address"), 0x4000_0000n);
  assert.equal(cfg.find("memory")?.getU64("size-max"), 0x1000_0000n);
  assert.equal(cfg.find("vcpus")?.getString("affinity"), "proxy");
  const bell = cfg.find("vdevices/bell-1");
  assert.ok(bell);
  assert.equal(bell.getString("vdevice-type"), "doorbell");
  assert.equal(bell.getString("generate"), "/hypervisor/bell-1");
  assert.equal(bell.getU32("label"), 1);
  assert.ok(bell.has("peer-default"));
  assert.deepEqual(bell.getU32Array("interrupts"), [0, 1, 4]);
});

test("one cpu node per vCPU with its MPIDR affinity, and no initrd properties without one", () => {
  const { initrd: _, ...rest } = options;
  const r = parseFdt(serializeGuestDeviceTree(buildGuestDeviceTree({ ...rest, cpus: 4 })));
  assert.ok(r.ok);
  const cpus = r.value.root.find("cpus");
  assert.deepEqual(
    cpus?.children.map((c) => c.getU32("reg")),
    [0, 1, 2, 3],
  );
  assert.equal(r.value.root.find("chosen")?.has("linux,initrd-start"), false);
  const gicRegs = r.value.root.find("intc@8000000")?.getRegs("reg", 2, 2);
  assert.equal(gicRegs?.[1]?.size, 4n * 0x20000n, "a redistributor frame pair per vCPU");
});

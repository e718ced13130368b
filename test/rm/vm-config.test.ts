// The VM configuration DT parser, the VMMIO range computation and the generated
// /hypervisor node, without a hypervisor. The VMM's own DT writer is parsed too, so
// the two ends of this contract cannot drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { createFdt } from "../../src/lib/fdt.js";
import { serializeFdt } from "../../src/lib/fdt.js";
import { gicSpecifierToIntid, parseVmConfig, parseVmConfigBlob } from "../../src/rm/vm-config.js";
import { vmmioRanges } from "../../src/rm/gic-frames.js";
import { addHypervisorNode } from "../../src/rm/hypervisor-node.js";
import { buildGuestDeviceTree } from "../../src/vmm/devicetree.js";
import { guestDtb } from "./helpers/requests.js";

test("vm-config: what the VMM writes is what the RM reads", () => {
  const fdt = buildGuestDeviceTree({
    imageName: "linux",
    memoryBase: 0x4000_0000,
    memorySize: 0x2000_0000,
    cpus: 3,
    bootargs: "console=ttyAMA0",
    uart: { base: 0x0900_0000, size: 0x1000, spi: 1 },
    virtio: [],
    bells: [
      { label: 5, spi: 17, level: true },
      { label: 6, spi: 18, level: false },
    ],
  });
  const r = parseVmConfigBlob(serializeFdt(fdt));
  assert.ok(r.ok, r.ok ? "" : r.error);
  const c = r.value.config;
  assert.equal(c.imageName, "linux");
  assert.equal(c.osType, "linux");
  assert.equal(c.memoryBase, 0x4000_0000);
  assert.equal(c.memorySize, 0x2000_0000);
  assert.equal(c.vcpus, 3, "from /cpus");
  assert.equal(c.generatePath, "/hypervisor");
  assert.deepEqual(
    c.doorbells.map((d) => [d.label, d.intid, d.level, d.peerDefault]),
    [
      [5, 49, true, true],
      [6, 50, false, true],
    ],
  );
});

test("vm-config: refusals", () => {
  const bad = (edit: (root: ReturnType<typeof createFdt>["root"]) => void) => {
    const blob = guestDtb({ bells: [{ label: 1, spi: 3 }] });
    const r = parseVmConfigBlob(blob);
    assert.ok(r.ok);
    edit(r.value.fdt.root);
    return parseVmConfig(r.value.fdt).ok;
  };
  assert.equal(
    bad(() => {}),
    true,
  );
  assert.equal(
    bad((root) => root.removeChild("gunyah-vm-config")),
    false,
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config")!.removeChild("memory")),
    false,
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config/memory")!.setU64("size-max", 0n)),
    false,
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config/memory")!.setU64("base-address", 0x123n)),
    false,
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config/vcpus")!.setString("affinity", "static")),
    false,
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config/vdevices/bell-1")!.setU32("interrupts", 1, 3, 4)),
    false,
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config/vdevices/bell-1")!.props.delete("label")),
    false,
  );
  assert.equal(
    bad((root) =>
      root.find("gunyah-vm-config/vdevices/bell-1")!.setString("vdevice-type", "watchdog"),
    ),
    false,
  );
  assert.equal(
    bad((root) => {
      const v = root.find("gunyah-vm-config/vdevices")!;
      v.addChild("bell-2")
        .setString("vdevice-type", "doorbell")
        .setU32("label", 1)
        .setU32("interrupts", 0, 4, 4);
    }),
    false,
    "duplicate label",
  );
  assert.equal(
    bad((root) => root.find("gunyah-vm-config/vdevices")!.setString("generate", "hypervisor")),
    false,
  );
  assert.equal(parseVmConfigBlob(new Uint8Array(64)).ok, false);
});

test("gic specifiers become INTIDs; PPIs and out-of-range SPIs are refused", () => {
  assert.equal(gicSpecifierToIntid([0, 0, 4]), 32);
  assert.equal(gicSpecifierToIntid([0, 987, 4]), 1019);
  assert.equal(gicSpecifierToIntid([0, 988, 4]), undefined);
  assert.equal(gicSpecifierToIntid([1, 11, 4]), undefined);
  assert.equal(gicSpecifierToIntid([2, 0, 1]), 4096);
  assert.equal(gicSpecifierToIntid([0, 1]), undefined);
});

test("VMMIO: every IPA below the memory base except the GIC frames", () => {
  assert.deepEqual(vmmioRanges(0x4000_0000, 2), [
    { base: 0, size: 0x0800_0000 },
    { base: 0x0801_0000, size: 0x0809_0000 - 0x0801_0000 + 0x1_0000 },
    { base: 0x080e_0000, size: 0x4000_0000 - 0x080e_0000 },
  ]);
  const one = vmmioRanges(0x4000_0000, 1);
  assert.equal(one[2]!.base, 0x080c_0000);
  // Nothing overlaps the GIC frames, and the ranges cover the rest exactly.
  const covered = one.reduce((n, r) => n + r.size, 0);
  assert.equal(covered, 0x4000_0000 - 0x1_0000 - 0x2_0000);
});

test("the generated /hypervisor node", () => {
  const r = parseVmConfigBlob(guestDtb({ bells: [{ label: 1, spi: 3 }] }));
  assert.ok(r.ok);
  addHypervisorNode(r.value.fdt, r.value.config, 0x81, [
    { name: "bell-1", label: 1, intid: 35, level: true },
  ]);
  const hyp = r.value.fdt.root.find("/hypervisor")!;
  assert.deepEqual(hyp.getStrings("compatible"), ["gunyah-hypervisor-1.0", "gunyah-hypervisor"]);
  assert.equal(hyp.find("qcom,gunyah-vm")!.getU32("qcom,vmid"), 0x81);
  assert.deepEqual(hyp.find("bell-1")!.getU32Array("interrupts"), [0, 3, 4]);
  assert.equal(hyp.find("bell-1")!.getU32("qcom,label"), 1);
});

test("fuzz: mutated configuration DTBs are refused or parsed, never thrown on", () => {
  const base = guestDtb({
    cpus: 2,
    bells: [{ label: 1, spi: 3 }],
    queues: [{ label: 2, spis: [4, 5] }],
  });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      (edits) => {
        const b = base.slice();
        for (const [at, v] of edits) b[at] = v;
        const r = parseVmConfigBlob(b);
        if (r.ok) {
          const c = r.value.config;
          assert.ok(c.vcpus >= 1 && c.vcpus <= 64);
          for (const d of c.doorbells) assert.ok(d.intid >= 32 && d.intid <= 5119);
          assert.ok(c.memorySize > 0 && c.memoryBase % 4096 === 0);
        }
      },
    ),
    { numRuns: Number(process.env.GUNYAH_FUZZ_RUNS ?? 300), seed: 0x5eed },
  );
});

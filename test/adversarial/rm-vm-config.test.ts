// Attack: hostile /gunyah-vm-config trees (the VM configuration the RM parses at
// VM_INIT out of a DTB the host lent it). Random memory ranges (over the GIC, at 0,
// huge), vCPU counts, doorbells and queue pairs with clashing labels and interrupts,
// odd generate paths. VM_INIT may refuse, but whatever it does, VM_START, VM_STOP,
// VM_RESET and VM_DEALLOC_VMID leave nothing behind and the RM keeps serving.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createFdt, serializeFdt } from "../../src/lib/fdt.js";
import {
  concatBytes,
  MemHandleReply,
  MemMsg,
  RmError,
  VmConfigImageRequest,
  VmidReply,
  VmMsg,
  VmSetAddressLayoutRequest,
  VmSetDemandPagingHeader,
  VmStatus,
  VmStopRequest,
} from "../../src/rm/protocol/index.js";
import { TestHostClient } from "../rm/helpers/host-client.js";
import { handleReq, memCreateReq, statusIs, vmidReq, DTB_REGION } from "../rm/helpers/requests.js";
import { accounting, smallPlatform } from "./harness.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 15);

const pick = <T>(common: T, ...rare: T[]) =>
  fc.oneof({ arbitrary: fc.constant(common), weight: 3 }, fc.constantFrom(common, ...rare));
// Mostly SPIs 0..6, so that devices clash with each other and with the PL011 (SPI 1).
const irqArb = fc.tuple(
  pick(0, 1, 2),
  fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 4 },
    fc.integer({ min: 0, max: 1100 }),
  ),
  fc.constantFrom(1, 4, 0xff),
);

const specArb = fc.record({
  memoryBase: pick(0x4000_0000, 0, 0x0800_0000, 0x0900_0000, 0x4000_1000, 2 ** 40),
  memorySize: pick(0x20_0000, 0x1000, 2 ** 44, 0x1000_0000),
  cpus: fc.integer({ min: 0, max: 3 }),
  vcpuCount: fc.option(fc.constantFrom(0, 1, 2, 64, 65), { freq: 3 }),
  generate: fc.option(
    fc.constantFrom(
      "/hypervisor",
      "/",
      "/cpus",
      "/gunyah-vm-config",
      "/a/b/c",
      "//",
      "/hypervisor/",
    ),
  ),
  bells: fc.array(fc.record({ label: fc.integer({ min: 0, max: 3 }), irq: irqArb }), {
    maxLength: 4,
  }),
  queues: fc.array(
    fc.record({
      label: fc.integer({ min: 0, max: 3 }),
      tx: irqArb,
      rx: irqArb,
      depth: pick(8, 1, 255, 256, 0),
      size: pick(240, 1, 1023, 1024),
    }),
    { maxLength: 3 },
  ),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

function hostileDtb(s: Spec): Uint8Array {
  const fdt = createFdt();
  const root = fdt.root.setU32("#address-cells", 2).setU32("#size-cells", 2);
  const cpus = root.addChild("cpus").setU32("#address-cells", 1).setU32("#size-cells", 0);
  for (let i = 0; i < s.cpus; i++)
    cpus.addChild(`cpu@${i}`).setString("device_type", "cpu").setU32("reg", i);
  const config = root.addChild("gunyah-vm-config").setString("image-name", "hostile");
  config
    .addChild("memory")
    .setU64("base-address", BigInt(s.memoryBase))
    .setU64("size-max", BigInt(s.memorySize));
  config.addChild("interrupts").setU32("config", 1);
  const vcpus = config.addChild("vcpus").setString("affinity", "proxy");
  if (s.vcpuCount !== null) vcpus.setU32("config", s.vcpuCount);
  const vdevices = config.addChild("vdevices");
  if (s.generate !== null) vdevices.setString("generate", s.generate);
  s.bells.forEach((b, i) =>
    vdevices
      .addChild(`bell-${i}`)
      .setString("vdevice-type", "doorbell")
      .setU32("label", b.label)
      .setEmpty("peer-default")
      .setU32("interrupts", ...b.irq),
  );
  s.queues.forEach((q, i) =>
    vdevices
      .addChild(`msgq-${i}`)
      .setString("vdevice-type", "message-queue-pair")
      .setU32("label", q.label)
      .setU32("queue-depth", q.depth)
      .setU32("message-size", q.size)
      .setEmpty("peer-default")
      .setU32("interrupts", ...q.tx, ...q.rx),
  );
  return serializeFdt(fdt);
}

test("hostile VM configurations: VM_INIT answers, and the whole life cycle leaves nothing behind", async () => {
  const platform = smallPlatform(91);
  const client = new TestHostClient(platform.host);
  const dtbPa = platform.host.ram.base + 0x100_0000;
  const before = accounting(platform);
  let inits = 0;
  await fc.assert(
    fc.asyncProperty(specArb, async (spec) => {
      const call = (id: number, p: Uint8Array) => client.call(id, p, 4000);
      const alloc = await call(VmMsg.VM_ALLOC_VMID, vmidReq(0));
      assert.equal(alloc.error, RmError.OK);
      const vmid = VmidReply.decode(alloc.data)!.vmid;
      assert.ok(platform.host.vm.memory.write(dtbPa, hostileDtb(spec)).ok);
      const lend = await call(
        MemMsg.MEM_LEND,
        memCreateReq({ acl: [{ vmid, rights: 7 }], sgl: [{ ipa: dtbPa, size: DTB_REGION }] }),
      );
      assert.equal(lend.error, RmError.OK);
      const handle = MemHandleReply.decode(lend.data)!.handle;
      await call(
        VmMsg.VM_SET_DEMAND_PAGING,
        concatBytes(VmSetDemandPagingHeader.encode({ vmid, count: 0 })),
      );
      await call(
        VmMsg.VM_CONFIG_IMAGE,
        VmConfigImageRequest.encode({
          vmid,
          auth: 0,
          memHandle: handle,
          imageOffset: 0n,
          imageSize: 0n,
          dtOffset: 0n,
          dtSize: BigInt(DTB_REGION),
        }),
      );
      await call(
        VmMsg.VM_SET_ADDRESS_LAYOUT,
        VmSetAddressLayoutRequest.encode({
          vmid,
          rangeId: 0,
          base: BigInt(spec.memoryBase),
          size: BigInt(DTB_REGION),
        }),
      );
      const init = await call(VmMsg.VM_INIT, vmidReq(vmid));
      if (init.error === RmError.OK) {
        inits++;
        const res = await call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vmid));
        assert.equal(res.error, RmError.OK);
        const start = await call(VmMsg.VM_START, vmidReq(vmid));
        if (start.error === RmError.OK) {
          const stop = await call(
            VmMsg.VM_STOP,
            VmStopRequest.encode({ vmid, flags: 1, reason: 0 }),
          );
          assert.equal(stop.error, RmError.OK);
        }
      }
      await call(MemMsg.MEM_RECLAIM, handleReq(handle));
      const since = client.mark();
      const reset = await call(VmMsg.VM_RESET, vmidReq(vmid));
      if (reset.error === RmError.OK)
        await client.waitNotification(statusIs(vmid, VmStatus.RESET), since);
      const dealloc = await call(VmMsg.VM_DEALLOC_VMID, vmidReq(vmid));
      assert.equal(dealloc.error, RmError.OK, "the VMID can always be given back");
      assert.ok(platform.host.vm.memory.read(dtbPa, 4).ok, "the DTB page is the host's again");
      assert.equal(accounting(platform), before, "nothing leaks");
    }),
    { numRuns: RUNS, seed: 0xc0f },
  );
  if (process.env.GUNYAH_FUZZ_VERBOSE) console.log(`VM_INIT accepted ${inits} of ${RUNS}`);
  assert.ok(inits > 0, "some configurations got through VM_INIT");
});

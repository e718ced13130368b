// VM_RESET's safety net: pages the host demand-paged into a VM (lent and shared) and
// never reclaimed go back to the host's RAM extent, not to the root extent.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Access,
  Call,
  DonateType,
  hypercallId,
  hypErrorFromX0,
  MapFlags,
  mappingAttrs,
  RES0,
} from "../../src/hyp/abi/index.js";
import {
  HypResourceEntry,
  HypResourcesHeader,
  HypResourceType,
  MemExtentLabel,
  VmMsg,
} from "../../src/rm/protocol/index.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import { createVm, destroyVm, vmidReq } from "./helpers/requests.js";

test("pages the host left in a VM come back to the host at VM_RESET", async () => {
  const { platform, client } = bootTestPlatform(12);
  const ram = platform.host.ram;
  const before = leakSnapshot(platform);
  const vm = await createVm(client, {
    dtbPa: ram.base + 0x10_0000,
    demandPaging: [{ base: 0x4000_0000, size: 0x40_0000 }],
  });
  const res = await client.call(VmMsg.VM_GET_HYP_RESOURCES, vmidReq(vm.vmid));
  const n = HypResourcesHeader.decode(res.data)!.count;
  const entries = [...Array(n).keys()].map((i) => HypResourceEntry.decode(res.data, 4 + 44 * i)!);
  const extent = (label: number) =>
    entries.find((e) => e.type === HypResourceType.MEM_EXTENT && e.label === label)!.capId;
  const as = entries.find((e) => e.type === HypResourceType.ADDR_SPACE)!.capId;
  const hvc = (call: number, args: bigint[]) =>
    hypErrorFromX0(platform.host.vm.hvc.hvc(hypercallId(call), args)[0]);

  // Demand-page like the host does: one lent page, one shared page.
  const lentPa = ram.base + 0x50_0000;
  const sharedPa = ram.base + 0x50_1000;
  const give = (pa: number, gpa: number, share: boolean) => {
    const from = extent(share ? MemExtentLabel.HOST_SHARED : MemExtentLabel.HOST_PRIVATE);
    const to = extent(share ? MemExtentLabel.GUEST_SHARED : MemExtentLabel.GUEST_PRIVATE);
    const off = BigInt(pa - ram.base);
    const type = share ? DonateType.TO_SIBLING : DonateType.TO_PROTECTED;
    assert.equal(hvc(Call.MEMEXTENT_DONATE, [BigInt(type), from, to, off, 0x1000n, RES0]), 0);
    const flags = MapFlags.PARTIAL | (share ? 0 : MapFlags.PRIVATE);
    const attrs = mappingAttrs(share ? Access.RW : Access.RWX);
    assert.equal(
      hvc(Call.ADDRSPACE_MAP, [as, to, BigInt(gpa), attrs, BigInt(flags), off, 0x1000n]),
      0,
    );
  };
  assert.ok(platform.host.vm.memory.write(lentPa, new Uint8Array([0x11])).ok);
  give(lentPa, 0x4020_0000, false);
  give(sharedPa, 0x4020_1000, true);
  assert.equal(platform.host.vm.memory.read(lentPa, 1).ok, false, "lent away");
  assert.equal(platform.host.vm.memory.read(sharedPa, 1).ok, true, "shared");

  // The host "forgets" to reclaim them and resets the VM.
  await destroyVm(client, vm, false);
  assert.deepEqual(platform.host.vm.memory.read(lentPa, 1), {
    ok: true,
    value: new Uint8Array([0x11]),
  });
  assert.equal(platform.host.vm.memory.read(sharedPa, 1).ok, true);
  assert.equal(leakSnapshot(platform), before, "every page is the host's again");
});

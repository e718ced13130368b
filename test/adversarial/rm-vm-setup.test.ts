// Attack: hostile VM set-up calls from the host (VM_CONFIG_IMAGE offsets and sizes
// past the parcel or wrapping, VM_SET_ADDRESS_LAYOUT over the GIC, at 0, wrapping,
// unaligned, with an unknown range id, VM_SET_DEMAND_PAGING lists that overlap, wrap,
// lie about their count or are too long, or lie outside the VM's memory). Each is refused at its call or at VM_INIT;
// either way the VM can be reset and deallocated, the DTB parcel comes back to the
// host and nothing leaks (hardening.md "Resource Manager RPC").
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  concatBytes,
  MemHandleReply,
  MemMsg,
  MemRange,
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
import {
  DTB_REGION,
  guestDtb,
  handleReq,
  memCreateReq,
  statusIs,
  vmidReq,
} from "../rm/helpers/requests.js";
import { accounting, smallPlatform } from "./harness.js";

const U64 = (1n << 64n) - 1n;
interface Setup {
  dtOff?: bigint;
  dtSize?: bigint;
  imgOff?: bigint;
  imgSize?: bigint;
  layoutBase?: bigint;
  layoutSize?: bigint;
  rangeId?: number;
  dp?: Array<[bigint, bigint]>;
  dpCount?: number;
}

test("hostile VM set-up values are refused, and the VM still tears down cleanly", async () => {
  const platform = smallPlatform(120);
  const client = new TestHostClient(platform.host);
  const dtbPa = platform.host.ram.base + 0x100_0000;
  const before = accounting(platform);
  const call = (id: number, p: Uint8Array) => client.call(id, p, 4000);

  /** Returns the errors of DEMAND_PAGING, CONFIG_IMAGE, ADDRESS_LAYOUT and INIT. */
  async function attempt(o: Setup): Promise<number[]> {
    const vmid = VmidReply.decode((await call(VmMsg.VM_ALLOC_VMID, vmidReq(0))).data)!.vmid;
    assert.ok(platform.host.vm.memory.write(dtbPa, guestDtb()).ok);
    const lend = await call(
      MemMsg.MEM_LEND,
      memCreateReq({ acl: [{ vmid, rights: 7 }], sgl: [{ ipa: dtbPa, size: DTB_REGION }] }),
    );
    const handle = MemHandleReply.decode(lend.data)!.handle;
    const dp = o.dp ?? [];
    const errors = [
      (
        await call(
          VmMsg.VM_SET_DEMAND_PAGING,
          concatBytes(
            VmSetDemandPagingHeader.encode({ vmid, count: o.dpCount ?? dp.length }),
            ...dp.map(([base, size]) => MemRange.encode({ base, size })),
          ),
        )
      ).error,
      (
        await call(
          VmMsg.VM_CONFIG_IMAGE,
          VmConfigImageRequest.encode({
            vmid,
            auth: 0,
            memHandle: handle,
            imageOffset: o.imgOff ?? 0n,
            imageSize: o.imgSize ?? 0n,
            dtOffset: o.dtOff ?? 0n,
            dtSize: o.dtSize ?? BigInt(DTB_REGION),
          }),
        )
      ).error,
      (
        await call(
          VmMsg.VM_SET_ADDRESS_LAYOUT,
          VmSetAddressLayoutRequest.encode({
            vmid,
            rangeId: o.rangeId ?? 0,
            base: o.layoutBase ?? 0x4000_0000n,
            size: o.layoutSize ?? BigInt(DTB_REGION),
          }),
        )
      ).error,
      (await call(VmMsg.VM_INIT, vmidReq(vmid))).error,
    ];
    if (errors[3] === RmError.OK) {
      assert.equal((await call(VmMsg.VM_START, vmidReq(vmid))).error, RmError.OK);
      assert.equal(
        (await call(VmMsg.VM_STOP, VmStopRequest.encode({ vmid, flags: 1, reason: 0 }))).error,
        RmError.OK,
      );
    }
    assert.equal((await call(MemMsg.MEM_RECLAIM, handleReq(handle))).error, RmError.OK);
    const since = client.mark();
    assert.equal((await call(VmMsg.VM_RESET, vmidReq(vmid))).error, RmError.OK);
    await client.waitNotification(statusIs(vmid, VmStatus.RESET), since);
    assert.equal((await call(VmMsg.VM_DEALLOC_VMID, vmidReq(vmid))).error, RmError.OK);
    assert.ok(platform.host.vm.memory.read(dtbPa, 4).ok, "the DTB parcel is the host's again");
    assert.equal(accounting(platform), before);
    return errors;
  }

  const refusedAtInit: Array<[string, Setup]> = [
    ["DT past the parcel", { dtOff: BigInt(DTB_REGION - 8), dtSize: 0x100n }],
    ["DT size 2^64-1", { dtSize: U64 }],
    ["DT offset + size wraps", { dtOff: U64 - 8n, dtSize: 0x20n }],
    ["DT of 8 bytes", { dtSize: 8n }],
    ["image size 2^64-1", { imgOff: 0x1000n, imgSize: U64 }],
    ["image range over the GIC", { layoutBase: 0x0800_0000n }],
    ["image range at 0", { layoutBase: 0n }],
    ["image range outside memory", { layoutBase: 0x8000_0000n }],
    ["image range smaller than the DT", { layoutSize: 0x1000n }],
    // Fidelity item 4 (finding): demand paging outside the VM's memory node
    // (0x4000_0000 + 0x1000_0000) was accepted; the host could then donate pages there.
    ["demand paging over the UART", { dp: [[0x0900_0000n, 0x1000n]] }],
    ["demand paging across the memory base", { dp: [[0x3fff_0000n, 0x2_0000n]] }],
    ["demand paging across the memory end", { dp: [[0x4fff_f000n, 0x2000n]] }],
    ["demand paging beyond the memory", { dp: [[0x8000_0000n, 0x1000n]] }],
  ];
  for (const [name, setup] of refusedAtInit) {
    const e = await attempt(setup);
    assert.notEqual(e[3], RmError.OK, `${name}: VM_INIT must refuse (${e.join(",")})`);
  }
  const inside = await attempt({
    dp: [
      [0x4000_0000n, 0x1000n],
      [0x4fff_f000n, 0x1000n],
    ],
  });
  assert.deepEqual(inside, [0, 0, 0, 0], "ranges at both ends of the memory are accepted");
  const refusedAtCall: Array<[string, Setup, number]> = [
    ["DT size 0", { dtSize: 0n }, 1],
    ["layout wraps", { layoutBase: U64 - 0xfffn }, 2],
    ["layout unaligned", { layoutBase: 0x4000_0800n }, 2],
    ["layout range id 7", { rangeId: 7 }, 2],
    [
      "demand paging ranges overlap",
      {
        dp: [
          [0x4010_0000n, 0x10000n],
          [0x4010_8000n, 0x10000n],
        ],
      },
      0,
    ],
    ["demand paging range wraps", { dp: [[U64 - 0xfffn, 0x2000n]] }, 0],
    ["demand paging count lies", { dp: [[0x4010_0000n, 0x1000n]], dpCount: 5 }, 0],
    [
      "600 demand paging ranges",
      {
        dp: Array.from({ length: 600 }, (_, i): [bigint, bigint] => [
          0x4010_0000n + BigInt(i) * 0x1000n,
          0x1000n,
        ]),
      },
      0,
    ],
  ];
  for (const [name, setup, at] of refusedAtCall) {
    const e = await attempt(setup);
    assert.notEqual(e[at], RmError.OK, `${name}: refused (${e.join(",")})`);
  }
});

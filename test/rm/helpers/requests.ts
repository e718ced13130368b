// Request payload builders and a full host-style VM bring-up / teardown, for tests.

import { createFdt, serializeFdt } from "../../../src/lib/fdt.js";
import {
  AclEntry,
  AttrEntry,
  concatBytes,
  encodeList,
  MemCreateHeader,
  MemHandleReply,
  MemMsg,
  MemReleaseRequest,
  RmError,
  RmNotification,
  SglEntry,
  VmConfigImageRequest,
  VmidReply,
  VmidRequest,
  VmMsg,
  VmSetAddressLayoutRequest,
  VmSetDemandPagingHeader,
  MemRange,
  VmStatus,
  VmStatusNotification,
  VmStopRequest,
} from "../../../src/rm/protocol/index.js";
import type { TestHostClient } from "./host-client.js";

export const vmidReq = (vmid: number) => VmidRequest.encode({ vmid });

export function memCreateReq(o: {
  acl: { vmid: number; rights: number }[];
  sgl: { ipa: number; size: number }[];
  attrs?: { attr: number; vmid: number }[];
  memType?: number;
  flags?: number;
  label?: number;
}): Uint8Array {
  return concatBytes(
    MemCreateHeader.encode({ memType: o.memType ?? 0, flags: o.flags ?? 0, label: o.label ?? 0 }),
    encodeList(AclEntry, o.acl),
    encodeList(
      SglEntry,
      o.sgl.map((r) => ({ ipa: BigInt(r.ipa), size: BigInt(r.size) })),
    ),
    encodeList(AttrEntry, o.attrs ?? []),
  );
}

export const handleReq = (handle: number, flags = 0) => MemReleaseRequest.encode({ handle, flags });

export interface GuestDtSpec {
  memoryBase?: number;
  memorySize?: number;
  cpus?: number;
  bells?: { label: number; spi: number; sourceCanClear?: boolean }[];
  queues?: { label: number; spis: [number, number] }[];
  /** A `vrtc-pl031` vdevice: `base` (as a u64) or `allocate-base`. */
  vrtc?: { base?: bigint; allocate?: boolean };
}

/** A guest DTB with a /gunyah-vm-config node like the VMM writes. */
export function guestDtb(spec: GuestDtSpec = {}): Uint8Array {
  const fdt = createFdt();
  const root = fdt.root.setU32("#address-cells", 2).setU32("#size-cells", 2);
  const cpus = root.addChild("cpus").setU32("#address-cells", 1).setU32("#size-cells", 0);
  for (let i = 0; i < (spec.cpus ?? 1); i++)
    cpus.addChild(`cpu@${i}`).setString("device_type", "cpu").setU32("reg", i);
  const config = root
    .addChild("gunyah-vm-config")
    .setString("image-name", "test")
    .setString("os-type", "linux");
  config
    .addChild("memory")
    .setU64("base-address", BigInt(spec.memoryBase ?? 0x4000_0000))
    .setU64("size-max", BigInt(spec.memorySize ?? 0x1000_0000));
  config.addChild("interrupts").setU32("config", 1);
  config.addChild("vcpus").setString("affinity", "proxy");
  const vdevices = config.addChild("vdevices").setString("generate", "/hypervisor");
  for (const b of spec.bells ?? []) {
    const bell = vdevices
      .addChild(`bell-${b.label}`)
      .setString("vdevice-type", "doorbell")
      .setU32("label", b.label)
      .setEmpty("peer-default")
      .setU32("interrupts", 0, b.spi, 4);
    if (b.sourceCanClear) bell.setEmpty("source-can-clear");
  }
  for (const q of spec.queues ?? []) {
    vdevices
      .addChild(`msgq-${q.label}`)
      .setString("vdevice-type", "message-queue-pair")
      .setU32("label", q.label)
      .setU32("queue-depth", 4)
      .setU32("message-size", 64)
      .setEmpty("peer-default")
      .setU32("interrupts", 0, q.spis[0], 1, 0, q.spis[1], 1);
  }
  if (spec.vrtc) {
    const rtc = vdevices.addChild("vrtc").setString("vdevice-type", "vrtc-pl031");
    if (spec.vrtc.base !== undefined) rtc.setU64("base", spec.vrtc.base);
    if (spec.vrtc.allocate) rtc.setEmpty("allocate-base");
  }
  return serializeFdt(fdt);
}

export interface VmUnderTest {
  vmid: number;
  dtbHandle: number;
  dtbPa: number;
  guestIpa: number;
}

export const DTB_REGION = 0x1_0000;

/** The host's bring-up sequence up to READY (VM_INIT done). */
export async function createVm(
  client: TestHostClient,
  o: {
    dtbPa: number;
    guestIpa?: number;
    dt?: GuestDtSpec;
    dtb?: Uint8Array;
    demandPaging?: { base: number; size: number }[];
  },
): Promise<VmUnderTest> {
  const guestIpa = o.guestIpa ?? 0x4000_0000;
  const alloc = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0));
  if (alloc.error !== RmError.OK) throw new Error(`alloc: ${alloc.error}`);
  const vmid = VmidReply.decode(alloc.data)!.vmid;
  const dtb = o.dtb ?? guestDtb(o.dt);
  const w = client.host.vm.memory.write(o.dtbPa, dtb);
  if (!w.ok) throw new Error("dtb write failed");
  const lend = await client.call(
    MemMsg.MEM_LEND,
    memCreateReq({ acl: [{ vmid, rights: 7 }], sgl: [{ ipa: o.dtbPa, size: DTB_REGION }] }),
  );
  if (lend.error !== RmError.OK) throw new Error(`lend: ${lend.error}`);
  const dtbHandle = MemHandleReply.decode(lend.data)!.handle;
  const steps: [number, Uint8Array][] = [
    [
      VmMsg.VM_SET_DEMAND_PAGING,
      concatBytes(
        VmSetDemandPagingHeader.encode({ vmid, count: o.demandPaging?.length ?? 0 }),
        ...(o.demandPaging ?? []).map((r) =>
          MemRange.encode({ base: BigInt(r.base), size: BigInt(r.size) }),
        ),
      ),
    ],
    [
      VmMsg.VM_CONFIG_IMAGE,
      VmConfigImageRequest.encode({
        vmid,
        auth: 0,
        memHandle: dtbHandle,
        imageOffset: 0n,
        imageSize: 0n,
        dtOffset: 0n,
        dtSize: BigInt(dtb.length),
      }),
    ],
    [
      VmMsg.VM_SET_ADDRESS_LAYOUT,
      VmSetAddressLayoutRequest.encode({
        vmid,
        rangeId: 0,
        base: BigInt(guestIpa),
        size: BigInt(DTB_REGION),
      }),
    ],
    [VmMsg.VM_INIT, vmidReq(vmid)],
  ];
  for (const [id, payload] of steps) {
    const r = await client.call(id, payload);
    if (r.error !== RmError.OK) throw new Error(`0x${id.toString(16)}: error ${r.error}`);
  }
  return { vmid, dtbHandle, dtbPa: o.dtbPa, guestIpa };
}

export function statusIs(vmid: number, status: number) {
  return (m: { msgId: number; payload: Uint8Array }) => {
    if (m.msgId !== RmNotification.VM_STATUS) return false;
    const n = VmStatusNotification.decode(m.payload);
    return n?.vmid === vmid && n.vmStatus === status;
  };
}

/** The host's teardown: stop if running, reclaim the DTB, reset, wait for RESET, dealloc. */
export async function destroyVm(
  client: TestHostClient,
  vm: VmUnderTest,
  running: boolean,
): Promise<void> {
  if (running) {
    const stop = await client.call(
      VmMsg.VM_STOP,
      VmStopRequest.encode({ vmid: vm.vmid, flags: 1, reason: 0 }),
    );
    if (stop.error !== RmError.OK) throw new Error(`stop: ${stop.error}`);
  }
  const reclaim = await client.call(MemMsg.MEM_RECLAIM, handleReq(vm.dtbHandle));
  if (reclaim.error !== RmError.OK) throw new Error(`reclaim: ${reclaim.error}`);
  const before = client.notifications.length;
  const reset = await client.call(VmMsg.VM_RESET, vmidReq(vm.vmid));
  if (reset.error !== RmError.OK) throw new Error(`reset: ${reset.error}`);
  await client.waitNotification(
    (m) => client.notifications.indexOf(m) >= before && statusIs(vm.vmid, VmStatus.RESET)(m),
  );
  const dealloc = await client.call(VmMsg.VM_DEALLOC_VMID, vmidReq(vm.vmid));
  if (dealloc.error !== RmError.OK) throw new Error(`dealloc: ${dealloc.error}`);
}

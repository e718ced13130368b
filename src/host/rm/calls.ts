// Typed RM calls the VM manager makes (Linux v17 rsc_mgr_rpc.c): each encodes its
// request with the rm/protocol layouts and checks the reply's exact shape, because a
// reply is input from another VM.

import { ok } from "../../lib/result.js";
import {
  AclEntry,
  AttrEntry,
  concatBytes,
  encodeList,
  HypResourceEntry,
  HypResourcesHeader,
  MemCreateHeader,
  MemHandleReply,
  MemMsg,
  MemRange,
  MemReleaseRequest,
  MemType,
  SglEntry,
  VmConfigImageRequest,
  VmidReply,
  VmidRequest,
  VmMsg,
  VmSetAddressLayoutRequest,
  VmSetBootContextRequest,
  VmSetDemandPagingHeader,
  VmSetTimeBaseRequest,
  VmStateReply,
  VmStopRequest,
} from "../../rm/protocol/index.js";
import type { Layout, LayoutValue } from "../../lib/layout.js";
import { fail, type HostResult } from "../errors.js";
import type { RmClient } from "./client.js";

type EntryOf<L> = L extends Layout<infer F> ? LayoutValue<F> : never;
/** One VM_GET_HYP_RESOURCES entry as the RM sent it. */
export type RawHypResource = EntryOf<typeof HypResourceEntry>;

export interface MemParcelRequest {
  /** LEND (one ACL entry) or SHARE (the owner is in the ACL). */
  readonly kind: "lend" | "share";
  readonly label: number;
  readonly acl: ReadonlyArray<{ vmid: number; rights: number }>;
  readonly sgl: ReadonlyArray<{ ipa: bigint; size: bigint }>;
}

function expectEmpty(name: string, data: Uint8Array): HostResult<void> {
  return data.length === 0 ? ok(undefined) : fail("EBADMSG", `${name}: unexpected reply data`);
}

/** The typed RM calls; every method returns the reply or an errno-mapped error. */
export class RmCalls {
  constructor(readonly client: RmClient) {}

  private async vmidCall(msgId: number, name: string, vmid: number): Promise<HostResult<void>> {
    const r = await this.client.call(msgId, VmidRequest.encode({ vmid }));
    return r.ok ? expectEmpty(name, r.value) : r;
  }

  /** VM_ALLOC_VMID (0 = let the RM pick); the VM enters LOAD. */
  async allocVmid(vmid = 0): Promise<HostResult<number>> {
    const r = await this.client.call(VmMsg.VM_ALLOC_VMID, VmidRequest.encode({ vmid }));
    if (!r.ok) return r;
    if (vmid !== 0 && r.value.length === 0) return ok(vmid);
    const reply = VmidReply.decodeExact(r.value);
    if (!reply) return fail("EBADMSG", "VM_ALLOC_VMID: malformed reply");
    return ok(reply.vmid);
  }

  deallocVmid(vmid: number): Promise<HostResult<void>> {
    return this.vmidCall(VmMsg.VM_DEALLOC_VMID, "VM_DEALLOC_VMID", vmid);
  }

  start(vmid: number): Promise<HostResult<void>> {
    return this.vmidCall(VmMsg.VM_START, "VM_START", vmid);
  }

  async stop(vmid: number, force: boolean, reason = 0): Promise<HostResult<void>> {
    const payload = VmStopRequest.encode({ vmid, flags: force ? 1 : 0, reason });
    const r = await this.client.call(VmMsg.VM_STOP, payload);
    return r.ok ? expectEmpty("VM_STOP", r.value) : r;
  }

  reset(vmid: number): Promise<HostResult<void>> {
    return this.vmidCall(VmMsg.VM_RESET, "VM_RESET", vmid);
  }

  init(vmid: number): Promise<HostResult<void>> {
    return this.vmidCall(VmMsg.VM_INIT, "VM_INIT", vmid);
  }

  async getState(
    vmid: number,
  ): Promise<HostResult<{ vmStatus: number; osStatus: number; appStatus: number }>> {
    const r = await this.client.call(VmMsg.VM_GET_STATE, VmidRequest.encode({ vmid }));
    if (!r.ok) return r;
    const s = VmStateReply.decodeExact(r.value);
    return s ? ok(s) : fail("EBADMSG", "VM_GET_STATE: malformed reply");
  }

  async configImage(args: {
    vmid: number;
    auth: number;
    memHandle: number;
    imageOffset: bigint;
    imageSize: bigint;
    dtOffset: bigint;
    dtSize: bigint;
  }): Promise<HostResult<void>> {
    const r = await this.client.call(VmMsg.VM_CONFIG_IMAGE, VmConfigImageRequest.encode(args));
    return r.ok ? expectEmpty("VM_CONFIG_IMAGE", r.value) : r;
  }

  async setBootContext(
    vmid: number,
    regSet: number,
    regIndex: number,
    value: bigint,
  ): Promise<HostResult<void>> {
    const payload = VmSetBootContextRequest.encode({ vmid, regSet, regIndex, value });
    const r = await this.client.call(VmMsg.VM_SET_BOOT_CONTEXT, payload);
    return r.ok ? expectEmpty("VM_SET_BOOT_CONTEXT", r.value) : r;
  }

  /** VM_SET_TIME_BASE: the vRTC shows `timeBaseNs` at the moment the counter read `sysTimerRef`. */
  async setTimeBase(
    vmid: number,
    timeBaseNs: bigint,
    sysTimerRef: bigint,
  ): Promise<HostResult<void>> {
    const payload = VmSetTimeBaseRequest.encode({ vmid, timeBase: timeBaseNs, sysTimerRef });
    const r = await this.client.call(VmMsg.VM_SET_TIME_BASE, payload);
    return r.ok ? expectEmpty("VM_SET_TIME_BASE", r.value) : r;
  }

  async setDemandPaging(
    vmid: number,
    ranges: ReadonlyArray<{ base: bigint; size: bigint }>,
  ): Promise<HostResult<void>> {
    const parts = [VmSetDemandPagingHeader.encode({ vmid, count: ranges.length })];
    for (const range of ranges) parts.push(MemRange.encode(range));
    const r = await this.client.call(VmMsg.VM_SET_DEMAND_PAGING, concatBytes(...parts));
    return r.ok ? expectEmpty("VM_SET_DEMAND_PAGING", r.value) : r;
  }

  async setAddressLayout(
    vmid: number,
    rangeId: number,
    base: bigint,
    size: bigint,
  ): Promise<HostResult<void>> {
    const payload = VmSetAddressLayoutRequest.encode({ vmid, rangeId, base, size });
    const r = await this.client.call(VmMsg.VM_SET_ADDRESS_LAYOUT, payload);
    return r.ok ? expectEmpty("VM_SET_ADDRESS_LAYOUT", r.value) : r;
  }

  /** VM_GET_HYP_RESOURCES: the raw 44-byte entries, checked against the count. */
  async getHypResources(vmid: number): Promise<HostResult<RawHypResource[]>> {
    const r = await this.client.call(VmMsg.VM_GET_HYP_RESOURCES, VmidRequest.encode({ vmid }));
    if (!r.ok) return r;
    const head = HypResourcesHeader.decode(r.value);
    if (!head) return fail("EBADMSG", "VM_GET_HYP_RESOURCES: short reply");
    const expected = HypResourcesHeader.size + head.count * HypResourceEntry.size;
    if (r.value.length !== expected)
      return fail("EBADMSG", "VM_GET_HYP_RESOURCES: length does not match count");
    const out: RawHypResource[] = [];
    for (let i = 0; i < head.count; i++) {
      const entry = HypResourceEntry.decode(
        r.value,
        HypResourcesHeader.size + i * HypResourceEntry.size,
      );
      if (!entry) return fail("EBADMSG", "VM_GET_HYP_RESOURCES: malformed entry");
      out.push(entry);
    }
    return ok(out);
  }

  /** MEM_LEND or MEM_SHARE of normal memory; returns the parcel handle. */
  async memCreate(req: MemParcelRequest): Promise<HostResult<number>> {
    const payload = concatBytes(
      MemCreateHeader.encode({ memType: MemType.NORMAL, flags: 0, label: req.label }),
      encodeList(AclEntry, req.acl),
      encodeList(SglEntry, req.sgl),
      encodeList(AttrEntry, []),
    );
    const id = req.kind === "lend" ? MemMsg.MEM_LEND : MemMsg.MEM_SHARE;
    const r = await this.client.call(id, payload);
    if (!r.ok) return r;
    const reply = MemHandleReply.decodeExact(r.value);
    return reply ? ok(reply.handle) : fail("EBADMSG", "MEM_LEND: malformed reply");
  }

  async memReclaim(handle: number): Promise<HostResult<void>> {
    const r = await this.client.call(
      MemMsg.MEM_RECLAIM,
      MemReleaseRequest.encode({ handle, flags: 0 }),
    );
    return r.ok ? expectEmpty("MEM_RECLAIM", r.value) : r;
  }
}

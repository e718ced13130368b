// The VM start sequence of the v17 driver (gunyah-abi.md section 4; its teardown is
// vm-teardown.ts):
//   start: [notifications registered at creation] VM_ALLOC_VMID; lend the DTB range
//     with one ACL entry; VM_CONFIG_IMAGE; VM_SET_DEMAND_PAGING; VM_SET_ADDRESS_LAYOUT;
//     VM_INIT; replay the boot context; VM_SET_TIME_BASE if the VMM gave one (the
//     vRTC; downstream drivers do this, v17 does not); VM_GET_HYP_RESOURCES -> tickets;
//     VM_START.
// A failed start leaves what it took recorded on the VM; teardown releases it all.

import { ok } from "../lib/result.js";
import { AddressRange, AUTH_NONE, MemRights, Vmid, VmStatus } from "../rm/protocol/index.js";
import { MapFlag, type Binding } from "./bindings.js";
import { fail, type HostResult } from "./errors.js";
import { PAGE_SIZE } from "./host-ram.js";
import { toHostResource } from "./resources.js";
import type { VmCore } from "./vm-core.js";

/** The page-aligned range holding the DTB and the binding that backs it. */
function dtbRange(core: VmCore): HostResult<{ start: number; size: number; binding: Binding }> {
  const dtb = core.dtbConfig;
  if (!dtb) return fail("EINVAL", "VM_SET_DTB_CONFIG was not called");
  const start = dtb.gpa - (dtb.gpa % PAGE_SIZE);
  const end = Math.ceil((dtb.gpa + dtb.size) / PAGE_SIZE) * PAGE_SIZE;
  const binding = core.bindings.find(start);
  if (!binding || end > binding.gpa + binding.size) {
    return fail("EINVAL", "the DTB is not inside one guest memory mapping");
  }
  return ok({ start, size: end - start, binding });
}

/** Host physical runs backing [gpa, gpa + size) of a binding, as SGL entries. */
function sglFor(binding: Binding, gpa: number, size: number): Array<{ ipa: bigint; size: bigint }> {
  const pa = binding.mem.physBase + binding.offset + (gpa - binding.gpa);
  // A binding is one contiguous piece of host RAM, so one entry covers it.
  return [{ ipa: BigInt(pa), size: BigInt(size) }];
}

function rightsOf(binding: Binding): number {
  let rights = 0;
  if (binding.flags & MapFlag.ALLOW_READ) rights |= MemRights.R;
  if (binding.flags & MapFlag.ALLOW_WRITE) rights |= MemRights.W;
  if (binding.flags & MapFlag.ALLOW_EXEC) rights |= MemRights.X;
  return rights;
}

export async function startVm(core: VmCore): Promise<HostResult<void>> {
  const rm = core.services.rm;
  const dtb = dtbRange(core);
  if (!dtb.ok) return dtb;

  const vmid = await rm.allocVmid(0);
  if (!vmid.ok) return vmid;
  core.vmid = vmid.value;
  core.forceStatus(VmStatus.LOAD);

  // The DTB pages: lent with one ACL entry, the guest's; a shared mapping shares them
  // with the host kept in the ACL (Linux lends when the ACL has one entry).
  const b = dtb.value.binding;
  const guestAcl = { vmid: vmid.value, rights: rightsOf(b) || MemRights.RWX };
  const parcel = await rm.memCreate({
    kind: b.lend ? "lend" : "share",
    label: 0,
    acl: b.lend ? [guestAcl] : [guestAcl, { vmid: Vmid.HLOS, rights: MemRights.RW }],
    sgl: sglFor(b, dtb.value.start, dtb.value.size),
  });
  if (!parcel.ok) return parcel;
  core.dtbParcel = { handle: parcel.value, gpa: dtb.value.start, size: dtb.value.size };
  core.pager.setParcelPages(dtb.value.start, dtb.value.size, true);

  const dtbConfig = core.dtbConfig;
  if (!dtbConfig) return fail("EINVAL", "DTB configuration vanished");
  const configured = await rm.configImage({
    vmid: vmid.value,
    auth: AUTH_NONE,
    memHandle: parcel.value,
    imageOffset: 0n,
    imageSize: 0n,
    dtOffset: BigInt(dtbConfig.gpa - dtb.value.start),
    dtSize: BigInt(dtbConfig.size),
  });
  if (!configured.ok) return configured;

  const lent = core.bindings.all.filter((b) => b.lend);
  const paging = await rm.setDemandPaging(
    vmid.value,
    lent.map((b) => ({ base: BigInt(b.gpa), size: BigInt(b.size) })),
  );
  if (!paging.ok) return paging;

  const layout = await rm.setAddressLayout(
    vmid.value,
    AddressRange.IMAGE,
    BigInt(dtb.value.start),
    BigInt(dtb.value.size),
  );
  if (!layout.ok) return layout;

  const init = await rm.init(vmid.value);
  if (!init.ok) {
    core.forceStatus(VmStatus.INIT_FAILED);
    return init;
  }
  core.setStatus(VmStatus.READY);

  for (const [reg, value] of core.bootContext) {
    const r = await rm.setBootContext(vmid.value, reg >> 8, reg & 0xff, value);
    if (!r.ok) return r;
  }

  if (core.timeBaseNs !== undefined) {
    // Stamped with the counter now, so the RM's and hypervisor's delay is accounted.
    const sent = await rm.setTimeBase(vmid.value, core.timeBaseNs, core.services.native.counter());
    if (!sent.ok) return sent;
  }

  const resources = await rm.getHypResources(vmid.value);
  if (!resources.ok) return resources;
  for (const raw of resources.value) core.tickets.addResource(toHostResource(raw));

  const started = await rm.start(vmid.value);
  if (!started.ok) return started;
  core.setStatus(VmStatus.RUNNING);
  return ok(undefined);
}

// VM management calls (gunyah-abi.md section 3): exact-size decoding of each fixed
// request (MSG_INVALID otherwise), VMID and ownership checks (VMID_INVALID), state
// checks against the transition table (VM_STATE), then the lifecycle work.

import { HypError } from "../hyp/abi/index.js";
import { u64ToSafe, isAligned } from "../lib/checked.js";
import {
  AddressRange,
  AUTH_NONE,
  BootRegSet,
  concatBytes,
  ExitType,
  HypResourceEntry,
  HypResourcesHeader,
  MAX_DEMAND_PAGING_RANGES,
  MemRange,
  PAGE_SIZE,
  RmError,
  RmNotification,
  VM_STOP_FLAG_FORCE,
  VmShutdownNotification,
  VmConfigImageRequest,
  VmExitRequest,
  VmidReply,
  VmidRequest,
  VmSetAddressLayoutRequest,
  VmSetBootContextRequest,
  VmSetTimeBaseRequest,
  VmSetDemandPagingHeader,
  VmStateReply,
  VmStatus,
  VmStopRequest,
} from "./protocol/index.js";
import { errorReply, errorReplyWithHypError, okReply, type Reply } from "./reply.js";
import { canEnter } from "./vm-state.js";
import type { LifecycleEnv, VmLifecycle } from "./vm-lifecycle.js";
import type { VmRecord } from "./vm-table.js";

export interface VmCallEnv extends LifecycleEnv {
  readonly lifecycle: VmLifecycle;
}

/** The VM a client names, if it exists and the client manages it. */
function managed(env: VmCallEnv, client: number, vmid: number): VmRecord | undefined {
  const vm = env.vms.get(vmid);
  return vm && vm.owner === client && vm.vmid !== client ? vm : undefined;
}

/** Decodes a {u16 vmid, u16 0} request and finds the client's VM. */
function vmOf(env: VmCallEnv, client: number, payload: Uint8Array): VmRecord | RmError {
  const req = VmidRequest.decodeExact(payload);
  if (!req) return RmError.MSG_INVALID;
  return managed(env, client, req.vmid) ?? RmError.VMID_INVALID;
}

const isErr = (v: VmRecord | RmError): v is RmError => typeof v === "number";

export function vmAllocVmid(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmidRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  // Only the VM manager (the host) creates VMs: a guest must not use up the VMIDs.
  if (!env.isStaticVm(client)) return errorReply(RmError.DENIED);
  const vm = env.vms.allocate(req.vmid, client);
  if (!vm.ok) return errorReply(vm.error);
  env.statusChanged(vm.value);
  return okReply(VmidReply.encode({ vmid: vm.value.vmid }));
}

export function vmDeallocVmid(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const vm = vmOf(env, client, payload);
  if (isErr(vm)) return errorReply(vm);
  if (vm.status !== VmStatus.LOAD && vm.status !== VmStatus.RESET)
    return errorReply(RmError.VM_STATE);
  env.lifecycle.releaseParcels(vm.vmid);
  env.vms.remove(vm.vmid);
  return okReply();
}

export function vmStart(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const vm = vmOf(env, client, payload);
  if (isErr(vm)) return errorReply(vm);
  if (vm.status !== VmStatus.READY) return errorReply(RmError.VM_STATE);
  const r = env.lifecycle.start(vm);
  return r.ok ? okReply() : errorReply(r.error);
}

export function vmStop(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmStopRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const vm = managed(env, client, req.vmid);
  if (!vm) return errorReply(RmError.VMID_INVALID);
  if ((req.flags & ~VM_STOP_FLAG_FORCE) !== 0) return errorReply(RmError.ARGUMENT_INVALID);
  if (vm.status !== VmStatus.RUNNING && vm.status !== VmStatus.PAUSED)
    return errorReply(RmError.VM_STATE);
  if ((req.flags & VM_STOP_FLAG_FORCE) === 0 && env.hasChannel(vm.vmid)) {
    // A graceful stop asks the guest over its RM channel; it exits by itself (VM_EXIT
    // or PSCI SYSTEM_OFF), or its owner follows up with a forced stop.
    env.notify(
      vm.vmid,
      RmNotification.VM_SHUTDOWN,
      VmShutdownNotification.encode({ vmid: vm.vmid, reason: req.reason }),
    );
    return okReply();
  }
  const reason = new Uint8Array(4);
  new DataView(reason.buffer).setUint32(0, req.reason, true);
  env.lifecycle.exit(vm, ExitType.VM_STOP_FORCED, reason);
  return okReply();
}

export function vmReset(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const vm = vmOf(env, client, payload);
  if (isErr(vm)) return errorReply(vm);
  if (!canEnter(vm.status, VmStatus.RESETTING)) return errorReply(RmError.VM_STATE);
  env.lifecycle.reset(vm);
  return okReply();
}

/** Configuration is accepted only before VM_INIT (LOAD, AUTH or RESET). */
function configurable(vm: VmRecord): boolean {
  return vm.status === VmStatus.LOAD || vm.status === VmStatus.AUTH || vm.status === VmStatus.RESET;
}

export function vmConfigImage(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmConfigImageRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const vm = managed(env, client, req.vmid);
  if (!vm) return errorReply(RmError.VMID_INVALID);
  if (!configurable(vm)) return errorReply(RmError.VM_STATE);
  if (req.auth !== AUTH_NONE) return errorReply(RmError.ARGUMENT_INVALID);
  const parcel = env.parcels.get(req.memHandle);
  if (!parcel || parcel.owner !== client) return errorReply(RmError.HANDLE_INVALID);
  if (!parcel.acl.some((e) => e.vmid === vm.vmid)) return errorReply(RmError.ARGUMENT_INVALID);
  if (req.dtSize === 0n) return errorReply(RmError.ARGUMENT_INVALID);
  vm.image = {
    auth: req.auth,
    memHandle: req.memHandle,
    imageOffset: req.imageOffset,
    imageSize: req.imageSize,
    dtOffset: req.dtOffset,
    dtSize: req.dtSize,
  };
  return okReply();
}

export function vmInit(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const vm = vmOf(env, client, payload);
  if (isErr(vm)) return errorReply(vm);
  if (!canEnter(vm.status, VmStatus.INIT)) return errorReply(RmError.VM_STATE);
  const r = env.lifecycle.init(vm);
  return r.ok ? okReply() : errorReply(r.error);
}

export function vmGetState(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmidRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  // A VM may ask about itself; a manager about the VMs it manages.
  const vm = req.vmid === client ? env.vms.get(client) : managed(env, client, req.vmid);
  if (!vm) return errorReply(RmError.VMID_INVALID);
  return okReply(
    VmStateReply.encode({ vmStatus: vm.status, osStatus: vm.osStatus, appStatus: vm.appStatus }),
  );
}

export function vmGetHypResources(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const vm = vmOf(env, client, payload);
  if (isErr(vm)) return errorReply(vm);
  const resources = vm.built?.resources ?? [];
  const parts = [HypResourcesHeader.encode({ count: resources.length })];
  for (const r of resources) parts.push(HypResourceEntry.encode({ ...r, virqHandle: 0 }));
  return okReply(concatBytes(...parts));
}

export function vmGetVmid(_env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  if (payload.length !== 0) return errorReply(RmError.MSG_INVALID);
  return okReply(VmidReply.encode({ vmid: client }));
}

export function vmSetBootContext(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmSetBootContextRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const vm = managed(env, client, req.vmid);
  if (!vm) return errorReply(RmError.VMID_INVALID);
  // Only before the VM starts (the v17 UAPI's rule), i.e. up to READY.
  const before = [
    VmStatus.LOAD,
    VmStatus.AUTH,
    VmStatus.INIT,
    VmStatus.READY,
    VmStatus.RESET,
  ] as number[];
  if (!before.includes(vm.status)) return errorReply(RmError.VM_STATE);
  const validIndex =
    (req.regSet === BootRegSet.X && req.regIndex <= 30) ||
    ((req.regSet === BootRegSet.PC || req.regSet === BootRegSet.SP) && req.regIndex === 0);
  if (!validIndex) return errorReply(RmError.ARGUMENT_INVALID);
  vm.bootContext.set(`${req.regSet}:${req.regIndex}`, {
    set: req.regSet,
    index: req.regIndex,
    value: req.value,
  });
  return okReply();
}

export function vmSetDemandPaging(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const head = VmSetDemandPagingHeader.decode(payload);
  if (!head) return errorReply(RmError.MSG_INVALID);
  if (head.count > MAX_DEMAND_PAGING_RANGES) return errorReply(RmError.ARGUMENT_INVALID);
  if (payload.length !== VmSetDemandPagingHeader.size + head.count * MemRange.size)
    return errorReply(RmError.MSG_INVALID);
  const vm = managed(env, client, head.vmid);
  if (!vm) return errorReply(RmError.VMID_INVALID);
  if (!configurable(vm)) return errorReply(RmError.VM_STATE);
  const ranges: { base: number; size: number }[] = [];
  for (let i = 0; i < head.count; i++) {
    const r = MemRange.decode(payload, VmSetDemandPagingHeader.size + i * MemRange.size)!;
    const base = u64ToSafe(r.base);
    const size = u64ToSafe(r.size);
    if (base === undefined || size === undefined || size === 0)
      return errorReply(RmError.ARGUMENT_INVALID);
    if (!isAligned(base, PAGE_SIZE) || !isAligned(size, PAGE_SIZE))
      return errorReply(RmError.ARGUMENT_INVALID);
    if (base + size > Number.MAX_SAFE_INTEGER) return errorReply(RmError.ARGUMENT_INVALID);
    if (ranges.some((o) => base < o.base + o.size && o.base < base + size))
      return errorReply(RmError.ARGUMENT_INVALID);
    ranges.push({ base, size });
  }
  vm.demandPaging = ranges;
  return okReply();
}

export function vmSetAddressLayout(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmSetAddressLayoutRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const vm = managed(env, client, req.vmid);
  if (!vm) return errorReply(RmError.VMID_INVALID);
  if (!configurable(vm)) return errorReply(RmError.VM_STATE);
  const base = u64ToSafe(req.base);
  const size = u64ToSafe(req.size);
  if (base === undefined || size === undefined || size === 0)
    return errorReply(RmError.ARGUMENT_INVALID);
  if (!isAligned(base, PAGE_SIZE) || !isAligned(size, PAGE_SIZE))
    return errorReply(RmError.ARGUMENT_INVALID);
  if (base + size > Number.MAX_SAFE_INTEGER) return errorReply(RmError.ARGUMENT_INVALID);
  if (req.rangeId === AddressRange.IMAGE) vm.imageRange = { base, size };
  else if (req.rangeId === AddressRange.FIRMWARE) vm.firmwareRange = { base, size };
  else return errorReply(RmError.ARGUMENT_INVALID);
  return okReply();
}

/**
 * VM_SET_TIME_BASE, as the public RM's vm_mgnt_handle_set_time_base: vmid 0 is the
 * caller; the VM must exist (NORESOURCE) and be the caller or one it manages (DENIED),
 * in INIT or READY (VM_STATE); a VM without a vRTC, or a call the hypervisor refuses
 * (a second time base, a reference in the future), is ARGUMENT_INVALID. Every error
 * carries the hypervisor's error (HypErrorData): the vRTC call's, DENIED for no vRTC
 * (vm_config_vrtc_set_time_base), ARGUMENT_INVALID where no hypercall was made.
 */
export function vmSetTimeBase(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const refuse = (error: RmError, hypError: number = HypError.ARGUMENT_INVALID) =>
    errorReplyWithHypError(error, hypError);
  const req = VmSetTimeBaseRequest.decodeExact(payload);
  if (!req) return refuse(RmError.MSG_INVALID);
  const vmid = req.vmid === 0 ? client : req.vmid;
  const vm = env.vms.get(vmid);
  if (!vm) return refuse(RmError.NORESOURCE);
  if (vm.vmid !== client && vm.owner !== client) return refuse(RmError.DENIED);
  if (vm.status !== VmStatus.INIT && vm.status !== VmStatus.READY) return refuse(RmError.VM_STATE);
  const rtc = vm.built?.vrtc;
  if (rtc === undefined) return refuse(RmError.ARGUMENT_INVALID, HypError.DENIED);
  const r = env.hyp.vrtcSetTimeBase(rtc, req.timeBase, req.sysTimerRef);
  return r.ok ? okReply() : refuse(RmError.ARGUMENT_INVALID, r.error);
}

/** VM_EXIT from a guest about itself. */
export function vmExit(env: VmCallEnv, client: number, payload: Uint8Array): Reply {
  const req = VmExitRequest.decode(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const vm = env.vms.get(client);
  if (!vm || !env.lifecycle.isDynamic(client)) return errorReply(RmError.DENIED);
  if (vm.status !== VmStatus.RUNNING && vm.status !== VmStatus.PAUSED)
    return errorReply(RmError.VM_STATE);
  // The exit reason is whatever follows the fixed part, passed through raw.
  const reason = concatBytes(payload.subarray(VmExitRequest.size));
  env.lifecycle.exit(vm, ExitType.VM_EXIT, reason);
  return okReply();
}

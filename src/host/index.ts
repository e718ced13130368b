// The host layer's public entry: the TypeScript /dev/gunyah (Linux v17 UAPI, one
// method per ioctl). The VMM programs against this file only.

import { ok } from "../lib/result.js";
import { bootPlatform, type HostBootInfo, type PlatformOptions } from "../platform/index.js";
import { GunyahDevice, type DeviceOptions } from "./device.js";
import { fail, type HostResult } from "./errors.js";

export interface OpenGunyahOptions extends DeviceOptions {
  /** An already-booted platform whose host VM this driver runs in. */
  readonly platform?: { readonly host: HostBootInfo };
  /** Options for booting a new platform when `platform` is not given. */
  readonly boot?: PlatformOptions;
}

/**
 * Opens /dev/gunyah: connects the host driver to the RM over the host VM's message
 * queues. With `platform` it runs in that platform's host VM; otherwise it boots a
 * new platform (hypervisor, RM, host VM) first. Fails with ENODEV if the hypervisor
 * below is not Gunyah.
 */
export async function openGunyah(
  options: OpenGunyahOptions = {},
): Promise<HostResult<GunyahDevice>> {
  let host: HostBootInfo;
  try {
    host = options.platform?.host ?? bootPlatform(options.boot).host;
  } catch (e) {
    return fail("ENODEV", `platform boot failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const device = new GunyahDevice(host, options);
  const id = device.identify();
  if (!id.ok) {
    device.close();
    return id;
  }
  return ok(device);
}

export { GunyahDevice, type DeviceOptions, type HostBootInfo } from "./device.js";
export type { PlatformOptions } from "../platform/index.js";
/** The guest machine layout the hypervisor and RM pin (vGIC frames, RAM base, device slots). */
export { GUEST_LAYOUT } from "../platform/index.js";
export { GunyahVm, bootReg } from "./vm.js";
export type {
  BootContextArgs,
  DtbConfig,
  FunctionDesc,
  IoeventfdFunctionDesc,
  IrqfdFunctionDesc,
  MapMemArgs,
  RawFunctionDesc,
  VcpuFunctionDesc,
} from "./vm.js";
export { Vcpu } from "./functions/vcpu.js";
export { VcpuDebug, MAX_DEBUG_ACCESS, type GuestDebugConfig } from "./functions/vcpu-debug.js";
export { VcpuArg } from "./functions/vcpu-function.js";
export { IrqfdArg, IRQFD_FLAG_LEVEL } from "./functions/irqfd.js";
export { IoeventfdArg, IOEVENTFD_FLAG_DATAMATCH } from "./functions/ioeventfd.js";
export { FunctionTypeId, FN_MAX_ARG_SIZE } from "./functions/registry.js";
export { GuestMem, GuestMemFlag, type GuestMemOptions } from "./guest-mem.js";
export { MapFlag } from "./bindings.js";
export { EventFd, EVENTFD_MAX, type EventFdOptions } from "./eventfd.js";
export { Errno, GunyahError, type ErrnoName, type HostResult, type ErrorOrigin } from "./errors.js";
export {
  ExitReason,
  ResumeAction,
  RUN_STRUCTURE_SIZE,
  RunHeader,
  RunMmio,
  RunPageFault,
  RunStatus,
  RunDebug,
  DebugExitReason,
  RUN_UNION_OFFSET,
  VmExitStatus,
  type VcpuExit,
} from "./run-structure.js";
export {
  FaultEntry,
  FaultKind,
  FaultRingConsumer,
  FaultRingHeader,
  describeFaultReport,
  type FaultReport,
} from "./fault-ring.js";
export type { VmOptions } from "./vm-core.js";
export type { RunOptions } from "./vm-context.js";
/** RM VM statuses and exit types, as `vm.status` and STATUS exits report them. */
export { VmStatus, ExitType } from "../rm/protocol/index.js";

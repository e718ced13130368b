// The userspace VMM's public entry (ARCHITECTURE.md: vmm may import lib and host).
export { MmioBus, describeBusError, type BusError, type RegisterError } from "./bus.js";
export type { AccessWidth, DeviceFault, InterruptLine, MmioDevice } from "./device.js";
export {
  buildGuestDeviceTree,
  serializeGuestDeviceTree,
  type GuestDtOptions,
  type IrqBell,
} from "./devicetree.js";
export {
  DEFAULT_BOOTARGS,
  DEFAULT_MEMORY,
  DEMO_GUEST_PATH,
  DTB_RESERVE,
  memoryFiles,
  parseMemorySize,
  validateConfig,
  type FileSource,
  type MachineConfig,
  type MachineResources,
} from "./config.js";
export type * from "./host-port.js";
export { MachineLayout, MAX_VCPUS } from "./layout.js";
export {
  IMAGE_MAGIC,
  ImageHeader,
  describeLoadError,
  parseKernel,
  parseLinuxImage,
  planBoot,
  type BootPlan,
  type KernelImage,
  type LoadError,
} from "./loader.js";
export { Machine, buildMachine, type ConsoleIo, type MachineOptions } from "./machine.js";
export { IrqfdLine, attachDevices, virtioMmioSlot, type DeviceSpec } from "./devices.js";
export {
  ExitCode,
  describeOutcome,
  describeStartError,
  outcomeExitCode,
  type RunOutcome,
  type StartError,
} from "./outcome.js";
export { Pl011, PL011_SIZE } from "./pl011.js";
export { RunView, type RunExit } from "./run-structure.js";
export { hostPort } from "./host-adapter.js";
export { openHostPort, platformRamFor, type HostRequirements } from "./open-host.js";
export { runVm, type VmRunRequest, type VmRunResult } from "./run-vm.js";
export { parseRtcBase, rtcTimeBase } from "./rtc-base.js";
export { guestRam, MAX_GUEST_ACCESS, type GuestRam, type GuestRamError } from "./guest-ram.js";
export {
  memoryStore,
  parseDiskOption,
  virtioDeviceSpecs,
  type BlockStore,
  type DiskOptions,
  type VirtioDeviceOptions,
  type VirtioDevices,
} from "./virtio/index.js";
export { DebugGate } from "./gdb/gate.js";
export {
  GdbStub,
  type GdbTarget,
  type StopEvent,
  type Transport,
  type WatchRequest,
} from "./gdb/stub.js";

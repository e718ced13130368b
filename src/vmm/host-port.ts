// What the VMM needs from the host's user interface (the TypeScript /dev/gunyah), as a
// narrow port: create a VM and guest memory, map it, point the VM at its device tree
// and boot registers, add vCPU and irqfd functions, start, and run vCPUs over the
// shared run structure. `host-adapter.ts` implements it over src/host; tests implement
// it with a small fake. Keeping it narrow is what lets virtio-mmio devices, the CLI and
// the tests share one machine builder (crosvm's `hypervisor` traits do the same).

import type { Result } from "../lib/result.js";

/** Why a host call failed: the host's own error (errno name and text) as a message. */
export interface HostFailure {
  readonly message: string;
}

export type HostCall<T> = Promise<Result<T, HostFailure>>;

export interface GuestMemoryPort {
  readonly size: number;
  /** Copies `bytes` into the memory at `offset`; fails on pages lent to the guest. */
  write(offset: number, bytes: Uint8Array): Result<void, HostFailure>;
  /** Copies `length` bytes out; fails on pages lent to the guest. */
  read(offset: number, length: number): Result<Uint8Array, HostFailure>;
}

/** Boot registers (VM_SET_BOOT_CONTEXT): X0..X30, PC, SP_EL1. */
export type BootRegister =
  { readonly set: "x"; readonly index: number } | { readonly set: "pc" } | { readonly set: "sp" };

export interface MapRequest {
  readonly guestAddr: number;
  readonly memory: GuestMemoryPort;
  readonly offset: number;
  readonly size: number;
  /** Lent memory is the guest's alone; shared memory stays reachable from the host. */
  readonly access: "lend" | "share";
}

/**
 * The host's gunyah-ts debug extension for one vCPU (src/host functions/vcpu-debug.ts):
 * only while the vCPU is not inside run().
 */
export interface VcpuDebugPort {
  readRegister(reg: number): Result<bigint, HostFailure>;
  writeRegister(reg: number, value: bigint): Result<void, HostFailure>;
  readMemory(address: bigint, length: number): Result<Uint8Array, HostFailure>;
  writeMemory(address: bigint, data: Uint8Array): Result<void, HostFailure>;
  configure(config: {
    readonly breakpoints: readonly bigint[];
    readonly watchpoints: readonly {
      readonly address: bigint;
      readonly length: number;
      readonly read: boolean;
      readonly write: boolean;
    }[];
    readonly step: boolean;
  }): Result<void, HostFailure>;
}

export interface VcpuPort {
  readonly index: number;
  /** The debug extension, when the host has it. */
  readonly debug?: VcpuDebugPort;
  /** Makes run() return (EINTR) soon, waking a vCPU that waits for an interrupt. */
  readonly kick?: () => void;
  /** The page shared with the host, in the v17 `gunyah_vcpu_run` layout. */
  readonly runStructure: SharedArrayBuffer;
  /** Runs until an exit for the VMM (or immediate_exit); the exit is in runStructure. */
  run(): HostCall<void>;
}

/** An irqfd: raising it makes the host ring the doorbell that injects the SPI. */
export interface IrqfdPort {
  trigger(): void;
}

export interface VmPort {
  /** The VM's VMID once it has one (after start), for traces. */
  readonly vmid?: number | undefined;
  mapMemory(request: MapRequest): HostCall<void>;
  setDtbConfig(guestAddr: number, size: number): HostCall<void>;
  setBootRegister(register: BootRegister, value: bigint): HostCall<void>;
  addVcpu(index: number): HostCall<VcpuPort>;
  /** Undefined when the host has no irqfd support: devices then run without interrupts. */
  readonly addIrqfd?: (label: number, level: boolean) => HostCall<IrqfdPort>;
  start(): HostCall<void>;
  /**
   * The wall time (ns since the epoch) the VM's vRTC shows at start, sent by the host
   * with VM_START's sequence; before start only (optional for fakes without a vRTC).
   */
  readonly setTimeBase?: (timeBaseNs: bigint) => HostCall<void>;
  /** Bytes of guest memory the guest holds now, lent and shared (optional for fakes). */
  readonly memoryUse?: () => { readonly lent: number; readonly shared: number };
  /** Takes the host's pending fault reports (faults the VMM did not handle), as text. */
  readonly faultReports?: () => readonly string[];
  /** Tears the VM down (stop, reclaim, reset, free); safe to call more than once. */
  close(): Promise<void>;
}

export interface VmCreateOptions {
  /**
   * Run the vCPUs in deterministic turns (the host's "turns" scheduling,
   * src/host/functions/vcpu-turns.ts) rather than as the event loop lets them: a
   * multi-vCPU run is then the same run after run. Every vCPU needs a run loop.
   */
  readonly deterministic?: boolean;
}

export interface HypervisorPort {
  createVm(options?: VmCreateOptions): HostCall<VmPort>;
  createGuestMemory(size: number): HostCall<GuestMemoryPort>;
  /** Closes the device (after its VMs are closed); optional for fakes. */
  close?(): void;
}

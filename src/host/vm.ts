// The VM handle (what an open /dev/gunyah VM file descriptor is in Linux v17): the
// VM_* operations of the UAPI, one method each, with the same checks and errors.

import { ok } from "../lib/result.js";
import { BootRegSet, VmStatus } from "../rm/protocol/index.js";
import { MapFlag } from "./bindings.js";
import type { EventFd } from "./eventfd.js";
import { fail, type HostResult } from "./errors.js";
import { FaultRingConsumer } from "./fault-ring.js";
import { u32Arg, u64Arg } from "./functions/args.js";
import { encodeIoeventfdArg } from "./functions/ioeventfd.js";
import { encodeIrqfdArg } from "./functions/irqfd.js";
import { FunctionTypeId } from "./functions/registry.js";
import { Vcpu } from "./functions/vcpu.js";
import { encodeVcpuArg } from "./functions/vcpu-function.js";
import { GuestMem } from "./guest-mem.js";
import { PAGE_SIZE } from "./host-ram.js";
import { startVm } from "./vm-lifecycle.js";
import type { VmCore } from "./vm-core.js";
import type { VmRef } from "./vm-context.js";

/** VM_SET_DTB_CONFIG argument. */
export interface DtbConfig {
  readonly guestPhysAddr: bigint | number;
  readonly size: bigint | number;
}

/** VM_MAP_MEM argument. `flags` uses MapFlag (default access = lend). */
export interface MapMemArgs {
  readonly guestAddr: bigint | number;
  readonly flags: number;
  readonly guestMem: GuestMem;
  readonly offset: bigint | number;
  readonly size: bigint | number;
}

/** VM_SET_BOOT_CONTEXT argument: reg = set << 8 | index (bootReg() builds it). */
export interface BootContextArgs {
  readonly reg: number;
  readonly value: bigint;
}

/** VM_ADD_FUNCTION / VM_REMOVE_FUNCTION descriptors. */
export type VcpuFunctionDesc = { readonly type: "vcpu"; readonly id: number };
export type IrqfdFunctionDesc = {
  readonly type: "irqfd";
  readonly eventfd: EventFd;
  /** The doorbell label in the VM's config tree. */
  readonly label: number;
  readonly level?: boolean;
};
export type IoeventfdFunctionDesc = {
  readonly type: "ioeventfd";
  readonly eventfd: EventFd;
  readonly addr: bigint;
  readonly len: 1 | 2 | 4 | 8;
  readonly datamatch?: bigint;
};
/** The raw UAPI form: a function type id and its argument bytes (at most 256). */
export type RawFunctionDesc = { readonly type: number; readonly arg: Uint8Array };
export type FunctionDesc =
  VcpuFunctionDesc | IrqfdFunctionDesc | IoeventfdFunctionDesc | RawFunctionDesc;

/** Builds a VM_SET_BOOT_CONTEXT register number: X0..X31, PC, or SP_ELn. */
export function bootReg(set: "x" | "pc" | "sp", index = 0): number {
  const s = set === "x" ? BootRegSet.X : set === "pc" ? BootRegSet.PC : BootRegSet.SP;
  return (s << 8) | (index & 0xff);
}

interface EncodedFunction {
  readonly typeId: number;
  readonly arg: Uint8Array;
}

/** A descriptor as the UAPI's (type, argument bytes); EINVAL for a number out of range. */
function encodeFunction(desc: FunctionDesc): HostResult<EncodedFunction> {
  const withType = (typeId: number, arg: HostResult<Uint8Array>): HostResult<EncodedFunction> =>
    arg.ok ? ok({ typeId, arg: arg.value }) : arg;
  switch (desc.type) {
    case "vcpu":
      return withType(FunctionTypeId.VCPU, encodeVcpuArg(desc.id));
    case "irqfd":
      return withType(
        FunctionTypeId.IRQFD,
        encodeIrqfdArg(desc.eventfd.fd, desc.label, desc.level === true),
      );
    case "ioeventfd":
      return withType(
        FunctionTypeId.IOEVENTFD,
        encodeIoeventfdArg({
          fd: desc.eventfd.fd,
          addr: desc.addr,
          len: desc.len,
          datamatch: desc.datamatch,
        }),
      );
    default: {
      const typeId = u32Arg("function type", desc.type);
      if (!typeId.ok) return typeId;
      if (!(desc.arg instanceof Uint8Array))
        return fail("EINVAL", "function argument is not bytes");
      return ok({ typeId: typeId.value, arg: desc.arg });
    }
  }
}

/**
 * VM_MAP_MEM's numbers are a u64 address, offset and size and a u32 flags word in the
 * UAPI (struct gunyah_map_mem_args): anything else is EINVAL here, before the binding
 * table converts them (BigInt() would throw on 0.5, and a wider value would alias).
 */
function checkMapMemNumbers(args: MapMemArgs): HostResult<void> {
  const checks = [
    u64Arg("guest address", args.guestAddr),
    u64Arg("guest memory offset", args.offset),
    u64Arg("mapping size", args.size),
    u32Arg("map flags", args.flags),
  ];
  for (const c of checks) if (!c.ok) return c;
  return ok(undefined);
}

export class GunyahVm {
  private readonly ref: VmRef;
  private closed = false;

  /** @internal Use `device.createVm()`. */
  constructor(
    private readonly core: VmCore,
    ref: VmRef,
  ) {
    this.ref = ref;
  }

  /** The VMID the RM gave the VM at start, if it has started. */
  get vmid(): number | undefined {
    return this.core.vmid;
  }

  /** The VM's RM status (VmStatus) as the host last learned it. */
  get status(): number {
    return this.core.status();
  }

  /** Bytes of guest memory the guest holds now, lent and shared (demand-paged pages). */
  memoryUse(): { lent: number; shared: number } {
    const pages = this.core.pager.pageCounts();
    return { lent: pages.lent * PAGE_SIZE, shared: pages.shared * PAGE_SIZE };
  }

  /** The fault-report ring shared with the VMM (read it with `faultReports()`). */
  get faultRing(): SharedArrayBuffer {
    return this.core.faultRing.buffer;
  }

  /** A consumer over the fault ring. */
  faultReports(): FaultRingConsumer {
    return new FaultRingConsumer(this.core.faultRing.buffer);
  }

  /** Resolves when the VM's teardown has finished (after the last reference closed). */
  get released(): Promise<void> {
    return this.core.released;
  }

  private usable(): HostResult<void> {
    if (this.closed) return fail("EBADF", "VM handle is closed");
    return ok(undefined);
  }

  /** VM_SET_DTB_CONFIG: where the VMM put the VM's device tree in guest memory. */
  setDtbConfig(config: DtbConfig): HostResult<void> {
    const u = this.usable();
    if (!u.ok) return u;
    const gpaArg = u64Arg("DTB guest address", config.guestPhysAddr);
    if (!gpaArg.ok) return gpaArg;
    const sizeArg = u64Arg("DTB size", config.size);
    if (!sizeArg.ok) return sizeArg;
    const gpa = gpaArg.value;
    const size = sizeArg.value;
    if (size === 0n) return fail("EINVAL", "empty DTB range");
    if (gpa + size > BigInt(Number.MAX_SAFE_INTEGER))
      return fail("EOVERFLOW", "DTB range overflows");
    if (this.core.status() !== VmStatus.NONE) return fail("EBUSY", "VM already started");
    this.core.dtbConfig = { gpa: Number(gpa), size: Number(size) };
    return ok(undefined);
  }

  /** VM_MAP_MEM: binds guest memory at a guest address (or removes it with MapFlag.UNMAP). */
  mapMem(args: MapMemArgs): HostResult<void> {
    const u = this.usable();
    if (!u.ok) return u;
    if (!(args.guestMem instanceof GuestMem) || args.guestMem.isClosed)
      return fail("EBADF", "not an open guest memory handle");
    const numbers = checkMapMemNumbers(args);
    if (!numbers.ok) return numbers;
    if ((args.flags & MapFlag.UNMAP) === 0) {
      const added = this.core.bindings.add(args, args.guestMem);
      return added.ok ? ok(undefined) : added;
    }
    const found = this.core.bindings.findForUnmap(args, args.guestMem);
    if (!found.ok) return found;
    const { binding, gpa, size } = found.value;
    const reclaimed = this.core.pager.reclaimRange(gpa, size);
    if (!reclaimed.ok) return reclaimed;
    this.core.bindings.trim(binding, gpa, size);
    return ok(undefined);
  }

  /** VM_SET_BOOT_CONTEXT: an initial register value, replayed to the RM at start. */
  setBootContext(args: BootContextArgs): HostResult<void> {
    const u = this.usable();
    if (!u.ok) return u;
    const { reg } = args;
    if (!Number.isInteger(reg) || reg < 0 || reg > 0xffff)
      return fail("EINVAL", `boot register ${String(reg)}`);
    const checked = u64Arg("boot register value", args.value);
    if (!checked.ok) return checked;
    const value = checked.value;
    const set = reg >> 8;
    const index = reg & 0xff;
    const valid =
      (set === BootRegSet.X && index <= 31) ||
      (set === BootRegSet.PC && index === 0) ||
      (set === BootRegSet.SP && index <= 2);
    if (!valid) return fail("EINVAL", `no boot register set ${set} index ${index}`);
    if (this.core.status() !== VmStatus.NONE || this.core.startPromise) {
      return fail("EINVAL", "boot context can only be set before start");
    }
    this.core.bootContext.set(reg, value);
    return ok(undefined);
  }

  /**
   * gunyah-ts extension (not a v17 ioctl): the wall time, in ns since the Unix epoch,
   * that the VM's vRTC shows at start. The start sequence sends it with the counter's
   * value as VM_SET_TIME_BASE after VM_INIT, as Qualcomm's downstream host driver does
   * with its own real-time clock; here the VMM passes the host's clock reading (or a
   * fixed base, for reproducible runs). Only before start; a VM whose configuration
   * has no `vrtc-pl031` fails to start with it (EINVAL).
   */
  setTimeBase(timeBaseNs: bigint): HostResult<void> {
    const u = this.usable();
    if (!u.ok) return u;
    const checked = u64Arg("time base", timeBaseNs);
    if (!checked.ok) return checked;
    if (this.core.status() !== VmStatus.NONE || this.core.startPromise)
      return fail("EINVAL", "the time base can only be set before start");
    this.core.timeBaseNs = checked.value;
    return ok(undefined);
  }

  /**
   * VM_START: runs the start sequence against the RM. A second call waits for the
   * first and returns ENODEV unless the VM is running.
   */
  async start(): Promise<HostResult<void>> {
    const u = this.usable();
    if (!u.ok) return u;
    if (this.core.startPromise) {
      await this.core.startPromise;
      return this.core.status() === VmStatus.RUNNING
        ? ok(undefined)
        : fail("ENODEV", "VM is not running");
    }
    const ref = this.core.acquire();
    if (!ref) return fail("ENODEV", "VM is being torn down");
    this.core.startPromise = startVm(this.core).finally(() => ref.drop());
    return this.core.startPromise;
  }

  /** VM_ADD_FUNCTION. A VCPU function returns its Vcpu handle. */
  addFunction(desc: VcpuFunctionDesc): HostResult<Vcpu>;
  addFunction(desc: FunctionDesc): HostResult<unknown>;
  addFunction(desc: FunctionDesc): HostResult<unknown> {
    const u = this.usable();
    if (!u.ok) return u;
    if (this.core.tearingDown) return fail("ENODEV", "VM is being torn down");
    const encoded = encodeFunction(desc);
    if (!encoded.ok) return encoded;
    return this.core.functions.add(encoded.value.typeId, encoded.value.arg);
  }

  /** VM_REMOVE_FUNCTION: removes the instance the type's compare matches. */
  removeFunction(desc: FunctionDesc): HostResult<void> {
    const u = this.usable();
    if (!u.ok) return u;
    const encoded = encodeFunction(desc);
    if (!encoded.ok) return encoded;
    return this.core.functions.remove(encoded.value.typeId, encoded.value.arg);
  }

  /** Drops this handle's reference; the last reference schedules teardown. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ref.drop();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export { Vcpu };

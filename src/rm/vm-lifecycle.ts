// VM lifecycle work behind the VM management calls: VM_INIT (read the configuration
// DT from the lent parcel, build, map, write the generated /hypervisor node back),
// VM_START (power on vCPU 0 with the boot context), stopping and exits (the vCPU halt
// VIRQ, PSCI SYSTEM_OFF / SYSTEM_RESET), and VM_RESET's staged cleanup.

import {
  PoweronFlags,
  POWERED_OFF_EXITED,
  VcpuRegisterSet,
  VcpuRunState,
} from "../hyp/abi/index.js";
import { DEFAULT_FDT_LIMITS, serializeFdt } from "../lib/fdt.js";
import { u64ToSafe } from "../lib/checked.js";
import { RateLimitedLog } from "../lib/log.js";
import { err, ok, type Result } from "../lib/result.js";
import type { Hyp } from "./hvc.js";
import { addHypervisorNode } from "./hypervisor-node.js";
import { addVrtcNodes } from "./vsoc-node.js";
import { reclaimParcel, releaseBorrower, type MemCallEnv } from "./mem-calls.js";
import { pageRecovery } from "./page-recovery.js";
import { totalSize } from "./memparcel.js";
import type { ParcelIo } from "./parcel-memory.js";
import {
  BootRegSet,
  ExitType,
  RmError,
  Vmid,
  VmStatus,
  type ExitType as ExitTypeValue,
} from "./protocol/index.js";
import { TEARDOWN_ORDER } from "./undo.js";
import { buildVm, type BuildEnv, type BuiltVcpu } from "./vm-build.js";
import { parseVmConfigBlob } from "./vm-config.js";
import type { VmRecord } from "./vm-table.js";

export interface LifecycleEnv extends MemCallEnv {
  readonly hyp: Hyp;
  readonly buildEnv: BuildEnv;
  /** Reads/writes a parcel through a temporary mapping in the RM's address space. */
  withParcel<T>(handle: number, use: (io: ParcelIo) => T): Result<T, RmError>;
  statusChanged(vm: VmRecord): void;
  exited(vm: VmRecord, exitType: ExitTypeValue, reason: Uint8Array): void;
  /** Whether a VM has an RPC channel to the RM. */
  hasChannel(vmid: number): boolean;
  /** Runs `fn` on a later event-loop turn (reset stages). */
  defer(fn: () => void): void;
}

export class VmLifecycle {
  private readonly log = new RateLimitedLog("rm");
  /** Pages the RM handed back to the host at VM_RESET (the host had left them). */
  readonly recovery = { recovered: 0 };
  /** Entry point and DT address per VM, fixed at VM_INIT. */
  private readonly boot = new Map<number, { entry: bigint; dt: bigint }>();

  constructor(private readonly env: LifecycleEnv) {}

  private setStatus(vm: VmRecord, to: VmStatus): void {
    this.env.vms.transition(vm, to);
    this.env.statusChanged(vm);
  }

  /** VM_INIT: INIT -> READY, or INIT_FAILED with the error. */
  init(vm: VmRecord): Result<undefined, RmError> {
    this.setStatus(vm, VmStatus.INIT);
    const r = this.build(vm);
    if (!r.ok) {
      const last = this.env.hyp.lastFailure;
      const detail = last
        ? `; last hypercall 0x${last.call.toString(16)} failed with ${last.error}`
        : "";
      this.log.warn(`vm ${vm.vmid}: VM_INIT failed (error ${r.error}${detail})`);
      this.setStatus(vm, VmStatus.INIT_FAILED);
      return r;
    }
    this.setStatus(vm, VmStatus.READY);
    return ok();
  }

  private build(vm: VmRecord): Result<undefined, RmError> {
    const image = vm.image;
    const range = vm.imageRange;
    if (!image || !range) return err(RmError.ARGUMENT_INVALID);
    const parcel = this.env.parcels.get(image.memHandle);
    if (!parcel || parcel.owner !== vm.owner || !parcel.acl.some((e) => e.vmid === vm.vmid))
      return err(RmError.HANDLE_INVALID);
    if (!parcel.complete || parcel.accepted.has(vm.vmid)) return err(RmError.ARGUMENT_INVALID);
    const size = totalSize(parcel.sgl);
    const dtOffset = u64ToSafe(image.dtOffset);
    const dtSize = u64ToSafe(image.dtSize);
    const imageOffset = u64ToSafe(image.imageOffset);
    const imageSize = u64ToSafe(image.imageSize);
    if (
      dtOffset === undefined ||
      dtSize === undefined ||
      imageOffset === undefined ||
      imageSize === undefined ||
      dtSize === 0 ||
      dtSize > DEFAULT_FDT_LIMITS.maxSize ||
      dtOffset + dtSize > size ||
      imageOffset + imageSize > size ||
      size > range.size
    )
      return err(RmError.ARGUMENT_INVALID);

    const blob = this.env.withParcel(parcel.handle, (io) => io.read(dtOffset, dtSize));
    if (!blob.ok) return blob;
    if (!blob.value) return err(RmError.MAP_FAILED);
    const parsed = parseVmConfigBlob(blob.value);
    if (!parsed.ok) {
      this.log.warn(`vm ${vm.vmid}: bad VM configuration: ${parsed.error}`);
      return err(RmError.ARGUMENT_INVALID);
    }
    const { fdt, config } = parsed.value;
    const memEnd = config.memoryBase + config.memorySize;
    if (range.base < config.memoryBase || range.base + range.size > memEnd)
      return err(RmError.ARGUMENT_INVALID);
    // Demand paging places only guest RAM: a range below the memory base (where the
    // VMMIO window and the GIC are) or past base + size-max would let the host donate
    // pages the VM's configuration never gave it. The memory node is known only now,
    // so the check is here, like the IMAGE range's above.
    if (vm.demandPaging.some((r) => r.base < config.memoryBase || r.base + r.size > memEnd)) {
      this.log.warn(`vm ${vm.vmid}: a demand-paging range lies outside the VM's memory`);
      return err(RmError.ARGUMENT_INVALID);
    }

    const built = buildVm(this.env.buildEnv, vm.vmid, config);
    if (!built.ok) return built;
    const { undo } = built.value.built;
    vm.built = built.value.built;
    // The RM accepts the DTB parcel on the VM's behalf, at the IMAGE range.
    const rights = parcel.acl.find((e) => e.vmid === vm.vmid)!.rights;
    const at = [{ ipa: range.base, size }];
    const mapped = this.env.memory.map(parcel, vm.vmid, at, rights);
    if (!mapped.ok) {
      undo.runAll();
      vm.built = undefined;
      return mapped;
    }
    parcel.accepted.set(vm.vmid, at);

    addHypervisorNode(fdt, config, vm.vmid, built.value.doorbells, built.value.built.rpc);
    if (config.vrtc) addVrtcNodes(fdt, config.vrtc);
    const out = serializeFdt(fdt);
    const wrote = this.env.withParcel(parcel.handle, (io) =>
      dtOffset + out.length <= size ? io.write(dtOffset, out) : false,
    );
    if (!wrote.ok || !wrote.value) {
      releaseBorrower(this.env, parcel, vm.vmid);
      undo.runAll();
      vm.built = undefined;
      return err(RmError.NOMEM);
    }
    this.boot.set(vm.vmid, {
      entry: BigInt(range.base + imageOffset),
      dt: BigInt(range.base + dtOffset),
    });
    return ok();
  }

  /** VM_START: READY -> RUNNING; vCPU 0 starts at the entry with X0 = the DT address. */
  start(vm: VmRecord): Result<undefined, RmError> {
    const vcpu0 = vm.built?.vcpus[0];
    const boot = this.boot.get(vm.vmid);
    if (!vcpu0 || !boot) return err(RmError.VM_STATE);
    const { hyp } = this.env;
    let flags = 0;
    // The boot context (VM_SET_BOOT_CONTEXT) overrides the defaults, register by register.
    for (const { set, index, value } of vm.bootContext.values()) {
      const hvSet =
        set === BootRegSet.X
          ? VcpuRegisterSet.X
          : set === BootRegSet.PC
            ? VcpuRegisterSet.PC
            : VcpuRegisterSet.SP_EL1;
      if (!hyp.vcpuRegisterWrite(vcpu0.cap, hvSet, index, value).ok)
        return err(RmError.ARGUMENT_INVALID);
      if (set === BootRegSet.PC) flags |= PoweronFlags.PRESERVE_ENTRY_POINT;
      if (set === BootRegSet.X && index === 0) flags |= PoweronFlags.PRESERVE_CONTEXT;
    }
    const on = hyp.vcpuPoweron(vcpu0.cap, boot.entry, boot.dt, flags);
    if (!on.ok) {
      this.log.warn(`vm ${vm.vmid}: vcpu_poweron failed (${on.error})`);
      return err(RmError.DENIED);
    }
    vm.exitReported = false;
    this.setStatus(vm, VmStatus.RUNNING);
    return ok();
  }

  /** Kills every vCPU and reports the exit (VM_STOP, VM_EXIT, a halt). */
  exit(vm: VmRecord, exitType: ExitTypeValue, reason: Uint8Array): void {
    if (vm.exitReported) return;
    if (vm.status !== VmStatus.RUNNING && vm.status !== VmStatus.PAUSED) return;
    vm.exitReported = true;
    for (const v of vm.built?.vcpus ?? []) this.env.hyp.vcpuKill(v.cap);
    this.setStatus(vm, VmStatus.EXITED);
    this.env.exited(vm, exitType, reason);
  }

  /** The halt VIRQ of one of a VM's vCPUs: find out why with vcpu_run_check. */
  vcpuHalted(vm: VmRecord, vcpu: BuiltVcpu): void {
    if (vm.status !== VmStatus.RUNNING && vm.status !== VmStatus.PAUSED) return;
    const check = this.env.hyp.vcpuRunCheck(vcpu.cap);
    if (!check.ok) return;
    const { state, data0, data1 } = check.value;
    if (state === VcpuRunState.POWERED_OFF && (data0 & POWERED_OFF_EXITED) !== 0n) {
      this.exit(vm, ExitType.PSCI_POWER_OFF, new Uint8Array(0));
    } else if (state === VcpuRunState.PSCI_SYSTEM_RESET) {
      // data0 bit 63 set: SYSTEM_RESET; clear: SYSTEM_RESET2 with the type in bits 31:0.
      const isReset2 = data0 >> 63n === 0n && data0 !== 0n;
      const reason = new Uint8Array(16);
      const view = new DataView(reason.buffer);
      view.setBigUint64(0, data0, true);
      view.setBigUint64(8, data1, true);
      this.exit(
        vm,
        isReset2 ? ExitType.PSCI_SYSTEM_RESET2 : ExitType.PSCI_SYSTEM_RESET,
        isReset2 ? reason : new Uint8Array(0),
      );
    } else if (state === VcpuRunState.FAULT) {
      this.exit(vm, ExitType.HYP_ERROR, new Uint8Array(0));
    }
  }

  /**
   * VM_RESET: -> RESETTING, then the stages of section 3 on later turns (destroy
   * vdevices, release memparcels, release IRQs, destroy the VM), then -> RESET.
   */
  reset(vm: VmRecord, done?: () => void): void {
    this.setStatus(vm, VmStatus.RESETTING);
    let recover: (() => boolean) | undefined;
    // Each stage returns false to be run again on the next turn (long work is sliced).
    const stages: (() => boolean | void)[] = [
      () => vm.built?.undo.runStage("vdevices"),
      () => {
        if (!recover) {
          this.releaseParcels(vm.vmid);
          recover = this.recoveryOf(vm);
        }
        return recover();
      },
      () => vm.built?.undo.runStage("irqs"),
      () => {
        for (const s of TEARDOWN_ORDER) vm.built?.undo.runStage(s);
        vm.built = undefined;
        this.boot.delete(vm.vmid);
      },
    ];
    const next = (i: number) => {
      if (i < stages.length) {
        const finished = stages[i]!() !== false;
        this.env.defer(() => next(finished ? i + 1 : i));
        return;
      }
      vm.bootContext.clear();
      vm.image = undefined;
      vm.imageRange = undefined;
      vm.firmwareRange = undefined;
      vm.demandPaging = [];
      this.setStatus(vm, VmStatus.RESET);
      done?.();
    };
    this.env.defer(() => next(0));
  }

  /** Pages the host left in the VM's extents go back to it (page-recovery.ts). */
  private recoveryOf(vm: VmRecord): () => boolean {
    const built = vm.built;
    if (!built || vm.demandPaging.length === 0) return () => true;
    return pageRecovery(
      this.env.hyp,
      {
        addrspace: built.addrspace,
        guestPrivate: built.guestPrivate,
        guestShared: built.guestShared,
        hostRam: this.env.buildEnv.host.ramExtent,
        ranges: vm.demandPaging,
      },
      this.recovery,
    );
  }

  /** Releases the VM's acceptances and reclaims every parcel it owns. */
  releaseParcels(vmid: number): void {
    for (const p of this.env.parcels.involving(vmid)) releaseBorrower(this.env, p, vmid);
    for (const p of this.env.parcels.ownedBy(vmid)) reclaimParcel(this.env, p);
    // Donations the VM received: the memory goes away with it.
    for (const p of this.env.parcels.involving(vmid))
      if (p.donated && p.accepted.size === 0) {
        this.env.memory.discard(p);
        this.env.parcels.delete(p.handle);
      }
  }

  /** A VM with no more use for its objects (VM_DEALLOC after a failed VM_INIT etc.). */
  isDynamic(vmid: number): boolean {
    return vmid >= Vmid.DYNAMIC_FIRST && vmid <= Vmid.DYNAMIC_LAST;
  }
}

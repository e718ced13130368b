// The RM's table of VMs: VMID allocation and each VM's status, configuration and
// the hypervisor objects built for it. Status changes go through the transition
// table (vm-state.ts) only.

import { InvariantError } from "../lib/assert.js";
import { err, ok, type Result } from "../lib/result.js";
import { RmError, Vmid, VmStatus } from "./protocol/index.js";
import { canEnter } from "./vm-state.js";
import type { BuiltVm } from "./vm-build.js";
import type { Tracer } from "../lib/trace.js";
import { traceVmStatus } from "./trace-rpc.js";

export interface ImageConfig {
  readonly auth: number;
  readonly memHandle: number;
  readonly imageOffset: bigint;
  readonly imageSize: bigint;
  readonly dtOffset: bigint;
  readonly dtSize: bigint;
}

export interface IpaRange {
  readonly base: number;
  readonly size: number;
}

export interface VmRecord {
  readonly vmid: number;
  /** The VM that allocated this one (its manager; notifications go there). */
  readonly owner: number;
  status: VmStatus;
  osStatus: number;
  appStatus: number;
  image?: ImageConfig;
  imageRange?: IpaRange;
  firmwareRange?: IpaRange;
  demandPaging: IpaRange[];
  /** VM_SET_BOOT_CONTEXT values by `${set}:${index}`. */
  readonly bootContext: Map<string, { set: number; index: number; value: bigint }>;
  /** Hypervisor objects, once VM_INIT has built them. */
  built?: BuiltVm;
  /** Set when an exit has been reported, so it is reported once. */
  exitReported: boolean;
}

export class VmTable {
  /** Records every status transition when tracing (category "vm"). */
  tracer: Tracer | undefined;

  private readonly vms = new Map<number, VmRecord>();

  get(vmid: number): VmRecord | undefined {
    return this.vms.get(vmid);
  }

  all(): VmRecord[] {
    return [...this.vms.values()];
  }

  get size(): number {
    return this.vms.size;
  }

  /** Registers a VM created outside RPC (the host at boot). */
  registerStatic(vmid: number, status: VmStatus): VmRecord {
    const vm = this.newRecord(vmid, vmid, status);
    this.vms.set(vmid, vm);
    return vm;
  }

  /**
   * VM_ALLOC_VMID: 0 picks the lowest free dynamic VMID; otherwise the requested
   * one must be in the dynamic range and free.
   */
  allocate(requested: number, owner: number): Result<VmRecord, RmError> {
    let vmid = requested;
    if (vmid === 0) {
      vmid = -1;
      for (let v = Vmid.DYNAMIC_FIRST; v <= Vmid.DYNAMIC_LAST; v++) {
        if (!this.vms.has(v)) {
          vmid = v;
          break;
        }
      }
      if (vmid < 0) return err(RmError.NORESOURCE);
    } else if (vmid < Vmid.DYNAMIC_FIRST || vmid > Vmid.DYNAMIC_LAST) {
      return err(RmError.VMID_INVALID);
    } else if (this.vms.has(vmid)) {
      return err(RmError.IN_USE);
    }
    const vm = this.newRecord(vmid, owner, VmStatus.NONE);
    this.transition(vm, VmStatus.LOAD);
    this.vms.set(vmid, vm);
    return ok(vm);
  }

  remove(vmid: number): void {
    const vm = this.vms.get(vmid);
    if (vm && this.tracer) traceVmStatus(this.tracer, vmid, vm.status, VmStatus.NONE);
    this.vms.delete(vmid);
  }

  /** Moves a VM to `to` if the table allows it; false (and no change) otherwise. */
  tryTransition(vm: VmRecord, to: VmStatus): boolean {
    if (!canEnter(vm.status, to)) return false;
    const from = vm.status;
    vm.status = to;
    if (this.tracer) traceVmStatus(this.tracer, vm.vmid, from, to);
    return true;
  }

  /** A transition the caller has already checked; failing is a bug in the RM. */
  transition(vm: VmRecord, to: VmStatus): void {
    if (!this.tryTransition(vm, to))
      throw new InvariantError(`vm ${vm.vmid}: illegal transition ${vm.status} -> ${to}`);
  }

  private newRecord(vmid: number, owner: number, status: VmStatus): VmRecord {
    return {
      vmid,
      owner,
      status,
      osStatus: 0,
      appStatus: 0,
      demandPaging: [],
      bootContext: new Map(),
      exitReported: false,
    };
  }
}

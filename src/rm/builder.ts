// The machinery of VM_INIT's builder: every object it takes is recorded on an undo
// stack (deleted caps, freed VIRQs), each hypervisor failure becomes an RM error, and
// caps handed to the host become VM_GET_HYP_RESOURCES entries.

import { HypError, Rights } from "../hyp/abi/index.js";
import type { VirqSink } from "../hyp/abi/index.js";
import { err, ok, type Result } from "../lib/result.js";
import type { Hyp } from "./hvc.js";
import { RmError } from "./protocol/index.js";
import { UndoStack } from "./undo.js";
import type { VirqAllocator } from "./virq-alloc.js";

/** One VM_GET_HYP_RESOURCES entry, caps already valid in the host's cspace. */
export interface HypResource {
  readonly type: number;
  readonly partnerVmid: number;
  readonly handle: number;
  readonly label: number;
  readonly capId: bigint;
  readonly virq: number;
  readonly base: bigint;
  readonly size: bigint;
}

export interface BuiltVcpu {
  readonly cap: bigint;
  readonly index: number;
}

/** What the builder needs from the RM: its own objects and the host's. */
export interface BuildEnv {
  readonly hyp: Hyp;
  readonly partition: bigint;
  readonly cspace: bigint;
  readonly rootExtent: bigint;
  readonly rootBase: number;
  readonly rmVic: bigint;
  readonly rmVirqs: VirqAllocator;
  readonly rmVirqSink: VirqSink;
  readonly host: {
    readonly vmid: number;
    readonly cspace: bigint;
    readonly vic: bigint;
    readonly virqs: VirqAllocator;
    readonly ramExtent: bigint;
    readonly ramBase: number;
    readonly ramSize: number;
  };
  nextResourceHandle(): number;
  /** Starts serving RPC from a VM over a queue pair (caps and VIRQs in the RM's space); returns the close. */
  openChannel(
    vmid: number,
    endpoint: { rxCap: bigint; txCap: bigint; rxVirq: number; txVirq: number },
  ): () => void;
  /** Called (on a later turn) when a vCPU of the VM halts. */
  onVcpuHalt(vmid: number, vcpu: BuiltVcpu): void;
}

export type Step<T> = Result<T, RmError>;

/** A hypervisor error while building: out of memory, or out of some other resource. */
export const fail = (hypError: number): Step<never> =>
  err(hypError === HypError.NOMEM ? RmError.NOMEM : RmError.NORESOURCE);

export const VCPU_RIGHTS = Rights.ALL;
export const ADDRSPACE_RIGHTS =
  Rights.addrspace.MAP | Rights.addrspace.LOOKUP | Rights.addrspace.ADD_VMMIO_RANGE;
export const GUEST_EXTENT_RIGHTS =
  Rights.memextent.MAP | Rights.memextent.DONATE | Rights.memextent.LOOKUP;
export const HOST_EXTENT_RIGHTS = Rights.memextent.DONATE | Rights.memextent.LOOKUP;

export class Builder {
  readonly undo = new UndoStack();
  readonly resources: HypResource[] = [];

  constructor(
    readonly env: BuildEnv,
    readonly vmid: number,
  ) {}

  /** Creates an object in the RM's cspace; deleting the cap is pushed as its undo. */
  create(callNumber: number, stage: "vdevices" | "vm" = "vm"): Step<bigint> {
    const r = this.env.hyp.create(callNumber, this.env.partition, this.env.cspace);
    if (!r.ok) return fail(r.error);
    this.undo.push(stage, () => void this.env.hyp.deleteCap(this.env.cspace, r.value));
    return ok(r.value);
  }

  check(r: Result<unknown, number>): Step<undefined> {
    return r.ok ? ok() : fail(r.error);
  }

  /** Allocates a VIRQ number from `alloc`; freeing it is an "irqs" undo. */
  virq(alloc: VirqAllocator): Step<number> {
    const v = alloc.allocate();
    if (v === undefined) return err(RmError.NORESOURCE);
    this.undo.push("irqs", () => alloc.free(v));
    return ok(v);
  }

  /** Copies a cap into the host's cspace and records it as a resource. */
  give(
    stage: "vdevices" | "vm",
    cap: bigint,
    rights: number,
    entry: Omit<HypResource, "capId" | "handle" | "partnerVmid">,
  ): Step<undefined> {
    const { hyp, cspace, host } = this.env;
    const copy = hyp.copyCap(cspace, cap, host.cspace, rights);
    if (!copy.ok) return fail(copy.error);
    this.undo.push(stage, () => void hyp.deleteCap(host.cspace, copy.value));
    this.resources.push({
      ...entry,
      capId: copy.value,
      handle: this.env.nextResourceHandle(),
      partnerVmid: this.vmid,
    });
    return ok();
  }
}

/** Runs a list of steps, stopping at the first failure. */
export function all(...steps: (() => Step<unknown>)[]): Step<undefined> {
  for (const s of steps) {
    const r = s();
    if (!r.ok) return r;
  }
  return ok();
}

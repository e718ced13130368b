// VM_INIT: building a VM's hypervisor objects by hypercall from its configuration
// (gunyah-abi.md sections 2-3, ARCHITECTURE.md "Memory"): cspace, address space,
// vic, vPM group, proxy-scheduled vCPUs, the guest memory extents, VMMIO ranges,
// doorbells and message queues; then the resources the host receives, with their
// caps copied into the host's cspace. Every object taken is recorded on an undo
// stack, so a failure part way releases everything and VM_RESET can tear down in
// stages.

import {
  Access,
  Call,
  HypError,
  memextentAttrs,
  MemextentType,
  msgqueueCreateInfo,
  Rights,
  VcpuOption,
  VcpuVirqType,
  VmmioOp,
  type VirqSink,
} from "../hyp/abi/index.js";
import { err, ok, type Result } from "../lib/result.js";
import type { Hyp } from "./hvc.js";
import { HypResourceType, MemExtentLabel, NO_VIRQ, RmError } from "./protocol/index.js";
import { vmmioRanges } from "./gic-frames.js";
import { UndoStack } from "./undo.js";
import type { VirqAllocator } from "./virq-alloc.js";
import type { VmConfig } from "./vm-config.js";

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

export interface BuiltVm {
  readonly cspace: bigint;
  readonly addrspace: bigint;
  readonly vic: bigint;
  readonly vpm: bigint;
  readonly vcpus: BuiltVcpu[];
  readonly resources: HypResource[];
  readonly undo: UndoStack;
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
  /** Called (on a later turn) when a vCPU of the VM halts. */
  onVcpuHalt(vmid: number, vcpu: BuiltVcpu): void;
}

type Step<T> = Result<T, RmError>;

/** A hypervisor error while building: out of memory, or out of some other resource. */
const fail = (hypError: number): Step<never> =>
  err(hypError === HypError.NOMEM ? RmError.NOMEM : RmError.NORESOURCE);

const VCPU_RIGHTS = Rights.ALL;
const ADDRSPACE_RIGHTS =
  Rights.addrspace.MAP | Rights.addrspace.LOOKUP | Rights.addrspace.ADD_VMMIO_RANGE;
const GUEST_EXTENT_RIGHTS =
  Rights.memextent.MAP | Rights.memextent.DONATE | Rights.memextent.LOOKUP;
const HOST_EXTENT_RIGHTS = Rights.memextent.DONATE | Rights.memextent.LOOKUP;

class Builder {
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
function all(...steps: (() => Step<unknown>)[]): Step<undefined> {
  for (const s of steps) {
    const r = s();
    if (!r.ok) return r;
  }
  return ok();
}

function buildCore(b: Builder, config: VmConfig): Step<Omit<BuiltVm, "resources" | "undo">> {
  const { hyp } = b.env;
  const cspace = b.create(Call.PARTITION_CREATE_CSPACE);
  if (!cspace.ok) return cspace;
  const as = b.create(Call.PARTITION_CREATE_ADDRSPACE);
  if (!as.ok) return as;
  const vic = b.create(Call.PARTITION_CREATE_VIC);
  if (!vic.ok) return vic;
  const vpm = b.create(Call.PARTITION_CREATE_VPM_GROUP);
  if (!vpm.ok) return vpm;
  const objects = all(
    () => b.check(hyp.cspaceConfigure(cspace.value, 256)),
    () => b.check(hyp.activate(cspace.value)),
    () => b.check(hyp.addrspaceConfigure(as.value, b.vmid)),
    () => b.check(hyp.activate(as.value)),
    () => b.check(hyp.vicConfigure(vic.value, config.vcpus, 988)),
    () => b.check(hyp.activate(vic.value)),
    () => b.check(hyp.activate(vpm.value)),
  );
  if (!objects.ok) return objects;
  const vcpus: BuiltVcpu[] = [];
  for (let i = 0; i < config.vcpus; i++) {
    const v = buildVcpu(b, i, {
      cspace: cspace.value,
      as: as.value,
      vic: vic.value,
      vpm: vpm.value,
    });
    if (!v.ok) return v;
    vcpus.push(v.value);
  }
  return ok({ cspace: cspace.value, addrspace: as.value, vic: vic.value, vpm: vpm.value, vcpus });
}

function buildVcpu(
  b: Builder,
  index: number,
  o: { cspace: bigint; as: bigint; vic: bigint; vpm: bigint },
): Step<BuiltVcpu> {
  const { hyp, rmVic, rmVirqSink, host } = b.env;
  const t = b.create(Call.PARTITION_CREATE_THREAD);
  if (!t.ok) return t;
  const vcpu: BuiltVcpu = { cap: t.value, index };
  const configured = all(
    () => b.check(hyp.vcpuConfigure(t.value, VcpuOption.VCPU_RUN_SCHEDULED)),
    () => b.check(hyp.cspaceAttachThread(o.cspace, t.value)),
    () => b.check(hyp.addrspaceAttachThread(o.as, t.value)),
    () => b.check(hyp.vicAttachVcpu(o.vic, t.value, index)),
    () => b.check(hyp.vpmAttachVcpu(o.vpm, t.value, index)),
    () => b.check(hyp.activate(t.value)),
  );
  if (!configured.ok) return configured;
  // Halt VIRQ to the RM: how it learns of PSCI SYSTEM_OFF / SYSTEM_RESET.
  const halt = b.virq(b.env.rmVirqs);
  if (!halt.ok) return halt;
  const bound = hyp.vcpuBindVirq(t.value, rmVic, halt.value, VcpuVirqType.HALT);
  if (!bound.ok) return fail(bound.error);
  const stopListening = rmVirqSink.onVirq(halt.value, () => b.env.onVcpuHalt(b.vmid, vcpu));
  b.undo.push("irqs", () => {
    stopListening();
    hyp.vcpuUnbindVirq(t.value, VcpuVirqType.HALT);
  });
  // Run-wakeup VIRQ to the host: its vcpu_run loop waits on it (EXPECTS_WAKEUP).
  const wake = b.virq(host.virqs);
  if (!wake.ok) return wake;
  const woken = hyp.vcpuBindVirq(t.value, host.vic, wake.value, VcpuVirqType.VCPU_RUN_WAKEUP);
  if (!woken.ok) return fail(woken.error);
  b.undo.push("irqs", () => void hyp.vcpuUnbindVirq(t.value, VcpuVirqType.VCPU_RUN_WAKEUP));
  const given = b.give("vm", t.value, VCPU_RIGHTS, {
    type: HypResourceType.VIRTUAL_CPU,
    label: index,
    virq: wake.value,
    base: 0n,
    size: 0n,
  });
  return given.ok ? ok(vcpu) : given;
}

/** The guest extents (sparse siblings of the host's RAM extent) and the host's share of them. */
function buildMemory(b: Builder, as: bigint): Step<undefined> {
  const { hyp, host, rootExtent, rootBase } = b.env;
  const extents: bigint[] = [];
  for (let i = 0; i < 2; i++) {
    const me = b.create(Call.PARTITION_CREATE_MEMEXTENT);
    if (!me.ok) return me;
    const r = all(
      () =>
        b.check(
          hyp.memextentDerive(
            me.value,
            rootExtent,
            host.ramBase - rootBase,
            host.ramSize,
            memextentAttrs(Access.RWX, MemextentType.SPARSE),
          ),
        ),
      () => b.check(hyp.activate(me.value)),
    );
    if (!r.ok) return r;
    extents.push(me.value);
  }
  const [guestPrivate, guestShared] = extents as [bigint, bigint];
  const span = { base: BigInt(host.ramBase), size: BigInt(host.ramSize), virq: NO_VIRQ };
  const ME = HypResourceType.MEM_EXTENT;
  return all(
    () =>
      b.give("vm", guestPrivate, GUEST_EXTENT_RIGHTS, {
        type: ME,
        label: MemExtentLabel.GUEST_PRIVATE,
        ...span,
      }),
    () =>
      b.give("vm", host.ramExtent, HOST_EXTENT_RIGHTS, {
        type: ME,
        label: MemExtentLabel.HOST_SHARED,
        ...span,
      }),
    () =>
      b.give("vm", host.ramExtent, HOST_EXTENT_RIGHTS, {
        type: ME,
        label: MemExtentLabel.HOST_PRIVATE,
        ...span,
      }),
    () =>
      b.give("vm", guestShared, GUEST_EXTENT_RIGHTS, {
        type: ME,
        label: MemExtentLabel.GUEST_SHARED,
        ...span,
      }),
    () =>
      b.give("vm", as, ADDRSPACE_RIGHTS, {
        type: HypResourceType.ADDR_SPACE,
        label: 0,
        virq: NO_VIRQ,
        base: 0n,
        size: 0n,
      }),
  );
}

function buildVmmio(b: Builder, as: bigint, config: VmConfig): Step<undefined> {
  for (const r of vmmioRanges(config.memoryBase, config.vcpus)) {
    const added = b.env.hyp.configureVmmio(as, r.base, r.size, VmmioOp.ADD);
    if (!added.ok) return fail(added.error);
  }
  return ok();
}

export interface GeneratedDoorbell {
  readonly name: string;
  readonly label: number;
  readonly intid: number;
  readonly level: boolean;
}

function buildDoorbells(b: Builder, vic: bigint, config: VmConfig): Step<GeneratedDoorbell[]> {
  const { hyp } = b.env;
  const out: GeneratedDoorbell[] = [];
  for (const bell of config.doorbells) {
    const db = b.create(Call.PARTITION_CREATE_DOORBELL, "vdevices");
    if (!db.ok) return db;
    const r = all(
      () => b.check(hyp.activate(db.value)),
      () => b.check(hyp.doorbellBindVirq(db.value, vic, bell.intid)),
    );
    if (!r.ok) return r;
    b.undo.push("irqs", () => void hyp.doorbellUnbindVirq(db.value));
    // The host is the source ("bell tx"); the guest receives the interrupt.
    const given = b.give("vdevices", db.value, Rights.doorbell.SEND, {
      type: HypResourceType.DOORBELL_SRC,
      label: bell.label,
      virq: NO_VIRQ,
      base: 0n,
      size: 0n,
    });
    if (!given.ok) return given;
    out.push({ name: bell.name, label: bell.label, intid: bell.intid, level: bell.level });
  }
  return ok(out);
}

function buildQueues(b: Builder, vic: bigint, config: VmConfig): Step<undefined> {
  const { hyp, host } = b.env;
  for (const q of config.msgQueuePairs) {
    // Two queues: host -> guest and guest -> host. The host's ends get host VIRQs.
    const toGuest = b.create(Call.PARTITION_CREATE_MSGQUEUE, "vdevices");
    if (!toGuest.ok) return toGuest;
    const toHost = b.create(Call.PARTITION_CREATE_MSGQUEUE, "vdevices");
    if (!toHost.ok) return toHost;
    const hostTx = b.virq(host.virqs);
    if (!hostTx.ok) return hostTx;
    const hostRx = b.virq(host.virqs);
    if (!hostRx.ok) return hostRx;
    const info = msgqueueCreateInfo(q.depth, q.maxSize);
    const r = all(
      () => b.check(hyp.msgqueueConfigure(toGuest.value, info)),
      () => b.check(hyp.msgqueueConfigure(toHost.value, info)),
      () => b.check(hyp.activate(toGuest.value)),
      () => b.check(hyp.activate(toHost.value)),
      () => b.check(hyp.msgqueueBindSendVirq(toGuest.value, host.vic, hostTx.value)),
      () => b.check(hyp.msgqueueBindReceiveVirq(toGuest.value, vic, q.intids[1])),
      () => b.check(hyp.msgqueueBindSendVirq(toHost.value, vic, q.intids[0])),
      () => b.check(hyp.msgqueueBindReceiveVirq(toHost.value, host.vic, hostRx.value)),
    );
    if (!r.ok) return r;
    b.undo.push("irqs", () => {
      for (const mq of [toGuest.value, toHost.value]) {
        hyp.msgqueueUnbindSendVirq(mq);
        hyp.msgqueueUnbindReceiveVirq(mq);
      }
    });
    const given = all(
      () =>
        b.give("vdevices", toGuest.value, Rights.msgqueue.SEND, {
          type: HypResourceType.MSG_QUEUE_SEND,
          label: q.label,
          virq: hostTx.value,
          base: 0n,
          size: 0n,
        }),
      () =>
        b.give("vdevices", toHost.value, Rights.msgqueue.RECEIVE, {
          type: HypResourceType.MSG_QUEUE_RECV,
          label: q.label,
          virq: hostRx.value,
          base: 0n,
          size: 0n,
        }),
    );
    if (!given.ok) return given;
  }
  return ok();
}

export interface BuildOutput {
  readonly built: BuiltVm;
  readonly doorbells: GeneratedDoorbell[];
}

/** Builds everything VM_INIT creates; on failure nothing is left behind. */
export function buildVm(
  env: BuildEnv,
  vmid: number,
  config: VmConfig,
): Result<BuildOutput, RmError> {
  const b = new Builder(env, vmid);
  const result = (() => {
    const core = buildCore(b, config);
    if (!core.ok) return core;
    const mem = buildMemory(b, core.value.addrspace);
    if (!mem.ok) return mem;
    const mmio = buildVmmio(b, core.value.addrspace, config);
    if (!mmio.ok) return mmio;
    const bells = buildDoorbells(b, core.value.vic, config);
    if (!bells.ok) return bells;
    const queues = buildQueues(b, core.value.vic, config);
    if (!queues.ok) return queues;
    return ok({
      built: { ...core.value, resources: b.resources, undo: b.undo },
      doorbells: bells.value,
    });
  })();
  if (!result.ok) b.undo.runAll();
  return result;
}

// VM_INIT: building a VM's hypervisor objects by hypercall from its configuration
// (gunyah-abi.md sections 2-3, ARCHITECTURE.md "Memory"): cspace, address space,
// vic, vPM group, proxy-scheduled vCPUs, the guest memory extents, VMMIO ranges and
// the virtual devices (vm-vdevices.ts); then the resources the host receives, with
// their caps copied into the host's cspace. Every object taken is recorded on an
// undo stack, so a failure part way releases everything and VM_RESET can tear down
// in stages.

import {
  Access,
  Call,
  memextentAttrs,
  MemextentType,
  VcpuOption,
  VcpuVirqType,
  VmmioOp,
} from "../hyp/abi/index.js";
import { ok, type Result } from "../lib/result.js";
import { HypResourceType, MemExtentLabel, NO_VIRQ, type RmError } from "./protocol/index.js";
import { vmmioRanges } from "./gic-frames.js";
import type { UndoStack } from "./undo.js";
import type { VmConfig } from "./vm-config.js";
import {
  ADDRSPACE_RIGHTS,
  all,
  Builder,
  fail,
  GUEST_EXTENT_RIGHTS,
  HOST_EXTENT_RIGHTS,
  VCPU_RIGHTS,
  type BuildEnv,
  type BuiltVcpu,
  type HypResource,
  type Step,
} from "./builder.js";
import { buildDoorbells, buildQueues, type GeneratedDoorbell } from "./vm-vdevices.js";
import { buildRmChannel, type GuestRpc } from "./vm-rm-channel.js";
import { VRTC_IPA_SIZE } from "./vm-config-vrtc.js";

export type { BuildEnv, BuiltVcpu, HypResource } from "./builder.js";
export type { GeneratedDoorbell } from "./vm-vdevices.js";
export type { GuestRpc } from "./vm-rm-channel.js";

export interface BuiltVm {
  readonly cspace: bigint;
  readonly addrspace: bigint;
  readonly vic: bigint;
  readonly vpm: bigint;
  readonly vcpus: BuiltVcpu[];
  readonly resources: HypResource[];
  readonly undo: UndoStack;
  /** The VM's own RPC channel to the RM. */
  readonly rpc: GuestRpc;
  /** The guest memory extents the host demand-pages into. */
  readonly guestPrivate: bigint;
  readonly guestShared: bigint;
  /** The vRTC's cap in the RM's cspace (a `vrtc-pl031` vdevice). */
  readonly vrtc?: bigint;
}

/** Aff0 0xff, Aff1 0x7f: 15 index bits, the most vgic_set_mpidr_mapping allows. */
const LINEAR_MPIDR_MASK = 0x7fffn;

function buildCore(
  b: Builder,
  config: VmConfig,
): Step<Omit<BuiltVm, "resources" | "undo" | "rpc" | "guestPrivate" | "guestShared">> {
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
    // Linear MPIDRs (Aff0 = index bits 7:0, Aff1 = bits 14:8), as Gunyah's RM asks for
    // every VM but the platform's (vm_config.c handle_interrupt_controller): vCPU i is
    // MPIDR affinity i, the cpu@i `reg` the VMM writes and the VIRTUAL_CPU label i.
    () => b.check(hyp.vgicSetMpidrMapping(vic.value, LINEAR_MPIDR_MASK, [0, 8, 16, 24], false)),
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
function buildMemory(b: Builder, as: bigint): Step<{ guestPrivate: bigint; guestShared: bigint }> {
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
  const given = all(
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
  return given.ok ? ok({ guestPrivate, guestShared }) : given;
}

function buildVmmio(b: Builder, as: bigint, config: VmConfig): Step<undefined> {
  const rtc = config.vrtc ? [{ base: config.vrtc.base, size: VRTC_IPA_SIZE }] : [];
  for (const r of vmmioRanges(config.memoryBase, config.vcpus, rtc)) {
    const added = b.env.hyp.configureVmmio(as, r.base, r.size, VmmioOp.ADD);
    if (!added.ok) return fail(added.error);
  }
  return ok();
}

/**
 * The `vrtc-pl031` vdevice, as the public RM's handle_rtc does it: create, configure
 * at the IPA, activate, attach to the VM's address space. The time base is set later,
 * by VM_SET_TIME_BASE. The vRTC is the RM's alone: the host gets no resource for it.
 */
function buildVrtc(b: Builder, as: bigint, config: VmConfig): Step<bigint | undefined> {
  if (!config.vrtc) return ok(undefined);
  const { hyp } = b.env;
  const rtc = b.create(Call.PARTITION_CREATE_VRTC, "vdevices");
  if (!rtc.ok) return rtc;
  const base = config.vrtc.base;
  const r = all(
    () => b.check(hyp.vrtcConfigure(rtc.value, base)),
    () => b.check(hyp.activate(rtc.value)),
    () => b.check(hyp.vrtcAttachAddrspace(rtc.value, as)),
  );
  return r.ok ? ok(rtc.value) : r;
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
    const vrtc = buildVrtc(b, core.value.addrspace, config);
    if (!vrtc.ok) return vrtc;
    const bells = buildDoorbells(b, core.value.vic, config);
    if (!bells.ok) return bells;
    const queues = buildQueues(b, core.value.vic, config);
    if (!queues.ok) return queues;
    const rpc = buildRmChannel(b, core.value, config);
    if (!rpc.ok) return rpc;
    return ok({
      built: {
        ...core.value,
        ...mem.value,
        resources: b.resources,
        undo: b.undo,
        rpc: rpc.value,
        ...(vrtc.value === undefined ? {} : { vrtc: vrtc.value }),
      },
      doorbells: bells.value,
    });
  })();
  if (!result.ok) b.undo.runAll();
  return result;
}

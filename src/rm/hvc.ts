// Typed hypercalls for the RM. The RM reaches the hypervisor only through its
// HypercallPort (ARCHITECTURE.md); these wrappers place arguments in X1..X7 exactly as
// the hypervisor's `.hvc` definitions order them (quic/gunyah-hypervisor), fill the
// reserved inputs, and turn X0 into a Result with the hypervisor error code.

import {
  Call,
  HypError,
  hypercallId,
  hypErrorFromX0,
  RES0,
  RES1,
  type HypercallPort,
} from "../hyp/abi/index.js";
import { err, ok, type Result } from "../lib/result.js";

export type HypResult<T> = Result<T, number>;

/** The RM's view of the hypervisor: one method per hypercall it uses. */
export class Hyp {
  /** Hypercalls issued, for benchmarks and tests. */
  calls = 0;
  /** The last failing call (number and error), for diagnostics. */
  lastFailure: { call: number; error: number } | undefined;

  constructor(private readonly port: HypercallPort) {}

  private call(n: number, args: readonly bigint[]): HypResult<readonly [bigint, bigint, bigint]> {
    this.calls++;
    const [x0, x1, x2, x3] = this.port.hvc(hypercallId(n), args);
    const code = hypErrorFromX0(x0);
    if (code === HypError.OK) return ok([x1, x2, x3] as const);
    this.lastFailure = { call: n, error: code };
    return err(code);
  }

  private unit(n: number, args: readonly bigint[]): HypResult<undefined> {
    const r = this.call(n, args);
    return r.ok ? ok() : r;
  }

  private cap(n: number, args: readonly bigint[]): HypResult<bigint> {
    const r = this.call(n, args);
    return r.ok ? ok(r.value[0]) : r;
  }

  // ---- objects and caps ----

  /** partition_create_* (partition, cspace, res0) -> new cap in `cspace`. */
  create(callNumber: number, partition: bigint, cspace: bigint): HypResult<bigint> {
    return this.cap(callNumber, [partition, cspace, RES0]);
  }
  activate(cap: bigint): HypResult<undefined> {
    return this.unit(Call.OBJECT_ACTIVATE, [cap, RES0]);
  }
  cspaceConfigure(cspace: bigint, maxCaps: number): HypResult<undefined> {
    return this.unit(Call.CSPACE_CONFIGURE, [cspace, BigInt(maxCaps), RES0]);
  }
  copyCap(
    srcCspace: bigint,
    srcCap: bigint,
    destCspace: bigint,
    rights: number,
  ): HypResult<bigint> {
    return this.cap(Call.CSPACE_COPY_CAP_FROM, [
      srcCspace,
      srcCap,
      destCspace,
      BigInt(rights >>> 0),
      RES0,
    ]);
  }
  deleteCap(cspace: bigint, cap: bigint): HypResult<undefined> {
    return this.unit(Call.CSPACE_DELETE_CAP_FROM, [cspace, cap, RES0]);
  }
  cspaceAttachThread(cspace: bigint, thread: bigint): HypResult<undefined> {
    return this.unit(Call.CSPACE_ATTACH_THREAD, [cspace, thread, RES0]);
  }

  // ---- address spaces and memory ----

  addrspaceConfigure(as: bigint, vmid: number): HypResult<undefined> {
    return this.unit(Call.ADDRSPACE_CONFIGURE, [as, BigInt(vmid), RES0]);
  }
  addrspaceAttachThread(as: bigint, thread: bigint): HypResult<undefined> {
    return this.unit(Call.ADDRSPACE_ATTACH_THREAD, [as, thread, RES0]);
  }
  map(m: {
    as: bigint;
    extent: bigint;
    vbase: number;
    attrs: bigint;
    flags: number;
    offset: number;
    size: number;
  }): HypResult<undefined> {
    return this.unit(Call.ADDRSPACE_MAP, [
      m.as,
      m.extent,
      BigInt(m.vbase),
      m.attrs,
      BigInt(m.flags >>> 0),
      BigInt(m.offset),
      BigInt(m.size),
    ]);
  }
  unmap(m: {
    as: bigint;
    extent: bigint;
    vbase: number;
    flags: number;
    offset: number;
    size: number;
  }): HypResult<undefined> {
    return this.unit(Call.ADDRSPACE_UNMAP, [
      m.as,
      m.extent,
      BigInt(m.vbase),
      BigInt(m.flags >>> 0),
      BigInt(m.offset),
      BigInt(m.size),
    ]);
  }
  /** addrspace_lookup: where `vbase` maps into `extent`, and for how many bytes contiguously. */
  lookup(
    as: bigint,
    extent: bigint,
    vbase: number,
    size: number,
  ): HypResult<{ offset: number; size: number; attrs: bigint }> {
    const r = this.call(Call.ADDRSPACE_LOOKUP, [as, extent, BigInt(vbase), BigInt(size), RES0]);
    return r.ok
      ? ok({ offset: Number(r.value[0]), size: Number(r.value[1]), attrs: r.value[2] })
      : r;
  }
  configureVmmio(as: bigint, base: number, size: number, op: number): HypResult<undefined> {
    return this.unit(Call.ADDRSPACE_CONFIGURE_VMMIO, [
      as,
      BigInt(base),
      BigInt(size),
      BigInt(op),
      RES0,
    ]);
  }
  memextentConfigure(
    me: bigint,
    physBase: number,
    size: number,
    attrs: bigint,
  ): HypResult<undefined> {
    return this.unit(Call.MEMEXTENT_CONFIGURE, [me, BigInt(physBase), BigInt(size), attrs, RES0]);
  }
  memextentDerive(
    me: bigint,
    parent: bigint,
    offset: number,
    size: number,
    attrs: bigint,
  ): HypResult<undefined> {
    return this.unit(Call.MEMEXTENT_CONFIGURE_DERIVE, [
      me,
      parent,
      BigInt(offset),
      BigInt(size),
      attrs,
      RES0,
    ]);
  }
  donate(
    options: number,
    from: bigint,
    to: bigint,
    offset: number,
    size: number,
  ): HypResult<undefined> {
    return this.unit(Call.MEMEXTENT_DONATE, [
      BigInt(options >>> 0),
      from,
      to,
      BigInt(offset),
      BigInt(size),
      RES0,
    ]);
  }

  // ---- message queues ----

  msgqueueConfigure(mq: bigint, createInfo: bigint): HypResult<undefined> {
    return this.unit(Call.MSGQUEUE_CONFIGURE, [mq, createInfo, RES0]);
  }
  msgqueueBindSendVirq(mq: bigint, vic: bigint, virq: number): HypResult<undefined> {
    return this.unit(Call.MSGQUEUE_BIND_SEND_VIRQ, [mq, vic, BigInt(virq), RES0]);
  }
  msgqueueBindReceiveVirq(mq: bigint, vic: bigint, virq: number): HypResult<undefined> {
    return this.unit(Call.MSGQUEUE_BIND_RECEIVE_VIRQ, [mq, vic, BigInt(virq), RES0]);
  }
  msgqueueUnbindSendVirq(mq: bigint): HypResult<undefined> {
    return this.unit(Call.MSGQUEUE_UNBIND_SEND_VIRQ, [mq, RES0]);
  }
  msgqueueUnbindReceiveVirq(mq: bigint): HypResult<undefined> {
    return this.unit(Call.MSGQUEUE_UNBIND_RECEIVE_VIRQ, [mq, RES0]);
  }
  /** -> not_full. */
  msgqueueSend(mq: bigint, size: number, buf: number, push: boolean): HypResult<boolean> {
    const r = this.call(Call.MSGQUEUE_SEND, [mq, BigInt(size), BigInt(buf), push ? 1n : 0n, RES0]);
    return r.ok ? ok(r.value[0] !== 0n) : r;
  }
  /** -> {size, notEmpty}. */
  msgqueueReceive(
    mq: bigint,
    buf: number,
    maxSize: number,
  ): HypResult<{ size: number; notEmpty: boolean }> {
    const r = this.call(Call.MSGQUEUE_RECEIVE, [mq, BigInt(buf), BigInt(maxSize), RES0]);
    return r.ok ? ok({ size: Number(r.value[0]), notEmpty: r.value[1] !== 0n }) : r;
  }

  // ---- doorbells, vic, vpm ----

  doorbellBindVirq(db: bigint, vic: bigint, virq: number): HypResult<undefined> {
    return this.unit(Call.DOORBELL_BIND_VIRQ, [db, vic, BigInt(virq), RES0]);
  }
  doorbellUnbindVirq(db: bigint): HypResult<undefined> {
    return this.unit(Call.DOORBELL_UNBIND_VIRQ, [db, RES0]);
  }
  vicConfigure(vic: bigint, maxVcpus: number, maxVirqs: number): HypResult<undefined> {
    return this.unit(Call.VIC_CONFIGURE, [vic, BigInt(maxVcpus), BigInt(maxVirqs), 0n, 0n]);
  }
  /** vgic_set_mpidr_mapping: `mask` of MPIDR affinity bits, Aff0..Aff3 shifts, MT. */
  vgicSetMpidrMapping(
    vic: bigint,
    mask: bigint,
    shifts: readonly [number, number, number, number],
    multiThread: boolean,
  ): HypResult<undefined> {
    const s = shifts.map((n) => BigInt(n));
    return this.unit(Call.VGIC_SET_MPIDR_MAPPING, [vic, mask, ...s, multiThread ? 1n : 0n]);
  }
  vicAttachVcpu(vic: bigint, vcpu: bigint, index: number): HypResult<undefined> {
    return this.unit(Call.VIC_ATTACH_VCPU, [vic, vcpu, BigInt(index), RES0]);
  }
  // ---- the vRTC (hyp/interfaces/vrtc/vrtc.hvc) ----

  vrtcConfigure(vrtc: bigint, ipa: number): HypResult<undefined> {
    return this.unit(Call.VRTC_CONFIGURE, [vrtc, BigInt(ipa), RES0]);
  }
  vrtcSetTimeBase(vrtc: bigint, timeBaseNs: bigint, sysTimerRef: bigint): HypResult<undefined> {
    return this.unit(Call.VRTC_SET_TIME_BASE, [vrtc, timeBaseNs, sysTimerRef, RES0]);
  }
  vrtcAttachAddrspace(vrtc: bigint, addrspace: bigint): HypResult<undefined> {
    return this.unit(Call.VRTC_ATTACH_ADDRSPACE, [vrtc, addrspace, RES0]);
  }

  vpmAttachVcpu(vpm: bigint, vcpu: bigint, index: number): HypResult<undefined> {
    return this.unit(Call.VPM_GROUP_ATTACH_VCPU, [vpm, vcpu, BigInt(index), RES0]);
  }
  vpmBindVirq(vpm: bigint, vic: bigint, virq: number): HypResult<undefined> {
    return this.unit(Call.VPM_GROUP_BIND_VIRQ, [vpm, vic, BigInt(virq), RES0]);
  }
  vpmUnbindVirq(vpm: bigint): HypResult<undefined> {
    return this.unit(Call.VPM_GROUP_UNBIND_VIRQ, [vpm, RES0]);
  }

  // ---- vCPUs ----

  vcpuConfigure(vcpu: bigint, options: number): HypResult<undefined> {
    return this.unit(Call.VCPU_CONFIGURE, [vcpu, BigInt(options >>> 0), RES0]);
  }
  vcpuSetAffinity(vcpu: bigint, cpu: number): HypResult<undefined> {
    return this.unit(Call.VCPU_SET_AFFINITY, [vcpu, BigInt(cpu), RES1]);
  }
  vcpuRegisterWrite(vcpu: bigint, set: number, index: number, value: bigint): HypResult<undefined> {
    return this.unit(Call.VCPU_REGISTER_WRITE, [vcpu, BigInt(set), BigInt(index), value, RES0]);
  }
  vcpuPoweron(vcpu: bigint, entry: bigint, context: bigint, flags: number): HypResult<undefined> {
    return this.unit(Call.VCPU_POWERON, [vcpu, entry, context, BigInt(flags)]);
  }
  vcpuKill(vcpu: bigint): HypResult<undefined> {
    return this.unit(Call.VCPU_KILL, [vcpu, RES0]);
  }
  vcpuBindVirq(vcpu: bigint, vic: bigint, virq: number, type: number): HypResult<undefined> {
    return this.unit(Call.VCPU_BIND_VIRQ, [vcpu, vic, BigInt(virq), BigInt(type)]);
  }
  vcpuUnbindVirq(vcpu: bigint, type: number): HypResult<undefined> {
    return this.unit(Call.VCPU_UNBIND_VIRQ, [vcpu, BigInt(type)]);
  }
  /** -> {state, data0, data1}. */
  vcpuRunCheck(vcpu: bigint): HypResult<{ state: number; data0: bigint; data1: bigint }> {
    const r = this.call(Call.VCPU_RUN_CHECK, [vcpu, RES0]);
    return r.ok ? ok({ state: Number(r.value[0]), data0: r.value[1], data1: r.value[2] }) : r;
  }
}

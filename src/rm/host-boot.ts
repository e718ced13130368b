// Platform boot, the RM's part: it creates the host VM's cspace and address space,
// maps the host's RAM IPA == PA through a BASIC extent derived from the root extent,
// and creates the RPC message-queue pair; once the hypervisor has turned those into a
// native VM (with a vic), it binds the queues' VIRQs and copies the host's queue caps
// into the host's cspace. Everything by hypercall.

import {
  Access,
  Call,
  mappingAttrs,
  memextentAttrs,
  MemextentType,
  msgqueueCreateInfo,
  Rights,
} from "../hyp/abi/index.js";
import { err, ok, type Result } from "../lib/result.js";
import type { Hyp } from "./hvc.js";
import { RPC_MAX_PACKET_SIZE } from "./protocol/index.js";
import type { VirqAllocator } from "./virq-alloc.js";

/** Depth of each RPC queue: room for a whole maximum-size message (63 packets). */
export const RPC_QUEUE_DEPTH = 64;
export const HOST_CSPACE_CAPS = 4096;

export interface HostVmObjects {
  readonly vmid: number;
  /** Caps in the RM's cspace. */
  readonly cspace: bigint;
  readonly addrspace: bigint;
  readonly ramExtent: bigint;
  readonly ramBase: number;
  readonly ramSize: number;
  /** Host -> RM queue and RM -> host queue (caps in the RM's cspace). */
  readonly toRm: bigint;
  readonly toHost: bigint;
}

/** What the host holds at boot: what a real host reads from its /hypervisor DT node. */
export interface HostRpcCaps {
  /** Host sends requests to the RM here (cap in the host's cspace). */
  readonly rmTxCap: bigint;
  /** Host receives replies and notifications here (cap in the host's cspace). */
  readonly rmRxCap: bigint;
  /** Host VIRQ raised when rmTxCap has room again (send / not-full). */
  readonly rmTxVirq: number;
  /** Host VIRQ raised when rmRxCap has packets (receive / not-empty). */
  readonly rmRxVirq: number;
}

export interface RmSideRpc {
  readonly rxVirq: number;
  readonly txVirq: number;
}

export interface RmRoot {
  readonly hyp: Hyp;
  readonly partition: bigint;
  readonly cspace: bigint;
  readonly rootExtent: bigint;
  readonly rootBase: number;
  readonly rootSize: number;
}

type Step<T> = Result<T, string>;

function step(what: string, r: Result<unknown, number>): Step<undefined> {
  return r.ok ? ok() : err(`${what}: hypervisor error ${r.error}`);
}

function create(root: RmRoot, call: number, what: string): Step<bigint> {
  const r = root.hyp.create(call, root.partition, root.cspace);
  return r.ok ? ok(r.value) : err(`create ${what}: hypervisor error ${r.error}`);
}

/** Creates the host's cspace, address space (with its RAM mapped) and RPC queues. */
export function createHostObjects(
  root: RmRoot,
  spec: { vmid: number; ramBase: number; ramSize: number },
): Step<HostVmObjects> {
  const { hyp } = root;
  if (spec.ramBase < root.rootBase || spec.ramBase + spec.ramSize > root.rootBase + root.rootSize)
    return err("host RAM outside the RAM the RM manages");
  const cspace = create(root, Call.PARTITION_CREATE_CSPACE, "cspace");
  const addrspace = create(root, Call.PARTITION_CREATE_ADDRSPACE, "addrspace");
  const ram = create(root, Call.PARTITION_CREATE_MEMEXTENT, "memextent");
  const toRm = create(root, Call.PARTITION_CREATE_MSGQUEUE, "msgqueue");
  const toHost = create(root, Call.PARTITION_CREATE_MSGQUEUE, "msgqueue");
  for (const r of [cspace, addrspace, ram, toRm, toHost]) if (!r.ok) return r;
  const caps = {
    cspace: (cspace as { value: bigint }).value,
    addrspace: (addrspace as { value: bigint }).value,
    ram: (ram as { value: bigint }).value,
    toRm: (toRm as { value: bigint }).value,
    toHost: (toHost as { value: bigint }).value,
  };
  const info = msgqueueCreateInfo(RPC_QUEUE_DEPTH, RPC_MAX_PACKET_SIZE);
  const steps: [string, () => Result<unknown, number>][] = [
    ["cspace_configure", () => hyp.cspaceConfigure(caps.cspace, HOST_CSPACE_CAPS)],
    ["activate cspace", () => hyp.activate(caps.cspace)],
    ["addrspace_configure", () => hyp.addrspaceConfigure(caps.addrspace, spec.vmid)],
    ["activate addrspace", () => hyp.activate(caps.addrspace)],
    [
      "memextent_configure_derive",
      () =>
        hyp.memextentDerive(
          caps.ram,
          root.rootExtent,
          spec.ramBase - root.rootBase,
          spec.ramSize,
          memextentAttrs(Access.RWX, MemextentType.BASIC),
        ),
    ],
    ["activate memextent", () => hyp.activate(caps.ram)],
    [
      "addrspace_map host RAM",
      () =>
        hyp.map({
          as: caps.addrspace,
          extent: caps.ram,
          vbase: spec.ramBase,
          attrs: mappingAttrs(Access.RWX),
          flags: 0,
          offset: 0,
          size: spec.ramSize,
        }),
    ],
    ["msgqueue_configure", () => hyp.msgqueueConfigure(caps.toRm, info)],
    ["msgqueue_configure", () => hyp.msgqueueConfigure(caps.toHost, info)],
    ["activate msgqueue", () => hyp.activate(caps.toRm)],
    ["activate msgqueue", () => hyp.activate(caps.toHost)],
  ];
  for (const [what, run] of steps) {
    const r = step(what, run());
    if (!r.ok) return r;
  }
  return ok({
    vmid: spec.vmid,
    cspace: caps.cspace,
    addrspace: caps.addrspace,
    ramExtent: caps.ram,
    ramBase: spec.ramBase,
    ramSize: spec.ramSize,
    toRm: caps.toRm,
    toHost: caps.toHost,
  });
}

/** Binds the RPC queues' VIRQs (the RM's ends to its vic, the host's to the host's) and hands the host its caps. */
export function connectHostQueues(
  root: RmRoot & { readonly rmVic: bigint; readonly rmVirqs: VirqAllocator },
  host: HostVmObjects,
  hostVic: bigint,
  hostVirqs: VirqAllocator,
): Step<{ host: HostRpcCaps; rm: RmSideRpc }> {
  const { hyp } = root;
  const rmRx = root.rmVirqs.allocate();
  const rmTx = root.rmVirqs.allocate();
  const hostTx = hostVirqs.allocate();
  const hostRx = hostVirqs.allocate();
  if (rmRx === undefined || rmTx === undefined || hostTx === undefined || hostRx === undefined)
    return err("out of VIRQs");
  const binds: [string, () => Result<unknown, number>][] = [
    ["bind RM receive VIRQ", () => hyp.msgqueueBindReceiveVirq(host.toRm, root.rmVic, rmRx)],
    ["bind RM send VIRQ", () => hyp.msgqueueBindSendVirq(host.toHost, root.rmVic, rmTx)],
    ["bind host send VIRQ", () => hyp.msgqueueBindSendVirq(host.toRm, hostVic, hostTx)],
    ["bind host receive VIRQ", () => hyp.msgqueueBindReceiveVirq(host.toHost, hostVic, hostRx)],
  ];
  for (const [what, run] of binds) {
    const r = step(what, run());
    if (!r.ok) return r;
  }
  const tx = hyp.copyCap(root.cspace, host.toRm, host.cspace, Rights.msgqueue.SEND);
  const rx = hyp.copyCap(root.cspace, host.toHost, host.cspace, Rights.msgqueue.RECEIVE);
  if (!tx.ok || !rx.ok) return err("cspace_copy_cap_from failed for the host's queue caps");
  return ok({
    host: { rmTxCap: tx.value, rmRxCap: rx.value, rmTxVirq: hostTx, rmRxVirq: hostRx },
    rm: { rxVirq: rmRx, txVirq: rmTx },
  });
}

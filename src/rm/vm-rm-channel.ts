// Every VM gets its own RPC channel to the RM, as in Gunyah: a message-queue pair
// whose guest ends (caps in the VM's cspace, interrupts in its vic) are described by
// the generated `/hypervisor/qcom,resource-mgr` node. Over it a guest sends VM_EXIT
// and receives VM_SHUTDOWN.

import { Call, msgqueueCreateInfo, Rights } from "../hyp/abi/index.js";
import { err, ok } from "../lib/result.js";
import { RmError, RPC_MAX_PACKET_SIZE } from "./protocol/index.js";
import { all, fail, type Builder, type Step } from "./builder.js";
import { VirqAllocator } from "./virq-alloc.js";
import type { VmConfig } from "./vm-config.js";

/** Depth of a guest's RPC queues. */
const GUEST_RPC_DEPTH = 8;

/** The guest's view of its RM channel (what the /hypervisor node describes). */
export interface GuestRpc {
  /** Caps in the guest's cspace: it sends on tx and receives on rx. */
  readonly txCap: bigint;
  readonly rxCap: bigint;
  /** Guest INTIDs: tx (send queue has room), rx (receive queue has packets). */
  readonly txIntid: number;
  readonly rxIntid: number;
}

/** Picks guest INTIDs from SPI 960 up, avoiding those the configuration uses. */
function guestIntids(config: VmConfig): [number, number] | undefined {
  const used = new Set<number>([
    ...config.doorbells.map((d) => d.intid),
    ...config.msgQueuePairs.flatMap((q) => [...q.intids]),
  ]);
  const alloc = new VirqAllocator();
  const out: number[] = [];
  while (out.length < 2) {
    const v = alloc.allocate();
    if (v === undefined) return undefined;
    if (!used.has(v)) out.push(v);
  }
  return [out[0]!, out[1]!];
}

export function buildRmChannel(
  b: Builder,
  vm: { cspace: bigint; vic: bigint },
  config: VmConfig,
): Step<GuestRpc> {
  const { hyp, rmVic, rmVirqs, cspace } = b.env;
  const intids = guestIntids(config);
  if (!intids) return err(RmError.NORESOURCE);
  const [txIntid, rxIntid] = intids;
  const toRm = b.create(Call.PARTITION_CREATE_MSGQUEUE, "vdevices");
  if (!toRm.ok) return toRm;
  const toGuest = b.create(Call.PARTITION_CREATE_MSGQUEUE, "vdevices");
  if (!toGuest.ok) return toGuest;
  const rmRx = b.virq(rmVirqs);
  if (!rmRx.ok) return rmRx;
  const rmTx = b.virq(rmVirqs);
  if (!rmTx.ok) return rmTx;
  const info = msgqueueCreateInfo(GUEST_RPC_DEPTH, RPC_MAX_PACKET_SIZE);
  const wired = all(
    () => b.check(hyp.msgqueueConfigure(toRm.value, info)),
    () => b.check(hyp.msgqueueConfigure(toGuest.value, info)),
    () => b.check(hyp.activate(toRm.value)),
    () => b.check(hyp.activate(toGuest.value)),
    () => b.check(hyp.msgqueueBindReceiveVirq(toRm.value, rmVic, rmRx.value)),
    () => b.check(hyp.msgqueueBindSendVirq(toGuest.value, rmVic, rmTx.value)),
    () => b.check(hyp.msgqueueBindSendVirq(toRm.value, vm.vic, txIntid)),
    () => b.check(hyp.msgqueueBindReceiveVirq(toGuest.value, vm.vic, rxIntid)),
  );
  if (!wired.ok) return wired;
  b.undo.push("irqs", () => {
    for (const mq of [toRm.value, toGuest.value]) {
      hyp.msgqueueUnbindSendVirq(mq);
      hyp.msgqueueUnbindReceiveVirq(mq);
    }
  });
  const tx = hyp.copyCap(cspace, toRm.value, vm.cspace, Rights.msgqueue.SEND);
  if (!tx.ok) return fail(tx.error);
  b.undo.push("vdevices", () => void hyp.deleteCap(vm.cspace, tx.value));
  const rx = hyp.copyCap(cspace, toGuest.value, vm.cspace, Rights.msgqueue.RECEIVE);
  if (!rx.ok) return fail(rx.error);
  b.undo.push("vdevices", () => void hyp.deleteCap(vm.cspace, rx.value));
  const close = b.env.openChannel(b.vmid, {
    rxCap: toRm.value,
    txCap: toGuest.value,
    rxVirq: rmRx.value,
    txVirq: rmTx.value,
  });
  b.undo.push("vdevices", close);
  return ok({ txCap: tx.value, rxCap: rx.value, txIntid, rxIntid });
}

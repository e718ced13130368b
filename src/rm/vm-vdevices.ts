// VM_INIT's virtual devices from the configuration's `vdevices`: doorbells (the host
// is the source, the guest receives the interrupt) and message-queue pairs (one queue
// each way, the host's ends with host VIRQs).

import { Call, msgqueueCreateInfo, Rights } from "../hyp/abi/index.js";
import { ok } from "../lib/result.js";
import { HypResourceType, NO_VIRQ } from "./protocol/index.js";
import { all, type Builder, type Step } from "./builder.js";
import type { VmConfig } from "./vm-config.js";

export interface GeneratedDoorbell {
  readonly name: string;
  readonly label: number;
  readonly intid: number;
  readonly level: boolean;
}

export function buildDoorbells(
  b: Builder,
  vic: bigint,
  config: VmConfig,
): Step<GeneratedDoorbell[]> {
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
    // The host is the source ("bell tx"); the guest receives the interrupt. As in
    // Gunyah's RM, `source-can-clear` adds RECEIVE, which doorbell_mask requires.
    const rights = Rights.doorbell.SEND | (bell.sourceCanClear ? Rights.doorbell.RECEIVE : 0);
    const given = b.give("vdevices", db.value, rights, {
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

export function buildQueues(b: Builder, vic: bigint, config: VmConfig): Step<undefined> {
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

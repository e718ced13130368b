// Message queue (0x17-0x21) and doorbell (0x10-0x15) hypercalls.

import { Call } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { MSGQUEUE_SEND_PUSH, Rights } from "../abi/objects.js";
import type { CallerContext } from "../context.js";
import type { Doorbell } from "../doorbell.js";
import type { Msgqueue } from "../msgqueue.js";
import type { Vic } from "../vic.js";
import type { VirqBinding } from "../virq.js";
import { bool, done, fail, lookup, type HandlerOut, type HandlerTable } from "./types.js";

function bindVirq(c: CallerContext, vicId: bigint, virq: bigint, binding: VirqBinding): HandlerOut {
  const vic = lookup<Vic>(c, vicId, "vic", Rights.vic.BIND_SOURCE);
  if (!vic.ok) return fail(vic.error);
  if (virq > 0xffff_ffffn) return fail(HypError.ARGUMENT_INVALID);
  return fail(binding.bind(vic.value, Number(virq)));
}

function mq(c: CallerContext, id: bigint, rights: number) {
  return lookup<Msgqueue>(c, id, "msgqueue", rights);
}

function db(c: CallerContext, id: bigint, rights: number) {
  return lookup<Doorbell>(c, id, "doorbell", rights);
}

export const messagingHandlers: HandlerTable = {
  [Call.MSGQUEUE_BIND_SEND_VIRQ]: {
    res0: [3],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.BIND_SEND);
      return q.ok ? bindVirq(c, a[1]!, a[2]!, q.value.sendVirq) : fail(q.error);
    },
  },
  [Call.MSGQUEUE_BIND_RECEIVE_VIRQ]: {
    res0: [3],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.BIND_RECEIVE);
      return q.ok ? bindVirq(c, a[1]!, a[2]!, q.value.receiveVirq) : fail(q.error);
    },
  },
  [Call.MSGQUEUE_UNBIND_SEND_VIRQ]: {
    res0: [1],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.BIND_SEND);
      return q.ok ? fail(q.value.sendVirq.unbind()) : fail(q.error);
    },
  },
  [Call.MSGQUEUE_UNBIND_RECEIVE_VIRQ]: {
    res0: [1],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.BIND_RECEIVE);
      return q.ok ? fail(q.value.receiveVirq.unbind()) : fail(q.error);
    },
  },
  [Call.MSGQUEUE_SEND]: {
    res0: [4],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.SEND);
      if (!q.ok) return fail(q.error);
      const flags = a[3]!;
      if ((flags & ~MSGQUEUE_SEND_PUSH) !== 0n) return fail(HypError.ARGUMENT_INVALID);
      if (!c.memory) return fail(HypError.ADDR_INVALID);
      const r = q.value.send(a[1]!, a[2]!, flags !== 0n, c.memory);
      return r.ok ? done(HypError.OK, bool(r.value)) : fail(r.error);
    },
  },
  [Call.MSGQUEUE_RECEIVE]: {
    res0: [3],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.RECEIVE);
      if (!q.ok) return fail(q.error);
      if (!c.memory) return fail(HypError.ADDR_INVALID);
      const r = q.value.receive(a[1]!, a[2]!, c.memory);
      return r.ok ? done(HypError.OK, BigInt(r.value.size), bool(r.value.notEmpty)) : fail(r.error);
    },
  },
  [Call.MSGQUEUE_FLUSH]: {
    res0: [1],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.RECEIVE);
      if (!q.ok) return fail(q.error);
      q.value.flush();
      return fail(HypError.OK);
    },
  },
  [Call.MSGQUEUE_CONFIGURE_SEND]: {
    res1: [3],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.SEND);
      return q.ok ? fail(q.value.configureSend(a[1]!, a[2]!)) : fail(q.error);
    },
  },
  [Call.MSGQUEUE_CONFIGURE_RECEIVE]: {
    res1: [3],
    fn: (_k, c, a) => {
      const q = mq(c, a[0]!, Rights.msgqueue.RECEIVE);
      return q.ok ? fail(q.value.configureReceive(a[1]!, a[2]!)) : fail(q.error);
    },
  },
  [Call.MSGQUEUE_CONFIGURE]: {
    res0: [2],
    fn: (_k, c, a) => {
      const q = lookup<Msgqueue>(c, a[0]!, "msgqueue", Rights.GENERIC_ACTIVATE, false);
      return q.ok ? fail(q.value.configure(a[1]!)) : fail(q.error);
    },
  },
  [Call.DOORBELL_BIND_VIRQ]: {
    res0: [3],
    fn: (_k, c, a) => {
      const d = db(c, a[0]!, Rights.doorbell.BIND);
      return d.ok ? bindVirq(c, a[1]!, a[2]!, d.value.virq) : fail(d.error);
    },
  },
  [Call.DOORBELL_UNBIND_VIRQ]: {
    res0: [1],
    fn: (_k, c, a) => {
      const d = db(c, a[0]!, Rights.doorbell.BIND);
      return d.ok ? fail(d.value.virq.unbind()) : fail(d.error);
    },
  },
  [Call.DOORBELL_SEND]: {
    res0: [2],
    fn: (_k, c, a) => {
      const d = db(c, a[0]!, Rights.doorbell.SEND);
      if (!d.ok) return fail(d.error);
      if (a[1] === 0n) return fail(HypError.ARGUMENT_INVALID);
      return done(HypError.OK, d.value.send(a[1]!));
    },
  },
  [Call.DOORBELL_RECEIVE]: {
    res0: [2],
    fn: (_k, c, a) => {
      const d = db(c, a[0]!, Rights.doorbell.RECEIVE);
      if (!d.ok) return fail(d.error);
      if (a[1] === 0n) return fail(HypError.ARGUMENT_INVALID);
      return done(HypError.OK, d.value.receive(a[1]!));
    },
  },
  [Call.DOORBELL_RESET]: {
    res0: [1],
    fn: (_k, c, a) => {
      const d = db(c, a[0]!, Rights.doorbell.RECEIVE);
      if (!d.ok) return fail(d.error);
      d.value.reset();
      return fail(HypError.OK);
    },
  },
  [Call.DOORBELL_MASK]: {
    res0: [3],
    fn: (_k, c, a) => {
      const d = db(c, a[0]!, Rights.doorbell.RECEIVE);
      if (!d.ok) return fail(d.error);
      d.value.mask(a[1]!, a[2]!);
      return fail(HypError.OK);
    },
  },
};

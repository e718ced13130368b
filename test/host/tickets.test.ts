import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TicketRegistry,
  toHostResource,
  translateVirq,
  type HostResource,
  type ResourceTicket,
} from "../../src/host/resources.js";
import { resource } from "./fake-rm.js";

function ticket(type: number, label: number, accept = true) {
  const held: HostResource[] = [];
  const t: ResourceTicket & { held: HostResource[]; populates: number } = {
    type,
    label,
    held,
    populates: 0,
    populate(r) {
      t.populates++;
      if (!accept) return false;
      held.push(r);
      return true;
    },
    unpopulate(r) {
      held.splice(held.indexOf(r), 1);
    },
  };
  return t;
}

const res = (type: number, label: number, cap: bigint) =>
  toHostResource(resource(type, label, cap));

test("tickets: one owner per (type, label); a second is EEXIST", () => {
  const reg = new TicketRegistry();
  assert.ok(reg.add(ticket(4, 0)).ok);
  const dup = reg.add(ticket(4, 0));
  assert.ok(!dup.ok);
  assert.equal(dup.error.code, "EEXIST");
  assert.ok(reg.add(ticket(4, 1)).ok);
  assert.ok(reg.add(ticket(1, 0)).ok);
});

test("tickets: resources reach their ticket whichever comes first", () => {
  const reg = new TicketRegistry();
  const early = ticket(4, 0);
  reg.add(early);
  reg.addResource(res(4, 0, 10n));
  assert.deepEqual(
    early.held.map((r) => r.capId),
    [10n],
  );
  reg.addResource(res(4, 7, 11n));
  assert.equal(reg.unclaimedCount, 1);
  const late = ticket(4, 7);
  reg.add(late);
  assert.deepEqual(
    late.held.map((r) => r.capId),
    [11n],
  );
  assert.equal(reg.unclaimedCount, 0);
});

test("tickets: populated more than once; a refused resource stays unclaimed", () => {
  const reg = new TicketRegistry();
  const t = ticket(0, 3);
  reg.add(t);
  reg.addResource(res(0, 3, 1n));
  reg.addResource(res(0, 3, 2n));
  assert.equal(t.populates, 2);
  assert.equal(reg.resourcesOf(0, 3).length, 2);
  const picky = ticket(1, 1, false);
  reg.add(picky);
  reg.addResource(res(1, 1, 3n));
  assert.equal(reg.unclaimedCount, 1);
});

test("tickets: removal and teardown unpopulate everything", () => {
  const reg = new TicketRegistry();
  const a = ticket(4, 0);
  const b = ticket(4, 1);
  reg.add(a);
  reg.add(b);
  reg.addResource(res(4, 0, 1n));
  reg.addResource(res(4, 1, 2n));
  reg.remove(a);
  assert.equal(a.held.length, 0);
  assert.equal(reg.unclaimedCount, 1, "its resource returns to the pool");
  reg.add(a);
  assert.equal(a.held.length, 1, "and is handed out again");
  reg.removeAllResources();
  assert.equal(a.held.length + b.held.length, 0);
  assert.equal(reg.unclaimedCount, 0);
  reg.remove(ticket(4, 0)); // a different ticket object: ignored
  assert.equal(reg.ticketCount, 2);
});

test("resource interrupts: SPI and extended SPI translate; anything else is reported and dropped", () => {
  assert.deepEqual(translateVirq(32), { ok: true, value: 32 });
  assert.deepEqual(translateVirq(1019), { ok: true, value: 1019 });
  assert.deepEqual(translateVirq(4096), { ok: true, value: 4096 });
  assert.deepEqual(translateVirq(5119), { ok: true, value: 5119 });
  assert.deepEqual(translateVirq(0), { ok: true, value: undefined });
  assert.deepEqual(translateVirq(0xffff_ffff), { ok: true, value: undefined });
  for (const bad of [27, 1020, 4095, 5120, 16]) assert.equal(translateVirq(bad).ok, false);
  const r = toHostResource(resource(4, 0, 9n, 27));
  assert.equal(r.capId, 9n, "the resource is still returned");
  assert.equal(r.virq, undefined);
  assert.match(r.virqError ?? "", /neither an SPI/);
  assert.equal(toHostResource(resource(4, 0, 9n, 992)).virq, 992);
});

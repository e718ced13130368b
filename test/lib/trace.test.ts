import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ALL_TRACE_CATEGORIES,
  parseTraceFilter,
  TraceCat,
  Tracer,
  type TraceEvent,
} from "../../src/lib/trace.js";

function recorder(options: { categories?: number; limit?: number } = {}) {
  const events: TraceEvent[] = [];
  let clock = 0;
  const tracer = new Tracer({ sink: (e) => events.push(e), now: () => clock, ...options });
  return { tracer, events, tick: (us: number) => void (clock += us) };
}

test("the filter parses category names into a mask and rejects unknown names", () => {
  assert.deepEqual(parseTraceFilter("hvc,rpc"), { mask: TraceCat.HVC | TraceCat.RPC });
  assert.deepEqual(parseTraceFilter(" EXIT , irq "), { mask: TraceCat.EXIT | TraceCat.IRQ });
  assert.deepEqual(parseTraceFilter("all"), { mask: ALL_TRACE_CATEGORIES });
  assert.match((parseTraceFilter("hvc,bogus") as { error: string }).error, /'bogus'/);
  assert.match((parseTraceFilter(",") as { error: string }).error, /no category/);
});

test("enabled() follows the mask, and a filtered tracer records only those categories", () => {
  const { tracer } = recorder({ categories: TraceCat.RPC | TraceCat.VM });
  assert.equal(tracer.enabled(TraceCat.RPC), true);
  assert.equal(tracer.enabled(TraceCat.VM), true);
  assert.equal(tracer.enabled(TraceCat.HVC), false);
  assert.equal(tracer.enabled(TraceCat.EXIT), false);
});

test("complete events carry their start, duration, category and guest time", () => {
  const { tracer, events, tick } = recorder();
  let counter = 100n;
  tracer.setGuestClock(() => counter, 62_500_000);
  tick(10);
  const start = tracer.now();
  tick(5.5);
  counter = 250n;
  tracer.complete(TraceCat.HVC, "vcpu_run", 3, 0, start, { cap_id: "0x1" });
  tracer.instant(TraceCat.IRQ, "deliver", 128, 1);
  assert.deepEqual(events[0], {
    name: "vcpu_run",
    cat: "hvc",
    ph: "X",
    ts: 10,
    dur: 5.5,
    pid: 3,
    tid: 0,
    args: { cap_id: "0x1", gt: 250 },
  });
  assert.equal(events[1]?.ph, "i");
  assert.equal(events[1]?.s, "t");
  assert.equal(events[1]?.args?.gt, 250);
  assert.equal(tracer.summary().counterFrequency, 62_500_000);
});

test("past the limit events are dropped and counted; metadata is kept once per name", () => {
  const { tracer, events } = recorder({ limit: 3 });
  tracer.nameProcess(3, "host VM");
  for (let i = 0; i < 10; i++) tracer.instant(TraceCat.EXIT, `e${i}`, 1, 0);
  tracer.nameProcess(3, "host VM again");
  tracer.nameThread(1, 0, "vCPU 0");
  assert.deepEqual(
    events.map((e) => e.name),
    ["process_name", "e0", "e1", "e2", "thread_name"],
  );
  assert.equal(tracer.recordedEvents, 3);
  assert.equal(tracer.droppedEvents, 7);
  assert.deepEqual(tracer.summary(), {
    recordedEvents: 3,
    droppedEvents: 7,
    limit: 3,
    categories: "hvc,rpc,mem,irq,exit,vm",
  });
});

test("async begin and end share an id for a request and its reply", () => {
  const { tracer, events } = recorder();
  tracer.asyncBegin(TraceCat.RPC, "VM_START", 255, "3:9");
  tracer.asyncEnd(TraceCat.RPC, "VM_START", 255, "3:9", { error: "OK" });
  assert.deepEqual(
    events.map((e) => [e.ph, e.id]),
    [
      ["b", "3:9"],
      ["e", "3:9"],
    ],
  );
});

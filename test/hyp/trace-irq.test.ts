import { test } from "node:test";
import assert from "node:assert/strict";
import { sysregKey, type GicCpuInterface } from "../../src/arch/arm64/index.js";
import { TraceCat, Tracer, type TraceEvent } from "../../src/lib/trace.js";
import { tracedCpuInterface, traceTimerOutputs } from "../../src/hyp/trace-irq.js";

const IAR1 = sysregKey(3, 0, 12, 12, 0);
const EOIR1 = sysregKey(3, 0, 12, 12, 1);
const SGI1R = sysregKey(3, 0, 12, 11, 5);
const PMR = sysregKey(3, 0, 4, 6, 0);

function setup(categories: number = TraceCat.IRQ) {
  const events: TraceEvent[] = [];
  const tracer = new Tracer({ sink: (e) => events.push(e), categories, now: () => 0 });
  const acks = [33, 1023];
  const inner: GicCpuInterface = {
    read: (key) => (key === IAR1 ? BigInt(acks.shift() ?? 1023) : 0n),
    write: () => true,
  };
  const cpuif = tracedCpuInterface(tracer, inner, () => [128, 1]);
  return { events, cpuif, tracer };
}

test("acknowledge, EOI and SGI generation become deliver, eoi and raise events", () => {
  const { events, cpuif } = setup();
  assert.equal(cpuif.read(IAR1), 33n, "the guest still reads the INTID");
  assert.equal(cpuif.read(IAR1), 1023n);
  cpuif.write(EOIR1, 33n);
  cpuif.write(SGI1R, (3n << 24n) | 1n); // SGI 3 to target list 1
  cpuif.read(PMR);
  assert.deepEqual(
    events.map((e) => [e.name, e.pid, e.tid, e.args?.intid, e.args?.kind, e.args?.source]),
    [
      ["irq deliver", 128, 1, 33, "SPI", undefined],
      ["irq eoi", 128, 1, 33, "SPI", undefined],
      ["irq raise", 128, 1, 3, "SGI", "IPI"],
    ],
    "a spurious acknowledge (1023) and other registers record nothing",
  );
});

test("with the irq category filtered out nothing is recorded", () => {
  const { events, cpuif } = setup(TraceCat.HVC);
  cpuif.read(IAR1);
  cpuif.write(EOIR1, 33n);
  assert.equal(events.length, 0);
});

test("a rising timer output raises its PPI once", () => {
  const { events, tracer } = setup();
  const vcpu = {};
  for (const outputs of [0, 1, 1, 3, 0, 1])
    traceTimerOutputs(tracer, vcpu, outputs, () => [128, 0]);
  assert.deepEqual(
    events.map((e) => e.args?.intid),
    [27, 30, 27],
  );
  assert.ok(events.every((e) => e.args?.source === "timer" && e.args?.kind === "PPI"));
});
